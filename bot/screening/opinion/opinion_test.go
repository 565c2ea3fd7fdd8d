package opinion

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot/screening"
)

// fakeModel is an OpenAI-compatible endpoint answering with content.
func fakeModel(t *testing.T, status int, content string, seen *atomic.Value) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
			http.Error(w, "wrong path "+r.URL.Path, http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if seen != nil {
			seen.Store(struct {
				body []byte
				auth string
			}{body, r.Header.Get("Authorization")})
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": content}}}})
	}))
}

func client(t *testing.T, url string, log *slog.Logger) *Client {
	t.Helper()
	c, err := New(Config{Enabled: true, Endpoint: url + "/v1", Model: "test-model", SendProposalText: true, APIKeyEnv: "YISHI_TEST_LLM_KEY"}, log)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAsk(t *testing.T) {
	t.Setenv("YISHI_TEST_LLM_KEY", "k123")
	var seen atomic.Value
	srv := fakeModel(t, 200, "```json\n{\"admissible\": false, \"rules\": [2], \"category\": 0, \"reason\": \"县里已有禁烧要求\"}\n```", &seen)
	defer srv.Close()
	c := client(t, srv.URL, nil)
	eng := screening.Result{Verdict: screening.Excluded, Rules: []int{2}}
	op, ok := c.Ask(context.Background(), "村里表决允许烧秸秆", eng)
	if !ok {
		t.Fatal("no opinion")
	}
	if op.Admissible || len(op.Rules) != 1 || op.Rules[0] != 2 || !op.Agrees || op.Model != "test-model" {
		t.Errorf("opinion %+v", op)
	}
	txt := op.Text()
	for _, w := range []string{"第二意见（语言模型 test-model，仅供参考，不作决定）", "五不议第2条", "县里已有禁烧要求", "与规则初筛一致"} {
		if !strings.Contains(txt, w) {
			t.Errorf("text lacks %q: %s", w, txt)
		}
	}
	req := seen.Load().(struct {
		body []byte
		auth string
	})
	if req.auth != "Bearer k123" {
		t.Errorf("Authorization %q", req.auth)
	}
	var cr chatRequest
	if err := json.Unmarshal(req.body, &cr); err != nil {
		t.Fatal(err)
	}
	if cr.Model != "test-model" || len(cr.Messages) != 2 || !strings.Contains(cr.Messages[1].Content, "村里表决允许烧秸秆") || cr.ResponseFormat["type"] != "json_object" {
		t.Errorf("request %+v", cr)
	}
	// Disagreement is marked.
	op, _ = c.Ask(context.Background(), "村里表决允许烧秸秆", screening.Result{Verdict: screening.Admissible, Rules: []int{}})
	if op.Agrees || !strings.Contains(op.Text(), "不一致") {
		t.Errorf("disagreement not marked: %s", op.Text())
	}
}

// TestAskFailuresIgnored: every failure gives no opinion and one log line.
func TestAskFailuresIgnored(t *testing.T) {
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // the server notices the client going away only once the body is read
		select {
		case <-r.Context().Done():
		case <-block:
		}
	}))
	defer slow.Close()
	defer close(block) // runs first: the handler returns, then the server closes
	tests := []struct {
		name string
		srv  *httptest.Server
	}{
		{"http 500", fakeModel(t, 500, "", nil)},
		{"not json", fakeModel(t, 200, "我觉得可以议。", nil)},
		{"missing field", fakeModel(t, 200, `{"admissible": true, "rules": []}`, nil)},
		{"bad rule", fakeModel(t, 200, `{"admissible": false, "rules": [9], "category": 0, "reason": "x"}`, nil)},
		{"bad category", fakeModel(t, 200, `{"admissible": true, "rules": [], "category": 8, "reason": "x"}`, nil)},
		{"time-out", slow},
	}
	for _, tt := range tests {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		c, err := New(Config{Enabled: true, Endpoint: tt.srv.URL + "/v1", Model: "m", SendProposalText: true, Timeout: 50 * time.Millisecond}, log)
		if err != nil {
			t.Fatal(err)
		}
		if op, ok := c.Ask(context.Background(), "修路", screening.Result{}); ok {
			t.Errorf("%s: got an opinion %+v", tt.name, op)
		}
		if n := strings.Count(logs.String(), "second opinion failed"); n != 1 {
			t.Errorf("%s: %d log lines, want 1: %s", tt.name, n, logs.String())
		}
		if tt.srv != slow {
			tt.srv.Close()
		}
	}
}

func TestDisabledSendsNothing(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, Model: "m"}, nil)
	if err != nil || c != nil {
		t.Fatalf("disabled config: client %v, err %v", c, err)
	}
	if _, ok := c.Ask(context.Background(), "修路", screening.Result{}); ok || hits.Load() != 0 {
		t.Errorf("a disabled client asked the model (%d requests)", hits.Load())
	}
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte("enabled: true\nendpoint: http://127.0.0.1:11434/v1\nmodel: qwen2.5:7b\nsend_proposal_text: true\ntimeout: 5s\n"))
	if err != nil || !c.Enabled || c.Timeout != 5*time.Second || c.Model != "qwen2.5:7b" {
		t.Fatalf("config %+v, err %v", c, err)
	}
	if c, err := ParseConfig([]byte("enabled: false\n")); err != nil || c.Enabled {
		t.Errorf("disabled: %+v %v", c, err)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"enabled: true\nendpoint: http://x/v1\nmodel: m\n", "send_proposal_text: true"},
		{"enabled: true\nendpoint: ftp://x\nmodel: m\nsend_proposal_text: true\n", "endpoint"},
		{"enabled: true\nendpoint: http://x\nsend_proposal_text: true\n", "model"},
		{"enabled: true\nendpoint: http://x\nmodel: m\nsend_proposal_text: true\ntimeout: 30s\n", "timeout"},
		{"enabled: true\nendpoint: http://x\nmodel: m\nsend_proposal_text: true\napi_key_env: YISHI_NO_SUCH_VAR\n", "YISHI_NO_SUCH_VAR"},
		{"enabled: true\nendpont: http://x\n", "endpont"},
	} {
		if _, err := ParseConfig([]byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want it to mention %q", tc.yaml, err, tc.want)
		}
	}
}
