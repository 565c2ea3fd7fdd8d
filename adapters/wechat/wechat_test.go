package wechat

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/wechat/wxfake"
	"github.com/yishi-community/yishi/bot"
)

func TestLoginByScanThenHotLogin(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	newVillage(f)
	e := newEnv(t, f, withMemberKeys)

	e.start()
	if f.Scans() != 1 {
		t.Fatalf("scans = %d, want 1", f.Scans())
	}
	if qr := e.qr.String(); !strings.Contains(qr, "https://login.weixin.qq.com/qrcode/QR0001==") || !strings.Contains(qr, "█") {
		t.Errorf("QR code not drawn with its URL:\n%s", qr)
	}
	st, err := os.Stat(e.sessionPath())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("session file mode %v, want 0600", st.Mode().Perm())
	}
	if err := e.stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}

	// Twice more: openwechat alone loses the cookies at the second reload.
	for i := 0; i < 2; i++ {
		e.start()
		if f.Scans() != 1 || f.QRCodes() != 1 {
			t.Fatalf("restart %d: scans = %d, QR codes = %d; want hot login", i+1, f.Scans(), f.QRCodes())
		}
		e.stop()
	}
	session, _ := os.ReadFile(e.sessionPath())
	for _, secret := range []string{"sid1", "@crypt_1", "pt1"} {
		if !strings.Contains(string(session), secret) {
			t.Fatalf("session file lacks %q: test is vacuous", secret)
		}
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("log contains session secret %q", secret)
		}
	}
}

func TestBadOrExpiredSessionNeedsNewScan(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(e *env)
		log     string
	}{
		{"corrupted file", func(e *env) { os.WriteFile(e.sessionPath(), []byte(`{"Jar": {`), 0o600) }, "损坏"},
		{"empty file", func(e *env) { os.WriteFile(e.sessionPath(), nil, 0o600) }, "损坏"},
		{"expired session", func(e *env) { e.fake.ExpireSession() }, "已失效"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := wxfake.New()
			defer f.Close()
			newVillage(f)
			e := newEnv(t, f, nil)
			e.start()
			e.stop()
			tc.prepare(e)
			e.start()
			if f.Scans() != 2 {
				t.Fatalf("scans = %d, want a new scan", f.Scans())
			}
			if !strings.Contains(e.logs.String(), tc.log) {
				t.Errorf("log does not explain (%q):\n%s", tc.log, e.logs)
			}
		})
	}
}

func TestMessagesInAndRepliesOut(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	v := newVillage(f)
	e := newEnv(t, f, withMemberKeys)
	e.rec.reply = func(ctx context.Context, in bot.Incoming) error {
		return e.a.Send(ctx, bot.Outgoing{Platform: Platform, Chat: in.Chat, Private: in.Private, Text: "收到：" + in.Text})
	}
	e.start()

	tests := []struct {
		name string
		send func() string
		want bot.Incoming
	}{
		{"bound member in group, mention", func() string { return f.Say(v.group, v.zhang, "@议事助手\u2005同意") },
			bot.Incoming{Chat: "幸福村议事群", ChatTitle: "幸福村议事群", Sender: "zhangsan", Name: "张三", Text: "同意"}},
		{"mention at the end, escaped text", func() string { return f.Say(v.group, v.li, "反对 <理由> & 说明 @议事助手") },
			bot.Incoming{Chat: "幸福村议事群", ChatTitle: "幸福村议事群", Sender: "lisi", Name: "李四", Text: "反对 <理由> & 说明"}},
		{"stranger in group", func() string { return f.Say(v.group, v.stranger, "弃权") },
			bot.Incoming{Chat: "幸福村议事群", ChatTitle: "幸福村议事群", Sender: f.UserName(v.stranger), Name: "赵六", Text: "弃权"}},
		{"private, bound", func() string { return f.SayPrivately(v.zhang, "我的提议\n第二行") },
			bot.Incoming{Chat: "zhangsan", Private: true, Sender: "zhangsan", Name: "张三", Text: "我的提议\n第二行"}},
		{"private, unbound", func() string { return f.SayPrivately(v.wang, "绑定 123456") },
			bot.Incoming{Chat: f.UserName(v.wang), Private: true, Sender: f.UserName(v.wang), Name: "王五", Text: "绑定 123456"}},
	}
	for i, tc := range tests {
		id := tc.send()
		got := e.rec.next(t)
		tc.want.Platform, tc.want.ID, tc.want.At = Platform, "wx:"+id, got.At
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
		sent, ok := f.WaitSent(i+1, 5*time.Second)
		if !ok {
			t.Fatalf("%s: no reply sent", tc.name)
		}
		if last := sent[len(sent)-1]; last.Text != "收到："+tc.want.Text {
			t.Errorf("%s: reply %q", tc.name, last.Text)
		}
	}
	sent := f.Sent()
	if sent[0].Group != v.group || sent[3].To != v.zhang || sent[4].To != v.wang {
		t.Errorf("replies went to the wrong chats: %+v", sent)
	}
}

