package telegram

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// windowViolations counts, per key, the moments where more than n events
// fall in a half-open window of length w.
func windowViolations(times []time.Time, n int, w time.Duration) int {
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	bad := 0
	for i := range times {
		if i+n < len(times) && times[i+n].Sub(times[i]) < w {
			bad++
		}
	}
	return bad
}

func TestLimiterRespectsEveryLimit(t *testing.T) {
	clock := newVirtualClock()
	l := newLimiter(clock, DefaultLimits())
	ctx := context.Background()
	start := clock.Now()
	var all []time.Time
	per := map[int64][]time.Time{}
	// Three messages each to 50 groups and 20 private chats, interleaved
	// the way a dispatcher might hand them over.
	for round := range 3 {
		for c := range 70 {
			id, group := int64(1000+c), false
			if c < 50 {
				id, group = -int64(1000+c), true
			}
			at, err := l.wait(ctx, id, group, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			_ = round
			all = append(all, at)
			per[id] = append(per[id], at)
		}
	}
	if v := windowViolations(all, 30, time.Second); v != 0 {
		t.Errorf("%d windows of 1s with more than 30 messages", v)
	}
	for id, ts := range per {
		if id < 0 {
			if v := windowViolations(ts, 20, time.Minute); v != 0 {
				t.Errorf("group %d: more than 20 messages in a minute", id)
			}
			if v := windowViolations(ts, 1, 3*time.Second); v != 0 {
				t.Errorf("group %d: messages closer than 3s", id)
			}
		} else if v := windowViolations(ts, 1, time.Second); v != 0 {
			t.Errorf("private chat %d: more than 1 message a second", id)
		}
	}
	// 210 messages at 30/s take at least 209/30 s; the group spacing
	// (3 rounds, 3s apart) makes it at least 6s. Not much more.
	took := clock.Now().Sub(start)
	if took < 209*time.Second/30 || took > 12*time.Second {
		t.Errorf("210 messages took %v of virtual time", took)
	}
}

func TestLimiterPauseAfter429(t *testing.T) {
	clock := newVirtualClock()
	l := newLimiter(clock, Limits{PerChat: rate.Inf, PerGroup: rate.Inf, Global: rate.Inf})
	ctx := context.Background()
	t0, _ := l.wait(ctx, 7, false, time.Hour)
	l.pauseChat(7, false, 5*time.Second)
	t1, _ := l.wait(ctx, 7, false, time.Hour)
	if got := t1.Sub(t0); got < 5*time.Second {
		t.Errorf("after a 429 with retry_after 5s the next message went after %v", got)
	}
	t2, _ := l.wait(ctx, 8, false, time.Hour) // other chats are not held
	if t2.After(t1) {
		t.Errorf("another chat waited for the paused one")
	}
}

func TestLimiterHonoursContext(t *testing.T) {
	l := newLimiter(realClock{}, Limits{PerChat: rate.Every(time.Hour), PerGroup: rate.Every(time.Hour), Global: 30})
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := l.wait(ctx, 1, false, time.Hour); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := l.wait(ctx, 1, false, time.Hour); err == nil {
		t.Fatal("wait on a cancelled context returned nil")
	}
}

func TestLimiterAnswersRetryAfterBeyondMaxWait(t *testing.T) {
	clock := newVirtualClock()
	l := newLimiter(clock, DefaultLimits())
	ctx := context.Background()
	if _, err := l.wait(ctx, -5, true, time.Second); err != nil {
		t.Fatal(err)
	}
	before := clock.Now()
	_, err := l.wait(ctx, -5, true, time.Second)
	var w *waitTooLong
	if !errors.As(err, &w) || w.d != 3*time.Second {
		t.Fatalf("second group message within 3s: err = %v, want a 3s waitTooLong", err)
	}
	if !clock.Now().Equal(before) {
		t.Error("wait slept although it answered at once")
	}
	if _, err := l.wait(ctx, -6, true, time.Second); err != nil { // other groups go on
		t.Fatal(err)
	}
}
