package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/bot"
)

// maxCallbackData is Telegram's limit on a button's callback data, in bytes.
const maxCallbackData = 64

// Send delivers one message, waiting for the rate limits. It returns nil
// only once Telegram accepted every part; a refused private chat wraps
// bot.ErrCannotReach, a 429 is a *bot.RetryAfterError, a group the bot was
// removed from wraps ErrNotInChat. Texts go out as plain text: no
// parse_mode, so nothing a resident wrote can break the formatting.
func (a *Adapter) Send(ctx context.Context, m bot.Outgoing) error {
	if m.Platform != "" && m.Platform != Platform {
		return fmt.Errorf("telegram: message for platform %q", m.Platform)
	}
	if m.For != "" && !m.Private {
		return a.sendReceipt(ctx, m)
	}
	if m.Answers != "" {
		// A private reply to a pressed button: the message is the visible
		// answer; stop the button's spinner.
		if c := a.takePress(m.Answers); c != nil {
			_ = a.answer(ctx, c.query, "", false)
			c.once.Do(func() { close(c.done) })
		}
	}
	chat, err := strconv.ParseInt(m.Chat, 10, 64)
	if err != nil || chat == 0 {
		return fmt.Errorf("telegram: %q is not a Telegram chat id", m.Chat)
	}
	parts := splitText(m.Text, MaxText)
	if len(parts) == 0 {
		return errors.New("telegram: empty message text")
	}
	markup := a.keyboard(m.Buttons)
	lock := a.lockFor(a.sendMu, chat)
	lock.Lock()
	defer lock.Unlock()
	d := dest{chat: chat, private: m.Private || chat > 0}
	if m.Key != "" && len(parts) == 1 {
		return a.sendKeyed(ctx, d, m.Key, parts[0], markup)
	}
	return a.sendParts(ctx, d, parts, markup)
}

// dest is where a message goes: chat is the configured id (aliases map it
// to the current one at each call).
type dest struct {
	chat    int64
	private bool
}

func (d dest) group() bool { return !d.private }

func (a *Adapter) sendParts(ctx context.Context, d dest, parts []string, markup models.ReplyMarkup) error {
	// If part k failed after parts before it went out, the core sends the
	// whole message again: resume after what Telegram already has.
	pk := progressKey(d.chat, parts, markup)
	a.progMu.Lock()
	start := a.progress[pk]
	a.progMu.Unlock()
	for i := start; i < len(parts); i++ {
		var mk models.ReplyMarkup
		if i == len(parts)-1 {
			mk = markup // buttons under the last part
		}
		if _, err := a.sendOne(ctx, d, parts[i], mk); err != nil {
			if i > 0 {
				a.progMu.Lock()
				if len(a.progress) > 10000 { // abandoned messages: forget them
					clear(a.progress)
				}
				a.progress[pk] = i
				a.progMu.Unlock()
			}
			return err
		}
	}
	if start > 0 {
		a.progMu.Lock()
		delete(a.progress, pk)
		a.progMu.Unlock()
	}
	return nil
}

// sendKeyed posts a message that later ones with the same key replace (the
// live tally): the first is sent, the next edit it; an edit that would not
// change anything is skipped without calling Telegram.
func (a *Adapter) sendKeyed(ctx context.Context, d dest, key, text string, markup models.ReplyMarkup) error {
	sum := summary(text, markup)
	rec, err := a.st.keyed(d.chat, key)
	if err != nil {
		return fmt.Errorf("telegram: read message record: %w", err)
	}
	target := a.st.current(d.chat)
	if rec != nil && rec.Chat == target {
		if rec.Sum == sum {
			return nil
		}
		at, err := a.lim.wait(ctx, target, d.group(), a.opts.MaxQueueWait)
		if err != nil {
			return limitError(target, err)
		}
		cctx, cancel := context.WithTimeout(context.WithValue(ctx, decidedKey{}, at), a.opts.CallTimeout)
		_, err = a.api.EditMessageText(cctx, &tgbot.EditMessageTextParams{
			ChatID: target, MessageID: rec.ID, Text: text, ReplyMarkup: markup,
		})
		cancel()
		switch {
		case err == nil || notModified(err):
			rec.Sum = sum
			return a.saveKeyed(ctx, d.chat, key, *rec)
		case errors.Is(err, tgbot.ErrorBadRequest):
			// Deleted, too old or not editable: post it anew below.
			a.log.Debug("telegram edit refused; sending a new message", "chat", target, "err", a.redact(err))
		default:
			return a.sendError(d, target, err)
		}
	}
	msg, err := a.sendOne(ctx, d, text, markup)
	if err != nil {
		return err
	}
	if msg == nil {
		return nil // nothing to edit later; the next one is posted anew
	}
	return a.saveKeyed(ctx, d.chat, key, sent{Chat: msg.Chat.ID, ID: msg.ID, Sum: sum})
}

