// Package app assembles a running bot: the badger store, the engine, the
// conversational flows, the outbox dispatcher, timers and the adapters.
// cmd/yishi and the adapters' end-to-end tests start the bot through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/lease"
	"github.com/yishi-community/yishi/bot/reminders"
	"github.com/yishi-community/yishi/bot/screening/opinion"
	"github.com/yishi-community/yishi/cmd/yishi/app/metrics"
	"github.com/yishi-community/yishi/flows"
	"github.com/yishi-community/yishi/storage"
)

// Options configure an App.
type Options struct {
	DataDir     string
	Communities []*config.Community
	Adapters    []bot.Adapter
	Clock       bot.Clock
	Logger      *slog.Logger
	// Store replaces the badger store in DataDir (benchmarks and tests of
	// failure paths); nil opens DataDir.
	Store bot.Store
	// TickEvery is how often vote deadlines and idle flows are checked;
	// default 1s.
	TickEvery time.Duration
	// Backup overrides the communities' backup block (yishi run
	// --backup-dir); nil: the first community's block, if any.
	Backup *config.Backup
	// TallyDebounce is how long the live tally waits for more votes before
	// it is sent on a chat platform (default 2s; the console never waits).
	TallyDebounce time.Duration
	// FromLog rebuilds the state from the event log alone (the read-only
	// tools: what they print is what the log says, never an edited
	// snapshot); ReadOnly writes nothing (engine.Options).
	FromLog, ReadOnly bool
	// Metrics, when set, counts messages, actions and reminders and is
	// served at /metrics (http.go); nil: nothing is counted.
	Metrics *metrics.Metrics
	// WebLogin issues the links of 网页登录 (adapters/web.Logins, when the
	// public board is served); nil: the command says the web is off.
	WebLogin flows.LoginLinks
	// SecondOpinion, when set, asks a language model for a second opinion
	// on each proposal, shown to the reviewer only (off by default).
	SecondOpinion *opinion.Client
	// Holder, when set, makes this process one of several sharing the
	// store (which must be a bot.Leaser, storage/postgres): it serves the
	// communities whose leases it wins (bot/lease) and stops when it loses
	// one. Node is the machine's stable name (engine.Options.Node).
	Holder, Node string
	// LeaseTTL and LeaseRenew override bot/lease's defaults (tests).
	LeaseTTL, LeaseRenew time.Duration
}

// App is a running bot.
type App struct {
	opts   Options
	Store  bot.Store
	Engine *engine.Engine
	Flows  *flows.Bot
	Screen *Screening
	// Reminders is the follow-up reminder scheduler (bot/reminders); Run
	// starts it.
	Reminders *reminders.Scheduler
	adapters  map[string]bot.Adapter
	order     []string
	log       *slog.Logger

	deliverMu sync.Mutex
	asked     map[string]time.Time // member → when we last asked them (in the group) to open a private chat
	downMu    sync.Mutex
	down      map[string]bool // platforms whose adapter stopped (logged out, token revoked)
	closeOnce sync.Once
	space     spaceWatch

	plan            *config.Backup // backup schedule in force, nil: none
	backupMu        sync.Mutex
	lastBackupAlert time.Time
	view            bool // a View: Close leaves the store open

	// turns: platforms that only the process holding their turn can send
	// on (bot.Exclusive), closed once this process holds it; set by Run.
	turns map[string]<-chan struct{}
	gate  gateway
}

// View returns the App for a command that reads the running bot's state
// (the control socket) and then calls Close: that Close closes nothing.
func (a *App) View() *App {
	return &App{opts: a.opts, Store: a.Store, Engine: a.Engine, Flows: a.Flows, Screen: a.Screen,
		Reminders: a.Reminders, adapters: a.adapters, order: a.order, log: a.log, view: true}
}

