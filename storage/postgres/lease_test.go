package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/storage/postgres"
)

// twoProcesses opens two stores on one schema, as two bot processes would.
func twoProcesses(t *testing.T) (a, b *postgres.Store) {
	t.Helper()
	d := freshDSN(t)
	ctx := context.Background()
	a, err := postgres.Open(ctx, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err = postgres.Open(ctx, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestLeasesAreExclusive(t *testing.T) {
	a, b := twoProcesses(t)
	ctx := context.Background()
	names := []string{"community/x", "community/y"}
	held, err := a.Acquire(ctx, "A", names, time.Minute)
	if err != nil || !slices.Equal(held, names) {
		t.Fatalf("A acquires free leases: %v %v", held, err)
	}
	held, err = b.Acquire(ctx, "B", append(names, "community/z"), time.Minute)
	if err != nil || !slices.Equal(held, []string{"community/z"}) {
		t.Fatalf("B while A holds x and y: %v %v; want only z", held, err)
	}
	// Renewal keeps them.
	if held, err = a.Acquire(ctx, "A", names, time.Minute); err != nil || len(held) != 2 {
		t.Fatalf("A renews: %v %v", held, err)
	}
	hs, err := b.Holders(ctx)
	if err != nil || hs["community/x"] != "A" || hs["community/z"] != "B" {
		t.Fatalf("Holders = %v %v", hs, err)
	}
	// A clean shutdown hands them over at once.
	if err := a.Release(ctx, "A", []string{"community/x"}); err != nil {
		t.Fatal(err)
	}
	if held, _ = b.Acquire(ctx, "B", names, time.Minute); !slices.Equal(held, []string{"community/x"}) {
		t.Fatalf("B after A released x: %v", held)
	}
}

func TestExpiredLeaseIsTakenOver(t *testing.T) {
	a, b := twoProcesses(t)
	ctx := context.Background()
	if held, err := a.Acquire(ctx, "A", []string{"community/x"}, 300*time.Millisecond); err != nil || len(held) != 1 {
		t.Fatal(held, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		held, err := b.Acquire(ctx, "B", []string{"community/x"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(held) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("B never took the expired lease")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A cannot renew what B holds now.
	if held, _ := a.Acquire(ctx, "A", []string{"community/x"}, time.Minute); len(held) != 0 {
		t.Fatalf("A renewed a lease B took over: %v", held)
	}
}

// TestFencedWriteAfterTakeover: a process that lost its lease while paused
// cannot write under it; the holder can.
func TestFencedWriteAfterTakeover(t *testing.T) {
	a, b := twoProcesses(t)
	ctx := context.Background()
	lease := []string{"community/x"}
	if _, err := a.Acquire(ctx, "A", lease, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	commit := func(s *postgres.Store, holder, key string) error {
		wait, err := s.EnqueueFenced(holder, lease, []bot.KV{{Key: []byte(key), Value: []byte(holder)}})
		if err != nil {
			return err
		}
		return wait(ctx)
	}
	if err := commit(a, "A", "audit/x/1"); err != nil {
		t.Fatalf("the holder's fenced write: %v", err)
	}
	for {
		if held, _ := b.Acquire(ctx, "B", lease, time.Minute); len(held) == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := commit(b, "B", "audit/x/2"); err != nil {
		t.Fatalf("the new holder's fenced write: %v", err)
	}
	err := commit(a, "A", "audit/x/2")
	if !errors.Is(err, bot.ErrLeaseLost) {
		t.Fatalf("the old holder's write after the takeover: %v; want ErrLeaseLost", err)
	}
	if v, _ := b.Get([]byte("audit/x/2")); string(v) != "B" {
		t.Errorf("audit/x/2 = %q; the stale write must not land", v)
	}
	// The old holder's store stops: its memory is ahead of the database.
	if err := a.Commit(ctx, []bot.KV{{Key: []byte("k"), Value: []byte("v")}}); err == nil {
		t.Error("the store that lost a lease kept writing")
	}
}
