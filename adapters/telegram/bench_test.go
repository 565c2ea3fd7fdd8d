package telegram

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/bot"
)

// countingCore is the cheapest possible core: it only counts.
type countingCore struct{ n atomic.Int64 }

func (c *countingCore) Handle(context.Context, bot.Incoming) error {
	c.n.Add(1)
	return nil
}

// votes100Groups builds one round of votes in 100 groups of 12 members,
// half typed ("赞成" replying to the bot), half button presses, interleaved
// across groups the way getUpdates would deliver them, ids from first.
func votes100Groups(first int64) []*models.Update {
	const groups, members = 100, 12
	ups := make([]*models.Update, 0, groups*members)
	id := first
	for m := range members {
		for g := range groups {
			chat := models.Chat{ID: -int64(1000 + g), Type: models.ChatTypeSupergroup, Title: fmt.Sprint("群", g)}
			from := models.User{ID: int64(g*members + m + 1), FirstName: "居民"}
			voteMsg := &models.Message{ID: 1, Date: 1767225600, From: &models.User{ID: 42, IsBot: true}, Chat: chat, Text: "表决"}
			if m%2 == 0 {
				ups = append(ups, &models.Update{ID: id, Message: &models.Message{
					ID: int(id), Date: 1767225600, From: &from, Chat: chat, Text: "赞成", ReplyToMessage: voteMsg,
				}})
			} else {
				ups = append(ups, &models.Update{ID: id, CallbackQuery: &models.CallbackQuery{
					ID: fmt.Sprint(id), From: from, Data: "v:1:for",
					Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: voteMsg},
				}})
			}
			id++
		}
	}
	return ups
}

// BenchmarkIncoming100Groups feeds decoded updates straight into the
// adapter (no HTTP) in getUpdates-sized batches of 100, with 100 groups
// voting at once, into a core that only counts. It measures the adapter's
// own cost per update: translation, per-chat ordering, callback answers.
func BenchmarkIncoming100Groups(b *testing.B) {
	f := newFakeAPI()
	a := testAdapter(b, f, nil, nil)
	core := &countingCore{}
	ctx := context.Background()
	rounds := make([][]*models.Update, 4)
	for i := range rounds {
		rounds[i] = votes100Groups(int64(i*1200 + 1))
	}
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := 0; b.Loop(); i++ {
		ups := rounds[i%len(rounds)]
		for j := 0; j < len(ups); j += 100 {
			a.processBatch(ctx, core, ups[j:min(j+100, len(ups))])
		}
		total += len(ups)
		if i%len(rounds) == len(rounds)-1 {
			f.mu.Lock()
			f.answers = f.answers[:0]
			f.mu.Unlock()
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "updates/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/update")
	if core.n.Load() != int64(total) {
		b.Fatalf("core saw %d updates, want %d", core.n.Load(), total)
	}
}

// BenchmarkOutgoingLimits announces a result (and then the record) in 500
// groups at once through the rate limiter on a virtual clock, with an
// in-memory API, 500 senders at once. It reports the virtual time the delivery took against the
// fastest the global limit allows, and how many answers a server enforcing
// Telegram's limits (30/s overall, 20/min and 1/s per group, sliding
// windows) would have refused with 429.
func BenchmarkOutgoingLimits(b *testing.B) {
	for _, perGroup := range []int{1, 2} {
		b.Run(fmt.Sprintf("500groups_x%d", perGroup), func(b *testing.B) {
			var ratio, virt float64
			refused := 0
			for b.Loop() {
				clock := newEventClock()
				f := newFakeAPI()
				a := testAdapter(b, f, nil, func(o *Options) {
					o.Clock = clock
					o.Limits = DefaultLimits()
				})
				start := clock.Now()
				var wg sync.WaitGroup
				for g := range 500 {
					wg.Go(func() {
						for k := range perGroup {
							// Like the outbox dispatcher: on a retry-after
							// answer, come back when told.
							for {
								err := a.Send(context.Background(), bot.Outgoing{Chat: fmt.Sprint(-(1000 + g)), Text: fmt.Sprint("表决结果 ", k)})
								var ra *bot.RetryAfterError
								if errors.As(err, &ra) {
									_ = clock.Until(context.Background(), clock.Now().Add(ra.After))
									continue
								}
								if err != nil {
									b.Error(err)
								}
								break
							}
						}
					})
				}
				wg.Wait()
				n := 500 * perGroup
				took := clock.Now().Sub(start)
				best := time.Duration(n-1) * time.Second / 30
				virt = took.Seconds()
				ratio = took.Seconds() / best.Seconds()
				clock.Close()
				refused = limitViolations(f.sent)
				if len(f.sent) != n {
					b.Fatalf("%d messages sent, want %d", len(f.sent), n)
				}
			}
			b.ReportMetric(virt, "virtual-s")
			b.ReportMetric(ratio, "x-fastest-allowed")
			b.ReportMetric(float64(refused), "would-be-429s")
			if refused != 0 {
				b.Fatalf("%d messages would have been refused by a server enforcing the limits", refused)
			}
		})
	}
}

// limitViolations counts sends that break a sliding-window limit, judged on
// the moment the limiter let each go.
func limitViolations(sent []sentMsg) int {
	var all []time.Time
	per := map[int64][]time.Time{}
	for _, m := range sent {
		all = append(all, m.Decided)
		per[m.Chat] = append(per[m.Chat], m.Decided)
	}
	bad := windowViolations(all, 30, time.Second)
	for _, ts := range per {
		bad += windowViolations(ts, 20, time.Minute) + windowViolations(ts, 1, time.Second)
	}
	return bad
}
