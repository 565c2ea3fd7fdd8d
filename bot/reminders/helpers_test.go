package reminders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/yishi-community/yishi/storage/memstore"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/reminders"
)

// memStore is an in-memory bot.Store that tests fill with topics directly.
type memStore struct{ *memstore.Store }

func newMemStore() *memStore { return &memStore{memstore.New()} }

func (s *memStore) putTopic(t *testing.T, tp *bot.Topic) {
	t.Helper()
	b, err := json.Marshal(tp)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(context.Background(), []bot.KV{{Key: []byte("topic/" + tp.Community + "/" + tp.ID), Value: b}}); err != nil {
		t.Fatal(err)
	}
}

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// community builds a small community: secretary s, supervisors v1 and v2,
// committee member w (responsible for items) and resident r (proposer).
func community(t testing.TB, id, tz, cron, quiet string) *config.Community {
	t.Helper()
	y := fmt.Sprintf(`id: %s
name: 测试%s
timezone: %s
groups:
  - {name: %s群, platform: console, chat: %s群}
roster:
  - {id: s, name: 书记%s, roles: [secretary]}
  - {id: v1, name: 监委甲%s, roles: [supervisor]}
  - {id: v2, name: 监委乙%s, roles: [supervisor]}
  - {id: w, name: 委员%s, roles: [committee]}
  - {id: r, name: 村民%s, roles: [resident]}
reminders:
  cron: %q
  timezone: %s
  due_within_days: 3
  stale_days: 7
  escalate_after_days: 7
  quiet_hours: %q
`, id, id, tz, id, id, id, id, id, id, id, cron, tz, quiet)
	c, err := config.Parse(id+".yaml", []byte(y))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return c
}

// implementing is an agreed, published topic with items (due dates in the
// community's zone, at midnight like the chat command stores them).
func implementing(comm, id string, loc *time.Location, published time.Time, items ...bot.FollowUp) *bot.Topic {
	t := &bot.Topic{ID: id, Community: comm, Title: "议题" + id, Content: "内容内容内容", Proposer: "r", Stage: bot.StageImplementing,
		Created: published.Add(-72 * time.Hour), Participants: []string{"s", "v1", "v2", "w", "r"}, Chair: "s", Recorder: "w", Supervisor: "v1",
		Plan:       bot.Plan{Time: published.Add(-24 * time.Hour), Place: "会议室", Form: bot.FormOnSite, Preset: "yishi", Ballot: bot.BallotOpen},
		Statements: []bot.Statement{{Member: "r", Name: "村民", Step: 3, Text: "同意"}}, Opinion: "同意",
		Result:    &bot.Result{Preset: "yishi", Expected: 5, Present: 5, Voters: 5, For: 5, QuorumMet: true, Agreed: true, ClosedAt: published.Add(-time.Hour)},
		MinutesBy: "w", MinutesAt: published.Add(-time.Hour),
		History: []bot.Transition{{From: bot.StageVoted, To: bot.StagePublished, At: published}, {From: bot.StagePublished, To: bot.StageImplementing, At: published}},
	}
	for i := range items {
		if items[i].Status == "" {
			items[i].Status = bot.FollowUpNotStarted
		}
		if items[i].Supervision == "" {
			items[i].Supervision = "监委会查看"
		}
		if items[i].Responsible == "" {
			items[i].Responsible = "w"
		}
		if items[i].What == "" {
			items[i].What = fmt.Sprintf("事项%d", items[i].No)
		}
	}
	t.FollowUps = items
	return t
}

func date(loc *time.Location, y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// rig is an engine over a memStore with a scheduler on a fake clock.
type rig struct {
	t     testing.TB
	store *memStore
	clock *clock
	comms []*config.Community
	eng   *engine.Engine
	sched *reminders.Scheduler
}

func newRig(t testing.TB, store *memStore, start time.Time, comms ...*config.Community) *rig {
	t.Helper()
	r := &rig{t: t, store: store, clock: &clock{t: start}, comms: comms}
	r.open()
	return r
}

func (r *rig) open() {
	r.t.Helper()
	var err error
	r.eng, err = engine.Open(context.Background(), engine.Options{Store: r.store, Communities: r.comms, Clock: r.clock})
	if err != nil {
		r.t.Fatalf("engine: %v", err)
	}
	r.sched, err = reminders.New(reminders.Options{Engine: r.eng, Clock: r.clock})
	if err != nil {
		r.t.Fatalf("scheduler: %v", err)
	}
}

// runAt runs the scheduler at t and returns the queued messages as
// "to: first line of text" plus the report, clearing the outbox.
func (r *rig) runAt(t time.Time) (reminders.Report, []bot.Outgoing) {
	r.t.Helper()
	r.clock.set(t)
	rep, err := r.sched.RunDue(context.Background())
	if err != nil {
		r.t.Fatalf("run at %s: %v", t, err)
	}
	es := r.eng.OutboxReady(t.Add(1000*time.Hour), 1<<20)
	var out []bot.Outgoing
	var seqs []uint64
	for _, e := range es {
		out = append(out, e.Out)
		seqs = append(seqs, e.Seq)
	}
	if err := r.eng.OutboxDone(context.Background(), seqs...); err != nil {
		r.t.Fatal(err)
	}
	return rep, out
}

// fencedStore is a memStore standing for a store several processes share.
type fencedStore struct{ *memStore }

func (s fencedStore) EnqueueFenced(_ string, _ []string, b []bot.KV) (func(context.Context) error, error) {
	err := s.Commit(context.Background(), b)
	return func(context.Context) error { return err }, nil
}
