package memstore

import (
	"context"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

func TestStore(t *testing.T) {
	s := New()
	ctx := context.Background()
	if err := s.Commit(ctx, []bot.KV{{Key: []byte("a/2"), Value: []byte("2")}, {Key: []byte("a/1"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	s.Commit(ctx, []bot.KV{{Key: []byte("b")}})
	var got []string
	s.Scan([]byte("a/"), func(k, v []byte) (bool, error) { got = append(got, string(k)+"="+string(v)); return true, nil })
	if len(got) != 2 || got[0] != "a/1=1" || got[1] != "a/2=2" {
		t.Fatalf("scan: %v", got)
	}
	if v, _ := s.Get([]byte("b")); v != nil || s.Len() != 2 {
		t.Fatalf("delete: %q, len %d", v, s.Len())
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Commit(cancelled, []bot.KV{{Key: []byte("c"), Value: []byte("c")}}); err == nil {
		t.Fatal("commit with a cancelled context succeeded")
	}
}
