package lease_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/lease"
)

// memLeaser is a bot.Leaser in memory; a holder marked dead gets only
// errors, as a killed process gets nothing done.
type memLeaser struct {
	mu     sync.Mutex
	rows   map[string]row
	dead   map[string]bool
	breaks map[string]bool // holders whose calls fail (database unreachable)
}

type row struct {
	holder  string
	expires time.Time
}

func newMem() *memLeaser {
	return &memLeaser{rows: map[string]row{}, dead: map[string]bool{}, breaks: map[string]bool{}}
}

func (l *memLeaser) Acquire(_ context.Context, holder string, names []string, ttl time.Duration) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead[holder] || l.breaks[holder] {
		return nil, errors.New("connection refused")
	}
	now := time.Now()
	var got []string
	for _, n := range names {
		r, ok := l.rows[n]
		if !ok || r.holder == holder || !r.expires.After(now) {
			l.rows[n] = row{holder, now.Add(ttl)}
			got = append(got, n)
		}
	}
	slices.Sort(got)
	return slices.Compact(got), nil
}

func (l *memLeaser) Release(_ context.Context, holder string, names []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead[holder] {
		return errors.New("connection refused")
	}
	for _, n := range names {
		if l.rows[n].holder == holder {
			delete(l.rows, n)
		}
	}
	return nil
}

func (l *memLeaser) Holders(context.Context) (map[string]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]string{}
	for n, r := range l.rows {
		if r.expires.After(time.Now()) {
			out[n] = r.holder
		}
	}
	return out, nil
}

type proc struct {
	m       *lease.Manager
	mu      sync.Mutex
	serving map[string]bool
	done    chan error
	cancel  context.CancelFunc
}

func start(l bot.Leaser, holder string, names []string, exclusive ...string) *proc {
	p := &proc{serving: map[string]bool{}, done: make(chan error, 1)}
	p.m = &lease.Manager{Leaser: l, Holder: holder, Names: names, TTL: 300 * time.Millisecond, Renew: 50 * time.Millisecond,
		Adopt: func(_ context.Context, n string) error {
			p.mu.Lock()
			p.serving[n] = true
			p.mu.Unlock()
			return nil
		}, Exclusive: exclusive}
	p.m.Shed = func(_ context.Context, ns []string) error {
		p.mu.Lock()
		for _, n := range ns {
			delete(p.serving, n)
		}
		p.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- p.m.Run(ctx) }()
	return p
}

func (p *proc) served() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for n := range p.serving {
		out = append(out, n)
	}
	return out
}

// settle waits until every name is served by exactly one of the live
// processes, and fails with the overlap or the gap otherwise.
func settle(t *testing.T, names []string, live ...*proc) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		by := map[string][]int{}
		for i, p := range live {
			for _, n := range p.served() {
				by[n] = append(by[n], i)
			}
		}
		var problem string
		for _, n := range names {
			if len(by[n]) != 1 {
				problem = fmt.Sprintf("%s served by processes %v", n, by[n])
				break
			}
		}
		if problem == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(problem)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = bot.CommunityLease(fmt.Sprintf("c%03d", i))
	}
	return out
}

func TestSpreadAndFailover(t *testing.T) {
	l := newMem()
	all := names(90)
	a, b, c := start(l, "A", all), start(l, "B", all), start(l, "C", all)
	defer func() { a.cancel(); b.cancel(); c.cancel() }()
	settle(t, all, a, b, c)
	for _, p := range []*proc{a, b, c} {
		if n := len(p.served()); n > 30 {
			t.Errorf("%s serves %d of 90: more than its share of 30", p.m.Holder, n)
		}
	}
	// B dies (SIGKILL: it releases nothing and renews nothing).
	l.mu.Lock()
	l.dead["B"] = true
	l.mu.Unlock()
	b.cancel()
	<-b.done
	settle(t, all, a, c)
}

