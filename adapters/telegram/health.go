package telegram

import (
	"errors"
	"fmt"
	"sync"
)

// health is the adapter's last known connection state for /healthz: set by
// getMe, every getUpdates and setWebhook.
type health struct {
	mu  sync.Mutex
	err error
}

var errNotConnected = errors.New("尚未连接到 Telegram(getMe 还没有成功) / not connected to Telegram yet")

func (h *health) set(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

// Healthy is nil once the Bot API answered and while the last poll (or
// the webhook registration) succeeded (bot.Healther).
func (a *Adapter) Healthy() error {
	a.health.mu.Lock()
	defer a.health.mu.Unlock()
	return a.health.err
}

// unhealthy is the reason given when a call to the Bot API failed; err is
// already redacted (no token).
func unhealthy(call string, err error) error {
	return fmt.Errorf("调用 Telegram %s 失败 / calling Telegram %s failed: %v", call, call, err)
}
