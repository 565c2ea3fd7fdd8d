package app

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// A handed-over message that could not reach a person waits; it is tried
// again at once when that person writes to the bot.
func TestGatewayRetryAndWake(t *testing.T) {
	var g gateway
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	g.failed("k1", "wxid_a", now, fmt.Errorf("send: %w", bot.ErrCannotReach))
	g.failed("k2", "wxid_b", now, errors.New("timeout"))
	if g.due("k1", now.Add(time.Hour)) {
		t.Error("an unreachable person's message is tried again within the hour")
	}
	if !g.due("k2", now.Add(time.Minute)) {
		t.Error("a message that failed once is not tried again after its short backoff")
	}
	g.wake("wxid_a")
	if !g.due("k1", now.Add(time.Second)) {
		t.Error("the message did not become ready when its person wrote to the bot")
	}
	g.sent("k1")
	if len(g.byChat) != 1 || len(g.tries) != 1 {
		t.Errorf("a sent message is still remembered: byChat %v tries %v", g.byChat, g.tries)
	}
}
