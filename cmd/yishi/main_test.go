package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestDemoGolden: the demo plays a whole deliberation; with a fixed clock
// its transcript is the same on every run.
func TestDemoGolden(t *testing.T) {
	out, errOut, code := run(t, "", "demo", "--at", "2026-12-01T10:00:00+08:00")
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, errOut)
	}
	path := filepath.Join("testdata", "demo.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != out {
		t.Errorf("demo transcript differs from %s; run go test ./cmd/yishi -run TestDemoGolden -update and review the diff", path)
	}
	for _, must := range []string{"结果：通过", "公示", "协商记录员签字", "落实事项 #1"} {
		if !strings.Contains(out, must) {
			t.Errorf("demo lacks %q", must)
		}
	}
}

// TestDemoKeepsData: demo --data keeps a data directory that record and
// audit verify can read afterwards.
func TestDemoKeepsData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if _, e, code := run(t, "", "demo", "--data", dir); code != 0 {
		t.Fatalf("demo: %s", e)
	}
	out, e, code := run(t, "", "record", "1", "--data", dir)
	if code != 0 || !strings.Contains(out, "城乡社区议事协商记录表") || !strings.Contains(out, "赞成人数：10 人") {
		t.Fatalf("record: code %d\n%s\n%s", code, out, e)
	}
	html, _, code := run(t, "", "record", "1", "--html", "--data", dir)
	if code != 0 || !strings.Contains(html, "<html") {
		t.Fatalf("record --html: code %d", code)
	}
	out, e, code = run(t, "", "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "审计链完整") {
		t.Fatalf("audit verify: code %d\n%s\n%s", code, out, e)
	}
	_, e, code = run(t, "", "record", "99", "--data", dir)
	if code == 0 || !strings.Contains(e, "#99") {
		t.Fatalf("record of a missing topic: code %d, %s", code, e)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one poller.
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

// TestSecondProcessRefused: the data directory is locked while open: a
// second bot is refused, and a reading tool is answered by the running
// bot over its control socket.
func TestSecondProcessRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	r, w, _ := os.Pipe()
	defer w.Close()
	done := make(chan int)
	var firstErr syncBuffer
	go func() {
		var out bytes.Buffer
		done <- Main(context.Background(), []string{"--data", dir}, r, &out, &firstErr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(firstErr.String(), "已启动") {
		if time.Now().After(deadline) {
			t.Fatalf("the first process did not start: %s", firstErr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, e, code := run(t, "", "--data", dir)
	if code == 0 || !strings.Contains(e, "another yishi process") || !strings.Contains(e, dir) {
		t.Fatalf("second process: code %d, stderr %q", code, e)
	}
	_, e, code = run(t, "", "record", "1", "--data", dir)
	if code == 0 || !strings.Contains(e, "控制套接字") || !strings.Contains(e, "没有") {
		t.Fatalf("record while the bot runs: code %d, stderr %q (want the running bot's answer: no topic #1)", code, e)
	}
	w.Close()
	if c := <-done; c != 0 {
		t.Fatalf("first process exit %d: %s", c, firstErr.String())
	}
}

func TestUsage(t *testing.T) {
	if _, e, code := run(t, "", "nonsense"); code != 2 || !strings.Contains(e, "未知的命令") {
		t.Fatalf("unknown command: %d %q", code, e)
	}
	if _, _, code := run(t, "", "record"); code != 2 {
		t.Fatalf("record without topic: %d", code)
	}
}

// TestSecondOpinionFlag: a second-opinion file that does not confirm the
// text may leave the machine is refused at start, with the reason.
func TestSecondOpinionFlag(t *testing.T) {
	f := filepath.Join(t.TempDir(), "opinion.yaml")
	if err := os.WriteFile(f, []byte("enabled: true\nendpoint: http://127.0.0.1:1/v1\nmodel: m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "", "run", "--data", filepath.Join(t.TempDir(), "d"), "--second-opinion", f)
	if code != 2 || !strings.Contains(errOut, "send_proposal_text") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
