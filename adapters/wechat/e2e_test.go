package wechat_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/wechat"
	"github.com/yishi-community/yishi/adapters/wechat/wxfake"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

// The deliberation of the console demo (cmd/yishi/demo.txt), played by 13
// WeChat friends of the bot account in one group. Lines are "群: 名字: 文字"
// or "私: 名字: 文字"; the markers split it where the test steps in.
const (
	scriptPropose = `
私: 陈小龙: 提议
私: 陈小龙: 村口到小学路段安装路灯
私: 陈小龙: 村口到村小学的800米路段没有路灯，冬天晚上孩子放学、老人散步都看不清路，去年有人摔伤。希望安装太阳能路灯。
私: 陈小龙: 3组、4组村民和村小学师生
私: 陈小龙: 1
私: 陈小龙: 确认
私: 张建国: 待审定
私: 张建国: 审定 #1
私: 张建国: 1
私: 张建国: 1
私: 张建国: 1 2 3 4 5
私: 张建国: 好
私: 张建国: 方案 #1
私: 张建国: 12月5日 19:30
私: 张建国: 村民生议事厅
私: 张建国: 3
私: 张建国: 好
私: 张建国: 1
私: 张建国: 确认`
	scriptMeeting = `
群: 张建国: @议事助手 开始协商 #1
群: 张建国: 是
群: 张建国: 签到
群: 陈志强: 签到
群: 陈秀英: 签到
群: 胡丽萍: 签到
群: 王卫东: 签到
群: 胡德明: 签到
群: 陈美华: 签到
群: 陈海峰: 签到
群: 何桂芳: 签到
群: 胡志刚: 签到
群: 陈小龙: 签到
群: 李秀兰: 签到
群: 吴晓明: 签到
群: 张建国: 下一步
群: 陈小龙: 这段路晚上太黑了，我家孩子每天都走，去年隔壁阿婆在这里摔了一跤。
群: 张建国: 下一步
群: 陈志强: 太阳能路灯一盏约三千元，10盏三万元，可以从村集体公益金里列支。
群: 何桂芳: 建议装在路的东侧，西侧是农田，灯光会影响庄稼。
群: 胡德明: 采购要公开比价，监委会全程监督。
群: 李秀兰: 我担心以后电池坏了没人修。
群: 张建国: 开始表决 同意在村口到村小学路段东侧安装太阳能路灯10盏，费用约3万元从村集体公益金列支，公开比价采购，由村委会负责日常维护
群: 陈小龙: @议事助手` + "\u2005" + `赞成
群: 何桂芳: 同意
群: 陈海峰: 1
群: 李秀兰: 反对
群: 李秀兰: 赞成
群: 吴晓明: 赞成
群: 胡志刚: 赞城
群: 胡志刚: 弃权`
	scriptWhileLoggedOut = `
群: 陈志强: 赞成
群: 胡丽萍: 赞成`
	scriptLastVotes = `
群: 王卫东: 赞成
群: 陈秀英: 同意
群: 陈美华: 赞成
群: 胡德明: 2
群: 张建国: 赞成`
	scriptResult = `
私: 胡丽萍: 确认记录 #1
私: 胡丽萍: 事项 #1 比价采购并安装太阳能路灯10盏；王卫东；2027-01-31；监委会每两周到现场查看一次
群: 张建国: 公示 #1
群: 陈小龙: 查看 #1`
)

const groupName = "后陈村议事群"

// demoClock starts on 2026-12-01 10:00 in China, before the scripted
// meeting date, and moves with real time (vote deadlines need it).
type demoClock struct{ start time.Time }

func (c demoClock) Now() time.Time {
	return time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)).Add(time.Since(c.start))
}

type e2e struct {
	t      *testing.T
	f      *wxfake.Server
	dir    string
	comm   *config.Community
	people map[string]*wxfake.Person
	group  *wxfake.Group
	keys   []string
	clock  bot.Clock
	log    *slog.Logger
	ids    map[string]string // "名字: 文字" → message id

	ad     *wechat.Adapter
	app    *app.App
	cancel context.CancelFunc
	done   chan error
}