// Open opens the data directory, rebuilds the in-memory state and wires
// everything; it does not start the adapters (Run does).
func Open(ctx context.Context, opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = bot.SystemClock{}
	}
	if opts.TickEvery == 0 {
		opts.TickEvery = time.Second
	}
	if len(opts.Communities) == 0 {
		return nil, errors.New("no community configured")
	}
	a := &App{opts: opts, adapters: map[string]bot.Adapter{}, log: opts.Logger, asked: map[string]time.Time{}, down: map[string]bool{}}
	for _, ad := range opts.Adapters {
		a.adapters[ad.Platform()] = ad
		a.order = append(a.order, ad.Platform())
	}
	a.Store = opts.Store
	if a.Store == nil {
		db, err := storage.Open(opts.DataDir, storage.Options{Logger: opts.Logger})
		if err != nil {
			return nil, err
		}
		a.Store = db
	}
	if opts.TallyDebounce == 0 {
		opts.TallyDebounce = 2 * time.Second
	}
	debounce := func(out bot.Outgoing) time.Duration {
		if out.Platform == "console" || !strings.HasPrefix(out.Key, "tally/") {
			return 0 // acknowledgements go at once (merged only while the queue is backed up)
		}
		return opts.TallyDebounce
	}
	var observe func(engine.Observation)
	var onRun func(reminders.Report, error)
	if opts.Metrics != nil {
		observe, onRun = opts.Metrics.Action, opts.Metrics.RemindersRun
	}
	if _, ok := a.Store.(bot.Leaser); opts.Holder != "" && !ok {
		a.Store.Close()
		return nil, fmt.Errorf("the store %T has no leases: only a shared database (--store postgres://…) can be served by several processes", a.Store)
	}
	eng, err := engine.Open(ctx, engine.Options{Store: a.Store, Communities: opts.Communities, Clock: opts.Clock, Logger: opts.Logger,
		Debounce: debounce, FromLog: opts.FromLog, ReadOnly: opts.ReadOnly, BeforeMigration: a.backupBeforeMigration, Observe: observe,
		Holder: opts.Holder, Node: opts.Node})
	if err != nil {
		a.Store.Close()
		return nil, fmt.Errorf("load state from %s: %w", opts.DataDir, err)
	}
	a.Engine = eng
	a.Screen, err = newScreening(a.Store, opts.Communities, opts.SecondOpinion)
	if err != nil {
		a.Store.Close()
		return nil, err
	}
	binders := map[string]bot.Binder{}
	for p, ad := range a.adapters {
		if b, ok := ad.(bot.Binder); ok {
			binders[p] = b
		}
	}
	a.Flows = flows.New(flows.Options{Engine: eng, Logger: opts.Logger, Binders: binders,
		Screener: a.Screen.Screen, OnDecision: a.Screen.Learn, OnReview: a.Screen.Reviewed, Record: RecordText,
		WebLogin: opts.WebLogin})
	a.plan = a.backupPlan()
	a.Reminders, err = reminders.New(reminders.Options{Engine: eng, Clock: opts.Clock, Logger: opts.Logger, OnRun: onRun})
	if err != nil {
		a.Store.Close()
		return nil, err
	}
	a.watchGauges()
	return a, nil
}

// Handle passes a message to the flows; it is the bot.Handler given to
// adapters. With the disk below its free-space margin the message is
// refused before anything is applied, and the sender is told so.
func (a *App) Handle(ctx context.Context, in bot.Incoming) error {
	if a.opts.Metrics != nil {
		a.opts.Metrics.MessageIn(in.Platform)
	}
	if err := a.checkSpace(ctx); err != nil {
		a.refuseForSpace(ctx, in, err)
		return nil
	}
	if in.Private {
		a.gate.wake(in.Chat) // handed-over messages to them may get through now
	}
	err := a.Flows.Handle(ctx, in)
	if bot.ErrorCode(err) == bot.ENOSPACE {
		// The engine's own check refused it (the disk filled meanwhile).
		a.refuseForSpace(ctx, in, err)
		return nil
	}
	return err
}

