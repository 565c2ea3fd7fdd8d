package reminders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
)

// Options configure a Scheduler.
type Options struct {
	Engine *engine.Engine
	Clock  bot.Clock // default: the system clock
	Logger *slog.Logger
	// CheckEvery is how often the scheduler looks again besides the cron
	// entries: for runs that waited for quiet hours to end and for meeting
	// reminders. Default one minute.
	CheckEvery time.Duration
	// OnRun, when set, is told the outcome of every scheduled check (the
	// app's metrics count reminders queued and failed runs with it).
	OnRun func(Report, error)
}

// Scheduler runs every community's reminders on its cron schedule.
type Scheduler struct {
	opts   Options
	eng    *engine.Engine
	log    *slog.Logger
	comms  []*config.Community
	scheds map[string]cron.Schedule

	mu   sync.Mutex           // one run at a time: a run's marks are visible to the next
	last map[string]time.Time // cache of the stored last run per community
}

// New validates every community's cron spec and time zone (the parser's
// panics become errors naming the community) and returns a scheduler.
func New(opts Options) (*Scheduler, error) {
	if opts.Clock == nil {
		opts.Clock = bot.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.CheckEvery <= 0 {
		opts.CheckEvery = time.Minute
	}
	s := &Scheduler{opts: opts, eng: opts.Engine, log: opts.Logger, scheds: map[string]cron.Schedule{}, last: map[string]time.Time{}}
	// Every configured community: with several processes on one store the
	// ones served here change as leases move (runCommunity skips the rest).
	for _, c := range opts.Engine.Configured() {
		sched, err := Schedule(c.Reminders)
		if err != nil {
			return nil, fmt.Errorf("community %s (%s): reminders.cron: %w", c.ID, c.File, err)
		}
		s.comms = append(s.comms, c)
		s.scheds[c.ID] = sched
	}
	return s, nil
}

// Schedule parses a community's cron spec in its reminder time zone. A
// spec that panics the parser, a missing time zone or a schedule that never
// fires is an error.
func Schedule(r config.Reminders) (cron.Schedule, error) {
	spec := r.Cron
	if spec == "" {
		spec = config.DefaultReminderCron
	}
	sched, err := config.ParseCron(spec)
	if err != nil {
		return nil, err
	}
	loc := r.Location
	if loc == nil {
		return nil, fmt.Errorf("no time zone for cron spec %q", spec)
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		cp := *ss
		cp.Location = loc
		sched = &cp
	}
	if sched.Next(time.Date(2025, 1, 1, 0, 0, 0, 0, loc)).IsZero() {
		return nil, fmt.Errorf("cron spec %q never fires", spec)
	}
	return sched, nil
}

// Report says what one run queued.
type Report struct {
	Due         []string // communities whose scheduled run happened
	Waiting     []string // communities whose run is due but waits for quiet hours to end
	Digests     int      // supervisors' digests queued
	Owners      int      // reminders to the members responsible for items
	Escalations int      // escalations to the party secretary queued
	Meetings    int      // meeting reminders queued
}

// Messages is the total number of messages queued.
func (r Report) Messages() int { return r.Digests + r.Owners + r.Escalations + r.Meetings }

// RunDue does one check at the clock's now: every community whose cron
// slot has come since its last run (the start-up catch-up included: a run
// missed while the bot was down is done once) and is not in quiet hours
// gets its digests; meeting reminders due now go out too. A community seen
// for the first time starts its schedule now without a run.
//
// Each community is one Engine.Do, so its messages and their marks commit
// in one batch (one badger transaction: a single batch for a thousand
// communities would be split and lose its atomicity). The communities run
// concurrently so that the store's group commit shares the disk syncs.
func (s *Scheduler) RunDue(ctx context.Context) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		mu   sync.Mutex
		reps = make([]Report, len(s.comms))
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, runParallel)
	)
	for i, c := range s.comms {
		mu.Lock()
		last, known := s.last[c.ID]
		mu.Unlock()
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rep, ran, err := s.runCommunity(ctx, c, last, known)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("community %s: %w", c.ID, err))
				return
			}
			reps[i] = rep
			if !ran.IsZero() {
				s.last[c.ID] = ran // only once durable
			}
		}()
	}
	wg.Wait()
	var rep Report
	for _, r := range reps {
		rep.Due = append(rep.Due, r.Due...)
		rep.Waiting = append(rep.Waiting, r.Waiting...)
		rep.Digests += r.Digests
		rep.Owners += r.Owners
		rep.Escalations += r.Escalations
		rep.Meetings += r.Meetings
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("reminder run: %w", errors.Join(errs...))
	}
	return rep, nil
}

// runParallel bounds the communities handled at once in a run.
const runParallel = 32

