package telegram_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/telegram/tgtest"
)

// dropped sends text into the group and waits until privacy mode has kept
// it from the bot (it never reaches the core).
func (v *village) dropped(name, text string) {
	v.t.Helper()
	before := v.tr.Dropped()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := v.cl.Send(ctx, v.users[name], v.group, text); err != nil {
		v.t.Fatal(err)
	}
	for v.tr.Dropped() == before {
		select {
		case <-ctx.Done():
			v.t.Fatalf("%s: %q was not dropped by privacy mode", name, text)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// answered waits until a press of name was answered with a text holding
// part, and returns it.
func (v *village) answered(name, part string) string {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		for _, a := range v.tr.Answers(v.id(name)) {
			if strings.Contains(a.Text, part) {
				return a.Text
			}
		}
		select {
		case <-ctx.Done():
			v.t.Fatalf("%s: no button answer with %q (answers %+v)", name, part, v.tr.Answers(v.id(name)))
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// TestEmulatorPrivacyMode runs a deliberation in a group where the bot is
// in privacy mode and not an administrator, filtered as Telegram filters
// it: typed commands, check-ins and votes never arrive; slash commands,
// buttons and replies to the bot do. The bot says what it cannot see and
// the fix, refuses to open the meeting until the bot is made an
// administrator, and once the statements are minuted the rest of the
// meeting works again without administrator rights. Every voter sees their
// own confirmation: a button answer, or a private message.
func TestEmulatorPrivacyMode(t *testing.T) {
	v := newVillage(t)
	v.tr.SetAdmin(v.group.ID, false)
	v.start()
	g := v.group.ID
	for deadline := time.Now().Add(10 * time.Second); v.tr.Commands() == nil && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond) // setMyCommands follows getMe
	}
	if cmds := v.tr.Commands(); cmds["kaishi"] == "" || cmds["qiandao"] == "" || cmds["zancheng"] == "" {
		t.Fatalf("setMyCommands: %v", cmds)
	}
	for _, m := range v.comm.Roster {
		if m.Name != "李秀兰" && m.Name != "陈美华" {
			v.private(m.Name, "/start houchen")
		}
	}
	v.private("张建国", "绑定码 李秀兰")
	code := regexp.MustCompile(`绑定 (\d{6})`).FindStringSubmatch(v.waitText(v.id("张建国"), "的绑定码：").Text)
	if code == nil {
		t.Fatal("no bind code")
	}
	v.private("李秀兰", "/bind "+code[1])
	v.waitText(v.id("李秀兰"), "绑定成功")
	for _, line := range []string{"提议", "村口到小学路段安装路灯", "村口到村小学的800米路段没有路灯，希望安装太阳能路灯。", "3组、4组村民和村小学师生", "1", "确认"} {
		v.private("陈小龙", line)
	}
	for _, line := range []string{"审定 #1", "1", "1", "1 2 3 4 5", "好"} {
		v.private("张建国", line)
	}
	for _, line := range []string{"方案 #1", "12月1日 11:30", "村民生议事厅", "3", "好", "1", "确认"} {
		v.private("张建国", line)
	}
	v.waitText(v.id("何桂芳"), "【议事协商通知】#1")

	// The bot says what it cannot see, the fix, and where to press Start.
	notice := v.waitText(g, "隐私模式")
	for _, want := range []string{"不是本群管理员", "/setprivacy", "Disable", "管理员", "https://t.me/TestNameBot?start=houchen"} {
		if !strings.Contains(notice.Text, want) {
			t.Errorf("privacy notice lacks %q:\n%s", want, notice.Text)
		}
	}
	// Typed commands never arrive; the slash form is refused with the fix.
	v.dropped("张建国", "开始协商 #1")
	v.dropped("陈志强", "签到")
	// Refused by the adapter itself, so it never reaches the core.
	if err := v.cl.Send(context.Background(), v.users["张建国"], v.group, "/kaishi #1"); err != nil {
		t.Fatal(err)
	}
	refusal := v.waitText(g, "现在不能开始协商")
	if !strings.Contains(refusal.Text, "@BotFather") || !strings.Contains(refusal.Text, "移出本群") {
		t.Errorf("refusal lacks the fix:\n%s", refusal.Text)
	}
	v.inGroup("陈志强", "/qiandao") // check-in before the meeting opens
	v.waitText(v.id("陈志强"), "陈志强 已签到")
	att := v.waitText(g, "【签到】", "实到1人")
	if len(att.Buttons) != 1 || att.Buttons[0].Text != "签到" {
		t.Fatalf("attendance message buttons: %+v", att.Buttons)
	}

	// The fix: the bot is made an administrator. The meeting opens; every
	// check-in edits the one attendance message.
	v.tr.SetAdmin(g, true)
	v.inGroup("张建国", "/kaishi@TestNameBot #1")
	v.waitText(g, "【协商开始】")
	for _, m := range v.comm.Roster {
		switch m.Name {
		case "陈志强":
		case "张建国", "陈秀英":
			v.inGroup(m.Name, "签到")
			v.waitText(v.id(m.Name), m.Name+" 已签到")
		default:
			v.press(m.Name, att, "签到")
			v.answered(m.Name, "已签到")
		}
	}
	if n := v.count(g, "【签到】"); n != 1 {
		t.Errorf("%d attendance messages in the group, want 1 edited in place", n)
	}
	v.waitText(g, "【签到】", "实到12人")
	v.inGroup("张建国", "下一步")
	v.inGroup("陈小龙", "这段路晚上太黑了，我家孩子每天都走。")
	v.waitText(v.id("陈小龙"), "陈小龙，您的发言已记入会议记录") // told to the speaker, not the group
	v.inGroup("张建国", "下一步")
	v.inGroup("陈志强", "太阳能路灯一盏约三千元，10盏三万元。")
	v.waitText(v.id("陈志强"), "陈志强，您的发言已记入会议记录") // told to the speaker, not the group
	// A voice message is noted in the minutes (not transcribed).
	v.say("胡丽萍", v.group, "", tgtest.With("voice", map[string]any{"file_id": "v1", "file_unique_id": "u1", "duration": 42}))
	v.waitText(v.id("胡丽萍"), "胡丽萍，您的发言已记入会议记录") // told to the speaker, not the group
	if n := v.count(g, "已记入会议记录"); n != 0 {
		t.Errorf("%d statement acknowledgements in the group, want none (each goes to its speaker)", n)
	}

	// Administrator rights taken away again: the vote works with what
	// privacy mode lets through.
	v.tr.SetAdmin(g, false)
	v.dropped("胡德明", "我再说一句")
	v.inGroup("张建国", "/biaojue 同意在村口到村小学路段东侧安装太阳能路灯10盏")
	vote := v.waitText(g, "【开始表决】")
	v.dropped("陈小龙", "赞成") // a typed vote never arrives
	v.say("何桂芳", v.group, "同意", tgtest.ReplyTo(vote, v.group))
	v.waitText(v.id("何桂芳"), "何桂芳：已记录「赞成」")
	v.inGroup("胡德明", "/fandui")
	v.waitText(v.id("胡德明"), "胡德明：已记录「反对」")
	for _, name := range []string{"陈小龙", "陈海峰", "李秀兰", "胡志刚", "陈志强", "胡丽萍", "王卫东", "陈秀英", "陈美华"} {
		v.press(name, vote, "赞成")
		if got := v.answered(name, "已记录"); got != name+"：已记录「赞成」。" {
			t.Errorf("%s's press answered %q", name, got)
		}
	}
	v.inGroup("张建国", "/zancheng")
	result := v.waitText(g, "【表决结果】")
	for _, want := range []string{"赞成11人", "反对1人", "结果：通过"} {
		if !strings.Contains(result.Text, want) {
			t.Errorf("result lacks %q:\n%s", want, result.Text)
		}
	}
	v.inGroup("张建国", "/gongshi #1")
	v.waitText(g, "已在群里公示")
	v.private("胡丽萍", "记录 #1")
	v.waitText(v.id("胡丽萍"), "城乡社区议事协商记录表", "胡丽萍", "发送了一段语音，42秒")
}
