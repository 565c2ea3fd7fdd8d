package telegram

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/bot"
)

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name    string
		out     bot.Outgoing
		fail    error
		check   func(error) bool
		explain string
	}{
		{"accepted", bot.Outgoing{Chat: "-100", Text: "好"}, nil,
			func(err error) bool { return err == nil }, "nil"},
		{"429 wrapped", bot.Outgoing{Chat: "-100", Text: "好"},
			fmt.Errorf("wrapped: %w", &tgbot.TooManyRequestsError{Message: "too many requests", RetryAfter: 7}),
			func(err error) bool {
				var ra *bot.RetryAfterError
				return errors.As(err, &ra) && ra.After == 7*time.Second
			}, "*bot.RetryAfterError{After: 7s}"},
		{"private never started", bot.Outgoing{Chat: "7", Private: true, Text: "通知"},
			fmt.Errorf("%w, Forbidden: bot can't initiate conversation with a user", tgbot.ErrorForbidden),
			func(err error) bool { return errors.Is(err, bot.ErrCannotReach) }, "bot.ErrCannotReach"},
		{"private blocked", bot.Outgoing{Chat: "7", Private: true, Text: "通知"},
			fmt.Errorf("%w, Forbidden: bot was blocked by the user", tgbot.ErrorForbidden),
			func(err error) bool { return errors.Is(err, bot.ErrCannotReach) }, "bot.ErrCannotReach"},
		{"private chat not found", bot.Outgoing{Chat: "7", Private: true, Text: "通知"},
			fmt.Errorf("%w, Bad Request: chat not found", tgbot.ErrorBadRequest),
			func(err error) bool { return errors.Is(err, bot.ErrCannotReach) }, "bot.ErrCannotReach"},
		{"removed from group", bot.Outgoing{Chat: "-100", Text: "结果"},
			fmt.Errorf("%w, Forbidden: bot was kicked from the group chat", tgbot.ErrorForbidden),
			func(err error) bool { return errors.Is(err, ErrNotInChat) && !errors.Is(err, bot.ErrCannotReach) }, "ErrNotInChat"},
		{"server error", bot.Outgoing{Chat: "-100", Text: "结果"},
			errors.New("error response from telegram for method sendMessage, 502 Bad Gateway"),
			func(err error) bool {
				var ra *bot.RetryAfterError
				return err != nil && !errors.As(err, &ra) && !errors.Is(err, bot.ErrCannotReach)
			}, "a plain error"},
		{"not a chat id", bot.Outgoing{Chat: "张三", Text: "x"}, nil,
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "not a Telegram chat id") }, "an error"},
		{"other platform", bot.Outgoing{Platform: "wechat", Chat: "-100", Text: "x"}, nil,
			func(err error) bool { return err != nil }, "an error"},
		{"empty text", bot.Outgoing{Chat: "-100", Text: " \n "}, nil,
			func(err error) bool { return err != nil }, "an error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI()
			f.fail = func(string, int64, string) error { return tt.fail }
			a := testAdapter(t, f, nil, nil)
			if err := a.Send(context.Background(), tt.out); !tt.check(err) {
				t.Errorf("Send = %v, want %s", err, tt.explain)
			}
		})
	}
}

func TestSendPlainTextVerbatim(t *testing.T) {
	f := newFakeAPI()
	a := testAdapter(t, f, nil, nil)
	text := "张*三* 提议：_修路_ <b>x</b> & [a](b) `c`"
	if err := a.Send(context.Background(), bot.Outgoing{Chat: "-100", Text: text}); err != nil {
		t.Fatal(err)
	}
	if got := f.sentTo(-100); len(got) != 1 || got[0].Text != text {
		t.Fatalf("sent %+v, want the text unchanged", got)
	}
}

func TestSendLongTextSplitsAndResumes(t *testing.T) {
	f := newFakeAPI()
	a := testAdapter(t, f, nil, nil)
	line := strings.Repeat("议", 99) + "\n" // 100 units
	text := strings.Repeat(line, 100)      // 10000 units: three parts
	out := bot.Outgoing{Chat: "-100", Text: text, Buttons: []bot.Button{{Label: "赞成", Data: "v:1:for"}}}
	calls := 0
	f.fail = func(string, int64, string) error {
		calls++
		if calls == 2 {
			return errors.New("error response from telegram for method sendMessage, 500 Internal Server Error")
		}
		return nil
	}
	if err := a.Send(context.Background(), out); err == nil {
		t.Fatal("Send with a failing second part returned nil")
	}
	if err := a.Send(context.Background(), out); err != nil { // the core retries the message
		t.Fatal(err)
	}
	got := f.sentTo(-100)
	if len(got) != 3 {
		t.Fatalf("sent %d parts, want 3 (the first not twice)", len(got))
	}
	var joined []string
	for i, m := range got {
		if units(m.Text) > MaxText {
			t.Errorf("part %d too long", i)
		}
		if (m.Markup != nil) != (i == 2) {
			t.Errorf("part %d: buttons = %v, want them only under the last part", i, m.Markup)
		}
		joined = append(joined, m.Text)
	}
	if strings.TrimSuffix(strings.Join(joined, "\n"), "\n") != strings.TrimSuffix(text, "\n") {
		t.Error("parts do not add up to the text")
	}
}