// wantLost waits for p's Run to stop with ErrLeaseLost.
func wantLost(t *testing.T, p *proc, otherwise string) {
	t.Helper()
	select {
	case err := <-p.done:
		if !errors.Is(err, bot.ErrLeaseLost) {
			t.Fatalf("Run = %v; want ErrLeaseLost", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal(otherwise)
	}
}

func TestLostLeaseStopsTheProcess(t *testing.T) {
	l := newMem()
	all := names(3)
	a := start(l, "A", all)
	defer a.cancel()
	settle(t, all, a)
	// A is cut off from the database: its calls fail; before its leases
	// expire it must stop serving.
	l.mu.Lock()
	l.breaks["A"] = true
	l.mu.Unlock()
	wantLost(t, a, "a process that cannot renew kept running")
}

func TestTakenLeaseStopsTheProcess(t *testing.T) {
	l := newMem()
	all := names(2)
	a := start(l, "A", all)
	defer a.cancel()
	settle(t, all, a)
	// Someone else holds one of A's leases (A was paused past the expiry).
	l.mu.Lock()
	l.rows[all[0]] = row{"Z", time.Now().Add(time.Hour)}
	l.mu.Unlock()
	wantLost(t, a, "a process whose lease was taken kept running")
}

func TestCleanStopHandsOverAtOnce(t *testing.T) {
	l := newMem()
	all := names(4)
	a := start(l, "A", all)
	settle(t, all, a)
	a.cancel()
	if err := <-a.done; err != nil {
		t.Fatal(err)
	}
	hs, _ := l.Holders(context.Background())
	if len(hs) != 0 {
		t.Fatalf("after a clean stop the leases are still held: %v", hs)
	}
}

// Processes that start one after the other still end with a share each:
// the first takes everything it sees no one else for, then hands over
// what is beyond its share as the others appear (a restarted process
// after a failover, or one that took longer to start).
func TestLateProcessesGetTheirShare(t *testing.T) {
	l := newMem()
	all := names(90)
	a := start(l, "A", all)
	defer a.cancel()
	settle(t, all, a)
	if n := len(a.served()); n != 90 {
		t.Fatalf("alone, A serves %d of 90", n)
	}
	b := start(l, "B", all)
	defer b.cancel()
	c := start(l, "C", all)
	defer c.cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		settle(t, all, a, b, c)
		na, nb, nc := len(a.served()), len(b.served()), len(c.served())
		if na == 30 && nb == 30 && nc == 30 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("served per process after the late starts: [%d %d %d]; want 30 each", na, nb, nc)
		}
		time.Sleep(20 * time.Millisecond)
	}
	hs, _ := l.Holders(context.Background())
	for _, n := range all {
		h := hs[n]
		for _, p := range []*proc{a, b, c} {
			if slices.Contains(p.served(), n) && p.m.Holder != h {
				t.Fatalf("%s served by %s, its lease held by %q", n, p.m.Holder, h)
			}
		}
	}
}

// An exclusive lease (one Telegram token's poller) is held by one process
// at a time and passes to another when its holder dies.
func TestExclusiveLeaseHasOneHolderAndMovesOnDeath(t *testing.T) {
	l := newMem()
	all := names(6)
	const poll = "exclusive/telegram/1"
	a := start(l, "A", all, poll)
	defer a.cancel()
	b := start(l, "B", all, poll)
	defer b.cancel()
	turn := func(p *proc) bool {
		select {
		case <-p.m.Turn(poll):
			return true
		default:
			return false
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !turn(a) && !turn(b) {
		if time.Now().After(deadline) {
			t.Fatal("nobody got the turn to poll")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // several rounds: the other must not get it too
	if turn(a) && turn(b) {
		t.Fatal("both processes hold the exclusive lease")
	}
	holder, other := a, b
	if turn(b) {
		holder, other = b, a
	}
	l.mu.Lock()
	l.dead[holder.m.Holder] = true
	l.mu.Unlock()
	holder.cancel()
	<-holder.done
	deadline = time.Now().Add(5 * time.Second)
	for !turn(other) {
		if time.Now().After(deadline) {
			t.Fatal("the exclusive lease did not pass to the surviving process")
		}
		time.Sleep(10 * time.Millisecond)
	}
	settle(t, all, other)
}
