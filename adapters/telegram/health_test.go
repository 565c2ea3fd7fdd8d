package telegram

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHealthyFollowsPolling: not healthy before getMe, unhealthy with the
// reason (and no token) while getUpdates fails, healthy again after a
// poll succeeds.
func TestHealthyFollowsPolling(t *testing.T) {
	srv := &fakeServer{t: t, failPoll: 2}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &stepClock{now: time.Unix(0, 0)}
	a := serverAdapter(t, hs.URL, nil, clock, nil)
	if err := a.Healthy(); err == nil || !strings.Contains(err.Error(), "尚未连接") {
		t.Fatalf("before Run: %v", err)
	}
	var seen []error
	clock.onWait = func(n int) {
		seen = append(seen, a.Healthy())
		if n >= 3 {
			cancel()
		}
	}
	if err := a.Run(ctx, &recorder{}); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 3 {
		t.Fatalf("%d waits, want 3", len(seen))
	}
	for i, err := range seen[:2] {
		if err == nil || !strings.Contains(err.Error(), "getUpdates 失败") || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("wait %d, after a failed poll: %v", i+1, err)
		}
	}
	if seen[2] != nil {
		t.Errorf("after a poll that succeeded: %v", seen[2])
	}
}
