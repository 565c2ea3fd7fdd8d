package reminders_test

import (
	"context"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/reminders"
)

// With several processes on one store, a process serves no community when
// its scheduler is made and adopts them later: the reminders of the
// communities it adopts go out, those of the others are left to their
// holders.
func TestRemindersOfCommunitiesAdoptedLater(t *testing.T) {
	published := time.Date(2026, 6, 1, 10, 0, 0, 0, shanghai)
	a := community(t, "a", "Asia/Shanghai", "0 9 * * *", "")
	b := community(t, "b", "Asia/Shanghai", "0 9 * * *", "")
	store := newMemStore()
	for _, c := range []string{"a", "b"} {
		store.putTopic(t, implementing(c, "1", shanghai, published, bot.FollowUp{No: 1, Due: date(shanghai, 2026, 6, 3)}))
	}
	clk := &clock{t: time.Date(2026, 6, 2, 8, 0, 0, 0, shanghai)}
	eng, err := engine.Open(context.Background(), engine.Options{Store: fencedStore{store}, Communities: []*config.Community{a, b}, Clock: clk, Holder: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := reminders.New(reminders.Options{Engine: eng, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Adopt(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := sched.RunDue(context.Background()); err != nil { // starts a's schedule
		t.Fatal(err)
	}
	clk.set(time.Date(2026, 6, 3, 9, 30, 0, 0, shanghai))
	rep, err := sched.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Due) != 1 || rep.Due[0] != "a" || rep.Messages() == 0 {
		t.Fatalf("run after adopting a: due %v, %d messages; want a's reminders only", rep.Due, rep.Messages())
	}
	for _, e := range eng.OutboxReady(clk.Now().Add(time.Hour), 100) {
		if e.Out.Community != "a" {
			t.Errorf("a reminder of %s, which another process serves: %q", e.Out.Community, e.Out.Text)
		}
	}
}
