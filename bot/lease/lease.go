// Package lease keeps the leases of the communities one bot process serves
// when several processes share a database (bot.Leaser, storage/postgres):
// it renews what it holds, takes free or expired leases up to a fair share,
// hands each newly won community to the engine to load, and stops the
// process (ErrLost) the moment a held lease can no longer be trusted.
//
// Fair share: every process also holds a heartbeat lease "process/<holder>";
// a process takes at most ceil(communities / live processes), so processes
// started together spread the communities, and when one dies the others'
// share grows until every community is served again.
package lease

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// Defaults: a lease lives 15 s and is renewed every 5 s, so a dead
// process's communities are taken within about 20 s of its last renewal.
const (
	DefaultTTL   = 15 * time.Second
	DefaultRenew = 5 * time.Second
)

// Manager holds and renews one process's leases.
type Manager struct {
	Leaser bot.Leaser
	// Holder names this process run (unique per start: a restarted
	// process is a new holder, so a paused old one is fenced out).
	Holder string
	// Names are the leases to serve (bot.CommunityLease of each community).
	Names []string
	TTL   time.Duration
	Renew time.Duration
	// Settle is how long the first round waits, after announcing this
	// process, before taking a share (default 1 s, at most Renew).
	Settle time.Duration
	// Adopt loads a newly won lease's community; it runs in its own
	// goroutine, one lease at a time, while renewals go on. An error stops
	// the manager.
	Adopt func(ctx context.Context, name string) error
	// Shed stops serving the communities whose leases this process gives
	// up because it holds more than its share (a process joined): the
	// leases are released once Shed returns, and other processes adopt
	// them. nil: nothing is shed.
	Shed func(ctx context.Context, names []string) error
	// Exclusive are leases one process at a time holds for as long as it
	// lives, outside the fair share: reading a chat platform account that
	// only one reader may poll (a Telegram token). Turn tells when this
	// process won one.
	Exclusive []string
	Log       *slog.Logger
	Now       func() time.Time

	mu      sync.Mutex
	held    []string // sorted
	adopted map[string]bool
	ready   chan struct{}
	once    sync.Once
	toAdopt int  // won, not yet adopted
	taken   bool // the first share was taken
	isReady bool
	turns   map[string]chan struct{} // exclusive lease → closed once held
	mine    []string                 // exclusive leases held
}

// Turn is closed once this process holds the exclusive lease name (it
// then holds it until it stops; losing it stops the process, ErrLost).
func (m *Manager) Turn(name string) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.turns == nil {
		m.turns = map[string]chan struct{}{}
	}
	ch := m.turns[name]
	if ch == nil {
		ch = make(chan struct{})
		m.turns[name] = ch
	}
	return ch
}

// readyIfDone closes Ready once the first share is taken and loaded. Call
// with m.mu held.
func (m *Manager) readyIfDone() {
	if m.taken && m.toAdopt == 0 && !m.isReady {
		m.isReady = true
		close(m.ready)
	}
}

// Ready is closed once the first share this process took is loaded (and
// served), so that a process starts reading its chats only then.
func (m *Manager) Ready() <-chan struct{} {
	m.once.Do(func() { m.ready = make(chan struct{}) })
	return m.ready
}

// ErrLost is returned by Run when a held lease was lost or could not be
// renewed in time: the process must stop serving (it exits and its
// supervisor restarts it as a new holder).
var ErrLost = bot.ErrLeaseLost

func (m *Manager) defaults() {
	if m.TTL == 0 {
		m.TTL = DefaultTTL
	}
	if m.Renew == 0 {
		m.Renew = DefaultRenew
	}
	if m.Settle == 0 {
		m.Settle = min(time.Second, m.Renew)
	}
	if m.Log == nil {
		m.Log = slog.Default()
	}
	if m.Now == nil {
		m.Now = time.Now
	}
}

func (m *Manager) heartbeat() string { return "process/" + m.Holder }

// Held lists the leases this process holds now.
func (m *Manager) Held() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.held)
}

// Adopted reports whether name's community has been loaded and is served.
func (m *Manager) Adopted(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.adopted[name]
}

// Run renews and takes leases until ctx ends (it then releases them, so
// another process takes over at once) or a lease is lost (ErrLost).
func (m *Manager) Run(ctx context.Context) error {
	m.defaults()
	m.Ready()
	m.adopted = map[string]bool{}
	adoptq := make(chan string, len(m.Names))
	adoptErr := make(chan error, 1)
	actx, stopAdopt := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-actx.Done():
				return
			case n := <-adoptq:
				if err := m.Adopt(actx, n); err != nil {
					if actx.Err() == nil {
						adoptErr <- fmt.Errorf("load %s: %w", n, err)
					}
					return
				}
				m.mu.Lock()
				m.adopted[n] = true
				m.toAdopt--
				m.readyIfDone()
				m.mu.Unlock()
			}
		}
	}()
	defer func() {
		stopAdopt()
		wg.Wait()
		// A fresh context: ctx is usually done by now.
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.mu.Lock()
		mine := slices.Clone(m.mine)
		m.mu.Unlock()
		if err := m.Leaser.Release(rctx, m.Holder, append(append(m.Held(), mine...), m.heartbeat())); err != nil {
			m.Log.Warn("releasing leases failed; they expire by themselves", "err", err)
		}
	}()

	// The first round only announces this process, so that processes
	// started together see each other before taking shares.
	validUntil := time.Time{}
	first := true
	t := time.NewTicker(m.Renew)
	defer t.Stop()
	for {
		start := m.Now()
		err := m.round(ctx, first, adoptq)
		switch {
		case err == nil:
			validUntil = start.Add(m.TTL - m.Renew)
		case ctx.Err() != nil:
			return nil
		case isLost(err):
			return err
		default:
			m.Log.Warn("renewing leases failed", "err", err)
			if len(m.Held()) > 0 && m.Now().After(validUntil) {
				return fmt.Errorf("%w: could not renew %d leases before they expire: %v", ErrLost, len(m.Held()), err)
			}
		}
		next := t.C
		if first {
			next = time.After(m.Settle)
		} else {
			m.mu.Lock()
			m.taken = true
			m.readyIfDone()
			m.mu.Unlock()
		}
		first = false
		select {
		case <-ctx.Done():
			return nil
		case err := <-adoptErr:
			return err
		case <-next:
		}
	}
}

