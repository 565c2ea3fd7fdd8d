package web_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium (YISHI_CHROMIUM, default
// /usr/bin/chromium, else chromium on PATH) against the played bot's pages.
// Without a binary the test skips, except in CI (CI=true), where it fails:
// .ci/install-chromium.sh installs it there.
func browser(t *testing.T) (context.Context, string) {
	t.Helper()
	path := os.Getenv("YISHI_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else {
			msg := "no chromium binary at " + path + " (set YISHI_CHROMIUM or run .ci/install-chromium.sh)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	f := played(t)
	srv := httptest.NewServer(f.web)
	t.Cleanup(srv.Close)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("lang", "zh-CN"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx, srv.URL
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func navigate(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("navigate %s: %v", u, err)
	}
}

// TestBrowserBoardAndRounds: the board lists the demo topic with its stage;
// the topic held again (#3 in this fixture) shows both rounds.
func TestBrowserBoardAndRounds(t *testing.T) {
	ctx, base := browser(t)
	navigate(t, ctx, base+"/")
	if got := text(t, ctx, `tr[data-topic="1"]`); !strings.Contains(got, "村口到小学路段安装路灯") {
		t.Errorf("board row of #1: %q", got)
	}
	if got := text(t, ctx, `tr[data-topic="1"] td.stage`); got != "落实中" {
		t.Errorf("stage of #1: %q", got)
	}
	navigate(t, ctx, base+"/topics/3")
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("section.round").length`))
	if err != nil || n != 2 {
		t.Fatalf("rounds shown on /topics/3: %d, %v", n, err)
	}
	if r1, r2 := text(t, ctx, "#round-1"), text(t, ctx, "#round-2"); !strings.Contains(r1, "未通过") || !strings.Contains(r2, "通过(赞成11") {
		t.Errorf("round 1: %q\nround 2: %q", r1, r2)
	}
}

// TestBrowserRecordFonts: the printable record's text is drawn with a CJK
// face (no tofu), and printing it to PDF works.
func TestBrowserRecordFonts(t *testing.T) {
	ctx, base := browser(t)
	navigate(t, ctx, base+"/topics/3/record.html")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	for _, sel := range []string{"h1", "p.meta", "table.form th"} {
		ids, err := chromedp.Run(ctx, chromedp.QueryNodeIDs(chromedp.CSS(sel)))
		if err != nil || len(ids) == 0 {
			t.Fatalf("%s: %v", sel, err)
		}
		var fonts []*css.PlatformFontUsage
		err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			res, err := chromedp.Call(ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: ids[0]})
			fonts = res.Fonts
			return err
		}))
		if err != nil {
			t.Fatalf("platform fonts of %s: %v", sel, err)
		}
		cjk := 0.0
		var names []string
		for _, f := range fonts {
			names = append(names, f.FamilyName)
			if strings.Contains(f.FamilyName, "CJK") || strings.Contains(f.FamilyName, "Han") || strings.Contains(f.FamilyName, "Song") {
				cjk += f.GlyphCount
			}
		}
		if cjk == 0 {
			t.Errorf("%s is drawn with %v: no CJK face (install fonts-noto-cjk)", sel, names)
		}
		t.Logf("%s: %v", sel, names)
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF())
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("print to PDF: %v (%d bytes)", err, len(pdf))
	}
}

// TestBrowserLogin: the link works once and not a second time; a member
// cannot open the officers' pages; a form posted without its CSRF token is
// refused; an expired link fails.
func TestBrowserLogin(t *testing.T) {
	ctx, base := browser(t)
	f := played(t)
	link, _, err := f.logins.IssueLogin(f.comm.ID, "chenxiaolong")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	login := base + "/login?t=" + u.Query().Get("t")
	navigate(t, ctx, login)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button")), chromedp.WaitVisible(chromedp.CSS("section.mytopic"))); err != nil {
		t.Fatalf("log in: %v", err)
	}
	if got := text(t, ctx, "h1"); got != "陈小龙的页面" {
		t.Errorf("after login: %q", got)
	}
	// The officers' pages are refused, with the rule.
	navigate(t, ctx, base+"/officer")
	if got := text(t, ctx, "#message"); !strings.Contains(got, "只对党组织书记、村(居)委会主任和监委会成员开放") {
		t.Errorf("/officer for a resident: %q", got)
	}
	// The logout form without its token: refused, still logged in.
	navigate(t, ctx, base+"/me")
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name=csrf]').remove()`),
		chromedp.Click(chromedp.CSS("nav form button")), chromedp.WaitVisible(chromedp.CSS("#message"))); err != nil {
		t.Fatalf("post without csrf: %v", err)
	}
	if got := text(t, ctx, "#message"); !strings.Contains(got, "安全令牌") {
		t.Errorf("post without csrf: %q", got)
	}
	navigate(t, ctx, base+"/me")
	if got := text(t, ctx, "h1"); got != "陈小龙的页面" {
		t.Errorf("still logged in after the refused post: %q", got)
	}
	// The same link a second time.
	navigate(t, ctx, login)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button")), chromedp.WaitVisible(chromedp.CSS("#message"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#message"); !strings.Contains(got, "只能用一次") {
		t.Errorf("second use: %q", got)
	}
	// An expired link.
	link2, _, _ := f.logins.IssueLogin(f.comm.ID, "chenhaifeng")
	u2, _ := url.Parse(link2)
	f.clock.Add(11 * time.Minute)
	navigate(t, ctx, base+"/login?t="+u2.Query().Get("t"))
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button")), chromedp.WaitVisible(chromedp.CSS("#message"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#message"); !strings.Contains(got, "已过期") {
		t.Errorf("expired link: %q", got)
	}
}
