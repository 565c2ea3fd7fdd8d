package telegram

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/bot"
)

// waitAnswers waits (for synchronisation only: nothing is timed) until n
// callback queries were answered, and returns them by query id.
func waitAnswers(t *testing.T, f *fakeAPI, n int) map[string]tgbot.AnswerCallbackQueryParams {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		f.mu.Lock()
		got := len(f.answers)
		out := map[string]tgbot.AnswerCallbackQueryParams{}
		for _, a := range f.answers {
			out[a.CallbackQueryID] = a
		}
		f.mu.Unlock()
		if got >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d callback queries answered, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func pressUpdate(id, user int64, data string) *models.Update {
	return &models.Update{ID: id, CallbackQuery: &models.CallbackQuery{
		ID: fmt.Sprint("cb", id), From: models.User{ID: user, FirstName: "张三"}, Data: data,
		Message: models.MaybeInaccessibleMessage{Message: &models.Message{
			ID: 3, Date: 1, From: &models.User{ID: 42, IsBot: true}, Chat: models.Chat{ID: -100, Type: models.ChatTypeGroup},
		}},
	}}
}

// TestReceipts: a receipt for a pressed button is its answer (a pop-up, no
// message anywhere); one for a typed vote is a private message; one for a
// member who never opened a private chat goes into the group with the link
// that opens one.
func TestReceipts(t *testing.T) {
	f := newFakeAPI()
	f.fail = func(method string, chat int64, _ string) error {
		if method == "sendMessage" && chat == 9 {
			return fmt.Errorf("%w, Forbidden: bot can't initiate conversation with a user", tgbot.ErrorForbidden)
		}
		return nil
	}
	// The receipt is sent while the core handles the press (as the
	// dispatcher may, right after the commit), so it is the answer.
	a := testAdapter(t, f, nil, func(o *Options) {
		o.Clock = newPatientClock()
		o.ReceiptWait = time.Hour // never reached: only the receipt answers
		o.Communities = map[int64]string{-100: "houchen"}
	})
	ctx := context.Background()
	rec := &recorder{fn: func(in bot.Incoming) error {
		// What the dispatcher does after the commit, here before handle returns.
		return a.Send(ctx, bot.ReceiptFor(in, "houchen", "张三：已记录「赞成」。"))
	}}
	typed := textUpdate(2, -100, 7, "赞成")
	unreached := textUpdate(3, -100, 9, "赞成")
	if done := a.processBatch(ctx, rec, []*models.Update{pressUpdate(1, 7, "赞成 #1"), &typed, &unreached}); done != 3 {
		t.Fatalf("processBatch = %d", done)
	}
	answers := waitAnswers(t, f, 1)
	if got := answers["cb1"]; got.Text != "张三：已记录「赞成」。" || got.ShowAlert {
		t.Errorf("press answered %+v, want the receipt as a passing notice", got)
	}
	if got := f.sentTo(7); len(got) != 1 || got[0].Text != "张三：已记录「赞成」。" {
		t.Errorf("private messages to the typed voter: %+v, want the one receipt", got)
	}
	// A press in a private chat: the reply is the visible answer, and the
	// button stops spinning at once.
	pp := pressUpdate(4, 7, "赞成 #1")
	pp.CallbackQuery.Message.Message.Chat = models.Chat{ID: 7, Type: models.ChatTypePrivate}
	a.processBatch(ctx, rec, []*models.Update{pp})
	if got := waitAnswers(t, f, 2)["cb4"]; got.Text != "" {
		t.Errorf("private press answered %+v, want an empty answer beside the reply", got)
	}
	if got := f.sentTo(7); len(got) != 2 {
		t.Errorf("private messages to 7: %+v, want the typed vote's receipt and the private press's reply", got)
	}
	group := f.sentTo(-100)
	if len(group) != 1 || !strings.Contains(group[0].Text, "已记录") || !strings.Contains(group[0].Text, "https://t.me/yishi_bot?start=houchen") {
		t.Errorf("group messages: %+v, want only the unreachable member's receipt with the start link", group)
	}
}

// TestLateReceipt: a press whose receipt does not come in time is answered
// 已收到, and the receipt then arrives as a private message.
func TestLateReceipt(t *testing.T) {
	f := newFakeAPI()
	a := testAdapter(t, f, nil, func(o *Options) { o.Clock = &stepClock{now: time.Unix(0, 0)} })
	ctx := context.Background()
	u := pressUpdate(1, 7, "签到 #1")
	a.processBatch(ctx, &recorder{}, []*models.Update{u})
	if got := waitAnswers(t, f, 1)["cb1"]; got.Text != "已收到，正在处理。" {
		t.Errorf("late press answered %+v", got)
	}
	in := bot.Incoming{Platform: Platform, ID: a.me.updateKey(1), Chat: "-100", Sender: "7"}
	if err := a.Send(ctx, bot.ReceiptFor(in, "houchen", "张三 已签到。")); err != nil {
		t.Fatal(err)
	}
	if got := f.sentTo(7); len(got) != 1 || got[0].Text != "张三 已签到。" {
		t.Errorf("late receipt: %+v, want it privately", got)
	}
	if len(f.answers) != 1 {
		t.Errorf("%d answers, want 1", len(f.answers))
	}
}

// patientClock is a fake clock for receipts: a wait shorter than a minute
// (rate limits, retry backoffs) passes at once; a longer one (ReceiptWait
// set to an hour) lasts until the test calls advance.
type patientClock struct {
	mu   sync.Mutex
	now  time.Time
	wake chan struct{}
}

func newPatientClock() *patientClock {
	return &patientClock{now: time.Unix(0, 0), wake: make(chan struct{})}
}

func (c *patientClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *patientClock) Until(ctx context.Context, t time.Time) error {
	for {
		c.mu.Lock()
		d, wake := t.Sub(c.now), c.wake
		if d < time.Minute {
			if d > 0 {
				c.now = t
			}
			c.mu.Unlock()
			return ctx.Err()
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// advance moves the clock and wakes the long waits.
func (c *patientClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	close(c.wake)
	c.wake = make(chan struct{})
	c.mu.Unlock()
}
