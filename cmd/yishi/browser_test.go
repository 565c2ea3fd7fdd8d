package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/chromedp"
)

// chromium finds the browser for the browser tests: YISHI_CHROMIUM, else
// chromium on PATH. Without one the tests skip, except in CI, where they
// must run (.ci/install-chromium.sh installs Debian's chromium).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("YISHI_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium found: CI must run the browser tests (.ci/install-chromium.sh installs it)")
	}
	t.Skip("no chromium found (install Debian's chromium and fonts-noto-cjk, or set YISHI_CHROMIUM)")
	return ""
}

func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTime(); cancel(); cancelAlloc() })
	return ctx
}

func bodyText(t *testing.T, ctx context.Context, u string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text("body"))
	if err != nil {
		t.Fatalf("read %s: %v", u, err)
	}
	return text
}

// TestBrowserBoard, in a real headless Chromium: the board lists the topics
// with their stage, a topic held again shows both rounds, the printable
// record is drawn with a CJK font (no tofu), and a login link works once.
func TestBrowserBoard(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	ctx := browser(t)
	srv, a := boardFixture(t)

	board := bodyText(t, ctx, srv.URL+"/")
	for _, want := range []string{"议事协商公开栏", "#1 村口到小学路段安装路灯", "落实中"} {
		if !strings.Contains(board, want) {
			t.Errorf("the board in the browser lacks %q:\n%s", want, board)
		}
	}
	topic := bodyText(t, ctx, srv.URL+"/topics/3")
	if !strings.Contains(topic, "第1轮") || !strings.Contains(topic, "第2轮") {
		t.Errorf("topic #3 does not show both rounds:\n%s", topic)
	}

	// The record sheet's text is drawn with a CJK face the system resolved,
	// not boxes: ask the renderer which platform fonts drew the title.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/c/houchen/topics/1/record.html")); err != nil {
		t.Fatal(err)
	}
	nodes, err := chromedp.Run(ctx, chromedp.Nodes("h1"))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("record page has no title: %v", err)
	}
	if _, err := chromedp.Call(ctx, css.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	fonts, err := chromedp.Call(ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: nodes[0].NodeID})
	if err != nil {
		t.Fatal(err)
	}
	cjk := false
	var used []string
	for _, f := range fonts.Fonts {
		used = append(used, f.FamilyName)
		name := strings.ToLower(f.FamilyName + " " + f.PostScriptName)
		if strings.Contains(name, "cjk") || strings.Contains(name, "wenquanyi") || strings.Contains(name, "source han") || strings.Contains(name, "noto sans sc") {
			cjk = true
		}
	}
	t.Logf("fonts that drew the record's title: %v", used)
	if !cjk {
		t.Errorf("the record's title is drawn with %v: no CJK face (install fonts-noto-cjk)", used)
	}

	// Login: the link works once in the browser, then it is spent.
	var sec string
	for _, m := range a.Engine.Communities()[0].Roster {
		if m.Name == "张建国" {
			sec = m.ID
		}
	}
	u, _ := url.Parse(a.LoginLink("houchen", sec))
	me := bodyText(t, ctx, srv.URL+u.Path)
	if !strings.Contains(me, "张建国，您好") {
		t.Errorf("after the login link the browser shows:\n%s", me)
	}
	again := bodyText(t, ctx, srv.URL+u.Path)
	if !strings.Contains(again, "已经用过或已过期") {
		t.Errorf("the spent link opened again:\n%s", again)
	}
}