func TestIgnoredMessages(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	v := newVillage(f)
	f.EchoSent(true) // the bot's own messages come back through sync
	other := f.AddGroup("广场舞群", v.zhang)
	e := newEnv(t, f, withMemberKeys)
	e.start()

	f.SelfSay(v.group, "（账号主人在手机上发的）同意")
	f.Inject(v.group, v.zhang, wxfake.TypeImage, "<img/>")
	f.Inject(v.group, v.li, wxfake.TypeEmoticon, "<emoji/>")
	f.Join(v.group, f.AddStranger("新人"))
	f.Inject(v.group, nil, wxfake.TypeRecalled, `<sysmsg type="revokemsg"></sysmsg>`)
	f.Say(other, v.zhang, "同意")
	f.Inject(nil, v.li, wxfake.TypeVoice, "<voicemsg/>")
	f.Inject(nil, v.li, wxfake.TypeVoice, "<voicemsg/>") // answered once only
	if err := e.send(bot.Outgoing{Chat: "幸福村议事群", Text: "机器人自己的消息"}); err != nil {
		t.Fatal(err)
	}
	last := f.Say(v.group, v.zhang, "最后一条")

	if got := e.rec.next(t); got.ID != "wx:"+last {
		t.Fatalf("handler got %+v, want only the last text", got)
	}
	sent, _ := f.WaitSent(2, 5*time.Second)
	if polite := wxfake.SentTo(sent, "李四"); len(polite) != 1 || !strings.Contains(polite[0], "只能识别文字") {
		t.Errorf("voice message: answers %q, want one polite answer", polite)
	}
	time.Sleep(100 * time.Millisecond)
	select {
	case in := <-e.rec.ch:
		t.Errorf("unexpected message handed on: %+v", in)
	default:
	}
	if n := len(wxfake.SentTo(f.Sent(), "李四")); n != 1 {
		t.Errorf("%d polite answers, want 1", n)
	}
}

func TestSameNicknameDifferentMembers(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	a, b := f.AddFriend("王芳"), f.AddFriend("王芳")
	f.SetRemark(a, "wangfang1")
	f.SetRemark(b, "wangfang2")
	g := f.AddGroup("幸福村议事群", a, b)
	e := newEnv(t, f, func(o *Options) { o.MemberKeys = []string{"wangfang1", "wangfang2"} })
	e.start()
	f.Say(g, a, "同意")
	f.Say(g, b, "反对")
	if x, y := e.rec.next(t), e.rec.next(t); x.Sender != "wangfang1" || y.Sender != "wangfang2" || x.Name != y.Name {
		t.Errorf("senders %q/%q (%q/%q), want two members with one nickname", x.Sender, y.Sender, x.Name, y.Name)
	}
}

