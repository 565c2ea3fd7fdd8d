package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

var httpLine = regexp.MustCompile(`HTTP 服务：http://([^/]+)/`)

// TestRunHTTP: yishi run --http serves /healthz and /metrics while the bot
// runs, counts the messages it handles, logs JSON with --log-format json,
// and stops serving when the bot stops.
func TestRunHTTP(t *testing.T) {
	t.Setenv("YISHI_LOG", "info")
	in, w := io.Pipe()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(context.Background(), []string{"run", "--data", filepath.Join(t.TempDir(), "d"), "--http", "127.0.0.1:0", "--log-format", "json"}, in, &out, &errOut)
	}()
	var addr string
	for deadline := time.Now().Add(30 * time.Second); addr == ""; {
		if m := httpLine.FindStringSubmatch(errOut.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("yishi run exited %d before serving HTTP:\n%s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTP line on stderr:\n%s", errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, "console: ok") {
		t.Fatalf("/healthz: %d\n%s", code, body)
	}
	if _, err := io.WriteString(w, "[私聊] 陈小龙: 帮助\n"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "[私聊→陈小龙]"); {
		if time.Now().After(deadline) {
			t.Fatalf("no answer to 帮助:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	code, body := get("/metrics")
	if code != 200 || !strings.Contains(body, `yishi_messages_in_total{platform="console"} 1`) {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	// The public board is mounted at /, and 网页登录 in private sends a link
	// to this server that opens the member's page once.
	if code, body := get("/"); code != 200 || !strings.Contains(body, "后陈村") {
		t.Fatalf("/ does not serve the board: %d\n%s", code, body)
	}
	if _, err := io.WriteString(w, "[私聊] 陈小龙: 网页登录\n"); err != nil {
		t.Fatal(err)
	}
	linkRE := regexp.MustCompile(`http://` + regexp.QuoteMeta(addr) + `/\S+`)
	var link string
	for deadline := time.Now().Add(10 * time.Second); link == ""; {
		link = linkRE.FindString(out.String())
		if link == "" && time.Now().After(deadline) {
			t.Fatalf("no login link in the answer to 网页登录:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp, err := http.Get(link); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the login link: %v %v", resp, err)
	}
	w.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut.String())
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("the HTTP server still answers after the bot stopped")
	}
	var logged int
	for _, l := range strings.Split(errOut.String(), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["msg"] == nil || rec["level"] == nil {
			t.Errorf("log line is not slog JSON: %q (%v)", l, err)
		}
		logged++
	}
	if logged == 0 {
		t.Errorf("no JSON log line with YISHI_LOG=info:\n%s", errOut.String())
	}
}

func TestLogFormatRefused(t *testing.T) {
	_, errOut, code := run(t, "", "run", "--data", filepath.Join(t.TempDir(), "d"), "--log-format", "xml")
	if code != 2 || !strings.Contains(errOut, "--log-format \"xml\" 不认识") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestNoPlatformRefused(t *testing.T) {
	t.Setenv("YISHI_TELEGRAM_TOKEN", "")
	_, errOut, code := run(t, "", "run", "--data", filepath.Join(t.TempDir(), "d"), "--console=false")
	if code != 2 || !strings.Contains(errOut, "没有启用任何聊天平台") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// TestHTTPFromConfig: http: in a community file starts the server when
// --http is not given.
func TestHTTPFromConfig(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("..", "..", "bot", "config", "sample", "houchen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg, "houchen.yaml"), append(sample, []byte("\nhttp: \"127.0.0.1:0\"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("YISHI_HTTP", "")
	_, errOut, code := run(t, "", "run", "--config", cfg, "--data", filepath.Join(t.TempDir(), "d"))
	if code != 0 || !httpLine.MatchString(errOut) {
		t.Fatalf("exit %d, no HTTP server started from the configuration:\n%s", code, errOut)
	}
}

// TestHTTPAddressInUse: a port that cannot be opened stops the start with
// a clear error, before the bot runs.
func TestHTTPAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, errOut, code := run(t, "", "run", "--data", filepath.Join(t.TempDir(), "d"), "--http", ln.Addr().String())
	if code != 1 || !strings.Contains(errOut, "无法监听") || strings.Contains(errOut, "议事助手已启动") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
}
