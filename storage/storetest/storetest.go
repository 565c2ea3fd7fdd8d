// Package storetest is the one conformance suite of the store contract
// (bot.Store and its optional bot.Queuer, bot.LastFinder and
// bot.PrefixDropper): every implementation — badger in storage/, PostgreSQL
// in storage/postgres, the in-memory one for tests — runs it.
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

// Run checks the contract on stores made by open (each call a new, empty
// store; the test closes it).
func Run(t *testing.T, open func(t *testing.T) bot.Store) {
	ctx := context.Background()
	kv := func(k, v string) bot.KV {
		if v == "" {
			return bot.KV{Key: []byte(k)}
		}
		return bot.KV{Key: []byte(k), Value: []byte(v)}
	}
	scan := func(t *testing.T, s bot.Store, prefix string) string {
		t.Helper()
		var out []string
		if err := s.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
			out = append(out, string(k)+"="+string(v))
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(out)
	}

	t.Run("batch", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		if err := s.Commit(ctx, []bot.KV{kv("a/1", "x"), kv("a/2", "y"), kv("b/1", "z"), kv("a/1", "x2")}); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Get([]byte("a/1")); err != nil || string(v) != "x2" {
			t.Errorf("Get a/1 = %q, %v; want the batch's last write", v, err)
		}
		if v, err := s.Get([]byte("nope")); err != nil || v != nil {
			t.Errorf("Get of an absent key = %q, %v; want nil, nil", v, err)
		}
		if err := s.Commit(ctx, []bot.KV{kv("a/2", "")}); err != nil {
			t.Fatal(err)
		}
		if got := scan(t, s, "a/"); got != "[a/1=x2]" {
			t.Errorf("after a delete: %s", got)
		}
	})

	t.Run("scan order and bounds", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		keys := []string{"p/b", "p/a", "p/a\xff", "p0", "p/", "q", "o\xff", "p/\x00"}
		var batch []bot.KV
		for _, k := range keys {
			batch = append(batch, kv(k, "v"))
		}
		if err := s.Commit(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if got, want := scan(t, s, "p/"), "[p/=v p/\x00=v p/a=v p/a\xff=v p/b=v]"; got != want {
			t.Errorf("Scan p/ = %q, want %q (bytewise order, prefix only)", got, want)
		}
		n := 0
		_ = s.Scan([]byte("p/"), func(_, _ []byte) (bool, error) { n++; return n < 2, nil })
		if n != 2 {
			t.Errorf("Scan went on after fn returned false (%d calls)", n)
		}
		if err := s.Commit(ctx, []bot.KV{kv("\xff\xff", "top")}); err != nil {
			t.Fatal(err)
		}
		if got := scan(t, s, "\xff"); got != "[\xff\xff=top]" {
			t.Errorf("Scan of an all-0xff prefix = %q", got)
		}
	})

	t.Run("binary values", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		v := []byte{0, 1, 2, 0xff, 0, 'x'}
		if err := s.Commit(ctx, []bot.KV{{Key: []byte("bin"), Value: v}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Get([]byte("bin")); !bytes.Equal(got, v) {
			t.Errorf("binary value came back as %v", got)
		}
	})

	t.Run("last", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		lf, ok := s.(bot.LastFinder)
		if !ok {
			t.Skip("no LastFinder")
		}
		if k, v, err := lf.Last([]byte("log/")); err != nil || k != nil || v != nil {
			t.Fatalf("Last of nothing = %q %q %v", k, v, err)
		}
		_ = s.Commit(ctx, []bot.KV{kv("log/0001", "a"), kv("log/0003", "c"), kv("log/0002", "b"), kv("log0", "x")})
		if k, v, err := lf.Last([]byte("log/")); err != nil || string(k) != "log/0003" || string(v) != "c" {
			t.Errorf("Last = %q %q %v", k, v, err)
		}
	})

	t.Run("queued in order, concurrent", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		q, ok := s.(bot.Queuer)
		if !ok {
			t.Skip("no Queuer")
		}
		// Batches queued in one order land in that order, whichever wait
		// returns first: each overwrites the same key.
		var waits []func(context.Context) error
		for i := range 200 {
			w, err := q.Enqueue([]bot.KV{kv("k", fmt.Sprintf("%03d", i)), kv(fmt.Sprintf("n/%03d", i), "x")})
			if err != nil {
				t.Fatal(err)
			}
			waits = append(waits, w)
		}
		var wg sync.WaitGroup
		for i := len(waits) - 1; i >= 0; i-- {
			wg.Add(1)
			go func() { defer wg.Done(); _ = waits[i](ctx) }()
		}
		wg.Wait()
		if v, _ := s.Get([]byte("k")); string(v) != "199" {
			t.Errorf("after 200 queued batches k = %q, want the last queued", v)
		}
		n := 0
		_ = s.Scan([]byte("n/"), func(_, _ []byte) (bool, error) { n++; return true, nil })
		if n != 200 {
			t.Errorf("%d of 200 queued batches are stored", n)
		}
		// Concurrent Commits all land.
		var cw sync.WaitGroup
		for i := range 64 {
			cw.Add(1)
			go func() {
				defer cw.Done()
				if err := s.Commit(ctx, []bot.KV{kv(fmt.Sprintf("c/%02d", i), "v")}); err != nil {
					t.Error(err)
				}
			}()
		}
		cw.Wait()
		n = 0
		_ = s.Scan([]byte("c/"), func(_, _ []byte) (bool, error) { n++; return true, nil })
		if n != 64 {
			t.Errorf("%d of 64 concurrent commits are stored", n)
		}
	})

	t.Run("drop prefix", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		d, ok := s.(bot.PrefixDropper)
		if !ok {
			t.Skip("no PrefixDropper")
		}
		_ = s.Commit(ctx, []bot.KV{kv("secret/1/a", "for"), kv("secret/1/b", "against"), kv("secret/10", "keep"), kv("secret/2/a", "keep")})
		if err := d.DropPrefix([]byte("secret/1/")); err != nil {
			t.Fatal(err)
		}
		if got := scan(t, s, "secret/"); got != "[secret/10=keep secret/2/a=keep]" {
			t.Errorf("after DropPrefix: %s", got)
		}
	})
}
