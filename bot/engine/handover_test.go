package engine_test

// Several processes on one store (Holder set): the hand-over barrier, the
// outbox of a handed-over community, and members bound with a code.

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/storage/memstore"
)

// gatedStore is a shared store whose writes can be held (gate set): each
// waits for a value on gate, the write's outcome.
type gatedStore struct {
	*memstore.Store
	mu   sync.Mutex
	gate chan error // when non-nil, waits block on it
}

func (g *gatedStore) setGate(c chan error) { g.mu.Lock(); g.gate = c; g.mu.Unlock() }

func (g *gatedStore) Enqueue(b []bot.KV) (func(context.Context) error, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate == nil {
		err := g.Store.Commit(context.Background(), b)
		return func(context.Context) error { return err }, nil
	}
	return func(context.Context) error { return <-gate }, nil
}
func (g *gatedStore) EnqueueFenced(_ string, _ []string, b []bot.KV) (func(context.Context) error, error) {
	return g.Enqueue(b)
}

// A write failing while a hand-over waits for the writes in flight, and
// another action waits behind the hand-over, must not deadlock.
func TestCommitErrorDuringHandOver(t *testing.T) {
	st := &gatedStore{Store: memstore.New()}
	e := servingSample(t, st, "h", true)
	ctx := context.Background()
	st.setGate(make(chan error))
	put := func(k string) func(tx *engine.Tx) error {
		return func(tx *engine.Tx) error { tx.Put(bot.KV{Key: []byte(k), Value: []byte("v")}); return nil }
	}
	g1 := make(chan error, 1)
	go func() { _, err := e.Do(ctx, "", put("a")); g1 <- err }()
	time.Sleep(100 * time.Millisecond) // G1 holds commitMu.RLock, waiting on the store
	g2 := make(chan error, 1)
	go func() { g2 <- e.HandOver(ctx, "houchen") }()
	time.Sleep(100 * time.Millisecond) // G2 waits in commitMu.Lock
	g3 := make(chan error, 1)
	go func() { _, err := e.Do(ctx, "", put("b")); g3 <- err }()
	time.Sleep(100 * time.Millisecond)           // G3 holds e.mu, waits in commitMu.RLock
	gateOf(st) <- errors.New("connection reset") // G1's commit fails: it takes e.mu
	close(gateOf(st))                            // G3's write, once it reaches the store, fails too
	for name, ch := range map[string]chan error{"the failed write": g1, "the hand-over": g2, "the action behind it": g3} {
		select {
		case <-ch:
		case <-time.After(3 * time.Second):
			t.Fatalf("deadlock: %s never returned", name)
		}
	}
}

// A message committed while its community is handed over is the next
// holder's to deliver: it is not kept in this process's outbox.
func TestNoMessagesKeptAfterHandOver(t *testing.T) {
	st := &gatedStore{Store: memstore.New()}
	e := servingSample(t, st, "h", true)
	ctx := context.Background()
	gate := make(chan error)
	st.setGate(gate)
	g1 := make(chan error, 1)
	go func() {
		_, err := e.Do(ctx, "", func(tx *engine.Tx) error {
			tx.Send(bot.Outgoing{Platform: "console", Chat: "g", Community: "houchen", Text: "x"})
			return nil
		})
		g1 <- err
	}()
	time.Sleep(100 * time.Millisecond)
	g2 := make(chan error, 1)
	go func() { g2 <- e.HandOver(ctx, "houchen") }()
	time.Sleep(100 * time.Millisecond)
	st.setGate(nil)
	gate <- nil
	<-g1
	<-g2
	if n := e.OutboxLen(); n != 0 {
		t.Errorf("after HandOver this process still has %d message(s) of the handed-over community in its outbox (the next holder loads them from the store too)", n)
	}
}

// A member bound with a code in a community another process serves is
// known to this one (the identity index), so their messages are relayed.
func TestCodeBoundMemberFoundElsewhere(t *testing.T) {
	st := &gatedStore{Store: memstore.New()}
	ctx := context.Background()
	cfg := config.Sample()
	b := servingSample(t, st, "b", true)
	sec := cfg.WithRole(bot.RoleSecretary)[0]
	var who *bot.Member
	for i := range cfg.Roster {
		if cfg.Roster[i].Identities["telegram"] == "" {
			who = &cfg.Roster[i]
			break
		}
	}
	if _, err := b.Do(ctx, "", func(tx *engine.Tx) error {
		code, _, err := tx.IssueBindCode(cfg.ID, sec, who.ID)
		if err != nil {
			return err
		}
		_, _, err = tx.Bind("telegram", "777000", code)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A serves nothing of it: the member's private messages must be relayed to B.
	a := servingSample(t, st, "a", false)
	var n int
	a.Read(func(tx *engine.Tx) { n = len(tx.MemberServedElsewhere("telegram", "777000")) })
	var onB bool
	b.Read(func(tx *engine.Tx) { onB = tx.Member(cfg.ID, "telegram", "777000") != nil })
	if !onB {
		t.Fatal("the binding did not take on B")
	}
	if n == 0 {
		t.Errorf("member %s bound by code in %s (served by B) is unknown to A: A answers 'not on any roster' instead of relaying", who.ID, cfg.ID)
	}
}

func gateOf(g *gatedStore) chan error { g.mu.Lock(); defer g.mu.Unlock(); return g.gate }

// servingSample opens holder's engine on the shared store with the sample
// village, adopting it when adopt is set.
func servingSample(t *testing.T, st bot.Store, holder string, adopt bool) *engine.Engine {
	t.Helper()
	e, err := engine.Open(context.Background(), engine.Options{Store: st, Communities: []*config.Community{config.Sample()}, Clock: fixed{now}, Holder: holder})
	if err != nil {
		t.Fatal(err)
	}
	if adopt {
		if err := e.Adopt(context.Background(), "houchen"); err != nil {
			t.Fatal(err)
		}
	}
	return e
}
