package telegram

import (
	"context"
	"time"
)

// Clock is the adapter's time: the limiters and backoffs use it, so tests
// and benchmarks can fake it.
type Clock interface {
	Now() time.Time
	// Until waits until t, or until ctx ends (then it returns ctx.Err()).
	// Waiting for an instant rather than a duration lets a fake clock jump
	// straight to it.
	Until(ctx context.Context, t time.Time) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Until(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// sleep waits d on c.
func sleep(ctx context.Context, c Clock, d time.Duration) error {
	return c.Until(ctx, c.Now().Add(d))
}

// decidedKey marks, in the context of an API call, when the limiter let the
// message go; a test server checks the limits against it.
type decidedKey struct{}
