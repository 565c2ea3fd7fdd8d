package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/adapters/web"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

// extraScript adds, after the three topics of the legacy script (the demo,
// a secret ballot, a failed vote held again that passes in round 2), a
// proposal declined under 五不议 rule 5 and one left awaiting 审定; both
// carry a phone number that must never be shown.
const extraScript = `[私聊] 李秀兰: 提议
[私聊] 李秀兰: 隔壁王家占了我家的宅基地边界
[私聊] 李秀兰: 隔壁王家盖房子把围墙往我家这边挪了半米，我的电话13812345678，希望村里表决让他拆掉。
[私聊] 李秀兰: 我家和王家
[私聊] 李秀兰: 1
[私聊] 李秀兰: 确认
[私聊] 张建国: 审定 #4
[私聊] 张建国: 3
[私聊] 张建国: 5
[私聊] 张建国: 属于两户之间的边界纠纷，请村人民调解委员会上门调解
[私聊] 陈小龙: 提议
[私聊] 陈小龙: 秘密待审的提议
[私聊] 陈小龙: 文化礼堂的音响坏了，联系人电话13987654321，希望更换。
[私聊] 陈小龙: 全村村民
[私聊] 陈小龙: 1
[私聊] 陈小龙: 确认
`

// fakeClock is the injected clock of the login links.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fixture is a bot that played the scripts, and its web handler.
type fixture struct {
	app    *app.App
	web    *web.Server
	logins *web.Logins
	clock  *fakeClock
	comm   *config.Community
	out    string
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func script(t testing.TB) string {
	b, err := os.ReadFile(filepath.Join("..", "..", "cmd", "yishi", "testdata", "legacy-9b65499", "script.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		out = append(out, l)
		if strings.Contains(l, "张建国: 开始协商 #") {
			out = append(out, "[后陈村议事群] 张建国: 是") // meetings there open before their plan
		}
	}
	return strings.Join(out, "\n") + "\n" + extraScript
}

// played starts the bot once for the package's tests, plays the scripts
// and keeps it open (read-only use from then on).
func played(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() {
		dir, err := os.MkdirTemp("", "yishi-web-")
		if err != nil {
			fixErr = err
			return
		}
		var out bytes.Buffer
		comm := config.Sample()
		con := console.New(console.Options{In: strings.NewReader(script(t)), Out: &out})
		a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(dir, "d"),
			Communities: []*config.Community{comm}, Adapters: []bot.Adapter{con}})
		if err != nil {
			fixErr = err
			return
		}
		if err := a.Run(context.Background()); err != nil {
			fixErr = err
			return
		}
		clock := &fakeClock{t: time.Now()}
		logins := web.NewLogins("http://yishi.test", clock)
		backup, _ := a.Store.(interface{ Backup(io.Writer) error })
		cfg := web.Config{Engine: a.Engine, Store: a.Store, Sheet: app.Sheet, Reminders: a.Reminders.Preview,
			Logins: logins, Clock: clock}
		if backup != nil {
			cfg.Backup = backup.Backup
		}
		fix = &fixture{app: a, web: web.New(cfg), logins: logins, clock: clock, comm: comm, out: out.String()}
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

// get fetches a path from the handler directly.
func (f *fixture) get(t testing.TB, path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.web.ServeHTTP(w, r)
	return w
}

func (f *fixture) post(t testing.TB, path string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.web.ServeHTTP(w, r)
	return w
}

// login issues a link for member and spends it, returning the session
// cookie and the CSRF token of the member's page.
func (f *fixture) login(t testing.TB, member string) (*http.Cookie, string) {
	t.Helper()
	link, _, err := f.logins.IssueLogin(f.comm.ID, member)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	w := f.post(t, "/login", url.Values{"t": {u.Query().Get("t")}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("login %s: %d %s", member, w.Code, w.Body)
	}
	var c *http.Cookie
	for _, ck := range w.Result().Cookies() {
		if ck.Name == "yishi_session" {
			c = ck
		}
	}
	if c == nil {
		t.Fatal("no session cookie")
	}
	me := f.get(t, "/me", c)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(me.Body.String())
	if m == nil {
		t.Fatalf("no csrf token on /me:\n%s", me.Body)
	}
	return c, m[1]
}

func (f *fixture) postReq(path string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func (f *fixture) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.web.ServeHTTP(w, r)
	return w
}