// Run starts every adapter, the dispatcher and the timers, and returns when
// ctx ends or every adapter has returned (the console at end of input), after
// delivering what can be delivered.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.downMu.Lock()
	clear(a.down) // Run again after a platform stopped (a new WeChat login): try it again
	a.downMu.Unlock()
	a.Engine.OutboxWake("")
	var wg sync.WaitGroup
	leaseErr := make(chan error, 1)
	if a.opts.Holder != "" {
		a.turns = map[string]<-chan struct{}{}
		m := a.leaseManager()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Run(ctx); err != nil {
				a.log.Error("this process stops serving", "holder", a.opts.Holder, "err", err)
				leaseErr <- err
				cancel() // stop serving at once: another process takes over
			}
		}()
		// Chats are read only once this process's first share is loaded:
		// a message read before would be answered "served elsewhere".
		select {
		case <-m.Ready():
		case <-ctx.Done():
		}
	}
	if a.opts.Holder != "" {
		wg.Add(2)
		go func() { defer wg.Done(); a.relayLoop(ctx) }()
		go func() { defer wg.Done(); a.gatewayLoop(ctx) }()
	}
	wg.Add(4)
	go func() { defer wg.Done(); a.runBackups(ctx) }()
	go func() { defer wg.Done(); a.dispatchLoop(ctx) }()
	go func() { defer wg.Done(); a.tickLoop(ctx) }()
	go func() { defer wg.Done(); _ = a.Reminders.Run(ctx) }()

	errs := make(chan error, len(a.order))
	for _, p := range a.order {
		ad := a.adapters[p]
		go func() {
			err := ad.Run(ctx, a)
			if err != nil && ctx.Err() == nil {
				a.log.Error("adapter stopped", "platform", ad.Platform(), "err", err)
				a.adapterDown(ctx, ad.Platform(), err)
				err = fmt.Errorf("%s adapter: %w", ad.Platform(), err)
				if ex, ok := ad.(bot.Exclusive); ok && a.opts.Holder != "" && ex.ExclusiveLease() != "" {
					// It holds the platform's turn for every process: stop,
					// so that the turn passes to one that may still read it.
					a.log.Error("this process stops: it held the only reader of the platform", "platform", ad.Platform(), "holder", a.opts.Holder)
					select {
					case leaseErr <- fmt.Errorf("%w: the %s adapter stopped while this process held its turn", lease.ErrLost, ad.Platform()):
					default:
					}
					cancel()
				}
			} else {
				err = nil
			}
			errs <- err
		}()
	}
	var runErr error
	for range a.order {
		select {
		case err := <-errs:
			runErr = errors.Join(runErr, err)
			continue
		case <-ctx.Done():
		}
		break
	}
	select {
	case err := <-leaseErr:
		// Nothing more is delivered either: what is still queued is the new
		// holder's to deliver.
		cancel()
		wg.Wait()
		return errors.Join(runErr, err)
	default:
	}
	a.Flush(context.WithoutCancel(ctx))
	cancel()
	wg.Wait()
	select {
	case err := <-leaseErr:
		runErr = errors.Join(runErr, err)
	default:
	}
	return runErr
}

