package reminders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/reminders"
	"github.com/yishi-community/yishi/storage"
)

// benchFixture writes comms communities × topics topics × items open items;
// in each community `due` items are due within the window (the rest are
// due in two months and had progress yesterday, so nothing is said about
// them). lastRun is set three days back, so a run is a catch-up.
func benchFixture(b *testing.B, store bot.Store, comms, topics, items, due int, now time.Time) []*config.Community {
	b.Helper()
	var cs []*config.Community
	var batch []bot.KV
	no := 0
	for ci := 0; ci < comms; ci++ {
		id := fmt.Sprintf("c%04d", ci)
		c := community(b, id, "Asia/Shanghai", "0 9 * * *", "21:00-08:00")
		cs = append(cs, c)
		loc := c.Location
		left := due
		for ti := 0; ti < topics; ti++ {
			var fs []bot.FollowUp
			for ii := 0; ii < items; ii++ {
				no++
				f := bot.FollowUp{No: no, Due: date(loc, 2027, 3, 10), Progress: []bot.Progress{{By: "w", At: now.Add(-24 * time.Hour), Text: "进行中"}}, Status: bot.FollowUpInProgress}
				if left > 0 {
					left--
					f.Due = date(loc, 2027, 1, 5)
				}
				fs = append(fs, f)
			}
			tp := implementing(id, fmt.Sprint(ti+1), loc, time.Date(2027, 1, 1, 10, 0, 0, 0, loc), fs...)
			tp.AuditedBy = "v1"
			v, _ := json.Marshal(tp)
			batch = append(batch, bot.KV{Key: []byte("topic/" + id + "/" + tp.ID), Value: v})
		}
		batch = append(batch, bot.KV{Key: []byte("remindrun/" + id), Value: []byte(now.Add(-72 * time.Hour).UTC().Format(time.RFC3339Nano))})
		if len(batch) > 2000 {
			if err := store.Commit(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = nil
		}
	}
	if err := store.Commit(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
	return cs
}

var benchNow = time.Date(2027, 1, 4, 9, 0, 0, 0, shanghai)

// BenchmarkDigests: one reminder run's computation of every digest over
// 100,000 open items in 1,000 communities (nothing sent: Preview).
// Compare B/op between due=1 and due=10 (memory follows the items due)
// and between 100,000 and 200,000 items stored (it does not follow them).
func BenchmarkDigests(b *testing.B) {
	for _, tc := range []struct{ perTopic, due int }{{10, 1}, {10, 10}, {20, 1}} {
		b.Run(fmt.Sprintf("items=%d/due=%d-per-community", 1000*10*tc.perTopic, tc.due), func(b *testing.B) {
			store := newMemStore()
			cs := benchFixture(b, store, 1000, 10, tc.perTopic, tc.due, benchNow)
			eng, err := engine.Open(context.Background(), engine.Options{Store: store, Communities: cs, Clock: fixedClock(benchNow)})
			if err != nil {
				b.Fatal(err)
			}
			s, err := reminders.New(reminders.Options{Engine: eng})
			if err != nil {
				b.Fatal(err)
			}
			at := func(*config.Community) time.Time { return benchNow }
			b.ReportAllocs()
			b.ResetTimer()
			msgs := 0
			for b.Loop() {
				msgs = 0
				for _, p := range s.Preview(at) {
					msgs += len(p.Messages)
				}
			}
			if msgs != 2000 {
				b.Fatalf("%d digests, want one per supervisor (2000)", msgs)
			}
		})
	}
}

// BenchmarkCatchUp: start after three days down on badger — open the
// scheduler and do the catch-up run, which queues and records 2,000
// digests in one durable batch.
func BenchmarkCatchUp(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		db, err := storage.Open(b.TempDir(), storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cs := benchFixture(b, db, 1000, 10, 10, 1, benchNow)
		eng, err := engine.Open(context.Background(), engine.Options{Store: db, Communities: cs, Clock: fixedClock(benchNow)})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		s, err := reminders.New(reminders.Options{Engine: eng})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := s.RunDue(context.Background())
		if err != nil || rep.Digests != 2000 {
			b.Fatalf("catch-up: %+v %v", rep, err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}
