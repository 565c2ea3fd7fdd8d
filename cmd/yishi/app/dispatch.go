package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
)

// How long undeliverable messages wait before another try.
const (
	retryUnreachable = 6 * time.Hour // the person has not opened a private chat yet (woken early when they do)
	retryNoIdentity  = time.Hour     // no platform knows the member
	maxBackoff       = 10 * time.Minute
	askAgainAfter    = 24 * time.Hour
)

func (a *App) dispatchLoop(ctx context.Context) {
	timer := time.NewTimer(time.Second)
	defer timer.Stop()
	for {
		a.Flush(ctx)
		wait := time.Minute
		if next := a.Engine.OutboxNextRetry(); !next.IsZero() {
			wait = min(wait, max(10*time.Millisecond, next.Sub(a.opts.Clock.Now())))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-a.Engine.OutboxSignal():
		case <-timer.C:
		}
	}
}

// Flush delivers every queued message that can be delivered now, in order,
// and returns when none is left that is ready.
func (a *App) Flush(ctx context.Context) {
	a.deliverMu.Lock()
	defer a.deliverMu.Unlock()
	for ctx.Err() == nil {
		batch := a.Engine.OutboxReady(a.opts.Clock.Now(), 256)
		if len(batch) == 0 {
			return
		}
		var done []uint64
		for _, e := range batch {
			if a.deliver(ctx, e) {
				done = append(done, e.Seq)
			}
		}
		// Record deliveries even when shutting down: a message the platform
		// accepted must not be sent again after a restart.
		if err := a.Engine.OutboxDone(context.WithoutCancel(ctx), done...); err != nil {
			a.log.Error("record delivered messages", "err", err)
			return
		}
	}
}

// deliver tries one message; false means it was put back for later.
func (a *App) deliver(ctx context.Context, e engine.OutboxEntry) bool {
	out := e.Out
	now := a.opts.Clock.Now()
	if out.Member != "" {
		resolved, ok := a.resolveMember(out)
		if !ok {
			a.log.Warn("no platform knows this member; the message waits", "community", out.Community, "member", out.Member)
			a.Engine.OutboxRetry(e.Seq, now.Add(retryNoIdentity))
			return false
		}
		out = resolved
	}
	ad := a.adapters[out.Platform]
	if ad == nil {
		a.log.Warn("no adapter for platform; the message waits", "platform", out.Platform)
		a.Engine.OutboxRetry(e.Seq, now.Add(retryNoIdentity))
		return false
	}
	if a.needsGateway(out.Platform) {
		// Only the process logged in to the account can send: it is
		// handed over through the store (gateway.go).
		if err := a.handToGateway(ctx, out); err != nil {
			a.log.Warn("hand a message to the process that sends on the platform; will retry", "platform", out.Platform, "err", err)
			a.Engine.OutboxRetry(e.Seq, now.Add(min(maxBackoff, time.Second<<min(e.Attempts(), 10))))
			return false
		}
		return true
	}
	err := ad.Send(ctx, out)
	if a.opts.Metrics != nil {
		a.opts.Metrics.MessageOut(out.Platform, err)
	}
	var ra *bot.RetryAfterError
	switch {
	case err == nil:
		return true
	case errors.Is(err, bot.ErrCannotReach):
		a.Engine.OutboxRetry(e.Seq, now.Add(retryUnreachable))
		if out.Member != "" {
			a.Engine.MarkUnreachable(out.Community, out.Member) // on the recorder's checklist after 公示
		}
		a.askToOpenChat(ctx, out)
	case errors.As(err, &ra):
		a.Engine.OutboxRetry(e.Seq, now.Add(ra.After))
	default:
		backoff := min(maxBackoff, time.Second<<min(e.Attempts(), 10))
		a.log.Warn("send failed; will retry", "platform", out.Platform, "attempt", e.Attempts()+1, "backoff", backoff, "err", err)
		a.Engine.OutboxRetry(e.Seq, now.Add(backoff))
	}
	return false
}

// resolveMember addresses a private message to the member's identity on
// the first platform (in the community's group order, then adapter order)
// that knows them.
func (a *App) resolveMember(out bot.Outgoing) (bot.Outgoing, bool) {
	var platforms []string
	a.Engine.Read(func(tx *engine.Tx) {
		if c := tx.Community(out.Community); c != nil {
			for _, g := range c.Groups {
				platforms = append(platforms, g.Platform)
			}
		}
	})
	platforms = append(platforms, a.order...)
	for _, p := range platforms {
		if a.adapters[p] == nil || a.isDown(p) {
			continue
		}
		var id string
		a.Engine.Read(func(tx *engine.Tx) { id = tx.Identity(out.Community, out.Member, p) })
		if id != "" {
			out.Platform, out.Chat, out.Private = p, id, true
			return out, true
		}
	}
	return out, false
}

// askToOpenChat posts, at most once a day per member, a short group
// message asking them to open a private chat with the bot so that their
// notices can reach them.
func (a *App) askToOpenChat(ctx context.Context, out bot.Outgoing) {
	key := out.Community + "/" + out.Member
	now := a.opts.Clock.Now()
	if last, ok := a.asked[key]; ok && now.Sub(last) < askAgainAfter {
		return
	}
	a.asked[key] = now
	_, err := a.Engine.Do(ctx, "", func(tx *engine.Tx) error {
		how := "请先私聊我发一条任意消息(点我的头像→发消息)"
		if out.Platform == "wechat" {
			how = "请先加我为微信好友(在群里点我的头像→添加到通讯录)，再私聊我发一条消息"
		}
		if sl, ok := a.adapters[out.Platform].(bot.StartLinker); ok {
			if link := sl.StartLink(out.Community); link != "" {
				how = "请先私聊我：点 " + link + " 打开与我的私聊并按「开始」"
			}
		}
		name := tx.Name(out.Community, out.Member)
		tx.ToGroup(out.Community, nil, fmt.Sprintf("%s，您有议事通知没能私聊送达。%s，通知会马上补发给您。", name, how))
		// The secretary sees who cannot be reached privately, so someone
		// can tell them in person or by phone.
		if c := tx.Community(out.Community); c != nil {
			for _, s := range c.WithRole(bot.RoleSecretary) {
				if s.ID != out.Member {
					tx.ToMember(out.Community, s.ID, fmt.Sprintf("【提醒】%s还不能私聊收到议事通知(没有打开与机器人的私聊)，已在群里提醒；如需要，请电话或当面告知。", name))
				}
			}
		}
		return nil
	})
	if err != nil {
		a.log.Error("ask member to open a private chat", "err", err)
	}
}
