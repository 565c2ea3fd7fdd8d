package console

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
)

type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *manualClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestQuietGroup: receipts are private lines; a live view changing faster
// than ViewEvery is printed once per interval (newest wins), before
// anything else said in its group, and at the end of input.
func TestQuietGroup(t *testing.T) {
	var out bytes.Buffer
	clock := &manualClock{t: time.Date(2026, 12, 5, 19, 30, 0, 0, time.UTC)}
	a := New(Options{Out: &out, Clock: clock, ViewEvery: 10 * time.Second, In: strings.NewReader("")})
	ctx := context.Background()
	send := func(m bot.Outgoing) {
		t.Helper()
		if err := a.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	tally := func(n int) bot.Outgoing {
		return bot.Outgoing{Chat: "群", ChatTitle: "群", Key: "tally/c/1", Text: fmt.Sprintf("【实时计票】已投%d", n)}
	}
	for i := 1; i <= 5; i++ {
		send(bot.ReceiptFor(bot.Incoming{Platform: Platform, Chat: "群", ChatTitle: "群", Sender: fmt.Sprint("代表", i)}, "c", fmt.Sprintf("代表%d：已记录「赞成」。", i)))
		send(tally(i))
		clock.add(time.Second)
	}
	clock.add(10 * time.Second)
	send(tally(6)) // the interval passed: printed at once
	send(tally(7))
	send(bot.Outgoing{Chat: "群", ChatTitle: "群", Key: "attend/c/1", Text: "【签到】已签到9人"})
	send(bot.Outgoing{Chat: "群", ChatTitle: "群", Text: "【表决结果】通过"})
	send(tally(8))
	if err := a.Run(ctx, nil); err != nil { // end of input shows what waits
		t.Fatal(err)
	}
	want := `[私聊→代表1] 议事助手: 代表1：已记录「赞成」。
[群] 议事助手: 【实时计票】已投1
[私聊→代表2] 议事助手: 代表2：已记录「赞成」。
[私聊→代表3] 议事助手: 代表3：已记录「赞成」。
[私聊→代表4] 议事助手: 代表4：已记录「赞成」。
[私聊→代表5] 议事助手: 代表5：已记录「赞成」。
[群] 议事助手: 【实时计票】已投6
[群] 议事助手: 【实时计票】已投7
[群] 议事助手: 【签到】已签到9人
[群] 议事助手: 【表决结果】通过
[群] 议事助手: 【实时计票】已投8
`
	if got := out.String(); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

// TestHeldViewShownAtNextLine: a view that waited its interval is printed
// before the next input line is handled, in an interactive session where
// nothing else is said.
func TestHeldViewShownAtNextLine(t *testing.T) {
	var out bytes.Buffer
	clock := &manualClock{t: time.Date(2026, 12, 5, 19, 30, 0, 0, time.UTC)}
	a := New(Options{Out: &out, Clock: clock, ViewEvery: 10 * time.Second, In: strings.NewReader("[私聊] 甲: 计票\n")})
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		if err := a.Send(ctx, bot.Outgoing{Chat: "群", Key: "tally/c/1", Text: fmt.Sprintf("已投%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	clock.add(10 * time.Second)
	var seen string
	h := handler(func(_ context.Context, in bot.Incoming) error { seen = out.String(); return nil })
	if err := a.Run(ctx, h); err != nil {
		t.Fatal(err)
	}
	if want := "[群] 议事助手: 已投1\n[群] 议事助手: 已投2\n"; seen != want {
		t.Errorf("before the line was handled:\n%s\nwant:\n%s", seen, want)
	}
}

type handler func(context.Context, bot.Incoming) error

func (f handler) Handle(ctx context.Context, in bot.Incoming) error { return f(ctx, in) }