func TestBindSurvivesRelogin(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	v := newVillage(f)
	e := newEnv(t, f, withMemberKeys)
	e.start()
	oldUser := f.UserName(v.wang)
	f.SayPrivately(v.wang, "绑定 123456")
	in := e.rec.next(t)
	if in.Sender != oldUser {
		t.Fatalf("unbound sender %q, want the session UserName %q", in.Sender, oldUser)
	}
	key, err := e.a.Bind(context.Background(), in.Sender, "wangwu")
	if err != nil || key != "wangwu" {
		t.Fatalf("Bind = %q, %v", key, err)
	}
	if f.Remark(v.wang) != "wangwu" {
		t.Fatalf("remark %q, want wangwu", f.Remark(v.wang))
	}
	f.Say(v.group, v.wang, "同意")
	if in := e.rec.next(t); in.Sender != "wangwu" {
		t.Errorf("after Bind, sender %q", in.Sender)
	}

	// A new scan gives everybody new UserNames; the remark stays.
	e.stop()
	f.ExpireSession()
	e.start()
	if f.Scans() != 2 || f.UserName(v.wang) == oldUser {
		t.Fatal("test needs a fresh login with new UserNames")
	}
	f.Say(v.group, v.wang, "反对")
	if in := e.rec.next(t); in.Sender != "wangwu" {
		t.Errorf("after re-login, sender %q, want wangwu", in.Sender)
	}
	if err := e.send(bot.Outgoing{Chat: "wangwu", Private: true, Text: "会议通知"}); err != nil {
		t.Fatal(err)
	}
	if got := wxfake.SentTo(f.Sent(), "王五"); len(got) != 1 || got[0] != "会议通知" {
		t.Errorf("private notice: %q", got)
	}
	// Binding another person to the same key takes it from the first.
	if _, err := e.a.Bind(context.Background(), f.UserName(v.li), "wangwu"); err != nil {
		t.Fatal(err)
	}
	if f.Remark(v.wang) != "" || f.Remark(v.li) != "wangwu" {
		t.Errorf("remarks %q/%q after rebinding", f.Remark(v.wang), f.Remark(v.li))
	}
}

func TestBindReportsIgnoredRemark(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	v := newVillage(f)
	f.IgnoreRemarks(true)
	e := newEnv(t, f, nil)
	e.start()
	if _, err := e.a.Bind(context.Background(), f.UserName(v.wang), "wangwu"); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(e.a.Problems(), "\n"); !strings.Contains(p, "备注改为「wangwu」") {
		t.Errorf("Problems = %q, want the manual fix", p)
	}
	f.SayPrivately(v.wang, "你好")
	if in := e.rec.next(t); in.Sender != "wangwu" {
		t.Errorf("sender %q: the binding should hold for this session", in.Sender)
	}
	if _, err := e.a.Bind(context.Background(), f.UserName(v.stranger), "zhaoliu"); !errors.Is(err, bot.ErrCannotReach) {
		t.Errorf("Bind of a non-friend: %v, want ErrCannotReach", err)
	}
}

func TestReplayedMessageHandedOnce(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	v := newVillage(f)
	e := newEnv(t, f, withMemberKeys)
	e.start()
	id := f.Say(v.group, v.zhang, "同意")
	e.rec.next(t)
	f.Replay(id)
	next := f.Say(v.group, v.li, "反对")
	if in := e.rec.next(t); in.ID != "wx:"+next {
		t.Errorf("got %s, want the replay skipped", in.ID)
	}
}

func TestUnexpectedJSONIsLoggedAndRetried(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	v := newVillage(f)
	e := newEnv(t, f, withMemberKeys)
	e.start()
	f.BreakNextSync()
	id := f.Say(v.group, v.zhang, "同意")
	if in := e.rec.next(t); in.ID != "wx:"+id {
		t.Errorf("got %+v", in)
	}
	if !strings.Contains(e.logs.String(), "同步出错") {
		t.Errorf("malformed answer not logged:\n%s", e.logs)
	}
}

func TestTooOftenBacksOff(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	newVillage(f)
	e := newEnv(t, f, nil)
	e.start()
	f.ForceSendRet(wxfake.RetTooOften)
	err := e.send(bot.Outgoing{Chat: "幸福村议事群", Text: "计票结果"})
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) || ra.After != e.opt.TooOftenBackoff {
		t.Fatalf("Send = %v, want RetryAfterError after %v", err, e.opt.TooOftenBackoff)
	}
	hits := f.Hits("webwxsendmsg")
	if err := e.send(bot.Outgoing{Chat: "幸福村议事群", Text: "计票结果"}); !errors.As(err, &ra) {
		t.Fatalf("Send during the pause = %v, want RetryAfterError", err)
	}
	if f.Hits("webwxsendmsg") != hits {
		t.Error("Send during the pause reached WeChat")
	}
	time.Sleep(ra.After)
	if err := e.send(bot.Outgoing{Chat: "幸福村议事群", Text: "计票结果"}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Sent()); n != 1 {
		t.Errorf("%d messages delivered, want 1", n)
	}
}

