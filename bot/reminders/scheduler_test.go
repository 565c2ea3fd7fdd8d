package reminders_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/reminders"
)

// step is one scheduler run at a time and what it must queue: the
// recipients in order, and texts that must (or must not) appear.
type step struct {
	at      time.Time
	to      []string // member ids of the queued messages, in order
	has     []string
	hasNot  []string
	waiting bool // the run is due but waits for quiet hours to end
}

func recipients(out []bot.Outgoing) []string {
	var ids []string
	for _, o := range out {
		ids = append(ids, o.Member)
	}
	return ids
}

func runSteps(t *testing.T, r *rig, steps []step) {
	t.Helper()
	for i, s := range steps {
		rep, out := r.runAt(s.at)
		if got := recipients(out); !slices.Equal(got, s.to) {
			t.Errorf("step %d (%s): sent to %v, want %v\n%s", i, s.at.Format(time.RFC3339), got, s.to, texts(out))
		}
		all := texts(out)
		for _, w := range s.has {
			if !strings.Contains(all, w) {
				t.Errorf("step %d (%s): messages lack %q:\n%s", i, s.at.Format(time.RFC3339), w, all)
			}
		}
		for _, w := range s.hasNot {
			if strings.Contains(all, w) {
				t.Errorf("step %d (%s): messages contain %q:\n%s", i, s.at.Format(time.RFC3339), w, all)
			}
		}
		if got := len(rep.Waiting) > 0; got != s.waiting {
			t.Errorf("step %d (%s): waiting=%v, want %v", i, s.at.Format(time.RFC3339), got, s.waiting)
		}
	}
}

func texts(out []bot.Outgoing) string {
	var sb strings.Builder
	for _, o := range out {
		sb.WriteString("→" + o.Member + ": " + o.Text + "\n")
	}
	return sb.String()
}

