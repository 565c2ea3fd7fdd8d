package telegram_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/telegram"
	"github.com/yishi-community/yishi/adapters/telegram/tgtest"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/storage/postgres"
	"github.com/yishi-community/yishi/storage/postgres/pgtest"
)

// syncBuffer is a log sink read while it is written.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// sharedProc is one bot process of several on one PostgreSQL database,
// with the Telegram adapter of the one bot token they share.
type sharedProc struct {
	name   string
	tr     *tgtest.Translator
	logs   *syncBuffer
	app    *app.App
	cancel context.CancelFunc
	done   chan error
}

// TestOneTokenTwoProcesses: two processes share a database and one bot
// token; each serves one of two villages. Only one polls the token (the
// other would get 409 from Telegram); a message in the other village's
// group is relayed through the database and answered by the process that
// serves it, from its own connection. When the poller stops, the other
// takes the token over and serves both villages.
func TestOneTokenTwoProcesses(t *testing.T) {
	dsn := pgtest.Fresh(t)
	emu := tgtest.Start(t)
	cl := emu.Client(testToken)
	var comms []*config.Community
	groups := []tgtest.Chat{}
	users := []tgtest.User{}
	for i := 1; i <= 2; i++ {
		chat := tgtest.Chat{ID: int64(-2000 - i), Type: "group", Title: fmt.Sprintf("第%d村议事群", i)}
		u := tgtest.User{ID: int64(5000 + i), FirstName: fmt.Sprintf("村民%d", i)}
		groups, users = append(groups, chat), append(users, u)
		y := fmt.Sprintf("id: v%d\nname: 第%d村\ngroups:\n  - {name: %s, platform: telegram, chat: \"%d\"}\nroster:\n"+
			"  - {id: shuji, name: 书记%d, roles: [secretary]}\n  - {id: jw, name: 监委%d, roles: [supervisor]}\n"+
			"  - {id: r1, name: %s, roles: [resident], identities: {telegram: \"%d\"}}\n", i, i, chat.Title, chat.ID, i, i, u.FirstName, u.ID)
		c, err := config.Parse(fmt.Sprintf("v%d.yaml", i), []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		comms = append(comms, c)
	}
	start := func(name string) *sharedProc {
		p := &sharedProc{name: name, tr: tgtest.NewTranslator(true), logs: &syncBuffer{}, done: make(chan error, 1)}
		for _, g := range groups {
			p.tr.SetAdmin(g.ID, true)
		}
		var w io.Writer = p.logs
		if testing.Verbose() {
			w = io.MultiWriter(p.logs, os.Stderr)
		}
		log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})).With("proc", name)
		st, err := postgres.Open(context.Background(), dsn, log)
		if err != nil {
			t.Fatal(err)
		}
		ad, err := telegram.New(telegram.Options{
			Config: telegram.Config{Token: testToken, APIURL: emu.URL, PollTimeout: emulatorPollTimeout},
			Store:  st, Logger: log, HTTPClient: &http.Client{Transport: p.tr}, PollGap: 5 * time.Millisecond,
			Limits: telegram.Limits{PerChat: 1000, PerGroup: 1000, Global: 1000},
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		p.cancel = cancel
		p.app, err = app.Open(ctx, app.Options{DataDir: t.TempDir(), Store: st, Communities: comms, Adapters: []bot.Adapter{ad},
			Logger: log, TickEvery: 50 * time.Millisecond, Holder: name + "/1", Node: name,
			LeaseTTL: 1500 * time.Millisecond, LeaseRenew: 250 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		go func() { p.done <- p.app.Run(ctx) }()
		t.Cleanup(func() { p.stop(t) })
		return p
	}
	waitLog := func(p *sharedProc, what string, n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for strings.Count(p.logs.String(), what) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %q not logged %d times within 20 s:\n%s", p.name, what, n, tail(p.logs.String(), 3000))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	say := func(i int, text string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := cl.Send(ctx, users[i], groups[i], text); err != nil {
			t.Fatal(err)
		}
	}
	answered := func(i, n int, what string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := cl.WaitFor(ctx, what, func(ms []tgtest.BotMessage) bool {
			c := 0
			for _, m := range tgtest.In(ms, groups[i].ID) {
				if strings.Contains(m.Text, "提议") { // the help text names how to propose
					c++
				}
			}
			return c >= n
		}); err != nil {
			t.Fatal(err)
		}
	}

	a := start("a")
	waitLog(a, "community served by this process", 2)
	waitLog(a, "this process receives for the platform", 1)
	b := start("b")
	waitLog(b, "community served by this process", 1)
	waitLog(a, "community handed over to another process", 1)
	for i := range groups {
		say(i, "帮助")
	}
	for i := range groups {
		answered(i, 1, fmt.Sprintf("the help in 第%d村's group", i+1))
	}
	if n := b.tr.Calls("getUpdates"); n != 0 {
		t.Errorf("b polled the token %d times while a held the turn", n)
	}
	if n := b.tr.Calls("sendMessage"); n == 0 {
		t.Error("b sent nothing: the village it serves was not answered from its own connection")
	}

	// a stops (a deploy, a crash would only take longer): b polls and
	// serves both villages.
	a.stop(t)
	waitLog(b, "this process receives for the platform", 1)
	waitLog(b, "community served by this process", 2)
	for i := range groups {
		say(i, "帮助")
	}
	for i := range groups {
		answered(i, 2, fmt.Sprintf("the second help in 第%d村's group", i+1))
	}
}

func (p *sharedProc) stop(t *testing.T) {
	if p.app == nil {
		return
	}
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("%s: Run: %v", p.name, err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("%s did not stop", p.name)
	}
	p.app.Close()
	p.app = nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