func TestLogoutStopsCleanlyAndResumes(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	v := newVillage(f)
	e := newEnv(t, f, withMemberKeys)
	e.start()
	f.ForceSyncRet(wxfake.RetLoginCheck)
	err := e.ended()
	if !errors.Is(err, ErrLoggedOut) {
		t.Fatalf("Run = %v, want ErrLoggedOut", err)
	}
	if err := e.send(bot.Outgoing{Chat: "幸福村议事群", Text: "待发送"}); !errors.Is(err, ErrLoggedOut) {
		t.Errorf("Send while logged out = %v, want ErrLoggedOut (the core keeps it)", err)
	}
	if p := strings.Join(e.a.Problems(), "\n"); !strings.Contains(p, "退出登录") {
		t.Errorf("Problems = %q", p)
	}
	during := f.Say(v.group, v.zhang, "同意") // sent while the bot is away

	e.start() // the session is dead: hot login fails, a new scan follows
	if f.Scans() != 2 {
		t.Errorf("scans = %d, want 2", f.Scans())
	}
	if in := e.rec.next(t); in.ID != "wx:"+during {
		t.Errorf("got %+v, want the message sent during the logout", in)
	}
	if err := e.send(bot.Outgoing{Chat: "幸福村议事群", Text: "待发送"}); err != nil {
		t.Fatal(err)
	}
	if len(e.a.Problems()) != 0 {
		t.Errorf("Problems after login: %q", e.a.Problems())
	}
}

func TestLogoutSeenBySend(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	newVillage(f)
	e := newEnv(t, f, nil)
	e.start()
	f.ForceSendRet(wxfake.RetLoginWarn)
	if err := e.send(bot.Outgoing{Chat: "幸福村议事群", Text: "通知"}); !errors.Is(err, ErrLoggedOut) {
		t.Fatalf("Send = %v", err)
	}
	if err := e.ended(); !errors.Is(err, ErrLoggedOut) {
		t.Fatalf("Run = %v", err)
	}
}

// flaky makes webwxsendmsg fail at the HTTP level, before or after the
// request reached the fake.
type flaky struct {
	base         http.RoundTripper
	mode         atomic.Int32 // 0 pass, 1 fail before, 2 lose the answer
	sendAttempts atomic.Int32
}

func (f *flaky) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/webwxsendmsg") {
		return f.base.RoundTrip(req)
	}
	f.sendAttempts.Add(1)
	switch f.mode.Load() {
	case 1:
		return nil, errors.New("connection reset")
	case 2:
		resp, err := f.base.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return nil, errors.New("timeout awaiting response")
	}
	return f.base.RoundTrip(req)
}

func TestSendsAreSingleAttempt(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	newVillage(f)
	tr := &flaky{base: f.Transport()}
	e := newEnv(t, f, func(o *Options) { o.Transport = tr })
	e.start()
	msg := bot.Outgoing{Chat: "幸福村议事群", Text: "投票开始"}

	tr.mode.Store(1)
	if err := e.send(msg); err == nil {
		t.Fatal("Send succeeded over a broken connection")
	}
	if n := tr.sendAttempts.Load(); n != 1 {
		t.Errorf("%d HTTP attempts, want 1 (openwechat retries 5 times by default)", n)
	}

	tr.mode.Store(2) // WeChat got it, the answer was lost
	if err := e.send(msg); err == nil {
		t.Fatal("Send reported success without an answer")
	}
	tr.mode.Store(0) // the core retries: same ClientMsgId, no duplicate
	if err := e.send(msg); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Sent()); n != 1 {
		t.Errorf("message delivered %d times, want 1", n)
	}
	if err := e.send(msg); err != nil { // a retry after success is a no-op
		t.Fatal(err)
	}
	if n := f.Hits("webwxsendmsg"); n != 2 {
		t.Errorf("%d requests reached WeChat, want 2", n)
	}
	if err := e.send(bot.Outgoing{Chat: "不存在的群", Text: "x"}); err == nil || errors.Is(err, bot.ErrCannotReach) {
		t.Errorf("unknown group: %v", err)
	}
	if err := e.send(bot.Outgoing{Chat: "nobody", Private: true, Text: "x"}); !errors.Is(err, bot.ErrCannotReach) {
		t.Errorf("private to a non-friend: %v, want ErrCannotReach", err)
	}
}

