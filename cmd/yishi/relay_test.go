package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestRelayToTheServingProcess: one platform account is read by one process
// (a Telegram token is polled once), but communities are spread over
// processes. A starts alone and serves both communities; B starts and A
// hands one over to it; a resident of that community then writes a whole
// proposal to A, and B — which serves it — holds the conversation and
// answers every step, A none; nothing is left in the inbox.
func TestRelayToTheServingProcess(t *testing.T) {
	base := pgBase(t)
	if testing.Short() {
		t.Skip("builds and runs two processes")
	}
	bin := buildBinary(t)
	cfg := villageConfigs(t, "v%d", 1, 2)
	dsn := pgSchema(t, base)
	start := func(name string) (io.WriteCloser, *lines, *lines) {
		cmd := exec.Command(bin, "run", "--config", cfg, "--store", dsn, "--data", filepath.Join(t.TempDir(), name), "--node", name)
		cmd.Env = append(os.Environ(), "YISHI_LOG=info")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
		return stdin, collect(stdout), collect(stderr)
	}
	waitFor := func(l *lines, re *regexp.Regexp, n int, what string) []string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			ms := re.FindAllStringSubmatch(l.text(), -1)
			if len(ms) >= n {
				var out []string
				for _, m := range ms {
					out = append(out, m[len(m)-1])
				}
				return out
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 60 s:\n%s", what, tail(l.text(), 3000))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	served := regexp.MustCompile(`community served by this process.* community=(v\d)`)
	handed := regexp.MustCompile(`community handed over to another process.* community=(v\d)`)

	aIn, aOut, aLog := start("a")
	waitFor(aLog, served, 2, "A serves both communities")
	_, bOut, bLog := start("b")
	moved := waitFor(bLog, served, 1, "B takes its share")[0]
	if got := waitFor(aLog, handed, 1, "A hands one over"); got[0] != moved {
		t.Fatalf("A handed over %s, B serves %s", got[0], moved)
	}
	n := strings.TrimPrefix(moved, "v")
	resident := "村民" + n
	before := len(aOut.text())
	for _, l := range []string{"提议", "村口修一座公交候车亭", "村口没有遮雨的地方，老人等车淋雨，希望修一座候车亭。", "全体村民", "1", "确认"} {
		fmt.Fprintf(aIn, "[私聊] %s: %s\n", resident, l)
	}
	filed := regexp.MustCompile(`\[私聊→` + resident + `\] 议事助手: .*(#1)`)
	waitFor(bOut, filed, 1, "B answers the relayed proposal with its number")
	time.Sleep(time.Second) // an answer from A too would show by now
	if after := aOut.text()[before:]; strings.Contains(after, resident) {
		t.Errorf("A answered messages for the community B serves:\n%s", after)
	}
	// Each of the six steps was answered once, by B.
	if got := strings.Count(bOut.text(), "[私聊→"+resident+"]"); got < 6 {
		t.Errorf("B answered %d of the 6 relayed steps:\n%s", got, tail(bOut.text(), 3000))
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var left int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM kv WHERE substring(key from 1 for 6) = 'inbox/'::bytea`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d relayed messages left in the inbox", left)
	}
}
