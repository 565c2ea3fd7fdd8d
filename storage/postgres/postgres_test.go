package postgres_test

import (
	"context"
	"testing"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/storage/postgres"
	"github.com/yishi-community/yishi/storage/postgres/pgtest"
	"github.com/yishi-community/yishi/storage/storetest"
)

// fresh opens a store in a schema of its own (search_path), so the tests
// of one database do not see each other's keys.
func fresh(t *testing.T) bot.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), freshDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func freshDSN(t *testing.T) string { return pgtest.Fresh(t) }

func TestConformance(t *testing.T) { storetest.Run(t, fresh) }

// TestReopen: what was committed is there after a new Open, and the schema
// is migrated once.
func TestReopen(t *testing.T) {
	s := fresh(t).(*postgres.Store)
	ctx := context.Background()
	if err := s.Commit(ctx, []bot.KV{{Key: []byte("audit/c/1"), Value: []byte("entry")}}); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get([]byte("audit/c/1")); err != nil || string(v) != "entry" {
		t.Fatalf("Get = %q %v", v, err)
	}
	s.Close()
	if err := s.Commit(ctx, []bot.KV{{Key: []byte("x"), Value: []byte("y")}}); err == nil {
		t.Error("Commit after Close succeeded")
	}
}