func TestLongTextPartsResumeAfterFailure(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	newVillage(f)
	e := newEnv(t, f, func(o *Options) { o.MaxRunes = 30 })
	e.start()
	text := strings.Repeat("第一段内容。\n", 4) + strings.Repeat("第二段。\n", 4) + "结尾"
	f.ForceSendRet(0, wxfake.RetTooOften)
	var ra *bot.RetryAfterError
	if err := e.send(bot.Outgoing{Chat: "幸福村议事群", Text: text}); !errors.As(err, &ra) {
		t.Fatalf("Send = %v, want RetryAfterError", err)
	}
	time.Sleep(ra.After)
	if err := e.send(bot.Outgoing{Chat: "幸福村议事群", Text: text}); err != nil {
		t.Fatal(err)
	}
	sent := wxfake.SentTo(f.Sent(), "幸福村议事群")
	want := splitText(text, 30)
	if len(want) < 3 || strings.Join(sent, "|") != strings.Join(want, "|") {
		t.Errorf("sent %q, want each part once: %q", sent, want)
	}
}

func TestNewerTallySupersedesQueued(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	newVillage(f)
	e := newEnv(t, f, nil)
	e.start()
	e.a.out.sendMu.Lock() // a send in progress: the next ones queue
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, text := range []string{"计票：同意 3", "计票：同意 4"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.send(bot.Outgoing{Chat: "幸福村议事群", Text: text, Key: "tally"})
		}()
		for !func() bool {
			e.a.out.mu.Lock()
			defer e.a.out.mu.Unlock()
			return e.a.out.keyGen["g:幸福村议事群\x00tally"] == uint64(i+1)
		}() {
			time.Sleep(time.Millisecond)
		}
	}
	e.a.out.sendMu.Unlock()
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if sent := wxfake.SentTo(f.Sent(), "幸福村议事群"); len(sent) != 1 || sent[0] != "计票：同意 4" {
		t.Errorf("sent %q, want only the newest tally", sent)
	}
}

func TestGroupProblems(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	v := newVillage(f)
	f.AddGroup("重名群", v.zhang)
	f.AddGroup("重名群", v.li)
	e := newEnv(t, f, func(o *Options) {
		o.Groups = []string{"幸福村议事群", "已解散的群", "重名群"}
		withMemberKeys(o)
	})
	e.start()
	p := strings.Join(e.a.Problems(), "\n")
	if !strings.Contains(p, "「已解散的群」登录后没有找到") || !strings.Contains(p, "同名的微信群「重名群」") {
		t.Errorf("Problems = %q", p)
	}
	if !strings.Contains(e.logs.String(), "level=WARN") {
		t.Error("problems not logged at Warn")
	}

	f.RenameGroup(v.group, v.zhang, "幸福村闲聊")
	f.Say(v.group, v.li, "同意")
	if in := e.rec.next(t); in.Chat != "幸福村议事群" {
		t.Errorf("renamed group: chat %q, want the configured name until re-login", in.Chat)
	}
	if p := strings.Join(e.a.Problems(), "\n"); !strings.Contains(p, "已被改名为「幸福村闲聊」") {
		t.Errorf("rename not reported: %q", p)
	}
}

func TestSendPacing(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	newVillage(f)
	e := newEnv(t, f, func(o *Options) { o.SendInterval = 40 * time.Millisecond })
	e.start()
	start := time.Now()
	for i := 0; i < 4; i++ {
		if err := e.send(bot.Outgoing{Chat: "幸福村议事群", Text: strings.Repeat("x", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	// A lower bound only: the limiter must space the messages out.
	if d := time.Since(start); d < 3*40*time.Millisecond {
		t.Errorf("4 messages in %v, want at least 120ms apart", d)
	}
}
