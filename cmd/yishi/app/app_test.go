package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

// brokenPlatform stops at once, as a WeChat adapter does when logged out.
type brokenPlatform struct{}

func (brokenPlatform) Platform() string { return "wechat" }
func (brokenPlatform) Run(context.Context, bot.Handler) error {
	return errors.New("logged out (ret 1101)")
}
func (brokenPlatform) Send(context.Context, bot.Outgoing) error { return errors.New("not connected") }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestPlatformDownAlertsCadres: when one platform stops, the secretary and
// the director are told through another one that still works.
func TestPlatformDownAlertsCadres(t *testing.T) {
	var out syncBuffer
	in, w := ioPipe()
	con := console.New(console.Options{In: in, Out: &out})
	a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(t.TempDir(), "d"),
		Communities: []*config.Community{config.Sample()}, Adapters: []bot.Adapter{brokenPlatform{}, con}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error)
	go func() { done <- a.Run(context.Background()) }()
	deadline := time.Now().Add(10 * time.Second)
	for !(strings.Contains(out.String(), "[私聊→张建国]") && strings.Contains(out.String(), "[私聊→陈志强]")) {
		if time.Now().After(deadline) {
			t.Fatalf("no alert to the secretary and director:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "微信连接已停止") {
		t.Fatalf("alert text:\n%s", out.String())
	}
	w.Close()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "wechat") {
		t.Fatalf("Run should report the stopped platform, got %v", err)
	}
}

func ioPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }
