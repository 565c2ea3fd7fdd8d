package telegram

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

// sink is an adapter that accepts every message; with app.Flush it keeps
// the outbox from growing during the benchmark. It can count texts.
type sink struct {
	platform string
	mu       sync.Mutex
	count    map[string]int
	watch    []string
}

func (s *sink) Platform() string                             { return s.platform }
func (s *sink) Run(ctx context.Context, _ bot.Handler) error { <-ctx.Done(); return nil }
func (s *sink) Send(_ context.Context, m bot.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Count occurrences, not messages: acknowledgements that waited in
	// the queue together arrive merged into one message (MergeKey).
	for _, w := range s.watch {
		s.count[w] += strings.Count(m.Text, w)
	}
	return nil
}

// voteVillages opens an app with 2n copies of the sample village: n with
// their group on Telegram (chat -1000-g, members' ids 100000+100g+i) and n
// on the console (group "群g", members "<name>g"). Each is brought to an
// open vote in which everyone has voted once (陈美华 checks in and never
// votes, so the vote stays open and every later vote is a change).
func voteVillages(b *testing.B, n int) (*app.App, *sink, *sink) {
	b.Helper()
	var comms []*config.Community
	for _, platform := range []string{Platform, console.Platform} {
		for g := range n {
			c := config.Sample()
			c.ID = fmt.Sprintf("%s%d", platform, g)
			c.Name = fmt.Sprintf("村%d", g)
			chat := fmt.Sprint(-(1000 + g))
			if platform == console.Platform {
				chat = fmt.Sprintf("群%d", g)
			}
			c.Groups = []config.Group{{Name: fmt.Sprintf("群%d", g), Platform: platform, Chat: chat}}
			for i := range c.Roster {
				m := &c.Roster[i]
				m.Identities = map[string]string{console.Platform: fmt.Sprintf("%s%d", m.Name, g)}
				if platform == Platform {
					m.Identities = map[string]string{console.Platform: fmt.Sprintf("t%s%d", m.Name, g), Platform: fmt.Sprint(100000 + g*100 + i)}
				}
			}
			comms = append(comms, c)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tgSink := &sink{platform: Platform, count: map[string]int{}, watch: []string{"【开始表决】", "已改为"}}
	conSink := &sink{platform: console.Platform, count: map[string]int{}, watch: []string{"【开始表决】", "已改为"}}
	a, err := app.Open(context.Background(), app.Options{DataDir: b.TempDir(), Communities: comms,
		Adapters: []bot.Adapter{tgSink, conSink}, Logger: log,
		Clock: fixedClock{time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, c := range comms {
		wg.Go(func() {
			platform := c.Groups[0].Platform
			id := func(name string) string {
				for _, m := range c.Roster {
					if m.Name == name {
						return m.Identities[platform]
					}
				}
				panic(name)
			}
			say := func(name string, private bool, text string) {
				in := bot.Incoming{Platform: platform, Chat: c.Groups[0].Chat, Sender: id(name), Name: name, Text: text, Private: private, At: time.Now()}
				if private {
					in.Chat = id(name)
					if platform == console.Platform {
						in.Chat = console.PrivateChat(id(name))
					}
				}
				if err := a.Handle(ctx, in); err != nil {
					b.Error(err)
				}
			}
			for _, l := range []string{"提议", "村口到小学路段安装路灯", "村口到村小学的800米路段没有路灯，希望安装太阳能路灯。", "3组、4组村民", "1", "确认"} {
				say("陈小龙", true, l)
			}
			for _, l := range []string{"审定 #1", "1", "1", "1 2 3 4 5", "好", "方案 #1", "12月1日 11:30", "议事厅", "3", "好", "1", "确认"} {
				say("张建国", true, l)
			}
			say("张建国", false, "开始协商 #1")
			for _, m := range c.Roster {
				say(m.Name, false, "签到")
			}
			say("张建国", false, "下一步")
			say("张建国", false, "下一步")
			say("张建国", false, "开始表决 同意安装路灯")
			for _, name := range voters {
				say(name, false, "赞成")
			}
		})
	}
	wg.Wait()
	a.Flush(ctx)
	if got := tgSink.take("【开始表决】") + conSink.take("【开始表决】"); got != 2*n {
		b.Fatalf("%d of %d villages reached the vote", got, 2*n)
	}
	return a, tgSink, conSink
}

func (s *sink) take(w string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.count[w]
	s.count[w] = 0
	return n
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// voters are the members who vote in every round (陈美华 stays silent so
// the vote never closes; 吴晓明 is an observer).
var rosterIndex = func() map[string]int {
	m := map[string]int{}
	for i, r := range config.Sample().Roster {
		m[r.Name] = i
	}
	return m
}()

var voters = []string{"张建国", "陈秀英", "陈志强", "胡丽萍", "王卫东", "胡德明", "陈海峰", "何桂芳", "胡志刚", "陈小龙", "李秀兰"}

// BenchmarkCoreTelegramVsConsole runs the same votes — 100 villages voting
// at once, every vote a change of the member's earlier vote — through the
// real core (badger, engine, flows) once via the Telegram adapter (decoded
// updates, getUpdates-sized batches) and once via the console adapter
// (input lines), in the same run. Compare their ns/update. The console
// handles one line after another; the Telegram adapter handles chats in
// parallel (workers16, the default), and with one worker (workers1) shows
// its cost on the console's terms.
func BenchmarkCoreTelegramVsConsole(b *testing.B) {
	const villages = 100
	a, tgSink, conSink := voteVillages(b, villages)
	ctx := context.Background()
	rounds := map[string]int{} // per platform; everyone voted 赞成 in the setup
	word := func(platform string) string {
		rounds[platform]++
		if rounds[platform]%2 == 1 {
			return "反对"
		}
		return "赞成"
	}
	nextID := int64(1)

	for _, workers := range []int{16, 1} {
		tg := testAdapter(b, newFakeAPI(), nil, func(o *Options) { o.Workers = workers })
		b.Run(fmt.Sprintf("telegram_workers%d", workers), func(b *testing.B) {
			total := 0
			for b.Loop() {
				w := word(Platform)
				ups := make([]*models.Update, 0, villages*len(voters))
				for _, name := range voters {
					for g := range villages {
						uid := int64(100000 + g*100 + rosterIndex[name])
						ups = append(ups, &models.Update{ID: nextID, Message: &models.Message{
							ID: int(nextID), Date: 1767225600, Text: w,
							From: &models.User{ID: uid, FirstName: name},
							Chat: models.Chat{ID: -int64(1000 + g), Type: models.ChatTypeSupergroup},
						}})
						nextID++
					}
				}
				for j := 0; j < len(ups); j += 100 {
					if done := tg.processBatch(ctx, a, ups[j:min(j+100, len(ups))]); done != ups[min(j+100, len(ups))-1].ID {
						b.Fatal("batch not fully handled")
					}
				}
				total += len(ups)
				b.StopTimer()
				a.Flush(ctx)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/update")
			if changed := tgSink.take("已改为"); changed != total {
				b.Fatalf("%d of %d votes counted as changes", changed, total)
			}
		})
	}

	b.Run("console", func(b *testing.B) {
		total := 0
		for b.Loop() {
			w := word(console.Platform)
			var in strings.Builder
			for _, name := range voters {
				for g := range villages {
					fmt.Fprintf(&in, "[群%d] %s%d: %s\n", g, name, g, w)
					total++
				}
			}
			con := console.New(console.Options{In: strings.NewReader(in.String()), Out: io.Discard,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err := con.Run(ctx, a); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			a.Flush(ctx)
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/update")
		if changed := conSink.take("已改为"); changed != total {
			b.Fatalf("%d of %d votes counted as changes", changed, total)
		}
	})
}
