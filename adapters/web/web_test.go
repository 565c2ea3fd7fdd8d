package web_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"github.com/yishi-community/yishi/bot/config"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/web"
)

// TestPublicRoutes: every public route answers, with what it should show.
func TestPublicRoutes(t *testing.T) {
	f := played(t)
	for _, tc := range []struct {
		path   string
		status int
		want   []string
		not    []string
	}{
		{"/", 200, []string{"后陈村 村(居)务公开栏", "村口到小学路段安装路灯", "落实中", "不予受理：五不议第5条", "比价采购并安装太阳能路灯10盏", "公示期至"},
			[]string{"隔壁王家", "秘密待审的提议", "待审定"}},
		{"/?c=houchen", 200, []string{"村口到小学路段安装路灯"}, nil},
		{"/?c=nowhere", 404, []string{"没有标识为"}, nil},
		{"/topics/1", 200, []string{"第1轮协商", "审计存证：第", "【表决结果】", "比价采购并安装太阳能路灯10盏"}, []string{"第2轮协商"}},
		{"/topics/3", 200, []string{"第1轮协商", "第2轮协商", "未通过(赞成5 反对6 弃权1 / 实到12)", "通过(赞成11 反对1 弃权0 / 实到12)", "征求更多村民意见后再议"}, nil},
		{"/topics/4", 200, []string{"不予受理：五不议第5条", "只公开所依据的规则"}, []string{"隔壁王家", "宅基地", "人民调解委员会上门调解"}},
		{"/topics/5", 404, []string{"没有公开的 #5 号议题"}, []string{"秘密待审"}},
		{"/topics/99", 404, []string{"没有公开的 #99 号议题"}, nil},
		{"/topics/abc", 404, []string{"议题编号应当是数字"}, nil},
		{"/topics/1/record.html", 200, []string{"城乡社区议事协商记录表", "村口到小学路段安装路灯"}, nil},
		{"/topics/3/record.html", 200, []string{"本表为第1轮协商的记录", "本表为第2轮协商的记录", "break-before: page"}, nil},
		{"/topics/3/record.html?round=1", 200, []string{"本表为第1轮协商的记录"}, []string{"本表为第2轮协商的记录"}},
		{"/topics/3/record.html?round=7", 404, []string{"没有第7轮"}, nil},
		{"/topics/4/record.html", 404, []string{"不公开记录表"}, []string{"隔壁王家"}},
		{"/topics/5/record.html", 404, []string{"没有公开的"}, nil},
		{"/export/topics.json", 200, []string{`"topic": "3"`, `"round": 2`, `"audit_anchor": "第`}, []string{"秘密待审"}},
		{"/export/topics.csv", 200, []string{"\ufeff社区,议题编号", "村东停车场收费管理"}, nil},
		{"/nowhere", 404, []string{"没有这个页面"}, nil},
		{"/me", 401, []string{"网页登录"}, nil},
		{"/officer", 401, []string{"网页登录"}, nil},
		{"/officer/verify", 401, nil, nil},
		{"/officer/audit.jsonl", 401, nil, nil},
		{"/login", 400, []string{"登录链接不完整"}, nil},
		{"/login?t=whatever", 200, []string{`action="/login"`}, nil},
	} {
		w := f.get(t, tc.path)
		body := w.Body.String()
		if w.Code != tc.status {
			t.Errorf("GET %s: %d, want %d\n%.600s", tc.path, w.Code, tc.status, body)
		}
		for _, s := range tc.want {
			if !strings.Contains(body, s) {
				t.Errorf("GET %s lacks %q", tc.path, s)
			}
		}
		for _, s := range tc.not {
			if strings.Contains(body, s) {
				t.Errorf("GET %s shows %q", tc.path, s)
			}
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", tc.path, csp)
		}
		if w.Header().Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: no Referrer-Policy", tc.path)
		}
	}
	// POST where only GET is served.
	if w := f.post(t, "/", url.Values{}); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", w.Code)
	}
}

