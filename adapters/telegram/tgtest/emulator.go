package tgtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvEmulator names the environment variable holding the emulator's entry
// point (…/node_modules/telegram-test-api/lib/index.js).
const EnvEmulator = "YISHI_TG_EMULATOR"

// Emulator is a running telegram-test-api server.
type Emulator struct {
	URL   string // base URL, e.g. http://127.0.0.1:41234
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
}

// startScript starts the emulator on a free port and prints it. The server
// is created with a dummy port and then told port 0 because the emulator
// treats 0 as "use the default 9000". It exits when its stdin closes, so it
// never outlives the test binary.
const startScript = `
const TelegramServer = require(process.argv[1]);
const s = new TelegramServer({host: '127.0.0.1', port: 1, storeTimeout: 86400});
s.config.port = 0;
s.start().then(() => {
  process.stdout.write('LISTEN ' + s.server.address().port + '\n');
}).catch((e) => { console.error(e); process.exit(1); });
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
`

// Start starts a fresh emulator for the test and stops it at cleanup. It
// skips the test when YISHI_TG_EMULATOR is unset, unless CI=true, where it
// fails.
func Start(t testing.TB) *Emulator {
	t.Helper()
	entry := os.Getenv(EnvEmulator)
	if entry == "" {
		entry = installOnce()
	}
	if entry == "" {
		msg := EnvEmulator + " is not set and the emulator could not be installed with npm (" + installErr + "): run `export " + EnvEmulator + "=$(.ci/install-telegram-emulator.sh)` to run the Telegram end-to-end tests"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := os.Stat(entry); err != nil {
		t.Fatalf("telegram emulator entry point: %v", err)
	}
	e, err := start(entry)
	if err != nil {
		t.Fatalf("start telegram emulator: %v", err)
	}
	t.Cleanup(e.Stop)
	return e
}

func start(entry string) (*Emulator, error) {
	cmd := exec.Command("node", "-e", startScript, entry)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("stdin pipe: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("stdout pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run node: %w", err)
	}
	e := &Emulator{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "LISTEN "); ok {
				port <- p
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(e.done) }()
	select {
	case p := <-port:
		e.URL = "http://127.0.0.1:" + p
		return e, nil
	case <-e.done:
		return nil, fmt.Errorf("emulator exited before listening")
	case <-time.After(20 * time.Second):
		e.Stop()
		return nil, fmt.Errorf("emulator did not start within 20s")
	}
}

// Stop ends the emulator process (closing its stdin; killing it if it does
// not exit promptly).
func (e *Emulator) Stop() {
	_ = e.stdin.Close()
	select {
	case <-e.done:
	case <-time.After(3 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.done
	}
}

// Wait blocks until ctx ends or the emulator exits; for debugging.
func (e *Emulator) Wait(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-e.done:
	}
}

var (
	install    sync.Once
	installed  string
	installErr string
)

// installOnce runs the repository's install script (npm, into a cache
// directory outside the tree) so that a plain `go test ./...` on a fresh
// machine with Node.js runs the end-to-end tests too.
func installOnce() string {
	install.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			installErr = err.Error()
			return
		}
		for {
			script := filepath.Join(dir, ".ci", "install-telegram-emulator.sh")
			if _, err := os.Stat(script); err == nil {
				out, err := exec.Command("bash", script).Output()
				if err != nil {
					installErr = "install script: " + err.Error()
					return
				}
				installed = strings.TrimSpace(string(out))
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				installErr = "install script not found"
				return
			}
			dir = parent
		}
	})
	return installed
}
