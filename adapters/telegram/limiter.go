package telegram

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits are the outgoing message rates. Every limiter has burst 1: a token
// bucket with burst b lets b-1 extra messages into any window, and the
// Telegram limits are stated per window.
type Limits struct {
	PerChat  rate.Limit // a private chat; Telegram: about 1 message/s
	PerGroup rate.Limit // a group; Telegram: 20 messages/min
	Global   rate.Limit // the whole bot; Telegram: about 30 messages/s
}

// DefaultLimits are Telegram's published limits.
func DefaultLimits() Limits {
	return Limits{PerChat: 1, PerGroup: rate.Every(3 * time.Second), Global: 30}
}

// limiter schedules sends. A chat's sends are serialised by its caller (one
// Send per chat at a time), so a chat limiter is only touched by one
// goroutine at a time; the global one is shared under gmu.
type limiter struct {
	clock  Clock
	limits Limits

	gmu         sync.Mutex // held while waiting for a global token: FIFO-ish, no thundering herd
	global      *rate.Limiter
	globalPause time.Time // a 429 without a chat: hold everything

	mu    sync.Mutex
	chats map[int64]*chatLimit
}

type chatLimit struct {
	lim   *rate.Limiter
	pause time.Time // until a 429's retry_after ends
}

func newLimiter(clock Clock, l Limits) *limiter {
	return &limiter{clock: clock, limits: l, global: rate.NewLimiter(l.Global, 1), chats: map[int64]*chatLimit{}}
}

func (l *limiter) chat(id int64, group bool) *chatLimit {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.chats[id]
	if c == nil {
		r := l.limits.PerChat
		if group && l.limits.PerGroup < r {
			r = l.limits.PerGroup
		}
		c = &chatLimit{lim: rate.NewLimiter(r, 1)}
		l.chats[id] = c
	}
	return c
}

// pauseChat holds the chat until now+d (a 429's retry_after).
func (l *limiter) pauseChat(id int64, group bool, d time.Duration) {
	c := l.chat(id, group)
	l.mu.Lock()
	if until := l.clock.Now().Add(d); until.After(c.pause) {
		c.pause = until
	}
	l.mu.Unlock()
}

// waitTooLong is returned by wait when a chat's next slot is further off
// than the caller will wait.
type waitTooLong struct{ d time.Duration }

func (e *waitTooLong) Error() string {
	return fmt.Sprintf("the chat's rate limit allows the next message in %s", e.d)
}

// wait blocks until one message may go to the chat and takes the tokens
// from the chat's and the global limiter at the moment it returns, which it
// returns. Tokens are taken at the time of the decision (not reserved
// ahead), so the decisions of each limiter are at least 1/rate apart however
// the waits of different chats interleave. If the chat's slot is more than
// maxWait away it returns *waitTooLong at once, taking nothing, so one busy
// group does not hold up a caller delivering to many chats.
func (l *limiter) wait(ctx context.Context, id int64, group bool, maxWait time.Duration) (time.Time, error) {
	c := l.chat(id, group)
	// The chat's token first: only this chat's sender takes it, so it can
	// only become more available while we queue for the global one.
	for {
		now := l.clock.Now()
		d := need(c.lim, now)
		l.mu.Lock()
		if p := c.pause.Sub(now); p > d {
			d = p
		}
		l.mu.Unlock()
		if d <= 0 {
			break
		}
		if d > maxWait {
			return time.Time{}, &waitTooLong{d}
		}
		if err := l.clock.Until(ctx, now.Add(d)); err != nil {
			return time.Time{}, err
		}
	}
	l.gmu.Lock()
	defer l.gmu.Unlock()
	for {
		now := l.clock.Now()
		d := need(l.global, now)
		if p := l.globalPause.Sub(now); p > d {
			d = p
		}
		if d <= 0 {
			l.global.AllowN(now, 1)
			c.lim.AllowN(now, 1)
			return now, nil
		}
		if err := l.clock.Until(ctx, now.Add(d)); err != nil {
			return time.Time{}, err
		}
	}
}

// need is how long until lim has a whole token at now.
func need(lim *rate.Limiter, now time.Time) time.Duration {
	tok := lim.TokensAt(now)
	if tok >= 1 {
		return 0
	}
	if lim.Limit() <= 0 {
		return time.Hour
	}
	d := time.Duration(math.Ceil((1 - tok) / float64(lim.Limit()) * float64(time.Second)))
	return max(d, time.Nanosecond)
}
