package app_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/cmd/yishi/app/metrics"
)

// fixedClock: the demo's morning, half an hour before its meeting.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var demoMorning = time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// flaky is an adapter whose connection state the test sets.
type flaky struct{ err error }

func (flaky) Platform() string                             { return "telegram" }
func (flaky) Run(ctx context.Context, _ bot.Handler) error { <-ctx.Done(); return nil }
func (flaky) Send(context.Context, bot.Outgoing) error     { return nil }
func (f *flaky) Healthy() error                            { return f.err }

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

// TestHealthz: 200 while the store is open and every adapter connected;
// 503 naming the adapter that is not, and 503 naming the store once it
// is closed.
func TestHealthz(t *testing.T) {
	tg := &flaky{}
	con := console.New(console.Options{In: strings.NewReader(""), Out: io.Discard})
	a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(t.TempDir(), "d"),
		Communities: []*config.Community{config.Sample()}, Adapters: []bot.Adapter{con, tg}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	h := a.NewHTTP()
	code, body := get(t, h, "/healthz")
	if code != http.StatusOK || !strings.HasPrefix(body, "ok\n") || !strings.Contains(body, "store: ok") || !strings.Contains(body, "telegram: ok") {
		t.Fatalf("healthy bot: %d\n%s", code, body)
	}
	tg.err = errors.New("Telegram getUpdates 失败 / Telegram getUpdates failed: timeout")
	code, body = get(t, h, "/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "telegram: Telegram getUpdates 失败") || !strings.Contains(body, "store: ok") {
		t.Fatalf("adapter down: %d\n%s", code, body)
	}
	tg.err = nil
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	code, body = get(t, h, "/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store: 存储无法读取") || !strings.Contains(body, "store unreadable") {
		t.Fatalf("store closed: %d\n%s", code, body)
	}
	if code, _ := get(t, h, "/metrics"); code != http.StatusNotFound {
		t.Fatalf("/metrics without Options.Metrics: %d, want 404", code)
	}
}

// playDemoUntilVote plays the demo script up to the opening of the vote.
func playDemoUntilVote(t testing.TB, a *app.App) {
	t.Helper()
	f, err := os.Open("../demo.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		l, err := console.ParseLine(line)
		if err != nil {
			t.Fatalf("demo line %q: %v", line, err)
		}
		if err := a.Handle(context.Background(), incoming(l)); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if strings.Contains(l.Text, "开始表决") {
			return
		}
	}
	t.Fatal("the demo script has no 开始表决 line")
}

func incoming(l console.Line) bot.Incoming {
	in := bot.Incoming{Platform: console.Platform, Sender: l.Sender, Name: l.Sender, Text: l.Text, Private: l.Private}
	if l.Private {
		in.Chat = console.PrivateChat(l.Sender)
	} else {
		in.Chat, in.ChatTitle = l.Chat, l.Chat
	}
	return in
}

func vote(t testing.TB, a *app.App, who, text string) {
	t.Helper()
	if err := a.Handle(context.Background(), bot.Incoming{Platform: console.Platform, Chat: "后陈村议事群", ChatTitle: "后陈村议事群",
		Sender: who, Name: who, Text: text}); err != nil {
		t.Fatal(err)
	}
}

// series returns the value of the sample line that starts with name
// (labels included), "" when absent.
func series(body, name string) string {
	for _, l := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(l, name+" "); ok {
			return rest
		}
	}
	return ""
}

// TestMetricsCountVote: /metrics counts a vote (the event, its
// acknowledgement latency), a refused vote by its code, messages in and
// out per platform, the outbox depth, the store size and the backup age;
// every series is named yishi_….
func TestMetricsCountVote(t *testing.T) {
	backups := t.TempDir()
	m := metrics.New()
	var out strings.Builder
	con := console.New(console.Options{In: strings.NewReader(""), Out: &out})
	a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(t.TempDir(), "d"),
		Communities: []*config.Community{config.Sample()}, Adapters: []bot.Adapter{con},
		Clock: fixedClock{demoMorning}, Metrics: m, Backup: &config.Backup{Schedule: "0 3 * * *", Dir: backups, Keep: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	h := a.NewHTTP()
	playDemoUntilVote(t, a)
	_, before := get(t, h, "/metrics")
	if v := series(before, `yishi_actions_total{kind="vote_cast",result="ok"}`); v != "" {
		t.Fatalf("a vote counted before anyone voted: %s", v)
	}
	if v := series(before, "yishi_backup_age_seconds"); v != "+Inf" {
		t.Fatalf("backup age with backups configured and none written: %q, want +Inf", v)
	}
	in0 := series(before, `yishi_messages_in_total{platform="console"}`)

	vote(t, a, "陈小龙", "赞成")
	vote(t, a, "路人甲", "赞成") // not on the roster: refused, nothing recorded
	backup := filepath.Join(backups, "yishi-20261201-030000.backup")
	if err := os.WriteFile(backup, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(backup, demoMorning.Add(-90*time.Minute), demoMorning.Add(-90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, h, "/metrics")
	for name, want := range map[string]string{
		`yishi_actions_total{kind="vote_cast",result="ok"}`: "1",
		`yishi_vote_ack_seconds_count`:                      "1",
		`yishi_backup_age_seconds`:                          "5400",
	} {
		if got := series(body, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if series(body, `yishi_actions_total{kind="message",result="forbidden"}`) == "" {
		t.Errorf("the refused vote is not counted:\n%s", grep(body, "yishi_actions_total"))
	}
	if in1 := series(body, `yishi_messages_in_total{platform="console"}`); in1 == "" || in1 == in0 {
		t.Errorf("messages in: before %s, after %s", in0, in1)
	}
	if d := series(body, "yishi_outbox_depth"); d == "" || d == "0" {
		t.Errorf("outbox depth before delivery = %q, want the queued receipts", d)
	}
	if s := series(body, "yishi_store_bytes"); s == "" || s == "0" {
		t.Errorf("store bytes = %q", s)
	}
	a.Flush(context.Background())
	_, body = get(t, h, "/metrics")
	if series(body, `yishi_messages_out_total{platform="console",result="sent"}`) == "" || series(body, "yishi_outbox_depth") != "0" {
		t.Errorf("after delivery:\n%s\n%s", grep(body, "yishi_messages_out"), grep(body, "yishi_outbox_depth"))
	}
	for _, l := range strings.Split(body, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "yishi_") {
			t.Errorf("series not named yishi_…: %s", l)
		}
	}
}

func grep(body, prefix string) string {
	var keep []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
