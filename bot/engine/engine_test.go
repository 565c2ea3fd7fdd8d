package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/storage"
)

type fixed struct{ t time.Time }

func (f fixed) Now() time.Time { return f.t }

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func open(t *testing.T, dir string) (*engine.Engine, *storage.DB) {
	t.Helper()
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(context.Background(), engine.Options{Store: db, Communities: []*config.Community{config.Sample()}, Clock: fixed{now}})
	if err != nil {
		t.Fatal(err)
	}
	return e, db
}

func member(t *testing.T, e *engine.Engine, name string) *bot.Member {
	t.Helper()
	var m *bot.Member
	e.Read(func(tx *engine.Tx) {
		var err error
		if m, err = tx.FindMember("houchen", name); err != nil {
			t.Fatal(err)
		}
	})
	return m
}

// voting brings topic #1 to the vote with everyone in groups 1-4 present.
func voting(t *testing.T, e *engine.Engine) []*bot.Member {
	t.Helper()
	ctx := context.Background()
	sec := member(t, e, "张建国")
	proposer := member(t, e, "陈小龙")
	var voters []*bot.Member
	_, err := e.Do(ctx, "", func(tx *engine.Tx) error {
		c := tx.Community("houchen")
		var ids []string
		for i := range c.Roster {
			if !c.Roster[i].IsObserver() {
				ids = append(ids, c.Roster[i].ID)
				voters = append(voters, &c.Roster[i])
			}
		}
		tp, err := tx.Propose("houchen", proposer, engine.Draft{Title: "安装路灯", Content: "村口没有路灯，很黑。", Affected: "全体村民", Channel: bot.ChannelSelf}, bot.Screening{Verdict: "admissible"})
		if err != nil {
			return err
		}
		if _, err := tx.Approve("houchen", tp.ID, sec, engine.Approval{Category: 1, Participants: ids, Chair: sec.ID, Recorder: "huliping", Supervisor: "hudeming"}); err != nil {
			return err
		}
		if _, err := tx.SetPlan("houchen", tp.ID, sec, bot.Plan{Time: now.Add(24 * time.Hour), Place: "议事厅", Form: bot.FormOnSite}); err != nil {
			return err
		}
		if _, err := tx.OpenMeeting("houchen", tp.ID, sec); err != nil {
			return err
		}
		for _, v := range voters {
			if _, _, err := tx.CheckIn("houchen", tp.ID, v); err != nil {
				return err
			}
		}
		_, err = tx.OpenVote("houchen", tp.ID, sec, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return voters
}

func tally(e *engine.Engine) (tl bot.Tally) {
	e.Read(func(tx *engine.Tx) {
		t, _ := tx.Topic("houchen", "1")
		tl = tx.Tally("houchen", t)
	})
	return tl
}

// TestRedeliveredUpdateCountsOnce: the same platform update id is applied
// once, even across a restart.
func TestRedeliveredUpdateCountsOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	e, db := open(t, dir)
	voters := voting(t, e)
	ctx := context.Background()
	vote := func(e *engine.Engine, id string, c bot.Choice) bool {
		dup, err := e.Do(ctx, id, func(tx *engine.Tx) error {
			_, err := tx.CastVote("houchen", "1", voters[1], c, false)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return dup
	}
	if vote(e, "tg:100", bot.ChoiceFor) {
		t.Fatal("first delivery reported as duplicate")
	}
	if !vote(e, "tg:100", bot.ChoiceAgainst) {
		t.Fatal("redelivery not detected")
	}
	if tl := tally(e); tl.For != 1 || tl.Against != 0 {
		t.Fatalf("tally after redelivery: %+v", tl)
	}
	db.Close()
	e, db = open(t, dir)
	defer db.Close()
	if !vote(e, "tg:100", bot.ChoiceAgainst) {
		t.Fatal("redelivery after restart not detected")
	}
	if tl := tally(e); tl.For != 1 || tl.Against != 0 || tl.Present != len(voters) {
		t.Fatalf("tally after restart: %+v", tl)
	}
}

// TestConcurrentVotes: many voters at once, each counted once, the audit
// chain intact, the state the same after a restart.
func TestConcurrentVotes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	e, db := open(t, dir)
	voters := voting(t, e)
	ctx := context.Background()
	var wg sync.WaitGroup
	for round := 0; round < 3; round++ {
		for i, v := range voters[:len(voters)-1] { // one voter abstains from voting so the vote stays open
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := []bot.Choice{bot.ChoiceFor, bot.ChoiceAgainst, bot.ChoiceAbstain}[(i+round)%3]
				if _, err := e.Do(ctx, fmt.Sprintf("u-%d-%d", round, i), func(tx *engine.Tx) error {
					_, err := tx.CastVote("houchen", "1", v, c, false)
					return err
				}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	before := tally(e)
	if before.Voted() != len(voters)-1 {
		t.Fatalf("voted %d, want %d: %+v", before.Voted(), len(voters)-1, before)
	}
	r, err := audit.Verify(db, "houchen")
	if err != nil || !r.OK {
		t.Fatalf("audit: %+v %v", r, err)
	}
	db.Close()
	e, db = open(t, dir)
	defer db.Close()
	if after := tally(e); after != before {
		t.Fatalf("tally changed across restart: %+v → %+v", before, after)
	}
}

// failingStore fails every commit, to show the engine stops instead of
// answering from state that is not on disk.
type failingStore struct{ bot.Store }

func (failingStore) Commit(context.Context, []bot.KV) error { return errors.New("disk full") }

func TestCommitFailureStopsEngine(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "d"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := engine.Open(context.Background(), engine.Options{Store: failingStore{db}, Communities: []*config.Community{config.Sample()}, Clock: fixed{now}})
	if err != nil {
		t.Fatal(err)
	}
	proposer := member(t, e, "陈小龙")
	do := func() error {
		_, err := e.Do(context.Background(), "", func(tx *engine.Tx) error {
			_, err := tx.Propose("houchen", proposer, engine.Draft{Title: "安装路灯", Content: "村口没有路灯，很黑。", Affected: "全体村民", Channel: bot.ChannelSelf}, bot.Screening{})
			return err
		})
		return err
	}
	if err := do(); err == nil {
		t.Fatal("commit failure not reported")
	}
	if err := do(); err == nil {
		t.Fatal("engine accepted an action after a storage failure")
	}
	if n := e.OutboxLen(); n != 0 {
		t.Fatalf("%d messages queued for an action that was not stored", n)
	}
}

// TestTallyDebounce: a burst of live-tally updates becomes one message,
// sent one debounce interval after the first, with the latest text.
func TestTallyDebounce(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "d"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := engine.Open(context.Background(), engine.Options{Store: db, Communities: []*config.Community{config.Sample()}, Clock: fixed{now},
		Debounce: func(bot.Outgoing) time.Duration { return 2 * time.Second }})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := e.Do(context.Background(), "", func(tx *engine.Tx) error {
			tx.Send(bot.Outgoing{Platform: "telegram", Chat: "1", Text: fmt.Sprintf("计票 %d", i), Key: "tally/houchen/1"})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.OutboxReady(now.Add(time.Second), 10); len(got) != 0 {
		t.Fatalf("sent before the debounce interval: %+v", got)
	}
	got := e.OutboxReady(now.Add(2*time.Second), 10)
	if len(got) != 1 || got[0].Out.Text != "计票 3" {
		t.Fatalf("after the interval: %+v", got)
	}
}

// TestMergedAcknowledgements: pending messages with one MergeKey become one
// message (durable: it survives a restart, and no line is lost or doubled);
// a message already handed to the dispatcher is not merged into.
func TestMergedAcknowledgements(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	e, db := open(t, dir)
	send := func(e *engine.Engine, text string) {
		if _, err := e.Do(context.Background(), "", func(tx *engine.Tx) error {
			tx.Send(bot.Outgoing{Platform: "telegram", Chat: "1", Text: text, MergeKey: "ack/1"})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	send(e, "甲：已记录")
	send(e, "乙：已记录")
	db.Close()
	e, db = open(t, dir)
	send(e, "丙：已记录")
	got := e.OutboxReady(now, 10)
	if len(got) != 1 || got[0].Out.Text != "甲：已记录\n乙：已记录\n丙：已记录" {
		t.Fatalf("merged: %+v", got)
	}
	send(e, "丁：已记录") // the merged one is in flight now
	next := e.OutboxReady(now, 10)
	if len(next) != 1 || next[0].Out.Text != "丁：已记录" {
		t.Fatalf("after in-flight: %+v", next)
	}
	db.Close()
}

// TestOldUpdateIDsExpire: ids older than 30 days are dropped at start.
func TestOldUpdateIDsExpire(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	e, db := open(t, dir)
	if _, err := e.Do(context.Background(), "tg:1", func(*engine.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	later := fixed{now.Add(31 * 24 * time.Hour)}
	e, err = engine.Open(context.Background(), engine.Options{Store: db, Communities: []*config.Community{config.Sample()}, Clock: later})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := db.Get([]byte("seen/tg:1")); v != nil {
		t.Fatal("expired update id still stored")
	}
	if dup, _ := e.Do(context.Background(), "tg:1", func(*engine.Tx) error { return nil }); dup {
		t.Fatal("expired update id still remembered")
	}
}

// TestMergedAcknowledgementsDeliveredTogether: a merged message put back is
// retried whole, its delivery removes every part from disk, and a long
// burst is split so that no message exceeds the platform's limit.
func TestMergedAcknowledgementsDeliveredTogether(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	e, db := open(t, dir)
	line := strings.Repeat("赞", 99) // 100 runes with the newline
	for range 45 {
		if _, err := e.Do(context.Background(), "", func(tx *engine.Tx) error {
			tx.Send(bot.Outgoing{Platform: "telegram", Chat: "1", Text: line, MergeKey: "ack/1"})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	got := e.OutboxReady(now, 10)
	if len(got) != 2 || strings.Count(got[0].Out.Text, "\n") != 29 || strings.Count(got[1].Out.Text, "\n") != 14 {
		t.Fatalf("split: %d messages", len(got))
	}
	e.OutboxRetry(got[0].Seq, now.Add(time.Minute))
	if again := e.OutboxReady(now, 10); len(again) != 0 {
		t.Fatalf("put back too early: %d", len(again))
	}
	if err := e.OutboxDone(context.Background(), got[1].Seq); err != nil {
		t.Fatal(err)
	}
	again := e.OutboxReady(now.Add(time.Minute), 10)
	if len(again) != 1 || again[0].Out.Text != got[0].Out.Text {
		t.Fatalf("retried: %+v", again)
	}
	if err := e.OutboxDone(context.Background(), again[0].Seq); err != nil {
		t.Fatal(err)
	}
	if n := e.OutboxLen(); n != 0 {
		t.Fatalf("%d messages left", n)
	}
	db.Close()
	e, db = open(t, dir)
	defer db.Close()
	if n := e.OutboxLen(); n != 0 {
		t.Fatalf("%d messages back after a restart", n)
	}
}