// TestOpenData: one row per topic and round; the CSV opens in Excel (BOM)
// and has the same rows as the JSON.
func TestOpenData(t *testing.T) {
	f := played(t)
	var rows []web.Row
	if err := json.Unmarshal(f.get(t, "/export/topics.json").Body.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range rows {
		got = append(got, r.Topic+"/"+string(rune('0'+r.Round)))
	}
	if strings.Join(got, " ") != "1/1 2/1 3/1 3/2 4/0" {
		t.Fatalf("rows %v, want topics 1, 2, 3 (two rounds) and the declined 4", got)
	}
	if rows[2].Agreed == nil || *rows[2].Agreed || rows[3].Agreed == nil || !*rows[3].Agreed || *rows[3].For != 11 {
		t.Errorf("topic 3's rounds: %+v %+v", rows[2], rows[3])
	}
	if rows[4].Title != "" || !strings.Contains(rows[4].DeclineRule, "五不议第5条") {
		t.Errorf("declined row: %+v", rows[4])
	}
	body := f.get(t, "/export/topics.csv").Body.Bytes()
	if !bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		t.Fatal("CSV without BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(rows)+1 || recs[4][1] != "3" || recs[4][5] != "2" || recs[4][17] != "11" {
		t.Fatalf("CSV rows %d, row 4 %v", len(recs), recs[min(4, len(recs)-1)])
	}
}

// idPattern matches any roster id or platform identity as a word.
func secrets(f *fixture) []string {
	var out []string
	for _, m := range f.comm.Roster {
		out = append(out, m.ID)
		for _, id := range m.Identities {
			if id != m.Name {
				out = append(out, id)
			}
		}
	}
	return out
}

var phone = regexp.MustCompile(`1[3-9][0-9]{9}`)

// TestPrivacyScan: no page or export, public or behind a login, shows a
// member id, a platform identity or a phone number; a secret ballot's sheet
// names no one beside a choice. The audit export (for auditors, behind the
// officers' login) names ids by design and is checked for its access rule
// instead (TestOfficerPages).
func TestPrivacyScan(t *testing.T) {
	f := played(t)
	paths := []string{"/", "/export/topics.csv", "/export/topics.json"}
	for _, id := range []string{"1", "2", "3", "4", "5", "99"} {
		paths = append(paths, "/topics/"+id, "/topics/"+id+"/record.html", "/topics/"+id+"/record.html?round=1")
	}
	type page struct {
		path string
		body string
	}
	var pages []page
	for _, p := range paths {
		pages = append(pages, page{p, f.get(t, p).Body.String()})
	}
	for _, who := range []string{"chenxiaolong", "zhangjianguo", "hudeming"} {
		c, _ := f.login(t, who)
		for _, p := range []string{"/me", "/officer", "/officer/verify", "/"} {
			pages = append(pages, page{p + " as " + who, f.get(t, p, c).Body.String()})
		}
	}
	for _, pg := range pages {
		for _, id := range secrets(f) {
			if regexp.MustCompile(`(^|[^a-z])` + regexp.QuoteMeta(id) + `([^a-z]|$)`).MatchString(pg.body) {
				t.Errorf("%s shows the member id or identity %q", pg.path, id)
			}
		}
		if m := phone.FindString(pg.body); m != "" {
			t.Errorf("%s shows a phone number %s", pg.path, m)
		}
	}
	// Topic 2 was a secret ballot: its sheet lists no names per choice.
	sheet := f.get(t, "/topics/2/record.html").Body.String()
	if !strings.Contains(sheet, "无记名") || regexp.MustCompile(`<li>(赞成|反对|弃权)\(\d+人\)：`).MatchString(sheet) {
		t.Errorf("the secret ballot's sheet lists voters by choice")
	}
	// An open ballot (topic 1) lists them, as the paper form does.
	if !regexp.MustCompile(`<li>赞成\(\d+人\)：`).MatchString(f.get(t, "/topics/1/record.html").Body.String()) {
		t.Errorf("the open ballot's sheet has no names per choice (check the scan above is meaningful)")
	}
}

func TestMaskPhones(t *testing.T) {
	f := played(t)
	_ = f
	for in, want := range map[string]string{
		"电话13812345678。":          "电话[电话号码已隐去]。",
		"13812345678,13987654321": "[电话号码已隐去],[电话号码已隐去]",
		"座机0579-12345678":         "座机[电话号码已隐去]",
		"第12条·a0123456789bcdef":   "第12条·a0123456789bcdef",
		"123138123456789":         "123138123456789",
	} {
		if got := string(web.MaskPhones([]byte(in))); got != want {
			t.Errorf("MaskPhones(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLoginLink: a link works once, not twice, not after ten minutes; the
// cookie is HttpOnly, SameSite=Strict, and Secure behind TLS.
func TestLoginLink(t *testing.T) {
	f := played(t)
	link, exp, err := f.logins.IssueLogin(f.comm.ID, "chenxiaolong")
	if err != nil {
		t.Fatal(err)
	}
	if d := exp.Sub(f.clock.Now()); d != 10*time.Minute {
		t.Errorf("link lasts %v", d)
	}
	u, _ := url.Parse(link)
	tok := u.Query().Get("t")
	// A preview (GET) does not spend it.
	if w := f.get(t, "/login?t="+tok); w.Code != 200 {
		t.Fatalf("GET /login: %d", w.Code)
	}
	r := f.postReq("/login", url.Values{"t": {tok}})
	r.Header.Set("X-Forwarded-Proto", "https")
	w := f.do(r)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("first use: %d %s", w.Code, w.Body)
	}
	ck := w.Result().Cookies()[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || !ck.Secure {
		t.Errorf("cookie %+v", ck)
	}
	if w := f.get(t, "/me", ck); w.Code != 200 || !strings.Contains(w.Body.String(), "陈小龙的页面") {
		t.Errorf("/me after login: %d", w.Code)
	}
	if w := f.post(t, "/login", url.Values{"t": {tok}}); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "只能用一次") {
		t.Errorf("second use: %d %s", w.Code, w.Body)
	}
	// Plain http: no Secure flag (the browser would drop the cookie).
	link2, _, _ := f.logins.IssueLogin(f.comm.ID, "chenxiaolong")
	u2, _ := url.Parse(link2)
	if w := f.post(t, "/login", url.Values{"t": {u2.Query().Get("t")}}); w.Result().Cookies()[0].Secure {
		t.Errorf("Secure cookie over plain http")
	}
	// Expiry, on the injected clock.
	link3, _, _ := f.logins.IssueLogin(f.comm.ID, "chenxiaolong")
	u3, _ := url.Parse(link3)
	f.clock.Add(10*time.Minute + time.Second)
	if w := f.post(t, "/login", url.Values{"t": {u3.Query().Get("t")}}); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "已过期") {
		t.Errorf("expired link: %d %s", w.Code, w.Body)
	}
	if w := f.post(t, "/login", url.Values{"t": {"forged"}}); w.Code != http.StatusForbidden {
		t.Errorf("forged link: %d", w.Code)
	}
	// The session ends after its lifetime.
	f.clock.Add(web.SessionTTL)
	if w := f.get(t, "/me", ck); w.Code != http.StatusUnauthorized {
		t.Errorf("/me after the session's end: %d", w.Code)
	}
}

// TestMemberPage: a member sees their own topics and open votes, nobody
// else's, and no secret choice.
func TestMemberPage(t *testing.T) {
	f := played(t)
	c, _ := f.login(t, "chenhaifeng")
	body := f.get(t, "/me", c).Body.String()
	for _, want := range []string{"陈海峰的页面", "#1 村口到小学路段安装路灯", "协商主体", "无记名投票：选择不记录、不显示", "第2轮"} {
		if !strings.Contains(body, want) {
			t.Errorf("/me lacks %q", want)
		}
	}
	if strings.Contains(body, "陈小龙的页面") || strings.Contains(body, "秘密待审") {
		t.Errorf("/me shows another member's things")
	}
	// The proposer sees their own pending proposal, nobody else does.
	c2, _ := f.login(t, "chenxiaolong")
	if !strings.Contains(f.get(t, "/me", c2).Body.String(), "秘密待审的提议") {
		t.Errorf("the proposer does not see their pending proposal")
	}
	// No page takes a member from the address: there is no other member's page.
	if w := f.get(t, "/me?member=chenxiaolong", c); strings.Contains(w.Body.String(), "陈小龙的页面") {
		t.Errorf("a query opened another member's page")
	}
}

// TestOfficerPages: officers see statistics, reminders, the audit check and
// export; a member is refused with the rule; the backup is a CSRF-checked
// POST for the secretary and director only.
func TestOfficerPages(t *testing.T) {
	f := played(t)
	resident, residentCSRF := f.login(t, "chenxiaolong")
	for _, p := range []string{"/officer", "/officer/verify", "/officer/audit.jsonl"} {
		w := f.get(t, p, resident)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "只对党组织书记、村(居)委会主任和监委会成员开放") {
			t.Errorf("resident GET %s: %d %.300s", p, w.Code, w.Body)
		}
	}
	if w := f.post(t, "/officer/backup", url.Values{"csrf": {residentCSRF}}, resident); w.Code != http.StatusForbidden {
		t.Errorf("resident backup: %d", w.Code)
	}
	sec, secCSRF := f.login(t, "zhangjianguo")
	body := f.get(t, "/officer", sec).Body.String()
	for _, want := range []string{"统计与管理", "<svg", "每月议题数", "提醒安排", "按结果", "下载备份"} {
		if !strings.Contains(body, want) {
			t.Errorf("/officer lacks %q", want)
		}
	}
	if w := f.get(t, "/officer/verify", sec); !strings.Contains(w.Body.String(), "审计链完整") || !strings.Contains(w.Body.String(), "与存储的快照完全一致") {
		t.Errorf("verify: %s", w.Body)
	}
	if w := f.get(t, "/officer/audit.jsonl", sec); w.Code != 200 || !strings.HasPrefix(w.Body.String(), "{") ||
		!regexp.MustCompile(`(^|[^a-z])chenxiaolong([^a-z]|$)`).MatchString(w.Body.String()) {
		// The export names ids (which is why it is behind the login), and
		// the privacy scan's pattern finds them.
		t.Errorf("audit export: %d %.200s", w.Code, w.Body)
	}
	// CSRF: without the token, or with another session's, refused.
	for _, form := range []url.Values{{}, {"csrf": {residentCSRF}}, {"csrf": {"x"}}} {
		if w := f.post(t, "/officer/backup", form, sec); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "安全令牌") {
			t.Errorf("backup with csrf %v: %d", form, w.Code)
		}
		if w := f.post(t, "/logout", form, sec); w.Code != http.StatusForbidden {
			t.Errorf("logout with csrf %v: %d", form, w.Code)
		}
	}
	w := f.post(t, "/officer/backup", url.Values{"csrf": {secCSRF}}, sec)
	if w.Code != 200 || w.Body.Len() < 100 || !strings.Contains(w.Header().Get("Content-Disposition"), ".backup") {
		t.Errorf("backup: %d, %d bytes", w.Code, w.Body.Len())
	}
	// A supervisor sees statistics but may not download the backup.
	sup, supCSRF := f.login(t, "hudeming")
	if w := f.get(t, "/officer", sup); w.Code != 200 || strings.Contains(w.Body.String(), "下载备份</button>") {
		t.Errorf("supervisor /officer: %d", w.Code)
	}
	if w := f.post(t, "/officer/backup", url.Values{"csrf": {supCSRF}}, sup); w.Code != http.StatusForbidden {
		t.Errorf("supervisor backup: %d", w.Code)
	}
	// Logout with the token ends the session.
	if w := f.post(t, "/logout", url.Values{"csrf": {secCSRF}}, sec); w.Code != http.StatusSeeOther {
		t.Errorf("logout: %d", w.Code)
	}
	if w := f.get(t, "/officer", sec); w.Code != http.StatusUnauthorized {
		t.Errorf("after logout: %d", w.Code)
	}
}

// TestPublicFromPublished: with public_from: published a community shows
// only topics with a published (公示) round: the declined one disappears
// from the topic pages and the open data.
func TestPublicFromPublished(t *testing.T) {
	f := played(t)
	f.comm.PublicFrom = config.PublicFromPublished
	defer func() { f.comm.PublicFrom = config.PublicFromApproved }()
	if r := f.get(t, "/topics/1"); r.Code != 200 {
		t.Errorf("/topics/1 (published): %d", r.Code)
	}
	if r := f.get(t, "/topics/4"); r.Code != 404 {
		t.Errorf("/topics/4 (declined, never published): %d, want 404", r.Code)
	}
	if body := f.get(t, "/export/topics.csv").Body.String(); strings.Contains(body, "五不议第5条") {
		t.Errorf("the declined topic is in the open data:\n%s", body)
	}
}
