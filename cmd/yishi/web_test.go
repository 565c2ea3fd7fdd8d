package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

// boardFixture plays the three-topic script (a demo topic, a secret
// ballot, a topic held twice) plus a pending proposal and a declined one,
// and serves the public board from it.
func boardFixture(t *testing.T) (*httptest.Server, *app.App) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "d")
	script := legacyScript(t) + `
[私聊] 陈小龙: 提议
[私聊] 陈小龙: 私人恩怨要求村里评理
[私聊] 陈小龙: 我和邻居王某因为宅基地边界吵架，要求村里开会评理，他家手机号13812345678。
[私聊] 陈小龙: 我和王某两家
[私聊] 陈小龙: 1
[私聊] 陈小龙: 确认
`
	if _, e, code := run(t, script, "--data", dir); code != 0 {
		t.Fatalf("script: %s", e)
	}
	a, err := app.Open(context.Background(), app.Options{DataDir: dir, Communities: []*config.Community{config.Sample()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv, a
}

func fetch(t *testing.T, srv *httptest.Server, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestPublicBoard: every route of the public board, and nothing private in
// any of them.
func TestPublicBoard(t *testing.T) {
	srv, a := boardFixture(t)
	type page struct {
		path   string
		code   int
		has    []string
		hasNot []string
	}
	pages := []page{
		{"/", 200, []string{"后陈村 议事协商公开栏", "#1 ", "#3 ", "开放数据"}, []string{"私人恩怨"}},
		{"/c/houchen/topics/1", 200, []string{"第1轮", "审计存证：第", "打印记录表"}, nil},
		{"/c/houchen/topics/3", 200, []string{"第1轮", "第2轮", "未通过", "通过"}, nil},
		{"/topics/3", 200, []string{"第2轮"}, nil}, // one community: the short path redirects
		{"/c/houchen/topics/3/record.html?round=1", 200, []string{"城乡社区议事协商记录表", "第1轮"}, nil},
		{"/c/houchen/topics/2/record.html", 200, []string{"无记名"}, nil},
		{"/c/houchen/topics/4", 404, []string{"还没有公开"}, []string{"私人恩怨"}},
		{"/c/houchen/topics/99", 404, nil, nil},
		{"/c/nowhere/", 404, []string{"没有这个社区"}, nil},
		{"/c/houchen/export/topics.json", 200, []string{`"topic": "3"`, `"round": 2`}, nil},
		{"/c/houchen/export/audit.jsonl", 200, []string{`"action":"published"`}, nil},
		{"/healthz", 200, []string{"ok"}, nil},
	}
	var roster []string
	for _, m := range config.Sample().Roster {
		roster = append(roster, m.ID)
	}
	memberID := regexp.MustCompile(`\b(` + strings.Join(roster, "|") + `)\b`)
	phone := regexp.MustCompile(`1[3-9]\d{9}`)
	for _, p := range pages {
		code, _, body := fetch(t, srv, p.path)
		if code != p.code {
			t.Errorf("%s: status %d, want %d", p.path, code, p.code)
		}
		for _, w := range p.has {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", p.path, w)
			}
		}
		for _, w := range p.hasNot {
			if strings.Contains(body, w) {
				t.Errorf("%s shows %q", p.path, w)
			}
		}
		if strings.Contains(p.path, "audit.jsonl") {
			continue // the audit log is for auditors: it names actors by id, by design
		}
		if m := memberID.FindString(body); m != "" && p.path != "/healthz" {
			t.Errorf("%s shows the member id %q", p.path, m)
		}
		if phone.MatchString(body) {
			t.Errorf("%s shows a phone number", p.path)
		}
		if strings.Contains(body, "您投了") {
			t.Errorf("%s shows a secret choice", p.path)
		}
	}
	// The CSV opens in Excel: UTF-8 with a BOM, one row per topic and round.
	code, h, body := fetch(t, srv, "/c/houchen/export/topics.csv")
	if code != 200 || !strings.HasPrefix(body, "\ufeff社区,议题编号,轮次") || !strings.Contains(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("topics.csv: %d %q", code, body[:min(len(body), 80)])
	}
	if rows := strings.Count(strings.TrimSpace(body), "\n"); rows != 4 { // #1, #2, #3 twice
		t.Errorf("topics.csv has %d rows, want 4 (one per published topic and round):\n%s", rows, body)
	}
	var rows []map[string]any
	_, _, js := fetch(t, srv, "/c/houchen/export/topics.json")
	if err := json.Unmarshal([]byte(js), &rows); err != nil || len(rows) != 4 {
		t.Errorf("topics.json: %v, %d rows", err, len(rows))
	}
	_ = a
}
