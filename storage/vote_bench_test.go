package storage_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/storage"
)

// voteCommunity is a community with n representatives in one console group.
func voteCommunity(tb testing.TB, n int) *config.Community {
	tb.Helper()
	var sb strings.Builder
	sb.WriteString("id: bench\nname: 基准村\ngroups:\n  - {name: 议事群, platform: console, chat: 议事群}\nroster:\n")
	sb.WriteString("  - {id: shuji, name: 书记, roles: [secretary]}\n  - {id: weiyuan, name: 委员, roles: [committee]}\n  - {id: jianwei, name: 监委, roles: [supervisor]}\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "  - {id: r%04d, name: 代表%04d, roles: [representative]}\n", i, i)
	}
	c, err := config.Parse("bench.yaml", []byte(sb.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// openVotingWith opens an app on dir (a store opened with opts) whose topic #1 is in the vote with every
// representative present, and starts its dispatcher (output discarded).
func openVotingWith(tb testing.TB, dir string, voters int, opts storage.Options) (*app.App, func()) {
	tb.Helper()
	db, err := storage.Open(dir, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return openVotingOn(tb, dir, voters, db)
}

// openVotingOn is openVotingWith on a given store (PostgreSQL too).
func openVotingOn(tb testing.TB, dir string, voters int, db bot.Store) (*app.App, func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe() // console input that never ends: Run keeps the dispatcher going
	con := console.New(console.Options{In: pr, Out: io.Discard})
	a, err := app.Open(ctx, app.Options{DataDir: dir, Store: db, Communities: []*config.Community{voteCommunity(tb, voters)},
		Adapters: []bot.Adapter{con}})
	if err != nil {
		tb.Fatal(err)
	}
	say := func(private bool, who, text string) {
		in := bot.Incoming{Platform: "console", Sender: who, Name: who, Text: text, Private: private, Chat: "议事群", ChatTitle: "议事群"}
		if private {
			in.Chat = console.PrivateChat(who)
		}
		if err := a.Handle(ctx, in); err != nil {
			tb.Fatal(err)
		}
	}
	for _, l := range []string{"提议", "村道安装路灯", "村道晚上很黑，希望安装路灯。", "全体村民", "1", "确认"} {
		say(true, "代表0000", l)
	}
	for _, l := range []string{"审定 #1", "1", "1", "3", "书记 委员 监委", "方案 #1", "12月5日 19:30", "村委会", "1", "好", "1", "确认"} {
		say(true, "书记", l)
	}
	say(false, "书记", "开始协商 #1")
	say(false, "书记", "签到") // present and never votes, so the vote never closes itself
	for i := 0; i < voters; i++ {
		say(false, fmt.Sprintf("代表%04d", i), "签到")
	}
	say(false, "书记", "开始表决 同意安装路灯")
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	return a, func() { cancel(); pw.Close(); <-done; a.Close() }
}

// BenchmarkVoteDurable measures durable votes through the whole engine:
// parse, authorise, persist with audit entry and outbox, tally, from many
// voters at once (32 and 128 votes in flight). Each vote changes the
// voter's choice so that every operation writes. Compare with
// BenchmarkBadgerSyncedCommit in the same run: both acknowledge only what
// is synced to disk.
func BenchmarkVoteDurable(b *testing.B) {
	for _, inFlight := range []int{32, 128} {
		b.Run(fmt.Sprintf("inflight=%d", inFlight), func(b *testing.B) { benchVotes(b, inFlight) })
	}
}

// BenchmarkVoteDurableUnchecked is BenchmarkVoteDurable at 128 in flight
// without checksum verification and without the free-space check (app.Handle
// calls CheckSpace before every message): compare the two in one run.
func BenchmarkVoteDurableUnchecked(b *testing.B) {
	b.Run("inflight=128", func(b *testing.B) { benchVotesWith(b, 128, storage.UncheckedOptions()) })
}

func benchVotes(b *testing.B, inFlight int) { benchVotesWith(b, inFlight, storage.Options{}) }

func benchVotesWith(b *testing.B, inFlight int, opts storage.Options) {
	const voters = 1000
	a, stop := openVotingWith(b, filepath.Join(b.TempDir(), "data"), voters, opts)
	defer stop()
	benchVotesOn(b, a, inFlight, voters)
}

func benchVotesOn(b *testing.B, a *app.App, inFlight int, voters int64) {
	ctx := context.Background()
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(max(1, inFlight/runtime.GOMAXPROCS(0)))
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			n := next.Add(1)
			who := fmt.Sprintf("代表%04d", n%voters)
			choice := []string{"赞成", "反对", "弃权"}[(n/voters)%3]
			t0 := time.Now()
			err := a.Handle(ctx, bot.Incoming{Platform: "console", Chat: "议事群", ChatTitle: "议事群", Sender: who, Name: who, Text: choice})
			mine = append(mine, time.Since(t0))
			if err != nil {
				b.Error(err)
				return
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	// CPU time per vote is less at the mercy of other load on the
	// machine than votes/s.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/vote")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "votes/s")
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkVoteDurableChecks alternates checked and unchecked runs at 128
// in flight in one process, so that load from elsewhere on the machine
// falls on both alike: compare the on/off pairs.
func BenchmarkVoteDurableChecks(b *testing.B) {
	for range 3 {
		b.Run("on", func(b *testing.B) { benchVotesWith(b, 128, storage.Options{}) })
		b.Run("off", func(b *testing.B) { benchVotesWith(b, 128, storage.UncheckedOptions()) })
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