// TestScheduleAcrossDays runs the scheduler at chosen instants (no sleeping)
// for a Shanghai and a UTC community: one digest per supervisor per cron
// slot, nothing twice, quiet hours wait, escalation after K days, catch-up
// once after downtime.
func TestScheduleAcrossDays(t *testing.T) {
	utc := time.UTC
	at := func(loc *time.Location, m time.Month, d, h, mi int) time.Time {
		return time.Date(2027, m, d, h, mi, 0, 0, loc)
	}
	// The supervisors' digests, then the reminder to the member responsible
	// (w), who hears of their own item due soon, overdue or idle.
	sup := []string{"v1", "v2", "w"}
	tests := []struct {
		name  string
		tz    string
		cron  string
		quiet string
		items func(loc *time.Location) []bot.FollowUp
		steps func(loc *time.Location) []step
	}{
		{
			name: "shanghai daily 9:00: due soon once, overdue, escalation after 7 days", tz: "Asia/Shanghai", cron: "0 9 * * *", quiet: "21:00-08:00",
			items: func(loc *time.Location) []bot.FollowUp {
				return []bot.FollowUp{{No: 1, Due: date(loc, 2027, 1, 7), What: "修路"}}
			},
			steps: func(loc *time.Location) []step {
				return []step{
					{at: at(loc, 1, 4, 8, 0)},  // first start: baseline only
					{at: at(loc, 1, 4, 8, 59)}, // slot not yet
					{at: at(loc, 1, 4, 9, 0), to: sup, has: []string{"即将到期", "还有3天", "修路"}}, // due within 3 days
					{at: at(loc, 1, 4, 9, 1)},                         // same slot: nothing
					{at: at(loc, 1, 5, 9, 0), hasNot: []string{"修路"}}, // same concern, same period: nothing new
					{at: at(loc, 1, 7, 9, 0)},                         // due today: still the due-soon period
					{at: at(loc, 1, 8, 9, 0), to: sup, has: []string{"已逾期1天"}},
					{at: at(loc, 1, 9, 9, 0)},
					{at: at(loc, 1, 15, 9, 0), to: []string{"v1", "v2", "w", "s"}, has: []string{"已逾期8天", "逾期升级", "超过7天", "【落实事项提醒】", "您负责的落实事项"}},
					{at: at(loc, 1, 16, 9, 0)}, // escalation once
				}
			},
		},
		{
			name: "utc community: 9:00 is 17:00 in Shanghai", tz: "UTC", cron: "0 9 * * *", quiet: "21:00-08:00",
			items: func(loc *time.Location) []bot.FollowUp {
				return []bot.FollowUp{{No: 1, Due: date(loc, 2027, 1, 6), What: "清淤"}}
			},
			steps: func(loc *time.Location) []step {
				return []step{
					{at: at(utc, 1, 4, 0, 0)},
					{at: at(shanghai, 1, 4, 9, 0)}, // 01:00 UTC: quiet and no slot
					{at: at(shanghai, 1, 4, 17, 0), to: sup, has: []string{"清淤", "还有2天", "2027年1月4日"}}, // 09:00 UTC
					{at: at(shanghai, 1, 4, 23, 59)}, // 15:59 UTC: nothing
				}
			},
		},
		{
			name: "slot inside quiet hours waits until they end", tz: "Asia/Shanghai", cron: "0 22 * * *", quiet: "21:00-08:00",
			items: func(loc *time.Location) []bot.FollowUp {
				return []bot.FollowUp{{No: 1, Due: date(loc, 2027, 1, 5), What: "装灯"}}
			},
			steps: func(loc *time.Location) []step {
				return []step{
					{at: at(loc, 1, 4, 12, 0)},
					{at: at(loc, 1, 4, 22, 0), waiting: true},
					{at: at(loc, 1, 5, 7, 59), waiting: true},
					{at: at(loc, 1, 5, 8, 0), to: sup, has: []string{"装灯", "今天到期"}},
					{at: at(loc, 1, 5, 8, 1)},
				}
			},
		},
		{
			name: "no quiet hours: a 3:00 cron runs at 3:00", tz: "Asia/Shanghai", cron: "0 3 * * *", quiet: "none",
			items: func(loc *time.Location) []bot.FollowUp {
				return []bot.FollowUp{{No: 1, Due: date(loc, 2027, 1, 5)}}
			},
			steps: func(loc *time.Location) []step {
				return []step{
					{at: at(loc, 1, 4, 2, 0)},
					{at: at(loc, 1, 4, 3, 0), to: sup},
				}
			},
		},
		{
			name: "down for three days: one catch-up run, then the normal slot", tz: "Asia/Shanghai", cron: "0 9 * * *", quiet: "21:00-08:00",
			items: func(loc *time.Location) []bot.FollowUp {
				return []bot.FollowUp{{No: 1, Due: date(loc, 2027, 1, 6)}, {No: 2, Due: date(loc, 2027, 1, 20)}}
			},
			steps: func(loc *time.Location) []step {
				return []step{
					{at: at(loc, 1, 1, 10, 0)},
					{at: at(loc, 1, 4, 12, 30), to: sup, has: []string{"#1 ", "还有2天"}, hasNot: []string{"#2 "}}, // missed 2nd, 3rd, 4th: once
					{at: at(loc, 1, 4, 12, 31)},
					{at: at(loc, 1, 5, 8, 59)},
					{at: at(loc, 1, 5, 9, 0)}, // nothing new
				}
			},
		},
		{
			name: "stale items come back every stale_days while nothing happens", tz: "Asia/Shanghai", cron: "0 9 * * *", quiet: "21:00-08:00",
			items: func(loc *time.Location) []bot.FollowUp {
				return []bot.FollowUp{{No: 1, Due: date(loc, 2027, 3, 1), What: "建公园"}}
			},
			steps: func(loc *time.Location) []step {
				return []step{
					{at: at(loc, 1, 1, 12, 0)},
					{at: at(loc, 1, 7, 9, 0)}, // published 1 Jan: 6 days idle
					{at: at(loc, 1, 8, 9, 0), to: sup, has: []string{"建公园", "已有7天没有进展反馈"}},
					{at: at(loc, 1, 14, 9, 0)},
					{at: at(loc, 1, 15, 9, 0), to: sup, has: []string{"已有14天没有进展反馈"}},
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := community(t, "c1", tc.tz, tc.cron, tc.quiet)
			loc := c.Location
			store := newMemStore()
			tp := implementing("c1", "1", loc, time.Date(2027, 1, 1, 10, 0, 0, 0, loc), tc.items(loc)...)
			tp.AuditedBy = "v1" // the record is audited: only items in these cases
			store.putTopic(t, tp)
			r := newRig(t, store, time.Time{}, c)
			runSteps(t, r, tc.steps(loc))
		})
	}
}

// TestMeetingReminders: participants get a reminder a day and an hour
// before the meeting, once each; quiet hours delay them, and a reminder
// whose window passed is dropped.
func TestMeetingReminders(t *testing.T) {
	c := community(t, "c1", "Asia/Shanghai", "0 9 * * *", "21:00-08:00")
	loc := c.Location
	all := []string{"s", "v1", "v2", "w", "r"}
	notified := func(meeting time.Time, at time.Time) *bot.Topic {
		return &bot.Topic{ID: "1", Community: "c1", Title: "修桥", Proposer: "r", Stage: bot.StageNotified, Participants: all,
			Plan:    bot.Plan{Time: meeting, Place: "祠堂", Form: bot.FormOnSite},
			History: []bot.Transition{{From: bot.StageApproved, To: bot.StageNotified, At: at}}}
	}
	at := func(d, h, mi int) time.Time { return time.Date(2027, 1, d, h, mi, 0, 0, loc) }
	tests := []struct {
		name     string
		meeting  time.Time
		notified time.Time
		steps    []step
	}{
		{"evening meeting", at(5, 19, 30), at(1, 10, 0), []step{
			{at: at(4, 19, 0)},
			{at: at(4, 19, 30), to: all, has: []string{"明天(1月5日) 19:30", "祠堂"}},
			{at: at(4, 20, 0)},
			{at: at(5, 18, 29)},
			{at: at(5, 18, 30), to: all, has: []string{"1小时后(19:30)"}},
			{at: at(5, 19, 0)},
			{at: at(5, 19, 30)},
		}},
		{"early meeting: the hour reminder waits for quiet hours to end", at(5, 8, 30), at(1, 10, 0), []step{
			{at: at(4, 8, 30), to: all, has: []string{"明天"}},
			{at: at(5, 7, 30), waiting: true}, // the 9:00 digest of the 4th also waits
			{at: at(5, 8, 0), to: all, has: []string{"1小时后(08:30)"}},
		}},
		{"day reminder in quiet hours is replaced by the hour reminder", at(5, 8, 20), at(1, 10, 0), []step{
			{at: at(4, 20, 0), to: all},
			{at: at(5, 8, 0), to: all, has: []string{"1小时后"}},
		}},
		{"notice sent within the day: no day reminder", at(5, 19, 30), at(5, 9, 0), []step{
			{at: at(5, 10, 0)},
			{at: at(5, 18, 30), to: all, has: []string{"1小时后"}},
		}},
		{"bot down over the whole window: nothing late", at(5, 19, 30), at(1, 10, 0), []step{
			{at: at(5, 19, 31)},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore()
			store.putTopic(t, notified(tc.meeting, tc.notified))
			r := newRig(t, store, time.Time{}, c)
			r.runAt(at(1, 10, 0)) // baseline
			runSteps(t, r, tc.steps)
		})
	}
}

// TestNothingDoubledAcrossRestart: a new engine and scheduler on the same
// store neither repeat what was sent nor skip the catch-up.
func TestNothingDoubledAcrossRestart(t *testing.T) {
	c := community(t, "c1", "Asia/Shanghai", "0 9 * * *", "21:00-08:00")
	loc := c.Location
	store := newMemStore()
	store.putTopic(t, implementing("c1", "1", loc, time.Date(2027, 1, 1, 10, 0, 0, 0, loc), bot.FollowUp{No: 1, Due: date(loc, 2027, 1, 5)}))
	r := newRig(t, store, time.Time{}, c)
	r.runAt(time.Date(2027, 1, 1, 12, 0, 0, 0, loc))
	if _, out := r.runAt(time.Date(2027, 1, 2, 9, 0, 0, 0, loc)); len(out) != 3 {
		t.Fatalf("first slot: %d messages, want 3 (two supervisors, the member responsible)", len(out))
	}
	r2 := newRig(t, store, time.Time{}, c)
	if _, out := r2.runAt(time.Date(2027, 1, 2, 9, 5, 0, 0, loc)); len(out) != 0 {
		t.Errorf("after restart in the same slot: %d messages, want 0:\n%s", len(out), texts(out))
	}
	// Down over the next slot: the catch-up at start sends only what is new.
	r3 := newRig(t, store, time.Time{}, c)
	if _, out := r3.runAt(time.Date(2027, 1, 6, 15, 0, 0, 0, loc)); len(out) != 3 || !strings.Contains(out[0].Text, "已逾期1天") || !strings.Contains(out[2].Text, "已逾期1天") {
		t.Errorf("catch-up: want 2 digests and the owner's reminder with the overdue item, got:\n%s", texts(out))
	}
}

// TestDigestContents checks each kind of line once, in digest order, and
// that one digest holds them all.
func TestDigestContents(t *testing.T) {
	c := community(t, "c1", "Asia/Shanghai", "0 9 * * *", "21:00-08:00")
	loc := c.Location
	pub := time.Date(2027, 1, 1, 10, 0, 0, 0, loc)
	store := newMemStore()
	done := bot.FollowUp{No: 3, Due: date(loc, 2027, 2, 1), Status: bot.FollowUpDone, Evidence: "已完成验收",
		Progress: []bot.Progress{{By: "w", At: pub.Add(48 * time.Hour), Text: "已完成验收"}}}
	blocked := bot.FollowUp{No: 4, Due: date(loc, 2027, 2, 1), Status: bot.FollowUpBlocked,
		Progress: []bot.Progress{{By: "w", At: pub.Add(24 * time.Hour), Text: "受阻：缺钱"}}}
	confirmed := bot.FollowUp{No: 5, Due: date(loc, 2027, 1, 2), Status: bot.FollowUpConfirmed}
	tp := implementing("c1", "1", loc, pub, bot.FollowUp{No: 1, Due: date(loc, 2027, 1, 3)}, bot.FollowUp{No: 2, Due: date(loc, 2027, 1, 6)}, done, blocked, confirmed)
	tp.MinutesBy = "" // record incomplete
	store.putTopic(t, tp)
	failed := &bot.Topic{ID: "2", Community: "c1", Title: "修祠堂", Stage: bot.StageRedeliberate, Redeliberation: "2027年1月4日以后再议",
		Result: &bot.Result{Voters: 5, For: 2, Against: 3, ClosedAt: pub}, AuditedBy: "v1",
		History: []bot.Transition{{To: bot.StageRedeliberate, At: pub}}}
	store.putTopic(t, failed)
	r := newRig(t, store, time.Time{}, c)
	r.runAt(pub)
	_, out := r.runAt(time.Date(2027, 1, 4, 9, 0, 0, 0, loc))
	if len(out) != 3 {
		t.Fatalf("want 2 digests and the owner's reminder, got:\n%s", texts(out))
	}
	// The member responsible hears of their own items that need them (due
	// soon, overdue), not of what waits for the supervisors.
	owner := out[2].Text
	if out[2].Member != "w" || !strings.Contains(owner, "已逾期：#1 事项1") || !strings.Contains(owner, "即将到期：#2 事项2") ||
		strings.Contains(owner, "#3 ") || strings.Contains(owner, "#4 ") || strings.Contains(owner, "修祠堂") {
		t.Errorf("owner's reminder:\n%s", owner)
	}
	text := out[0].Text
	order := []string{"已逾期的落实事项(1)", "#1 事项1", "即将到期的落实事项(1)", "#2 事项2", "受阻的落实事项(1)", "缺钱",
		"已完成待确认的落实事项", "已完成验收", "尚未审核的议事协商记录", "记录员还没有确认会议记录", "约定的再议时间已到", "修祠堂"}
	last := -1
	for _, w := range order {
		i := strings.Index(text, w)
		if i < 0 || i < last {
			t.Fatalf("digest lacks %q or has it out of order:\n%s", w, text)
		}
		last = i
	}
	if strings.Contains(text, "#5 ") {
		t.Errorf("a confirmed item is in the digest:\n%s", text)
	}
}

func TestScheduleValidation(t *testing.T) {
	for _, spec := range []string{"TZ=Asia/Shanghai", "61 9 * * *", "0 9 30 2 *", "bogus"} {
		r := config.Reminders{Cron: spec, Location: shanghai}
		if _, err := reminders.Schedule(r); err == nil {
			t.Errorf("Schedule(%q): want an error", spec)
		}
	}
	if _, err := reminders.Schedule(config.Reminders{Cron: "0 9 * * *"}); err == nil {
		t.Error("a schedule without a time zone must be refused")
	}
	s, err := reminders.Schedule(config.Reminders{Cron: "0 9 * * *", Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	// The spec is read in the reminder zone, whatever zone the clock is in.
	if got := s.Next(time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai)); !got.Equal(time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("next 9:00 UTC after Shanghai midnight = %s", got.UTC())
	}
}

// TestRealCron runs the real robfig cron with a seconds-level spec
// ("@every 1s") on the system clock: the first tick baselines, a later one
// sends each supervisor one digest, and later ticks send nothing more.
func TestRealCron(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the real cron")
	}
	c := community(t, "c1", "UTC", "@every 1s", "none")
	now := time.Now()
	store := newMemStore()
	store.putTopic(t, implementing("c1", "1", time.UTC, now.Add(-48*time.Hour), bot.FollowUp{No: 1, Due: now.Add(24 * time.Hour)}))
	eng, err := engine.Open(context.Background(), engine.Options{Store: store, Communities: []*config.Community{c}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := reminders.New(reminders.Options{Engine: eng, CheckEvery: time.Hour}) // only cron triggers after the start
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for eng.OutboxLen() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(2200 * time.Millisecond) // two more cron ticks
	cancel()
	<-done
	if n := eng.OutboxLen(); n != 3 {
		t.Fatalf("outbox holds %d messages, want one digest per supervisor (2) and one for the member responsible", n)
	}
	marks, err := eng.ReminderLog("c1")
	if err != nil || len(marks) != 5 { // two lines (due soon, unaudited) for each supervisor, due soon for the owner
		t.Fatalf("reminder log: %v, %v", marks, err)
	}
}
