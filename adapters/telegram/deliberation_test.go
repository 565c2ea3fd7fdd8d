package telegram_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/telegram"
	"github.com/yishi-community/yishi/adapters/telegram/tgtest"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/storage"
)

// liveClock starts on 2026-12-01 10:00 in China and runs at real speed, so
// the plan's "12月1日 11:30" is in the future and the meeting opens less
// than 2 hours before its planned time (no early-opening confirmation,
// and no reminder falls due during a test).
type liveClock struct{ start time.Time }

func (c liveClock) Now() time.Time {
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	return base.Add(time.Since(c.start))
}

// countingAdapter counts the updates the core has handled, so the test can
// wait for one before sending into another chat (order across chats is not
// promised, only within one).
type countingAdapter struct {
	*telegram.Adapter
	handled *atomic.Int64
}

func (c countingAdapter) Run(ctx context.Context, h bot.Handler) error {
	return c.Adapter.Run(ctx, handlerFunc(func(ctx context.Context, in bot.Incoming) error {
		err := h.Handle(ctx, in)
		c.handled.Add(1)
		return err
	}))
}

type handlerFunc func(context.Context, bot.Incoming) error

func (f handlerFunc) Handle(ctx context.Context, in bot.Incoming) error { return f(ctx, in) }

// village is the sample village 后陈村 moved to Telegram: its group is
// -1001, member i has Telegram id 1001+i; 李秀兰 has no Telegram identity
// yet and binds with a code during the test.
type village struct {
	t       *testing.T
	emu     *tgtest.Emulator
	cl      *tgtest.Client
	tr      *tgtest.Translator
	comm    *config.Community
	dir     string
	users   map[string]tgtest.User
	group   tgtest.Chat
	handled atomic.Int64
	clock   liveClock
	logs    io.Writer

	app    *app.App
	cancel context.CancelFunc
	done   chan error
}

func newVillage(t *testing.T) *village {
	emu := tgtest.Start(t)
	v := &village{t: t, emu: emu, cl: emu.Client(testToken), tr: tgtest.NewTranslator(true),
		dir: t.TempDir(), users: map[string]tgtest.User{}, group: tgtest.Chat{ID: -1001, Type: "group", Title: "后陈村议事群"},
		clock: liveClock{start: time.Now()}, logs: io.Discard}
	if testing.Verbose() {
		v.logs = os.Stderr
	}
	v.comm = config.Sample()
	v.comm.Groups = []config.Group{{Name: "后陈村议事群", Platform: telegram.Platform, Chat: "-1001"}}
	for i := range v.comm.Roster {
		m := &v.comm.Roster[i]
		u := tgtest.User{ID: int64(1001 + i), FirstName: m.Name}
		v.users[m.Name] = u
		if m.Name == "李秀兰" {
			continue
		}
		if m.Identities == nil {
			m.Identities = map[string]string{}
		}
		m.Identities[telegram.Platform] = fmt.Sprint(u.ID)
	}
	v.users["路人甲"] = tgtest.User{ID: 3000, FirstName: "路人甲"}
	// Privacy mode is on (the Telegram default); as an administrator the
	// bot receives every group message anyway. TestEmulatorPrivacyMode
	// plays the group where it is not one.
	v.tr.SetAdmin(v.group.ID, true)
	return v
}

