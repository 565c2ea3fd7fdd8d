package telegram_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/telegram"
	"github.com/yishi-community/yishi/adapters/telegram/tgtest"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/storage"
)

// quietRun is what a 200-member meeting did in the group.
type quietRun struct {
	groupMessages []tgtest.BotMessage // from 开始协商 on
	latencies     []time.Duration     // press → its answer, per vote press
	missing       []string            // voters who saw no confirmation
	late          int                 // presses answered 已收到 before their receipt came
	result        string
}

// runQuietVote plays a meeting of n members in one Telegram group with
// Telegram's real rate limits: everyone presses 签到 on the attendance
// message, then presses a vote button, workers at a time (the load test's
// traffic). The bot is an administrator (privacy mode on).
func runQuietVote(tb testing.TB, n, workers int) quietRun {
	tb.Helper()
	emu := tgtest.Start(tb)
	cl, tr := emu.Client(testToken), tgtest.NewTranslator(true)
	const chat = -2001
	group := tgtest.Chat{ID: chat, Type: "supergroup", Title: "议事群"}
	tr.SetAdmin(chat, true)
	var y strings.Builder
	fmt.Fprintf(&y, "id: big\nname: 大村\ngroups:\n  - name: 议事群\n    platform: telegram\n    chat: \"%d\"\nroster:\n", chat)
	users := map[string]tgtest.User{}
	add := func(id, name, role string, uid int64) {
		fmt.Fprintf(&y, "  - {id: %s, name: %s, roles: [%s], identities: {telegram: \"%d\"}}\n", id, name, role, uid)
		users[name] = tgtest.User{ID: uid, FirstName: name}
		tr.Open(uid) // everyone pressed Start
	}
	add("shuji", "书记", "secretary", 500)
	add("weiyuan", "委员", "committee", 501)
	add("jianwei", "监委", "supervisor", 502)
	var voters []string
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("代表%03d", i)
		add(fmt.Sprintf("r%03d", i), name, "representative", int64(10000+i))
		voters = append(voters, name)
	}
	comm, err := config.Parse("big.yaml", []byte(y.String()))
	if err != nil {
		tb.Fatal(err)
	}
	logs := io.Discard
	if testing.Verbose() {
		logs = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir := tb.TempDir()
	db, err := storage.Open(dir, storage.Options{Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	ad, err := telegram.New(telegram.Options{
		Config: telegram.Config{Token: testToken, APIURL: emu.URL, PollTimeout: emulatorPollTimeout},
		Store:  db, Logger: log, HTTPClient: &http.Client{Transport: tr}, PollGap: 5 * time.Millisecond,
		Communities: map[int64]string{chat: comm.ID},
		// Telegram's own limits: 20 a minute in a group, 30/s overall.
	})
	if err != nil {
		tb.Fatal(err)
	}
	count := new(atomic.Int64)
	handled := countingAdapter{ad, count}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Options{DataDir: dir, Store: db, Communities: []*config.Community{comm},
		Adapters: []bot.Adapter{handled}, Clock: liveClock{start: time.Now()}, Logger: log, TickEvery: 50 * time.Millisecond})
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		<-done
		a.Close()
		waitLongPollExpired()
	})
	<-ad.Ready()

	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer wcancel()
	say := func(name string, c tgtest.Chat, text string) {
		tb.Helper()
		want := count.Load() + 1
		if err := cl.Send(wctx, users[name], c, text); err != nil {
			tb.Fatal(err)
		}
		for count.Load() < want {
			if wctx.Err() != nil {
				tb.Fatalf("%s: %s not handled", name, text)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	waitFor := func(chat int64, part string) tgtest.BotMessage {
		tb.Helper()
		var found tgtest.BotMessage
		if _, err := cl.WaitFor(wctx, part, func(ms []tgtest.BotMessage) bool {
			for _, m := range slices.Backward(ms) {
				if m.Chat == chat && strings.Contains(m.Text, part) {
					found = m
					return true
				}
			}
			return false
		}); err != nil {
			tb.Fatal(err)
		}
		return found
	}
	priv := func(name string) tgtest.Chat { return tgtest.Private(users[name]) }
	for _, l := range []string{"提议", "村道安装路灯", "村道晚上很黑，希望安装路灯。", "全体村民", "1", "确认"} {
		say("代表001", priv("代表001"), l)
	}
	for _, l := range []string{"审定 #1", "1", "1", "3", "书记 委员 监委", "方案 #1", "12月1日 11:30", "村委会", "1", "好", "1", "确认"} {
		say("书记", priv("书记"), l)
	}
	before, err := cl.Messages(wctx)
	if err != nil {
		tb.Fatal(err)
	}
	say("书记", group, "/kaishi #1")
	att := waitFor(chat, "【签到】")
	pressAll := func(m tgtest.BotMessage, data string) map[string]time.Time {
		at := map[string]time.Time{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		next := make(chan string)
		for range workers {
			wg.Go(func() {
				for name := range next {
					t0 := time.Now()
					if err := cl.Press(wctx, users[name], group, m, data); err != nil {
						tb.Error(err)
					}
					mu.Lock()
					at[name] = t0
					mu.Unlock()
				}
			})
		}
		for _, name := range voters {
			next <- name
		}
		close(next)
		wg.Wait()
		return at
	}
	pressAll(att, att.Buttons[0].Data)
	waitFor(chat, fmt.Sprintf("实到%d人", n))
	say("书记", group, "/xiayibu")
	say("书记", group, "/xiayibu")
	say("书记", group, "/biaojue 同意安装路灯")
	vote := waitFor(chat, "【开始表决】")
	pressed := pressAll(vote, vote.Buttons[0].Data)
	result := waitFor(chat, "【表决结果】")

	var run quietRun
	run.result = result.Text
	// Every voter's confirmation (the press's answer) has come by now or
	// soon: wait for the last, then measure.
	for _, name := range voters {
		var got *tgtest.Answer
		for got == nil && wctx.Err() == nil {
			for _, an := range tr.Answers(users[name].ID) {
				if strings.Contains(an.Text, "已记录") || an.Text == "已收到，正在处理。" {
					if an.At.After(pressed[name]) {
						got = &an
					}
				}
			}
			if got == nil {
				time.Sleep(5 * time.Millisecond)
			}
		}
		if got == nil {
			run.missing = append(run.missing, name)
			continue
		}
		run.latencies = append(run.latencies, got.At.Sub(pressed[name]))
		if got.Text == "已收到，正在处理。" {
			run.late++
		}
	}
	ms, err := cl.Messages(wctx)
	if err != nil {
		tb.Fatal(err)
	}
	run.groupMessages = append(run.groupMessages, tgtest.In(ms[len(before):], chat)...)
	return run
}

// TestEmulatorQuietGroup is the target: a 200-member meeting in a
// Telegram group (real rate limits) — 200 check-ins, 200 votes — produces
// at most 15 group messages, and every voter sees their own confirmation.
// It also measures how long each vote press waits for its answer.
func TestEmulatorQuietGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("200 members through the emulator")
	}
	run := runQuietVote(t, 200, 8)
	if len(run.groupMessages) > 15 {
		for _, m := range run.groupMessages {
			t.Logf("#%d %s", m.ID, m.Text)
		}
		t.Errorf("%d group messages from 开始协商 to the result, want at most 15", len(run.groupMessages))
	}
	if len(run.missing) > 0 {
		t.Errorf("%d voters saw no confirmation: %v", len(run.missing), run.missing)
	}
	// The figures: measured, not asserted (wall-clock time on a shared
	// machine); go test -v -run TestEmulatorQuietGroup prints them.
	slices.Sort(run.latencies)
	if n := len(run.latencies); n > 0 {
		t.Logf("%d group messages; vote press → its visible answer, %d presses (%d answered 已收到 before the receipt): p50 %s, p99 %s, max %s",
			len(run.groupMessages), n, run.late, run.latencies[n/2], run.latencies[n*99/100], run.latencies[n-1])
	}
	for _, m := range run.groupMessages {
		t.Logf("group #%d %.40s", m.ID, m.Text)
	}
	if !strings.Contains(run.result, "赞成200人") {
		t.Errorf("result: %s", run.result)
	}
}