type lostError struct{ error }

func (e lostError) Unwrap() error { return e.error }

func isLost(err error) bool { _, ok := err.(lostError); return ok }

// round renews what is held, then takes free leases up to the fair share.
func (m *Manager) round(ctx context.Context, announceOnly bool, adoptq chan<- string) error {
	held := m.Held()
	m.mu.Lock()
	mine := slices.Clone(m.mine)
	m.mu.Unlock()
	got, err := m.Leaser.Acquire(ctx, m.Holder, append(append(slices.Clone(held), mine...), m.heartbeat()), m.TTL)
	if err != nil {
		return err
	}
	for _, h := range append(held, mine...) {
		if !slices.Contains(got, h) {
			return lostError{fmt.Errorf("%w: %s passed to another process", ErrLost, h)}
		}
	}
	if announceOnly {
		return nil
	}
	if err := m.takeExclusive(ctx, mine); err != nil {
		return err
	}
	holders, err := m.Leaser.Holders(ctx)
	if err != nil {
		return err
	}
	live := 0
	for n := range holders {
		if len(n) > len("process/") && n[:len("process/")] == "process/" {
			live++
		}
	}
	live = max(live, 1)
	share := (len(m.Names) + live - 1) / live
	var free []string
	for _, n := range m.Names {
		if _, taken := holders[n]; !taken && !slices.Contains(held, n) {
			free = append(free, n)
		}
	}
	want := share - len(held)
	if want < 0 {
		return m.shed(ctx, held, -want, share, live)
	}
	if want == 0 || len(free) == 0 {
		return nil
	}
	free = free[:min(want, len(free))]
	won, err := m.Leaser.Acquire(ctx, m.Holder, free, m.TTL)
	if err != nil {
		return err
	}
	if len(won) == 0 {
		return nil
	}
	m.mu.Lock()
	m.held = append(m.held, won...)
	slices.Sort(m.held)
	m.toAdopt += len(won)
	m.mu.Unlock()
	m.Log.Info("leases won", "holder", m.Holder, "won", len(won), "held", len(m.held), "share", share, "processes", live)
	for _, n := range won {
		adoptq <- n
	}
	return nil
}

// takeExclusive tries the exclusive leases not held yet.
func (m *Manager) takeExclusive(ctx context.Context, mine []string) error {
	var want []string
	for _, n := range m.Exclusive {
		if !slices.Contains(mine, n) {
			want = append(want, n)
		}
	}
	if len(want) == 0 {
		return nil
	}
	won, err := m.Leaser.Acquire(ctx, m.Holder, want, m.TTL)
	if err != nil {
		return err
	}
	for _, n := range won {
		m.Turn(n) // made before it is closed
		m.mu.Lock()
		m.mine = append(m.mine, n)
		close(m.turns[n])
		m.mu.Unlock()
		m.Log.Info("exclusive lease won", "holder", m.Holder, "lease", n)
	}
	return nil
}

// shed gives up n of the communities this process serves, beyond its
// share now that more processes are live, newest names first: each is
// stopped here (Shed) and its lease released for a process below its
// share to adopt. Only loaded communities are shed.
func (m *Manager) shed(ctx context.Context, held []string, n, share, live int) error {
	if m.Shed == nil {
		return nil
	}
	var out []string
	for i := len(held) - 1; i >= 0 && len(out) < n; i-- {
		if m.Adopted(held[i]) {
			out = append(out, held[i])
		}
	}
	if len(out) == 0 {
		return nil
	}
	if err := m.Shed(ctx, out); err != nil {
		m.Log.Warn("could not hand communities over; kept", "leases", len(out), "err", err)
		return nil
	}
	shed := out
	m.mu.Lock()
	m.held = slices.DeleteFunc(m.held, func(h string) bool { return slices.Contains(shed, h) })
	for _, name := range shed {
		delete(m.adopted, name)
	}
	m.mu.Unlock()
	// Not renewed any more in any case: released now, or expired soon.
	if err := m.Leaser.Release(ctx, m.Holder, shed); err != nil {
		m.Log.Warn("releasing handed-over leases failed; they expire by themselves", "err", err)
	}
	m.Log.Info("leases handed over", "holder", m.Holder, "shed", len(shed), "held", len(held)-len(shed), "share", share, "processes", live)
	return nil
}