// start opens the data directory and runs the app with the Telegram
// adapter, as the program would.
func (v *village) start() {
	t := v.t
	t.Helper()
	log := slog.New(slog.NewTextHandler(v.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	db, err := storage.Open(v.dir, storage.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ad, err := telegram.New(telegram.Options{
		Config:     telegram.Config{Token: testToken, APIURL: v.emu.URL, PollTimeout: emulatorPollTimeout},
		Store:      db,
		Logger:     log,
		HTTPClient: &http.Client{Transport: v.tr},
		PollGap:    5 * time.Millisecond,
		// As cmd/yishi configures them: each Telegram group of the
		// communities, for the notice at start and the start link.
		NoticeChats: []int64{v.group.ID},
		Communities: map[int64]string{v.group.ID: v.comm.ID},
		// The emulator does not rate-limit; the limiter has its own tests
		// and benchmark. Telegram's real limits would make this test wait
		// 3 s per group message.
		Limits: telegram.Limits{PerChat: 1000, PerGroup: 1000, Global: 1000},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Options{DataDir: v.dir, Store: db, Communities: []*config.Community{v.comm},
		Adapters: []bot.Adapter{countingAdapter{ad, &v.handled}}, Clock: v.clock, Logger: log, TickEvery: 50 * time.Millisecond})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	v.app, v.cancel, v.done = a, cancel, make(chan error, 1)
	go func() { v.done <- a.Run(ctx) }()
	select {
	case <-ad.Ready():
	case err := <-v.done:
		t.Fatalf("app ended at start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("telegram adapter not ready")
	}
	t.Cleanup(v.stop)
}

func (v *village) stop() {
	if v.app == nil {
		return
	}
	v.cancel()
	select {
	case err := <-v.done:
		if err != nil && err != context.Canceled {
			v.t.Errorf("app.Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		v.t.Error("app did not stop")
	}
	if err := v.app.Close(); err != nil {
		v.t.Errorf("close: %v", err)
	}
	waitLongPollExpired()
	v.app = nil
}

// say sends text from a member into chat and waits until the core has
// handled it.
func (v *village) say(name string, chat tgtest.Chat, text string, opts ...tgtest.MessageOption) {
	v.t.Helper()
	v.send(func(ctx context.Context) error { return v.cl.Send(ctx, v.users[name], chat, text, opts...) }, name+": "+text)
}

func (v *village) inGroup(name, text string) { v.t.Helper(); v.say(name, v.group, text) }

func (v *village) private(name, text string) {
	v.t.Helper()
	v.say(name, tgtest.Private(v.users[name]), text)
}

// press presses a button of a bot message in the group.
func (v *village) press(name string, m tgtest.BotMessage, label string) {
	v.t.Helper()
	data := ""
	for _, b := range m.Buttons {
		if b.Text == label {
			data = b.Data
		}
	}
	if data == "" {
		v.t.Fatalf("message %q has no button %s: %+v", m.Text, label, m.Buttons)
	}
	v.send(func(ctx context.Context) error { return v.cl.Press(ctx, v.users[name], v.group, m, data) }, name+" presses "+label)
}

func (v *village) send(do func(context.Context) error, what string) {
	v.t.Helper()
	want := v.handled.Load() + 1
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := do(ctx); err != nil {
		v.t.Fatalf("%s: %v", what, err)
	}
	v.waitHandled(ctx, want, what)
}

func (v *village) waitHandled(ctx context.Context, want int64, what string) {
	v.t.Helper()
	for v.handled.Load() < want {
		select {
		case <-ctx.Done():
			v.t.Fatalf("%s: not handled (handled %d, want %d)", what, v.handled.Load(), want)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// waitText waits for a bot message in chat containing all parts.
func (v *village) waitText(chat int64, parts ...string) tgtest.BotMessage {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var found tgtest.BotMessage
	_, err := v.cl.WaitFor(ctx, fmt.Sprintf("%d: %q", chat, parts), func(ms []tgtest.BotMessage) bool {
		for i := len(ms) - 1; i >= 0; i-- {
			m := ms[i]
			if m.Chat != chat {
				continue
			}
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(m.Text, p)
			}
			if ok {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		v.dump(chat)
		v.t.Fatal(err)
	}
	return found
}

func (v *village) count(chat int64, sub string) int {
	ms, err := v.cl.Messages(context.Background())
	if err != nil {
		v.t.Fatal(err)
	}
	n := 0
	for _, m := range tgtest.In(ms, chat) {
		if strings.Contains(m.Text, sub) {
			n++
		}
	}
	return n
}

func (v *village) dump(chat int64) {
	ms, _ := v.cl.Messages(context.Background())
	for _, m := range tgtest.In(ms, chat) {
		v.t.Logf("[%d #%d] %s", m.Chat, m.ID, m.Text)
	}
}

func (v *village) id(name string) int64 { return v.users[name].ID }

// TestEmulatorDeliberation runs a whole deliberation of the sample village
// (13 members) in a Telegram group through the real core: proposal,
// approval, plan notices (one member has not opened a private chat yet),
// binding a member with a one-time code, check-in, typed, replied and
// button votes, a changed vote, a refused observer and a refused outsider,
// a restart in the middle of the vote with votes arriving while the bot is
// down, the result, publication and the record sheet.
func TestEmulatorDeliberation(t *testing.T) {
	v := newVillage(t)
	v.start()
	g := v.group.ID

	// Everyone but 陈美华 has opened a private chat with the bot.
	for _, m := range v.comm.Roster {
		if m.Name != "陈美华" {
			v.private(m.Name, "/start")
		}
	}
	v.waitText(v.id("李秀兰"), "名册")

	// 李秀兰 is bound with a one-time code; a second use is refused.
	v.private("张建国", "绑定码 李秀兰")
	codeMsg := v.waitText(v.id("张建国"), "的绑定码：")
	code := regexp.MustCompile(`绑定 (\d{6})`).FindStringSubmatch(codeMsg.Text)
	if code == nil {
		t.Fatalf("no code in %q", codeMsg.Text)
	}
	v.private("李秀兰", "/bind@TestNameBot "+code[1])
	v.waitText(v.id("李秀兰"), "李秀兰")
	v.say("路人甲", tgtest.Private(v.users["路人甲"]), "/bind "+code[1]) // single use
	v.waitText(v.id("路人甲"), "只能用一次")

	// Stage 1: 陈小龙 proposes privately; the secretary approves.
	for _, line := range []string{"提议", "村口到小学路段安装路灯",
		"村口到村小学的800米路段没有路灯，冬天晚上孩子放学、老人散步都看不清路，去年有人摔伤。希望安装太阳能路灯。",
		"3组、4组村民和村小学师生", "1", "确认"} {
		v.private("陈小龙", line)
	}
	v.waitText(v.id("陈小龙"), "议题编号 #1")
	for _, line := range []string{"待审定", "审定 #1", "1", "1", "1 2 3 4 5", "好"} {
		v.private("张建国", line)
	}
	v.waitText(v.id("陈小龙"), "已经党组织审定同意")

	// Stage 2: the plan; every participant is told privately. 陈美华 never
	// opened a chat: the group is asked, and the notice arrives once she
	// writes to the bot.
	for _, line := range []string{"方案 #1", "12月1日 11:30", "村民生议事厅", "3", "好", "1", "确认"} {
		v.private("张建国", line)
	}
	v.waitText(v.id("何桂芳"), "【议事协商通知】#1")
	v.waitText(g, "陈美华", "请先私聊我", "?start=houchen")
	// The secretary is told who cannot be reached privately.
	v.waitText(v.id("张建国"), "陈美华还不能私聊收到议事通知")
	if n := v.count(v.id("陈美华"), ""); n != 0 {
		t.Fatalf("陈美华 got %d private messages before opening a chat", n)
	}
	v.private("陈美华", "你好")
	v.waitText(v.id("陈美华"), "【议事协商通知】#1")

	// Stage 3: the meeting in the group.
	v.inGroup("张建国", "开始协商 #1")
	v.waitText(g, "【协商开始】")
	for _, m := range v.comm.Roster {
		v.inGroup(m.Name, "签到")
	}
	v.waitText(v.id("吴晓明"), "吴晓明 已签到") // receipts go privately
	v.waitText(g, "【签到】", "实到12人")     // the group sees one attendance message
	v.inGroup("张建国", "下一步")
	v.inGroup("陈小龙", "这段路晚上太黑了，我家孩子每天都走。*注意* _安全_ <b>")
	v.waitText(v.id("陈小龙"), "陈小龙，您的发言已记入会议记录") // told to the speaker, not the group
	v.inGroup("张建国", "下一步")
	v.inGroup("陈志强", "太阳能路灯一盏约三千元，10盏三万元。")
	v.inGroup("张建国", "开始表决 同意在村口到村小学路段东侧安装太阳能路灯10盏")
	vote := v.waitText(g, "【开始表决】")
	if len(vote.Buttons) != 3 {
		t.Fatalf("vote message buttons = %+v, want 赞成/反对/弃权", vote.Buttons)
	}

	// Votes: typed, a reply to the vote message, buttons, a change.
	v.inGroup("陈小龙", "赞成")
	v.inGroup("何桂芳", "同意")
	v.say("陈海峰", v.group, "1", tgtest.ReplyTo(vote, v.group))
	v.inGroup("李秀兰", "反对")
	v.press("李秀兰", vote, "赞成")       // changes her vote
	v.answered("李秀兰", "李秀兰：已改为「赞成」") // the press's answer
	v.press("吴晓明", vote, "赞成")       // an observer: refused
	v.waitText(v.id("吴晓明"), "您不能表决")
	v.inGroup("路人甲", "赞成") // not on the roster: refused
	v.press("胡志刚", vote, "弃权")
	v.press("陈志强", vote, "赞成")
	v.answered("陈志强", "陈志强：已记录「赞成」")
	v.waitText(g, "【实时计票】", "已投6：赞成5，反对0，弃权1")

	// Restart in the middle of the vote; two votes arrive while down.
	v.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := v.cl.Send(ctx, v.users["胡丽萍"], v.group, "赞成"); err != nil {
		t.Fatal(err)
	}
	if err := v.cl.Press(ctx, v.users["王卫东"], v.group, vote, vote.Buttons[0].Data); err != nil {
		t.Fatal(err)
	}
	want := v.handled.Load() + 2
	v.start()
	v.waitHandled(ctx, want, "votes sent while the bot was down")
	v.answered("王卫东", "王卫东：已记录「赞成」")
	v.waitText(v.id("胡丽萍"), "胡丽萍：已记录「赞成」")

	v.inGroup("陈秀英", "同意")
	v.press("陈美华", vote, "赞成")
	v.inGroup("胡德明", "2")
	v.inGroup("张建国", "赞成")
	result := v.waitText(g, "【表决结果】")
	for _, want := range []string{"表决12人", "赞成10人", "反对1人", "弃权1人", "结果：通过"} {
		if !strings.Contains(result.Text, want) {
			t.Errorf("result lacks %q:\n%s", want, result.Text)
		}
	}
	// Every vote counted once: one confirmation each, one live tally
	// message edited in place (also across the restart).
	// Typed votes are confirmed privately, presses by their answer; none
	// in the group.
	for _, name := range []string{"陈小龙", "胡丽萍", "张建国"} {
		if n := v.count(v.id(name), name+"：已记录"); n != 1 {
			t.Errorf("%s confirmed %d times, want once", name, n)
		}
	}
	for _, name := range []string{"王卫东", "陈美华"} {
		n := 0
		for _, a := range v.tr.Answers(v.id(name)) {
			if strings.Contains(a.Text, "已记录") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s's press confirmed %d times, want once", name, n)
		}
	}
	if n := v.count(g, "已记录「"); n != 0 {
		t.Errorf("%d vote receipts in the group, want none", n)
	}
	if n := v.count(g, "【实时计票】"); n != 1 {
		t.Errorf("%d live tally messages in the group, want 1 edited in place", n)
	}

	// Stage 4: record, follow-up, publication, the record sheet.
	v.private("胡丽萍", "确认记录 #1")
	v.private("胡丽萍", "事项 #1 比价采购并安装太阳能路灯10盏；王卫东；2027-01-31；监委会每两周到现场查看一次")
	v.inGroup("张建国", "公示 #1")
	v.waitText(g, "【村(居)务公开】", "赞成10人")
	v.inGroup("陈小龙", "记录 #1")
	v.waitText(g, "记录表已私聊发给您")
	sheet := v.waitText(v.id("陈小龙"), "城乡社区议事协商记录表") // the long sheet goes privately
	if !strings.Contains(sheet.Text, "村口到小学路段安装路灯") {
		t.Errorf("record sheet:\n%s", sheet.Text)
	}
	// The statement reached the minutes whole (the chat sheet is plain
	// text; verbatim delivery of formatting characters is checked in
	// TestEmulatorRoundTrip).
	if !strings.Contains(sheet.Text, "我家孩子每天都走") || !strings.Contains(sheet.Text, "注意") || !strings.Contains(sheet.Text, "安全") {
		t.Errorf("statement missing from the record sheet:\n%s", sheet.Text)
	}
}