func (h *e2e) open() {
	h.t.Helper()
	store := &lazyStore{}
	ad, err := wechat.New(wechat.Options{
		DataDir: h.dir, Store: store, Groups: []string{groupName}, MemberKeys: h.keys,
		Logger: h.log, QRWriter: io.Discard, Transport: h.f.Transport(),
		SendInterval: time.Millisecond, SendJitter: -1, GroupPerMinute: 60000,
		TooOftenBackoff: 50 * time.Millisecond, SyncRetry: 10 * time.Millisecond, RefreshEvery: time.Millisecond,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	a, err := app.Open(context.Background(), app.Options{DataDir: h.dir, Communities: []*config.Community{h.comm},
		Adapters: []bot.Adapter{ad}, Clock: h.clock, Logger: h.log, TickEvery: 20 * time.Millisecond})
	if err != nil {
		h.t.Fatal(err)
	}
	store.Store = a.Store // the adapter keeps its records in the app's badger
	h.ad, h.app = ad, a
}

func (h *e2e) run() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.app.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for !h.ad.Connected() {
		if time.Now().After(deadline) {
			h.t.Fatal("WeChat did not log in")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *e2e) stop() {
	h.cancel()
	<-h.done
	if err := h.app.Close(); err != nil {
		h.t.Fatal(err)
	}
}

// play sends each line and waits until the bot has handled it.
func (h *e2e) play(script string) []string {
	h.t.Helper()
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(script), "\n") {
		where, rest, _ := strings.Cut(l, ": ")
		who, text, _ := strings.Cut(rest, ": ")
		p := h.people[who]
		if p == nil {
			h.t.Fatalf("unknown person in %q", l)
		}
		var id string
		if where == "群" {
			id = h.f.Say(h.group, p, text)
		} else {
			id = h.f.SayPrivately(p, text)
		}
		h.ids[who+": "+text] = id
		ids = append(ids, id)
		if !h.f.WaitHandled(id, 20*time.Second) {
			h.t.Fatalf("not handled: %q", l)
		}
	}
	return ids
}

// waitSent waits for a message to a person or the group containing want.
func (h *e2e) waitSent(to, want string) string {
	h.t.Helper()
	var found string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, text := range wxfake.SentTo(h.f.Sent(), to) {
			if strings.Contains(text, want) {
				found = text
			}
		}
		if found != "" {
			return found
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("nothing containing %q was sent to %s; sent: %q", want, to, wxfake.SentTo(h.f.Sent(), to))
	return ""
}

// lazyStore lets the adapter be built before the app opens the store.
type lazyStore struct{ bot.Store }

func (s *lazyStore) Scan(prefix []byte, fn func(k, v []byte) (bool, error)) error {
	if s.Store == nil {
		return nil // nothing stored yet at construction
	}
	return s.Store.Scan(prefix, fn)
}

func TestDeliberationEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	f := wxfake.New()
	defer f.Close()
	h := &e2e{t: t, f: f, dir: t.TempDir(), comm: config.Sample(), people: map[string]*wxfake.Person{},
		clock: demoClock{start: time.Now()}, ids: map[string]string{},
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	h.comm.Groups = []config.Group{{Name: groupName, Platform: wechat.Platform, Chat: groupName}}
	var members []*wxfake.Person
	for i := range h.comm.Roster {
		m := &h.comm.Roster[i]
		p := f.AddFriend(m.Name)
		h.people[m.Name] = p
		members = append(members, p)
		if m.Name == "陈小龙" {
			continue // binds himself below
		}
		// The others were bound earlier: the remark is in the config.
		if m.Identities == nil {
			m.Identities = map[string]string{}
		}
		m.Identities[wechat.Platform] = m.ID
		f.SetRemark(p, m.ID)
		h.keys = append(h.keys, m.ID)
	}
	if len(members) < 12 {
		t.Fatalf("sample roster has %d members, want at least 12", len(members))
	}
	h.group = f.AddGroup(groupName, members...)
	h.open()
	h.run()

	// Binding: the secretary asks for a code, the member sends it privately.
	h.play("私: 张建国: 绑定码 陈小龙")
	codeMsg := h.waitSent("张建国", "的绑定码：")
	code := regexp.MustCompile(`绑定码：(\S+?)，`).FindStringSubmatch(codeMsg)
	if code == nil {
		t.Fatalf("no code in %q", codeMsg)
	}
	h.play("私: 陈小龙: 绑定 " + code[1])
	h.waitSent("陈小龙", "绑定成功")
	if r := f.Remark(h.people["陈小龙"]); r != "houchen-chenxiaolong" {
		t.Fatalf("remark after binding = %q", r)
	}

	// Proposal, approval, plan: every participant is notified privately.
	h.play(scriptPropose)
	for _, name := range []string{"陈小龙", "陈志强", "李秀兰", "吴晓明"} {
		h.waitSent(name, "12月5日")
	}

	// Meeting, check-in, statements, the first votes.
	h.play(scriptMeeting)

	// WeChat logs the account out mid-vote.
	f.ForceSyncRet(wxfake.RetLoginCheck)
	select {
	case err := <-h.done:
		if !errors.Is(err, wechat.ErrLoggedOut) {
			t.Fatalf("app.Run = %v, want ErrLoggedOut", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("logout not noticed")
	}
	// Votes cast while the bot is away, and a reply waiting in the outbox.
	var away []string
	for _, l := range strings.Split(strings.TrimSpace(scriptWhileLoggedOut), "\n") {
		_, rest, _ := strings.Cut(l, ": ")
		who, text, _ := strings.Cut(rest, ": ")
		away = append(away, f.Say(h.group, h.people[who], text))
	}
	// A new scan (the session is dead), new UserNames, the same members.
	h.run()
	if f.Scans() != 2 {
		t.Fatalf("scans = %d, want a new scan after the logout", f.Scans())
	}
	for _, id := range away {
		if !f.WaitHandled(id, 20*time.Second) {
			t.Fatal("votes cast during the logout were not handled")
		}
	}

	// Restart the program: hot login, no scan; WeChat replays an old vote.
	h.stop()
	h.open()
	h.run()
	if f.Scans() != 2 {
		t.Fatalf("scans = %d, want a hot login", f.Scans())
	}
	replayed := h.ids["李秀兰: 反对"]
	if !f.Replay(replayed) || !f.WaitHandled(replayed, 20*time.Second) {
		t.Fatal("replay not delivered")
	}

	// The last votes close the vote; record, follow-up, publication.
	h.play(scriptLastVotes)
	h.play(scriptResult)
	view := h.waitSent(groupName, "表决：")
	// As on the console demo: 吴晓明 only observes; 李秀兰 changed her
	// vote to 赞成, and the replay of her earlier 反对 must not undo that.
	if want := "表决：赞成10 反对1 弃权1(实到12)"; !strings.Contains(view, want) {
		t.Errorf("result %q, want %q", view, want)
	}
	// Every vote was acknowledged exactly once: replies queued when WeChat
	// logged out were sent after the new login, none twice, and the replay
	// produced no second answer.
	voters := []string{"陈小龙", "何桂芳", "陈海峰", "李秀兰", "胡志刚", "陈志强", "胡丽萍", "王卫东", "陈秀英", "陈美华", "胡德明", "张建国"}
	for _, who := range voters {
		h.waitSent(groupName, who+"：已记录") // the outbox retries after its backoff
	}
	group := wxfake.SentTo(f.Sent(), groupName)
	for _, who := range voters {
		n := 0
		for _, text := range group {
			// Acknowledgements that waited in the queue are merged, one per line.
			for _, line := range strings.Split(text, "\n") {
				if strings.HasPrefix(line, who+"：已记录") {
					n++
				}
			}
		}
		if n != 1 {
			t.Errorf("%s's vote acknowledged %d times, want 1", who, n)
		}
	}
	h.stop()
	if p := h.ad.Problems(); len(p) != 0 {
		t.Errorf("problems left: %q", p)
	}
}
