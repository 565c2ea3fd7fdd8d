package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/yishi-community/yishi/bot"
)

// A receipt (bot.Outgoing.For) acknowledges one member's own vote or
// check-in. Posting each into the group is what filled groups with dozens
// of messages behind Telegram's 20-a-minute limit, so a receipt goes, in
// this order of preference:
//   - as the answer to the button the member pressed (a pop-up only they
//     see; answerCallbackQuery is not under the message limits);
//   - as a private message to them;
//   - into the group, only when they never opened a private chat, with the
//     link that opens one.

// openCall is a button press the core has handled or is handling, whose
// callback query is not answered yet.
type openCall struct {
	query string
	done  chan struct{} // closed once answered
	once  sync.Once
}

func (a *Adapter) openPress(inID, query string) *openCall {
	c := &openCall{query: query, done: make(chan struct{})}
	a.callsMu.Lock()
	a.calls[inID] = c
	a.callsMu.Unlock()
	return c
}

// takePress removes and returns the open press of inID (nil: answered
// already, or never a press).
func (a *Adapter) takePress(inID string) *openCall {
	if inID == "" {
		return nil
	}
	a.callsMu.Lock()
	defer a.callsMu.Unlock()
	c := a.calls[inID]
	delete(a.calls, inID)
	return c
}

// awaitReceipt answers the press with a plain "已收到" if the core's
// receipt has not come within ReceiptWait of its arrival (it then goes privately):
// Telegram shows a spinner on the
// button until then, and a press must be seen to have arrived.
func (a *Adapter) awaitReceipt(ctx context.Context, inID string, c *openCall, deadline time.Time) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-wctx.Done():
		}
	}()
	_ = a.clock.Until(wctx, deadline)
	if a.takePress(inID) == c {
		a.answer(ctx, c.query, pressReceived, false)
		c.once.Do(func() { close(c.done) })
	}
}

// pressReceived answers a press whose receipt is late: the update has
// arrived; the receipt, or the reason it was refused, follows privately.
const pressReceived = "已收到，正在处理。"

// refusePress answers a press with why it was refused, as a dialog, unless
// it was answered already (then the core's own message carries it).
func (a *Adapter) refusePress(ctx context.Context, ev event, why string) {
	if ev.in == nil {
		return
	}
	if c := a.takePress(ev.in.ID); c != nil {
		_ = a.answer(ctx, c.query, why, true)
		c.once.Do(func() { close(c.done) })
	}
}

// sendReceipt delivers a receipt (m.For set, m.Chat the group).
func (a *Adapter) sendReceipt(ctx context.Context, m bot.Outgoing) error {
	if c := a.takePress(m.Answers); c != nil {
		err := a.answer(ctx, c.query, m.Text, false)
		if err == nil {
			c.once.Do(func() { close(c.done) })
			return nil
		}
		// Too late or refused: the member gets it privately below.
		a.log.Debug("telegram: receipt not shown as a button answer; sending it privately", "err", a.redact(err))
	}
	user, err := strconv.ParseInt(m.For, 10, 64)
	if err != nil || user <= 0 {
		return fmt.Errorf("telegram: receipt for %q, which is not a Telegram user id", m.For)
	}
	private := m
	private.Chat, private.Private, private.For, private.Answers = m.For, true, "", ""
	err = a.Send(ctx, private)
	if !errors.Is(err, bot.ErrCannotReach) {
		return err
	}
	// Never opened a chat with the bot: say it in the group, once per
	// receipt, with the link that fixes it for next time.
	group := m
	group.For, group.Answers = "", ""
	var comm string
	if id, perr := strconv.ParseInt(m.Chat, 10, 64); perr == nil {
		comm = a.opts.Communities[id]
	}
	group.Text = m.Text + "\n(私聊发不到您：请点 " + a.StartLink(comm) + " 按「开始」，以后回执私聊发给您。)"
	return a.Send(ctx, group)
}

// answer answers a callback query: Telegram shows a spinner on the button
// until it is answered; alert shows the text as a dialog to dismiss rather
// than a passing notice (for refusals).
func (a *Adapter) answer(ctx context.Context, id, text string, alert bool) error {
	if id == "" {
		return nil
	}
	if r := []rune(text); len(r) > 190 { // Telegram takes 200 characters
		text = string(r[:190]) + "…"
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := a.api.AnswerCallbackQuery(cctx, &tgbot.AnswerCallbackQueryParams{
		CallbackQueryID: id, Text: text, ShowAlert: alert && text != "",
	})
	if err != nil {
		// A query older than about 15 s can no longer be answered.
		a.log.Debug("telegram answerCallbackQuery failed", "err", a.redact(err))
	}
	return err
}
