package telegram_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/telegram"
	"github.com/yishi-community/yishi/adapters/telegram/tgtest"
	"github.com/yishi-community/yishi/bot"
)

const testToken = "123456:TEST-secret-token-value"

// fakeCore is a stand-in for the core in phase-1 tests: it records what
// arrives and answers through the adapter's Send like the core would.
type fakeCore struct {
	mu    sync.Mutex
	got   []bot.Incoming
	send  func(context.Context, bot.Outgoing) error
	react func(ctx context.Context, c *fakeCore, in bot.Incoming) error
}

func (c *fakeCore) Handle(ctx context.Context, in bot.Incoming) error {
	c.mu.Lock()
	for _, g := range c.got {
		if in.ID != "" && g.ID == in.ID {
			c.mu.Unlock()
			return nil // redelivered: a no-op, as in the core
		}
	}
	c.got = append(c.got, in)
	c.mu.Unlock()
	if c.react == nil {
		return nil
	}
	return c.react(ctx, c, in)
}

func (c *fakeCore) incoming() []bot.Incoming {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

func (c *fakeCore) waitFor(t *testing.T, what string, cond func([]bot.Incoming) bool) []bot.Incoming {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := c.incoming()
		if cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; got %d incoming: %+v", what, len(got), got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// running is an adapter running against the emulator.
type running struct {
	a      *telegram.Adapter
	cancel context.CancelFunc
	done   chan error
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	waitLongPollExpired()
}

// waitLongPollExpired waits out a getUpdates the stopped adapter left
// open: the emulator, unlike Telegram, ignores offsets and would hand
// messages sent meanwhile to that dead request (under load that lost one).
func waitLongPollExpired() { time.Sleep(emulatorPollTimeout + 300*time.Millisecond) }

const emulatorPollTimeout = time.Second

func startAdapter(t *testing.T, emu *tgtest.Emulator, tr *tgtest.Translator, store bot.Store, h bot.Handler, logs io.Writer) *running {
	t.Helper()
	if logs == nil {
		logs = io.Discard
		if testing.Verbose() {
			logs = os.Stderr
		}
	}
	a, err := telegram.New(telegram.Options{
		Config:      telegram.Config{Token: testToken, APIURL: emu.URL, PollTimeout: emulatorPollTimeout},
		Store:       store,
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTPClient:  &http.Client{Transport: tr},
		PollGap:     5 * time.Millisecond,
		Limits:      telegram.Limits{PerChat: 1000, PerGroup: 1000, Global: 1000}, // the limiter has its own tests
		NoticeChats: []int64{group.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{a: a, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx, h) }()
	select {
	case <-a.Ready():
	case err := <-r.done:
		t.Fatalf("Run ended early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("adapter not ready")
	}
	t.Cleanup(func() { cancel() })
	return r
}

var (
	group = tgtest.Chat{ID: -1001, Type: "group", Title: "后陈村议事群"}
	alice = tgtest.User{ID: 101, FirstName: "张", LastName: "三"}
	bob   = tgtest.User{ID: 102, FirstName: "李四"}
)

func TestEmulatorRoundTrip(t *testing.T) {
	emu := tgtest.Start(t)
	cl := emu.Client(testToken)
	tr := tgtest.NewTranslator(true)
	store := tgtest.NewMemStore()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	core := &fakeCore{}
	r := startAdapter(t, emu, tr, store, core, nil)
	core.send = r.a.Send
	tally := map[string]string{}
	core.react = func(ctx context.Context, c *fakeCore, in bot.Incoming) error {
		switch {
		case in.Text == "表决":
			return c.send(ctx, bot.Outgoing{Chat: in.Chat, Key: "tally", Text: "表决开始：赞成 0",
				Buttons: []bot.Button{{Label: "赞成", Data: "v:1:for"}, {Label: "反对", Data: "v:1:against"}, {Label: "弃权", Data: "v:1:abstain"}}})
		case in.Callback:
			tally[in.Sender] = in.Text
			n := 0
			for _, v := range tally {
				if v == "v:1:for" {
					n++
				}
			}
			return c.send(ctx, bot.Outgoing{Chat: in.Chat, Key: "tally", Text: fmt.Sprintf("表决开始：赞成 %d", n),
				Buttons: []bot.Button{{Label: "赞成", Data: "v:1:for"}, {Label: "反对", Data: "v:1:against"}, {Label: "弃权", Data: "v:1:abstain"}}})
		case in.Text == "私信我":
			err := c.send(ctx, bot.Outgoing{Chat: in.Sender, Private: true, Text: "这是给您的私信通知"})
			if errors.Is(err, bot.ErrCannotReach) {
				return c.send(ctx, bot.Outgoing{Chat: in.Chat, Text: in.Name + "，请先私聊机器人发一句话，以便接收通知。"})
			}
			return err
		case in.Text == "重复":
			return c.send(ctx, bot.Outgoing{Chat: in.Chat, Text: "重复"})
		case !in.Private:
			return c.send(ctx, bot.Outgoing{Chat: in.Chat, Text: "收到：" + in.Text})
		}
		return nil
	}

	// Privacy mode (the emulator's getMe does not say the bot reads all
	// group messages): the configured group is told how votes reach the bot.
	ms, err := cl.WaitFor(ctx, "privacy notice", func(ms []tgtest.BotMessage) bool { return len(tgtest.In(ms, group.ID)) >= 1 })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ms[0].Text, "隐私模式") || !strings.Contains(ms[0].Text, "/setprivacy") || !strings.Contains(ms[0].Text, "https://t.me/TestNameBot") {
		t.Fatalf("first group message is not the privacy notice with the fix and the start link: %q", ms[0].Text)
	}
	// The operator follows it and makes the bot an administrator: from now
	// on it receives every group message, privacy mode or not.
	tr.SetAdmin(group.ID, true)

	// Formatting characters of residents come back verbatim.
	raw := "提议 *紧急* _修路_ <b>不是标签</b> [链接](x)"
	if err := cl.Send(ctx, alice, group, "/提议@TestNameBot "+raw[len("提议 "):]); err != nil {
		t.Fatal(err)
	}
	if err := cl.Send(ctx, alice, group, raw); err != nil {
		t.Fatal(err)
	}
	got := core.waitFor(t, "two messages", func(in []bot.Incoming) bool { return len(in) >= 2 })
	if got[0].Text != "/提议 "+raw[len("提议 "):] {
		t.Errorf("command text = %q, want @botname stripped", got[0].Text)
	}
	if got[1].Sender != "101" || got[1].Name != "张 三" || got[1].Chat != "-1001" || got[1].Private || got[1].ChatTitle != group.Title {
		t.Errorf("incoming = %+v", got[1])
	}
	ms, err = cl.WaitFor(ctx, "echo", func(ms []tgtest.BotMessage) bool { return len(tgtest.In(ms, group.ID)) >= 3 })
	if err != nil {
		t.Fatal(err)
	}
	if want := "收到：" + raw; tgtest.In(ms, group.ID)[2].Text != want {
		t.Errorf("echo = %q, want %q", tgtest.In(ms, group.ID)[2].Text, want)
	}

	// Buttons: presses arrive as callbacks; the tally message is edited in
	// place, and an edit that changes nothing is not sent.
	if err := cl.Send(ctx, alice, group, "表决"); err != nil {
		t.Fatal(err)
	}
	ms, err = cl.WaitFor(ctx, "vote message", func(ms []tgtest.BotMessage) bool {
		for _, m := range ms {
			if strings.HasPrefix(m.Text, "表决开始") {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	var vote tgtest.BotMessage
	for _, m := range ms {
		if strings.HasPrefix(m.Text, "表决开始") {
			vote = m
		}
	}
	if len(vote.Buttons) != 3 || vote.Buttons[0].Text != "赞成" {
		t.Fatalf("vote buttons = %+v", vote.Buttons)
	}
	for _, u := range []tgtest.User{alice, bob} {
		if err := cl.Press(ctx, u, group, vote, "v:1:for"); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.Press(ctx, alice, group, vote, "v:1:for"); err != nil { // same again: no change
		t.Fatal(err)
	}
	core.waitFor(t, "three callbacks", func(in []bot.Incoming) bool {
		n := 0
		for _, i := range in {
			if i.Callback {
				n++
			}
		}
		return n == 3
	})
	_, err = cl.WaitFor(ctx, "tally edited", func(ms []tgtest.BotMessage) bool {
		for _, m := range ms {
			if m.ID == vote.ID && m.Text == "表决开始：赞成 2" {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := tr.Calls("editMessageText"); n != 2 {
		t.Errorf("editMessageText called %d times, want 2 (the third press changes nothing)", n)
	}
	// This core sends no receipts: each press is answered 已收到 once the
	// receipt is overdue, so no press is left spinning.
	// The translator counts a call when it arrives and records its answer
	// after: wait for both.
	for (tr.Calls("answerCallbackQuery") < 3 || len(tr.Answers(alice.ID))+len(tr.Answers(bob.ID)) < 3) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if n := tr.Calls("answerCallbackQuery"); n != 3 {
		t.Errorf("answerCallbackQuery called %d times, want 3", n)
	}
	if as := tr.Answers(alice.ID); len(as) != 2 || as[0].Text != "已收到，正在处理。" {
		t.Errorf("alice's presses answered %+v", as)
	}

	// A private notice to someone who never opened a chat is refused with
	// ErrCannotReach; after they write to the bot it goes through.
	if err := cl.Send(ctx, bob, group, "私信我"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.WaitFor(ctx, "ask to open a chat", func(ms []tgtest.BotMessage) bool {
		for _, m := range tgtest.In(ms, group.ID) {
			if strings.Contains(m.Text, "请先私聊机器人") {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if err := cl.Send(ctx, bob, tgtest.Private(bob), "/start"); err != nil {
		t.Fatal(err)
	}
	core.waitFor(t, "private /start", func(in []bot.Incoming) bool { return in[len(in)-1].Private })
	if err := cl.Send(ctx, bob, group, "私信我"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.WaitFor(ctx, "private notice", func(ms []tgtest.BotMessage) bool {
		return len(tgtest.In(ms, bob.ID)) == 1 && tgtest.In(ms, bob.ID)[0].Text == "这是给您的私信通知"
	}); err != nil {
		t.Fatal(err)
	}

	// Restart: messages sent while the bot is down arrive once, in order.
	r.stop(t)
	before := len(core.incoming())
	for i := range 5 {
		if err := cl.Send(ctx, alice, group, fmt.Sprintf("停机期间 %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	r2 := startAdapter(t, emu, tr, store, core, nil)
	core.send = r2.a.Send
	got = core.waitFor(t, "messages sent while down", func(in []bot.Incoming) bool { return len(in) >= before+5 })
	for i, in := range got[before:] {
		if want := fmt.Sprintf("停机期间 %d", i); in.Text != want {
			t.Errorf("after restart #%d = %q, want %q", i, in.Text, want)
		}
	}
	seen := map[string]bool{}
	for _, in := range got {
		if seen[in.ID] {
			t.Errorf("update %s handled twice", in.ID)
		}
		seen[in.ID] = true
	}
	r2.stop(t)
	if off, _ := store.Get([]byte("telegram/offset/123456")); off == nil {
		t.Error("offset not persisted")
	}
}