// runCommunity does one community's part of a run in one Engine.Do and
// returns the time to remember as its last run (zero: unchanged).
func (s *Scheduler) runCommunity(ctx context.Context, c *config.Community, last time.Time, known bool) (rep Report, ran time.Time, err error) {
	_, err = s.eng.Do(ctx, "", func(tx *engine.Tx) error {
		if !tx.Serves(c.ID) {
			return engine.ErrSkip // another process's to remind
		}
		now := tx.Now()
		if !known || s.eng.Shared() { // shared: the last holder may have run it since
			known = false
			last = tx.LastReminderRun(c.ID)
		}
		if last.IsZero() {
			tx.SetLastReminderRun(c.ID, now)
			ran = now
			return nil
		}
		quiet := c.Reminders.Quiet(now)
		if next := s.scheds[c.ID].Next(last); !next.IsZero() && !next.After(now) {
			if quiet {
				rep.Waiting = append(rep.Waiting, c.ID)
			} else {
				rep.Due = append(rep.Due, c.ID)
				for _, m := range Digests(tx, c, now, Unsent(tx, c.ID)) {
					queue(tx, m)
					switch {
					case m.Lines[0].Kind == KindEscalate:
						rep.Escalations++
					case m.owner:
						rep.Owners++
					default:
						rep.Digests++
					}
				}
				tx.SetLastReminderRun(c.ID, now)
				ran = now
			}
		} else if !known {
			ran = last // cache what the store said
		}
		if !quiet {
			for _, m := range Meetings(tx, c, now, Unsent(tx, c.ID)) {
				queue(tx, m)
				rep.Meetings++
			}
		}
		return nil
	})
	if err != nil {
		return Report{}, time.Time{}, err
	}
	return rep, ran, nil
}

// queue sends m and records each of its lines as reminded, in the same
// unit of work.
func queue(tx *engine.Tx, m Message) {
	tx.ToMember(m.Community, m.To, m.Text)
	for _, l := range m.Lines {
		tx.MarkReminded(m.Community, l.Key(m.To))
	}
}

// Run starts the real cron (one entry per community, in its time zone),
// does the start-up catch-up at once and checks again every CheckEvery,
// until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	s.check(ctx, "start")
	cr := cron.New(cron.WithChain(cron.Recover(cronLogger{s.log})), cron.WithLogger(cronLogger{s.log}))
	for _, c := range s.comms {
		id := c.ID
		cr.Schedule(s.scheds[id], cron.FuncJob(func() { s.check(ctx, "cron:"+id) }))
	}
	cr.Start()
	defer func() { <-cr.Stop().Done() }()
	t := time.NewTicker(s.opts.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.check(ctx, "tick")
		}
	}
}

func (s *Scheduler) check(ctx context.Context, why string) {
	if ctx.Err() != nil {
		return
	}
	rep, err := s.RunDue(ctx)
	if s.opts.OnRun != nil {
		s.opts.OnRun(rep, err)
	}
	switch {
	case err != nil:
		// Nothing was recorded: the next check tries again.
		s.log.Error("reminder run failed; will try again", "trigger", why, "err", err)
	case rep.Messages() > 0:
		s.log.Info("reminders queued", "trigger", why, "communities", rep.Due, "digests", rep.Digests, "owners", rep.Owners,
			"escalations", rep.Escalations, "meetings", rep.Meetings, "waiting_for_quiet_hours", rep.Waiting)
	}
}

// cronLogger routes cron's own logs (and recovered panics) to slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}

// Planned is what a run at At would do in one community.
type Planned struct {
	Community string    `json:"community"`
	Name      string    `json:"name"`
	At        time.Time `json:"at"`
	Quiet     bool      `json:"quiet"`      // At is in quiet hours: nothing goes out
	DigestDue bool      `json:"digest_due"` // a cron slot came since the last run
	LastRun   time.Time `json:"last_run,omitzero"`
	NextRun   time.Time `json:"next_run,omitzero"` // next cron slot after the last run (or after At)
	QuietEnds time.Time `json:"quiet_ends,omitzero"`
	Messages  []Message `json:"messages"`
}

// Preview computes, without sending or recording anything, what a run at
// at(c) would send in each community. Digests are listed only when a cron
// slot is due then; meeting reminders whenever they are due; in quiet hours
// nothing goes out.
func (s *Scheduler) Preview(at func(c *config.Community) time.Time) []Planned {
	var out []Planned
	s.eng.Read(func(tx *engine.Tx) {
		for _, c := range s.comms {
			if !tx.Serves(c.ID) {
				continue // another process serves it
			}
			now := at(c)
			p := Planned{Community: c.ID, Name: c.Name, At: now, LastRun: tx.LastReminderRun(c.ID)}
			sched := s.scheds[c.ID]
			if p.LastRun.IsZero() {
				p.NextRun = sched.Next(now)
			} else {
				p.NextRun = sched.Next(p.LastRun)
				p.DigestDue = !p.NextRun.IsZero() && !p.NextRun.After(now)
			}
			if p.Quiet = c.Reminders.Quiet(now); p.Quiet {
				p.QuietEnds = quietEnd(c.Reminders, now)
			}
			if p.DigestDue {
				p.Messages = append(p.Messages, Digests(tx, c, now, Unsent(tx, c.ID))...)
			}
			p.Messages = append(p.Messages, Meetings(tx, c, now, Unsent(tx, c.ID))...)
			out = append(out, p)
		}
	})
	return out
}

// quietEnd is the first minute after t that is not quiet.
func quietEnd(r config.Reminders, t time.Time) time.Time {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, m, d := t.Date()
	end := time.Date(y, m, d, 0, 0, 0, 0, loc).Add(r.QuietEnd)
	if !end.After(t) {
		end = time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(r.QuietEnd)
	}
	return end
}
