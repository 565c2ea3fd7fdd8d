package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// The gateway. Several processes share the store, but only one is logged
// in to a WeChat account (bot.Exclusive, SendsWithoutTurn false). A
// process serving a community whose message must go out on that account
// writes it, addressed, under sendvia/<platform>/ and counts it
// delivered; the process holding the platform's turn sends what is there,
// in order, and deletes each once the platform took it. A crash between
// the two steps sends a message twice at worst, never loses it.

const sendviaPrefix = "sendvia/"

var sendviaSeq atomic.Uint64

// gateway is the sending side's memory of failed tries.
type gateway struct {
	mu     sync.Mutex
	retry  map[string]time.Time // key → not before
	tries  map[string]int
	byChat map[string][]string // chat → keys waiting (woken when the chat writes to the bot)
	bad    sync.Map            // keys already logged as undecodable
}

// hasTurn reports whether this process holds platform's turn.
func (a *App) hasTurn(platform string) bool {
	turn, ok := a.turns[platform]
	if !ok {
		return true // no turn needed
	}
	select {
	case <-turn:
		return true
	default:
		return false
	}
}

// needsGateway reports whether a message on platform must be handed to
// the process holding its turn.
func (a *App) needsGateway(platform string) bool {
	if a.opts.Holder == "" {
		return false
	}
	_, gated := a.turns[platform]
	return gated && !a.hasTurn(platform)
}

// handToGateway writes out for the process holding its platform's turn.
func (a *App) handToGateway(ctx context.Context, out bot.Outgoing) error {
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s%s/%020d/%s/%08d", sendviaPrefix, out.Platform, time.Now().UnixNano(), a.opts.Node, sendviaSeq.Add(1)%1e8)
	return a.Store.Commit(ctx, []bot.KV{{Key: []byte(key), Value: b}})
}

// sendHandedOver sends the messages other processes handed to this one for
// the platforms whose turn it holds. Called with each relay poll.
func (a *App) sendHandedOver(ctx context.Context) {
	for p := range a.turns {
		if !a.hasTurn(p) {
			continue
		}
		ad := a.adapters[p]
		prefix := sendviaPrefix + p + "/"
		type item struct {
			key string
			out bot.Outgoing
		}
		var items []item
		err := a.Store.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
			var out bot.Outgoing
			if err := json.Unmarshal(v, &out); err != nil {
				if _, seen := a.gate.bad.LoadOrStore(string(k), true); !seen {
					a.log.Error("a handed-over message cannot be decoded; left in place", "key", string(k), "err", err)
				}
				return true, nil
			}
			items = append(items, item{string(k), out})
			return true, nil
		})
		if err != nil {
			a.log.Error("read handed-over messages", "platform", p, "err", err)
			continue
		}
		now := a.opts.Clock.Now()
		blocked := map[string]bool{} // a chat whose message waits: its later ones wait too
		for _, it := range items {
			chat := it.out.Chat
			if blocked[chat] || !a.gate.due(it.key, now) {
				blocked[chat] = true
				continue
			}
			err := ad.Send(ctx, it.out)
			if a.opts.Metrics != nil {
				a.opts.Metrics.MessageOut(p, err)
			}
			if err != nil {
				blocked[chat] = true
				a.gate.failed(it.key, chat, now, err)
				a.log.Warn("send a handed-over message failed; will retry", "platform", p, "chat", chat, "err", err)
				continue
			}
			if err := a.Store.Commit(context.WithoutCancel(ctx), []bot.KV{{Key: []byte(it.key)}}); err != nil {
				a.log.Error("record a handed-over message as sent", "key", it.key, "err", err)
				return
			}
			a.gate.sent(it.key)
		}
	}
}

func (g *gateway) due(key string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !now.Before(g.retry[key])
}

func (g *gateway) failed(key, chat string, now time.Time, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.retry == nil {
		g.retry, g.tries, g.byChat = map[string]time.Time{}, map[string]int{}, map[string][]string{}
	}
	if g.tries[key] == 0 {
		g.byChat[chat] = append(g.byChat[chat], key)
	}
	g.tries[key]++
	wait := min(maxBackoff, time.Second<<min(g.tries[key], 10))
	var ra *bot.RetryAfterError
	switch {
	case errors.As(err, &ra):
		wait = ra.After
	case errors.Is(err, bot.ErrCannotReach):
		wait = retryUnreachable
	}
	g.retry[key] = now.Add(wait)
}

func (g *gateway) sent(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.retry, key)
	delete(g.tries, key)
	for c, ks := range g.byChat {
		if i := slices.Index(ks, key); i >= 0 {
			if g.byChat[c] = slices.Delete(ks, i, i+1); len(g.byChat[c]) == 0 {
				delete(g.byChat, c)
			}
			break
		}
	}
}

// wake makes the handed-over messages waiting for chat ready now: the
// person wrote to the bot, so a private chat that could not be reached
// (WeChat: not yet a friend) may be reachable now.
func (g *gateway) wake(chat string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range g.byChat[chat] {
		delete(g.retry, k)
	}
}