func TestSendKeyedEditsInPlace(t *testing.T) {
	f := newFakeAPI()
	store := newStore()
	a := testAdapter(t, f, store, nil)
	ctx := context.Background()
	buttons := []bot.Button{{Label: "赞成", Data: "v:1:for"}, {Label: "反对", Data: "v:1:against"}, {Label: "弃权", Data: "v:1:abstain"}}
	send := func(text string) {
		t.Helper()
		if err := a.Send(ctx, bot.Outgoing{Chat: "-100", Key: "tally:1", Text: text, Buttons: buttons}); err != nil {
			t.Fatal(err)
		}
	}
	send("赞成 0 反对 0")
	send("赞成 1 反对 0")
	send("赞成 1 反对 0") // unchanged: no call at all
	// A restarted adapter still edits the same message.
	a2 := testAdapter(t, f, store, nil)
	if err := a2.Send(ctx, bot.Outgoing{Chat: "-100", Key: "tally:1", Text: "赞成 2 反对 0", Buttons: buttons}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sentTo(-100)); n != 1 {
		t.Errorf("%d messages posted, want 1", n)
	}
	if len(f.edits) != 2 || f.edits[1].Text != "赞成 2 反对 0" || f.edits[0].ID != f.sent[0].ID {
		t.Errorf("edits = %+v, want two edits of message %d", f.edits, f.sent[0].ID)
	}
	kb, ok := f.sent[0].Markup.(*models.InlineKeyboardMarkup)
	if !ok || len(kb.InlineKeyboard) != 1 || len(kb.InlineKeyboard[0]) != 3 || kb.InlineKeyboard[0][2].CallbackData != "v:1:abstain" {
		t.Errorf("keyboard = %+v, want one row 赞成/反对/弃权", f.sent[0].Markup)
	}

	// Telegram's own "not modified" is success; a vanished message is
	// posted anew.
	f.fail = func(method string, _ int64, _ string) error {
		if method == "editMessageText" {
			return fmt.Errorf("%w, Bad Request: message is not modified", tgbot.ErrorBadRequest)
		}
		return nil
	}
	send("赞成 3 反对 0")
	f.fail = func(method string, _ int64, _ string) error {
		if method == "editMessageText" {
			return fmt.Errorf("%w, Bad Request: message to edit not found", tgbot.ErrorBadRequest)
		}
		return nil
	}
	send("赞成 4 反对 0")
	if n := len(f.sentTo(-100)); n != 2 {
		t.Errorf("%d messages posted, want 2 (a new one after the old vanished)", n)
	}
}

func TestSendFollowsSupergroupMigration(t *testing.T) {
	f := newFakeAPI()
	store := newStore()
	a := testAdapter(t, f, store, nil)
	f.fail = func(_ string, chat int64, _ string) error {
		if chat == -100 {
			return &tgbot.MigrateError{Message: "Bad Request: group chat was upgraded to a supergroup chat", MigrateToChatID: -1009}
		}
		return nil
	}
	ctx := context.Background()
	if err := a.Send(ctx, bot.Outgoing{Chat: "-100", Text: "公示"}); err != nil {
		t.Fatal(err)
	}
	if len(f.sentTo(-1009)) != 1 {
		t.Fatal("message not resent to the supergroup")
	}
	// Remembered across restarts, and incoming from the new id reports
	// the configured one.
	a2 := testAdapter(t, f, store, nil)
	if err := a2.Send(ctx, bot.Outgoing{Chat: "-100", Text: "第二条"}); err != nil {
		t.Fatal(err)
	}
	if len(f.sentTo(-1009)) != 2 {
		t.Error("second message not sent to the supergroup")
	}
	if got := a2.st.original(-1009); got != -100 {
		t.Errorf("original(-1009) = %d, want -100", got)
	}
}

func TestKeyboardDropsBadButtons(t *testing.T) {
	a := testAdapter(t, newFakeAPI(), nil, nil)
	kb := a.keyboard([]bot.Button{
		{Label: "赞成", Data: "v:1:for"},
		{Label: "太长", Data: strings.Repeat("x", 65)},
		{Label: "", Data: "x"},
	})
	m, ok := kb.(*models.InlineKeyboardMarkup)
	if !ok || len(m.InlineKeyboard) != 1 || len(m.InlineKeyboard[0]) != 1 {
		t.Fatalf("keyboard = %+v, want only 赞成", kb)
	}
	var six []bot.Button
	for i := range 7 {
		six = append(six, bot.Button{Label: fmt.Sprint(i), Data: fmt.Sprint(i)})
	}
	m = a.keyboard(six).(*models.InlineKeyboardMarkup)
	if len(m.InlineKeyboard) != 3 || len(m.InlineKeyboard[2]) != 1 {
		t.Errorf("7 buttons laid out as %d rows", len(m.InlineKeyboard))
	}
}

func TestSendBusyGroupAnswersRetryAfter(t *testing.T) {
	f := newFakeAPI()
	clock := newVirtualClock()
	a := testAdapter(t, f, nil, func(o *Options) { o.Clock = clock; o.Limits = DefaultLimits() })
	ctx := context.Background()
	if err := a.Send(ctx, bot.Outgoing{Chat: "-100", Text: "一"}); err != nil {
		t.Fatal(err)
	}
	err := a.Send(ctx, bot.Outgoing{Chat: "-100", Text: "二"})
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 3*time.Second {
		t.Fatalf("second message to the group at once: %v, want retry after 3s", err)
	}
	if err := a.Send(ctx, bot.Outgoing{Chat: "7", Private: true, Text: "私信"}); err != nil {
		t.Fatalf("another chat held up: %v", err)
	}
	_ = clock.Until(ctx, clock.Now().Add(ra.After))
	if err := a.Send(ctx, bot.Outgoing{Chat: "-100", Text: "二"}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sentTo(-100)); n != 2 {
		t.Errorf("%d group messages sent, want 2", n)
	}
}
