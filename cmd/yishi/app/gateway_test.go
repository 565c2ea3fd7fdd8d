package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/storage/postgres"
	"github.com/yishi-community/yishi/storage/postgres/pgtest"
)

// account is one WeChat account: messages reach whoever is logged in, and
// only that process can send from it.
type account struct {
	mu     sync.Mutex
	in     chan bot.Incoming
	sent   []bot.Outgoing
	sender map[string]int // process → messages it sent
	online string         // the process logged in, "" : none
}

// loginOnly is the adapter of one process on that account.
type loginOnly struct {
	proc   string
	acc    *account
	turn   func(context.Context) error
	logout chan struct{} // closed: the session ends (logged out on the phone)
}

func (l *loginOnly) Platform() string                              { return "wechat" }
func (l *loginOnly) ExclusiveLease() string                        { return "wechat" }
func (l *loginOnly) WaitTurn(wait func(ctx context.Context) error) { l.turn = wait }
func (l *loginOnly) SendsWithoutTurn() bool                        { return false }

func (l *loginOnly) Run(ctx context.Context, h bot.Handler) error {
	if l.turn != nil {
		if err := l.turn(ctx); err != nil {
			return nil
		}
	}
	l.acc.mu.Lock()
	if l.acc.online != "" {
		l.acc.mu.Unlock()
		return fmt.Errorf("%s logs in while %s is logged in: the first session ends", l.proc, l.acc.online)
	}
	l.acc.online = l.proc
	l.acc.mu.Unlock()
	defer func() { l.acc.mu.Lock(); l.acc.online = ""; l.acc.mu.Unlock() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.logout:
			return fmt.Errorf("%s: logged out (ret 1101)", l.proc)
		case in := <-l.acc.in:
			if err := h.Handle(ctx, in); err != nil {
				return err
			}
		}
	}
}

func (l *loginOnly) Send(_ context.Context, out bot.Outgoing) error {
	l.acc.mu.Lock()
	defer l.acc.mu.Unlock()
	if l.acc.online != l.proc {
		return fmt.Errorf("%s is not logged in", l.proc)
	}
	l.acc.sent = append(l.acc.sent, out)
	l.acc.sender[l.proc]++
	return nil
}

func (a *account) sentTo(chat string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, o := range a.sent {
		if o.Chat == chat {
			out = append(out, o.Text)
		}
	}
	return out
}

// TestOneWeChatAccountTwoProcesses: two processes share a database and
// one WeChat account, which only one can be logged in to. The other
// serves a village of that account all the same: what it is sent comes
// relayed through the database, and what it answers is handed to the
// logged-in process to send.
func TestOneWeChatAccountTwoProcesses(t *testing.T) {
	dsn := pgtest.Fresh(t)
	var comms []*config.Community
	for i := 1; i <= 2; i++ {
		y := fmt.Sprintf("id: v%d\nname: 第%d村\ngroups:\n  - {name: 群%d, platform: wechat, chat: 群%d}\nroster:\n"+
			"  - {id: shuji, name: 书记%d, roles: [secretary]}\n  - {id: jw, name: 监委%d, roles: [supervisor]}\n"+
			"  - {id: r1, name: 村民%d, roles: [resident], identities: {wechat: cm%d}}\n", i, i, i, i, i, i, i, i)
		c, err := config.Parse(fmt.Sprintf("v%d.yaml", i), []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		comms = append(comms, c)
	}
	acc := &account{in: make(chan bot.Incoming), sender: map[string]int{}}
	logs := map[string]*syncBuffer{}
	adapters := map[string]*loginOnly{}
	runErr := map[string]chan error{}
	start := func(name string) {
		st, err := postgres.Open(context.Background(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		logs[name] = &syncBuffer{}
		adapters[name] = &loginOnly{proc: name, acc: acc, logout: make(chan struct{})}
		log := slog.New(slog.NewTextHandler(logs[name], &slog.HandlerOptions{Level: slog.LevelInfo}))
		a, err := app.Open(context.Background(), app.Options{DataDir: t.TempDir(), Store: st, Communities: comms,
			Adapters: []bot.Adapter{adapters[name]}, Logger: log, TickEvery: 50 * time.Millisecond,
			Holder: name + "/1", Node: name, LeaseTTL: 1500 * time.Millisecond, LeaseRenew: 250 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		stopped := make(chan struct{})
		runErr[name] = done
		go func() { done <- a.Run(ctx); close(stopped) }()
		t.Cleanup(func() {
			cancel()
			select {
			case <-stopped:
			case <-time.After(15 * time.Second):
				t.Errorf("%s did not stop", name)
			}
			a.Close()
		})
	}
	waitLog := func(name, what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(logs[name].String(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never logged %q:\n%s", name, what, logs[name].String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	start("a")
	waitLog("a", "this process receives for the platform")
	start("b")
	waitLog("b", "community served by this process")
	waitLog("a", "community handed over to another process")
	for i := 1; i <= 2; i++ {
		acc.in <- bot.Incoming{Platform: "wechat", ID: fmt.Sprintf("m%d", i), Chat: fmt.Sprintf("群%d", i), ChatTitle: fmt.Sprintf("群%d", i),
			Sender: fmt.Sprintf("cm%d", i), Name: fmt.Sprintf("村民%d", i), Text: "帮助"}
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(acc.sentTo("群1")) == 0 || len(acc.sentTo("群2")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not both groups answered: 群1 %q, 群2 %q\n%s", acc.sentTo("群1"), acc.sentTo("群2"), logs["b"].String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	acc.mu.Lock()
	if acc.sender["b"] != 0 || acc.online != "a" {
		t.Errorf("only the logged-in process sends: sent by %v, logged in %q", acc.sender, acc.online)
	}
	acc.mu.Unlock()

	// a's session ends (logged out): a stops, so that the turn passes and b
	// logs in and serves both villages.
	close(adapters["a"].logout)
	select {
	case err := <-runErr["a"]:
		if err == nil {
			t.Error("a's Run returned nil after its login ended; a supervisor would not restart it")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("a kept running without its WeChat session, holding the turn")
	}
	waitLog("b", "this process receives for the platform")
	before := len(acc.sentTo("群1"))
	deadline = time.Now().Add(20 * time.Second)
	select {
	case acc.in <- bot.Incoming{Platform: "wechat", ID: "m3", Chat: "群1", ChatTitle: "群1", Sender: "cm1", Name: "村民1", Text: "帮助"}:
	case <-time.After(5 * time.Second):
		t.Fatal("nobody reads the account after a stopped")
	}
	for len(acc.sentTo("群1")) == before {
		if time.Now().After(deadline) {
			t.Fatalf("b did not answer 群1 after taking the login over:\n%s", logs["b"].String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
