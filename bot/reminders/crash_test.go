package reminders_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/storage"
)

// The crash tests run this test binary as a child process that opens the
// real app on badger, does one reminder run and delivers the outbox to a
// "platform" that appends each accepted message to a file, and kills itself
// with SIGKILL at the point under test. The parent restarts it on the same
// data and counts deliveries.

const (
	envChild = "YISHI_REMINDER_CRASH_CHILD" // data directory
	envKill  = "YISHI_REMINDER_CRASH_KILL"  // before_commit | before_send | after_send | ""
	envLog   = "YISHI_REMINDER_CRASH_LOG"   // deliveries file
)

var crashNow = time.Date(2027, 1, 4, 9, 30, 0, 0, shanghai)

func crashCommunity(t testing.TB) *config.Community {
	return community(t, "c1", "Asia/Shanghai", "0 9 * * *", "none")
}

func kill() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL); select {} }

// platform accepts a message by appending it, synced, to a file.
type platform struct {
	path string
	kill string
}

func (p *platform) Platform() string                             { return "console" }
func (p *platform) Run(ctx context.Context, _ bot.Handler) error { <-ctx.Done(); return nil }
func (p *platform) Send(_ context.Context, m bot.Outgoing) error {
	if p.kill == "before_send" {
		kill()
	}
	f, err := os.OpenFile(p.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	first, _, _ := strings.Cut(m.Text, "\n")
	fmt.Fprintf(f, "%s|%s\n", m.Chat, first)
	if err := f.Sync(); err != nil {
		return err
	}
	f.Close()
	if p.kill == "after_send" {
		kill()
	}
	return nil
}

// killingStore dies just before committing the batch that records reminders.
type killingStore struct{ bot.Store }

func (s killingStore) Commit(ctx context.Context, batch []bot.KV) error {
	for _, kv := range batch {
		if strings.HasPrefix(string(kv.Key), "remind/") {
			kill()
		}
	}
	return s.Store.Commit(ctx, batch)
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envChild)
	if dir == "" {
		t.Skip("only runs as the crash tests' child process")
	}
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var store bot.Store = db
	if os.Getenv(envKill) == "before_commit" {
		store = killingStore{db}
	}
	p := &platform{path: os.Getenv(envLog), kill: os.Getenv(envKill)}
	a, err := app.Open(context.Background(), app.Options{DataDir: dir, Store: store, Communities: []*config.Community{crashCommunity(t)},
		Adapters: []bot.Adapter{p}, Clock: fixedClock(crashNow)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	a.Flush(ctx) // what an earlier life left in the outbox
	if _, err := a.Reminders.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	a.Flush(ctx)
}

func runChild(t *testing.T, dir, log, killAt string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"="+dir, envKill+"="+killAt, envLog+"="+log)
	out, err := cmd.CombinedOutput()
	killed := false
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			killed = true
		}
	}
	switch {
	case killAt != "" && !killed:
		t.Fatalf("child was to die at %s but ended with %v:\n%s", killAt, err, out)
	case killAt == "" && err != nil:
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func deliveries(t *testing.T, log string) map[string]int {
	t.Helper()
	n := map[string]int{}
	f, err := os.Open(log)
	if os.IsNotExist(err) {
		return n
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n[sc.Text()]++
	}
	return n
}

// prepare writes the fixture: one item due in two days and a last run the
// day before, so the 9:00 slot of crashNow is due.
func prepare(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	loc := shanghai
	tp := implementing("c1", "1", loc, time.Date(2027, 1, 1, 10, 0, 0, 0, loc), bot.FollowUp{No: 1, Due: date(loc, 2027, 1, 6)})
	tp.AuditedBy = "v1"
	b, _ := json.Marshal(tp)
	last := time.Date(2027, 1, 3, 10, 0, 0, 0, loc).UTC().Format(time.RFC3339Nano)
	if err := db.Commit(context.Background(), []bot.KV{{Key: []byte("topic/c1/1"), Value: b}, {Key: []byte("remindrun/c1"), Value: []byte(last)}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCrashAtEachPoint kills the process at each point of a reminder's
// life, restarts it twice and counts what the platform accepted: nothing
// is lost, and a message is repeated only when the kill fell between the
// platform's acceptance and the outbox deletion.
func TestCrashAtEachPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	v1 := "监委甲c1|【落实跟进提醒】测试c1 2027年1月4日"
	v2 := "监委乙c1|【落实跟进提醒】测试c1 2027年1月4日"
	w := "委员c1|【落实事项提醒】测试c1 2027年1月4日" // the member responsible
	for _, tc := range []struct {
		killAt string
		want   map[string]int
	}{
		{"", map[string]int{v1: 1, v2: 1, w: 1}},
		{"before_commit", map[string]int{v1: 1, v2: 1, w: 1}}, // lost with its mark: queued again at restart
		{"before_send", map[string]int{v1: 1, v2: 1, w: 1}},   // queued and marked: the outbox delivers it
		{"after_send", map[string]int{v1: 2, v2: 1, w: 1}},    // accepted, not yet deleted: the one allowed repeat
	} {
		t.Run("kill_"+tc.killAt, func(t *testing.T) {
			dir := prepare(t)
			log := filepath.Join(t.TempDir(), "delivered.txt")
			runChild(t, dir, log, tc.killAt)
			runChild(t, dir, log, "")
			runChild(t, dir, log, "")
			got := deliveries(t, log)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("deliveries after kill %q and two restarts:\n got  %v\n want %v", tc.killAt, got, tc.want)
			}
		})
	}
}
