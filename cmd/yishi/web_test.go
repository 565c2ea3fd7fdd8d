package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

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

// stepClock is a clock the test moves.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestWebLogin: a login link works once and fails the second time and
// after 10 minutes; the cookie is HttpOnly and SameSite=Strict (Secure
// behind TLS); a resident sees their own page but not the officers'
// parts; a form posted without its CSRF token is refused; no page shows a
// member id or a secret choice.
func TestWebLogin(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if _, e, code := run(t, legacyScript(t), "--data", dir); code != 0 {
		t.Fatalf("script: %s", e)
	}
	clock := &stepClock{t: time.Now()}
	a, err := app.Open(context.Background(), app.Options{DataDir: dir, Communities: []*config.Community{config.Sample()}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(c *http.Client, method, path string, form url.Values, hdr ...string) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, srv.URL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	path := func(link string) string { u, _ := url.Parse(link); return u.Path }
	sec := config.Sample().Roster[0]
	for _, m := range config.Sample().Roster {
		if m.Name == "张建国" {
			sec = m
		}
	}
	link := path(a.LoginLink("houchen", sec.ID))
	resp, _ := do(client, "GET", link, nil, "X-Forwarded-Proto", "https")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first use of the link: %d", resp.StatusCode)
	}
	ck := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Secure"} {
		if !strings.Contains(ck, want) {
			t.Errorf("session cookie %q lacks %s", ck, want)
		}
	}
	if resp, _ := do(&http.Client{CheckRedirect: client.CheckRedirect}, "GET", link, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("second use of the link: %d, want 403", resp.StatusCode)
	}
	// The cookie was Secure (the proxy said https): send it by hand here.
	var session string
	for _, c := range resp.Cookies() {
		session = c.Value
	}
	cookie := "yishi_session=" + session
	resp, me := do(http.DefaultClient, "GET", "/me", nil, "Cookie", cookie)
	if resp.StatusCode != 200 || !strings.Contains(me, "张建国，您好") || !strings.Contains(me, "每月表决的议题") || !strings.Contains(me, "<svg") || !strings.Contains(me, "审计校验") {
		t.Fatalf("secretary's page: %d\n%s", resp.StatusCode, me)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(me)
	if csrf == nil {
		t.Fatal("no CSRF token in the page")
	}
	if resp, _ := do(http.DefaultClient, "POST", "/me/backup", url.Values{}, "Cookie", cookie); resp.StatusCode != http.StatusForbidden {
		t.Errorf("backup posted without its CSRF token: %d, want 403", resp.StatusCode)
	}
	if resp, body := do(http.DefaultClient, "POST", "/me/backup", url.Values{"csrf": {csrf[1]}}, "Cookie", cookie); resp.StatusCode != 200 || len(body) < 100 {
		t.Errorf("backup with the token: %d, %d bytes", resp.StatusCode, len(body))
	}
	// A resident: their own topics and votes, not the officers' parts.
	var res config.Community = *config.Sample()
	var resident string
	for _, m := range res.Roster {
		if m.Name == "陈小龙" {
			resident = m.ID
		}
	}
	rc := &http.Client{CheckRedirect: client.CheckRedirect}
	resp, _ = do(rc, "GET", path(a.LoginLink("houchen", resident)), nil)
	rcookie := ""
	for _, c := range resp.Cookies() {
		rcookie = "yishi_session=" + c.Value
	}
	_, mine := do(http.DefaultClient, "GET", "/me", nil, "Cookie", rcookie)
	if !strings.Contains(mine, "陈小龙，您好") || !strings.Contains(mine, "提议人") || strings.Contains(mine, "每月表决的议题") || strings.Contains(mine, "下载一份") {
		t.Errorf("resident's page:\n%s", mine)
	}
	if !strings.Contains(mine, "您的表决：") || !strings.Contains(mine, "无记名投票：不记录、不显示任何人的选择") {
		t.Errorf("resident's page lacks their open vote or the secret ballot's note:\n%s", mine)
	}
	rcsrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(mine)
	if resp, _ := do(http.DefaultClient, "POST", "/me/backup", url.Values{"csrf": {rcsrf[1]}}, "Cookie", rcookie); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a resident downloaded a backup: %d", resp.StatusCode)
	}
	// Another member's session token does not come from a link of mine,
	// and without a session nothing is shown.
	if resp, _ := do(http.DefaultClient, "GET", "/me", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/me without a session: %d", resp.StatusCode)
	}
	// An expired link.
	late := path(a.LoginLink("houchen", resident))
	clock.add(11 * time.Minute)
	if resp, _ := do(rc, "GET", late, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a link used after 11 minutes: %d, want 403", resp.StatusCode)
	}
	var roster []string
	for _, m := range config.Sample().Roster {
		roster = append(roster, m.ID)
	}
	memberID := regexp.MustCompile(`\b(` + strings.Join(roster, "|") + `)\b`)
	for name, body := range map[string]string{"secretary": me, "resident": mine} {
		if id := memberID.FindString(body); id != "" {
			t.Errorf("%s's page shows the member id %q", name, id)
		}
		if strings.Contains(body, "您投了") {
			t.Errorf("%s's page shows a secret choice", name)
		}
	}
}
