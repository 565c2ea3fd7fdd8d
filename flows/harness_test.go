package flows_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"os"
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

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/")

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// harness runs console scripts against a real app on a real badger in a
// temporary directory. Besides console lines, a script may contain
//
//	@advance 31m   move the clock forward and run the timers
//	@restart       close the app and open it again on the same data
type harness struct {
	t     *testing.T
	dir   string
	clock *clock
	comms []*config.Community
	out   bytes.Buffer
	app   *app.App
	con   *console.Adapter
}

var start = time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newHarness(t *testing.T, comms ...*config.Community) *harness {
	t.Helper()
	if len(comms) == 0 {
		comms = []*config.Community{config.Sample()}
	}
	h := &harness{t: t, dir: t.TempDir(), clock: &clock{t: start}, comms: comms}
	h.open()
	t.Cleanup(func() { h.app.Close() })
	return h
}

func (h *harness) open() {
	h.t.Helper()
	h.con = console.New(console.Options{Out: &h.out, Clock: h.clock})
	a, err := app.Open(context.Background(), app.Options{DataDir: h.dir, Communities: h.comms,
		Adapters: []bot.Adapter{h.con}, Clock: h.clock})
	if err != nil {
		h.t.Fatalf("open app: %v", err)
	}
	h.app = a
}

// run plays a script and returns the transcript (input lines and answers).
func (h *harness) run(script string) string {
	h.t.Helper()
	ctx := context.Background()
	var chunk strings.Builder
	flush := func() {
		if chunk.Len() == 0 {
			return
		}
		in := console.New(console.Options{In: strings.NewReader(chunk.String()), Out: &h.out, Clock: h.clock, Echo: true,
			AfterLine: func(ctx context.Context) { h.app.Flush(ctx) }})
		if err := in.Run(ctx, h.app); err != nil {
			h.t.Fatalf("run script: %v", err)
		}
		chunk.Reset()
	}
	sc := bufio.NewScanner(strings.NewReader(script))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "@advance "):
			flush()
			d, err := time.ParseDuration(strings.TrimPrefix(line, "@advance "))
			if err != nil {
				h.t.Fatalf("bad @advance: %v", err)
			}
			h.clock.advance(d)
			h.out.WriteString(line + "\n")
			if err := h.app.Flows.Tick(ctx); err != nil {
				h.t.Fatalf("tick: %v", err)
			}
			h.app.Flush(ctx)
		case line == "@restart":
			flush()
			h.out.WriteString(line + "\n")
			if err := h.app.Close(); err != nil {
				h.t.Fatalf("close: %v", err)
			}
			h.open()
			h.app.Flush(ctx)
		default:
			chunk.WriteString(line + "\n")
		}
	}
	flush()
	s := h.out.String()
	h.out.Reset()
	return s
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if string(want) != got {
		t.Errorf("transcript differs from %s (run go test ./flows -update and review the diff):\n%s", path, diff(string(want), got))
	}
}

// diff shows the first differing lines.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + itoa(i+1) + ":\n  want: " + a + "\n  got:  " + b
		}
	}
	return "(same lines, different ending)"
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func readScript(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
