package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/bot"
)

// allowedUpdates are the update kinds the adapter asks for.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}

// runPolling is the long-polling loop. The offset sent to getUpdates is what
// confirms updates to Telegram, so it only moves past a batch once the batch
// has been handled.
func (a *Adapter) runPolling(ctx context.Context, h bot.Handler) error {
	// A webhook left set makes getUpdates answer 409.
	cctx, cancel := context.WithTimeout(ctx, a.opts.CallTimeout)
	if _, err := a.api.DeleteWebhook(cctx, &tgbot.DeleteWebhookParams{}); err != nil && ctx.Err() == nil {
		a.log.Warn("telegram deleteWebhook failed", "err", a.redact(err))
	}
	cancel()
	offset, err := a.st.offset()
	if err != nil {
		return fmt.Errorf("telegram: read offset: %w", err)
	}
	var wait time.Duration
	for ctx.Err() == nil {
		ups, err := a.getUpdates(ctx, offset+1)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			a.health.set(unhealthy("getUpdates", err))
			if errors.Is(err, tgbot.ErrorUnauthorized) {
				return fmt.Errorf("telegram: the bot token was rejected while polling (%v); check %s", err, EnvToken)
			}
			var tm *tgbot.TooManyRequestsError
			if errors.As(err, &tm) {
				wait = time.Duration(max(tm.RetryAfter, 1)) * time.Second
			} else {
				wait = backoff(wait, 200*time.Millisecond, 30*time.Second)
			}
			a.log.Warn("telegram getUpdates failed; retrying", "err", err, "in", wait)
			if sleep(ctx, a.clock, wait) != nil {
				return nil
			}
			continue
		}
		wait = 0
		a.health.set(nil)
		// Telegram never resends what an offset confirmed, but be safe
		// with servers that ignore the offset.
		fresh := ups[:0]
		for _, u := range ups {
			if u != nil && u.ID > offset {
				fresh = append(fresh, u)
			}
		}
		if len(fresh) == 0 {
			if sleep(ctx, a.clock, a.opts.PollGap) != nil {
				return nil
			}
			continue
		}
		done := a.processBatch(ctx, h, fresh)
		if done > offset {
			// Saved even when shutting down: what was handled is done.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			err := a.st.saveOffset(sctx, done)
			cancel()
			if err != nil {
				// Without the offset saved a restart would redeliver, which
				// the core ignores; still worth a loud log.
				a.log.Error("telegram: could not save the polling offset", "err", err)
			} else {
				offset = done
			}
		}
		if done < fresh[len(fresh)-1].ID && ctx.Err() == nil {
			// Part of the batch failed: Telegram redelivers it from done+1.
			wait = backoff(wait, time.Second, 30*time.Second)
			if sleep(ctx, a.clock, wait) != nil {
				return nil
			}
		}
	}
	return nil
}