func (a *Adapter) saveKeyed(ctx context.Context, chat int64, key string, r sent) error {
	if r.Chat == 0 {
		r.Chat = a.st.current(chat)
	}
	if err := a.st.saveKeyed(ctx, chat, key, r); err != nil {
		// Telegram has the message; failing here would make the core send
		// it again. The next update just posts a new message.
		a.log.Warn("telegram: could not record a sent message for later edits", "err", err)
	}
	return nil
}

// sendOne sends one part, following a group's move to a supergroup once.
func (a *Adapter) sendOne(ctx context.Context, d dest, text string, markup models.ReplyMarkup) (*models.Message, error) {
	for attempt := 0; ; attempt++ {
		target := a.st.current(d.chat)
		at, err := a.lim.wait(ctx, target, d.group(), a.opts.MaxQueueWait)
		if err != nil {
			return nil, limitError(target, err)
		}
		cctx, cancel := context.WithTimeout(context.WithValue(ctx, decidedKey{}, at), a.opts.CallTimeout)
		msg, err := a.api.SendMessage(cctx, &tgbot.SendMessageParams{
			ChatID: target, Text: text, ReplyMarkup: markup,
		})
		cancel()
		if err == nil {
			if msg != nil && msg.Chat.ID != target {
				msg.Chat.ID = target // the emulator reports its own idea of the chat
			}
			return msg, nil
		}
		var mig *tgbot.MigrateError
		if errors.As(err, &mig) && attempt == 0 && mig.MigrateToChatID != 0 {
			if aerr := a.st.addAlias(ctx, target, int64(mig.MigrateToChatID)); aerr != nil {
				return nil, aerr
			}
			a.log.Info("telegram group upgraded to supergroup; sending there", "chat", d.chat, "now", mig.MigrateToChatID)
			continue
		}
		return nil, a.sendError(d, target, err)
	}
}

// sendError maps a Bot API error onto what the core understands.
func (a *Adapter) sendError(d dest, target int64, err error) error {
	err = a.redact(err)
	var tm *tgbot.TooManyRequestsError
	if errors.As(err, &tm) { // not IsTooManyRequestsError: it misses wrapped errors
		after := time.Duration(max(tm.RetryAfter, 1)) * time.Second
		a.lim.pauseChat(target, d.group(), after)
		return &bot.RetryAfterError{After: after, Err: fmt.Errorf("telegram: send to %d: %w", target, err)}
	}
	msg := strings.ToLower(err.Error())
	switch {
	case d.private && (errors.Is(err, tgbot.ErrorForbidden) ||
		(errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(msg, "chat not found"))):
		// Never started a chat with the bot, blocked it, or deleted the
		// account: the core keeps the notice and asks in the group.
		return fmt.Errorf("telegram: send to %d: %w: %v", target, bot.ErrCannotReach, err)
	case errors.Is(err, tgbot.ErrorForbidden) ||
		(errors.Is(err, tgbot.ErrorBadRequest) && (strings.Contains(msg, "chat not found") || strings.Contains(msg, "not enough rights"))):
		return fmt.Errorf("telegram: send to group %d: %w: %v", target, ErrNotInChat, err)
	}
	return fmt.Errorf("telegram: send to %d: %w", target, err)
}

// limitError turns a long wait for the chat's limit into the core's
// retry-after answer.
func limitError(target int64, err error) error {
	var w *waitTooLong
	if errors.As(err, &w) {
		return &bot.RetryAfterError{After: w.d, Err: fmt.Errorf("telegram: chat %d: %w", target, err)}
	}
	return err
}

func notModified(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "message is not modified")
}

// keyboard lays the core's buttons out as an inline keyboard: one row when
// they fit (赞成 / 反对 / 弃权), rows of three otherwise.
func (a *Adapter) keyboard(buttons []bot.Button) models.ReplyMarkup {
	var ok []models.InlineKeyboardButton
	for _, b := range buttons {
		if len(b.Data) == 0 || len(b.Data) > maxCallbackData || strings.TrimSpace(b.Label) == "" {
			// Telegram would refuse the whole message; typed replies still
			// work, so drop the button rather than the message.
			a.log.Warn("telegram: button dropped (empty label, or data empty or over 64 bytes)", "label", b.Label, "data_bytes", len(b.Data))
			continue
		}
		ok = append(ok, models.InlineKeyboardButton{Text: b.Label, CallbackData: b.Data})
	}
	if len(ok) == 0 {
		return nil
	}
	per := 3
	if len(ok) <= 4 {
		per = len(ok)
	}
	var rows [][]models.InlineKeyboardButton
	for len(ok) > 0 {
		n := min(per, len(ok))
		rows = append(rows, ok[:n])
		ok = ok[n:]
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

func summary(text string, markup models.ReplyMarkup) string {
	h := sha256.New()
	io.WriteString(h, text)
	if kb, ok := markup.(*models.InlineKeyboardMarkup); ok {
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				h.Write([]byte{0})
				io.WriteString(h, b.Text)
				h.Write([]byte{1})
				io.WriteString(h, b.CallbackData)
			}
			h.Write([]byte{2})
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func progressKey(chat int64, parts []string, markup models.ReplyMarkup) string {
	return strconv.FormatInt(chat, 10) + "/" + summary(strings.Join(parts, "\x00"), markup)
}