// leaseManager serves the communities whose leases this process wins,
// until Run's ctx ends (the leases are then released) or one is lost.
func (a *App) leaseManager() *lease.Manager {
	names := make([]string, len(a.opts.Communities))
	byLease := map[string]string{}
	for i, c := range a.opts.Communities {
		names[i] = bot.CommunityLease(c.ID)
		byLease[names[i]] = c.ID
	}
	m := &lease.Manager{Leaser: a.Store.(bot.Leaser), Holder: a.opts.Holder, Names: names, TTL: a.opts.LeaseTTL,
		Renew: a.opts.LeaseRenew, Log: a.log,
		Shed: func(ctx context.Context, names []string) error {
			ids := make([]string, len(names))
			for i, n := range names {
				ids[i] = byLease[n]
			}
			if err := a.Engine.HandOver(ctx, ids...); err != nil {
				return err
			}
			for _, id := range ids {
				a.log.Info("community handed over to another process", "community", id, "holder", a.opts.Holder)
			}
			return nil
		},
		Adopt: func(ctx context.Context, name string) error {
			if err := a.Engine.Adopt(ctx, byLease[name]); err != nil {
				return err
			}
			a.drainInbox(ctx, byLease[name])
			a.log.Info("community served by this process", "community", byLease[name], "holder", a.opts.Holder)
			a.Engine.OutboxWake("")
			return nil
		}}
	for _, p := range a.order {
		ex, ok := a.adapters[p].(bot.Exclusive)
		if !ok || ex.ExclusiveLease() == "" {
			continue
		}
		name := "exclusive/" + ex.ExclusiveLease()
		m.Exclusive = append(m.Exclusive, name)
		turn := m.Turn(name)
		if !ex.SendsWithoutTurn() {
			a.turns[p] = turn
		}
		ex.WaitTurn(func(ctx context.Context) error {
			select {
			case <-turn:
				a.log.Info("this process receives for the platform", "platform", p, "holder", a.opts.Holder)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}
	return m
}

// Close flushes and closes the store.
func (a *App) Close() error {
	var err error
	if a.view {
		return nil
	}
	a.closeOnce.Do(func() {
		if a.Engine != nil {
			a.Engine.WaitErasures() // a closed secret round is erased before the store closes
		}
		err = a.Store.Close()
	})
	return err
}

// every runs fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func (a *App) tickLoop(ctx context.Context) {
	every(ctx, a.opts.TickEvery, func() {
		if a.checkSpace(ctx) != nil {
			return // nothing can be recorded; timers catch up once space is back
		}
		if err := a.Flows.Tick(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("timer tick", "err", err)
		}
	})
}

// adapterDown marks a platform as stopped, so private messages go through
// another platform where the member has one, and tells each community's
// party secretary and directors (through whatever platform still reaches
// them; the log has it in any case). Messages for the stopped platform stay
// queued on disk and go out once it runs again.
func (a *App) adapterDown(ctx context.Context, platform string, cause error) {
	a.downMu.Lock()
	a.down[platform] = true
	others := 0
	for _, p := range a.order {
		if !a.down[p] {
			others++
		}
	}
	a.downMu.Unlock()
	if others == 0 {
		return // nothing else can carry the alert; the log has it, and a stale alert must not wait for the restart
	}
	name := map[string]string{"wechat": "微信", "telegram": "Telegram", "console": "控制台"}[platform]
	if name == "" {
		name = platform
	}
	_, err := a.Engine.Do(context.WithoutCancel(ctx), "", func(tx *engine.Tx) error {
		for _, c := range tx.Communities() {
			for i := range c.Roster {
				m := &c.Roster[i]
				if m.Has(bot.RoleSecretary) || m.Has(bot.RoleDirector) {
					tx.ToMember(c.ID, m.ID, fmt.Sprintf("【系统提醒】议事助手的%s连接已停止(%v)。需要管理员处理(微信请重新扫码登录)；待发的通知和记录都已保存，恢复后会自动补发。", name, cause))
				}
			}
		}
		return nil
	})
	if err != nil {
		a.log.Error("queue the adapter-down alert", "err", err)
	}
}

func (a *App) isDown(platform string) bool {
	a.downMu.Lock()
	defer a.downMu.Unlock()
	return a.down[platform]
}

// backupBeforeMigration keeps a copy of a data directory written before the
// event log, in that directory, before the first start migrates it.
func (a *App) backupBeforeMigration(comm string) error {
	b, ok := a.Store.(interface {
		BackupTo(path string) (int64, error)
	})
	if !ok {
		return nil // a store without backups (tests)
	}
	path := filepath.Join(a.opts.DataDir, "before-event-log-"+a.opts.Clock.Now().UTC().Format("20060102T150405Z")+".backup")
	n, err := b.BackupTo(path)
	if err != nil {
		return err
	}
	a.log.Warn("data written by an earlier version: backed up before the migration to the event log", "community", comm, "file", path, "bytes", n)
	return nil
}