// getUpdates calls the Bot API itself (the library keeps its getUpdates
// loop private), as JSON, with the long-polling timeout.
func (a *Adapter) getUpdates(ctx context.Context, offset int64) ([]*models.Update, error) {
	timeout := a.opts.pollTimeout()
	body, err := json.Marshal(map[string]any{
		"offset": offset, "timeout": int(timeout / time.Second), "allowed_updates": allowedUpdates,
	})
	if err != nil {
		return nil, err
	}
	// Past the long-poll timeout plus a grace the server is hanging: give up
	// and back off rather than wait forever.
	ctx, cancel := context.WithTimeout(ctx, timeout+min(15*time.Second, timeout))
	defer cancel()
	u := strings.TrimRight(a.opts.apiURL(), "/") + "/bot" + a.opts.Token + "/getUpdates"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %w", a.redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %w", a.redact(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: read: %w", a.redact(err))
	}
	var r struct {
		OK          bool             `json:"ok"`
		Result      []*models.Update `json:"result"`
		Description string           `json:"description"`
		ErrorCode   int              `json:"error_code"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("getUpdates: HTTP %d, undecodable answer: %w", resp.StatusCode, err)
	}
	if !r.OK {
		return nil, apiError(r.ErrorCode, r.Description, r.Parameters.RetryAfter)
	}
	return r.Result, nil
}

// apiError builds the library's error values for an error answer, so one
// set of errors.Is/As checks serves both our calls and the library's.
func apiError(code int, desc string, retryAfter int) error {
	switch code {
	case http.StatusUnauthorized:
		return fmt.Errorf("getUpdates: %w, %s", tgbot.ErrorUnauthorized, desc)
	case http.StatusConflict:
		return fmt.Errorf("getUpdates: %w, %s (another instance polling, or a webhook set)", tgbot.ErrorConflict, desc)
	case http.StatusTooManyRequests:
		return fmt.Errorf("getUpdates: %w", &tgbot.TooManyRequestsError{Message: desc, RetryAfter: retryAfter})
	case http.StatusNotFound:
		return fmt.Errorf("getUpdates: %w, %s", tgbot.ErrorNotFound, desc)
	}
	return fmt.Errorf("getUpdates: error %d: %s", code, desc)
}

// processBatch handles updates (sorted by id): chats in parallel, each
// chat's updates in order. It returns the id up to which every update was
// handled: the last one, or the one before the first failure.
func (a *Adapter) processBatch(ctx context.Context, h bot.Handler, ups []*models.Update) int64 {
	m, _ := a.self()
	now := a.clock.Now()
	// Aliases first, so later updates of the batch already map the new
	// supergroup id to the configured one.
	for _, u := range ups {
		if msg := u.Message; msg != nil && (msg.MigrateToChatID != 0 || msg.MigrateFromChatID != 0) {
			from, to := msg.Chat.ID, msg.MigrateToChatID
			if msg.MigrateFromChatID != 0 {
				from, to = msg.MigrateFromChatID, msg.Chat.ID
			}
			if err := a.st.addAlias(ctx, from, to); err != nil {
				a.log.Error("telegram: group migration not recorded", "from", from, "to", to, "err", err)
				return u.ID - 1
			}
			a.log.Info("telegram group upgraded to supergroup; keeping the configured chat id", "chat", a.st.original(from), "now", to)
		}
	}
	var order []int64
	byChat := map[int64][]event{}
	for _, u := range ups {
		ev := m.translate(u, a.st.original, now)
		if ev.callback != "" && ev.in != nil {
			// A press is answered within ReceiptWait of its arrival, with
			// its receipt or 已收到, however long its chat's queue is.
			// Registered now: the receipt may come before handle returns.
			p := a.openPress(ev.in.ID, ev.callback)
			go a.awaitReceipt(ctx, ev.in.ID, p, now.Add(a.opts.ReceiptWait))
		}
		if _, ok := byChat[ev.chat]; !ok {
			order = append(order, ev.chat)
		}
		byChat[ev.chat] = append(byChat[ev.chat], ev)
	}
	var (
		mu     sync.Mutex
		failed = int64(math.MaxInt64)
		wg     sync.WaitGroup
		sem    = make(chan struct{}, a.opts.Workers)
	)
	for _, chat := range order {
		evs := byChat[chat]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			lock := a.lockFor(a.inMu, chat)
			lock.Lock()
			defer lock.Unlock()
			for _, ev := range evs {
				if err := a.handleEvent(ctx, h, ev); err != nil {
					mu.Lock()
					failed = min(failed, ev.updateID)
					mu.Unlock()
					return // later updates of this chat wait for the redelivery
				}
			}
		}()
	}
	wg.Wait()
	if failed == math.MaxInt64 {
		return ups[len(ups)-1].ID
	}
	return failed - 1
}

// handleEvent does what one update asks. It returns an error only when the
// update must be delivered again (the handler failed internally and ctx
// ended before a retry could succeed).
func (a *Adapter) handleEvent(ctx context.Context, h bot.Handler, ev event) error {
	if ev.removed {
		a.log.Warn("telegram bot was removed from a group; messages for it will fail until it is added back", "chat", ev.chat)
	}
	if ev.added {
		// What an operator setting up needs: the chat id for the
		// community file.
		a.log.Warn("telegram bot added to a group; to serve it, list it in the community file's groups with platform: telegram and this chat id (quoted)",
			"chat", strconv.FormatInt(ev.chat, 10), "title", ev.title)
		if err := a.notice(ctx, ev.chat, true); err != nil {
			a.log.Warn("telegram: could not explain privacy mode in group", "chat", ev.chat, "err", err)
		}
	}
	if ev.note != "" {
		a.tell(ctx, ev.noteChat, ev.note)
	}
	if ev.in == nil {
		if ev.skip != "" {
			a.log.Debug("telegram update ignored", "update", ev.updateID, "why", ev.skip)
		}
		a.answer(ctx, ev.callback, "", false)
		return nil
	}
	if _, privacy := a.self(); privacy && !ev.in.Private {
		// A group not configured at start (NoticeChats) is told on its
		// first message what the bot cannot see there.
		if err := a.notice(ctx, ev.chat, false); err != nil {
			a.log.Warn("telegram: could not explain privacy mode in group", "chat", ev.chat, "err", err)
		}
		if opensStatements(ev.in.Text) {
			// A meeting minutes what members say in the group: it must not
			// open while the bot cannot hear them.
			if ok, why := a.CanHearAll(ctx, ev.in.Chat); !ok {
				text := "现在不能开始协商：" + why
				a.refusePress(ctx, ev, text)
				a.tell(ctx, ev.chat, text)
				return nil
			}
		}
	}
	err := a.handle(ctx, h, *ev.in)
	switch {
	case err == nil:
	case bot.ErrorCode(err) != bot.EINTERNAL:
		// A refusal under the rules: the core explained it; a button press
		// also gets it as a pop-up, since a press shows no message.
		a.log.Debug("telegram update refused by the core", "update", ev.updateID, "err", err)
		a.refusePress(ctx, ev, bot.ErrorMessage(err))
	case ctx.Err() != nil:
		return err // shutting down: leave it unconfirmed for the next start
	default:
		a.log.Error("telegram update failed; giving up on it", "update", ev.updateID, "chat", ev.chat, "err", err)
		a.refusePress(ctx, ev, bot.ErrorMessage(err))
		a.tell(ctx, ev.chat, bot.ErrorMessage(err))
	}
	return nil
}

// handle calls the core, retrying internal errors a few times.
func (a *Adapter) handle(ctx context.Context, h bot.Handler, in bot.Incoming) error {
	var wait time.Duration
	for attempt := 1; ; attempt++ {
		err := h.Handle(ctx, in)
		if err == nil || bot.ErrorCode(err) != bot.EINTERNAL || attempt == 4 || ctx.Err() != nil {
			return err
		}
		wait = backoff(wait, 200*time.Millisecond, 2*time.Second)
		a.log.Warn("telegram update failed; retrying", "update", in.ID, "err", err, "in", wait)
		if sleep(ctx, a.clock, wait) != nil {
			return err
		}
	}
}

// tell sends the adapter's own short answer into a chat; failures are
// logged.
func (a *Adapter) tell(ctx context.Context, chat int64, text string) {
	private := chat > 0
	if err := a.Send(ctx, bot.Outgoing{Platform: Platform, Chat: fmt.Sprint(chat), Private: private, Text: text}); err != nil && ctx.Err() == nil {
		a.log.Warn("telegram: could not send a notice", "chat", chat, "err", err)
	}
}
