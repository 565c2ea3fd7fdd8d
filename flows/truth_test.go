package flows_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
)

// Scripts shared by the tests of issue 13: the prelude leaves topic #1
// approved (chair 张建国, recorder 胡丽萍, supervisor 胡德明); plan sets
// it for 12月5日 19:30 without a time limit; meeting moves the clock to
// 18:00 that day, opens it and checks nine participants in; voted runs the
// vote to a result (8 for, 1 against: agreed).
const (
	plan = `[私聊] 张建国: 方案 #1
[私聊] 张建国: 12月5日 19:30
[私聊] 张建国: 村委会三楼会议室
[私聊] 张建国: 1
[私聊] 张建国: 好
[私聊] 张建国: 1
[私聊] 张建国: 确认
`
	meeting = `@advance 104h
[后陈村议事群] 张建国: 开始协商 #1
[后陈村议事群] 张建国: 签到
[后陈村议事群] 陈志强: 签到
[后陈村议事群] 陈秀英: 签到
[后陈村议事群] 胡丽萍: 签到
[后陈村议事群] 王卫东: 签到
[后陈村议事群] 胡德明: 签到
[后陈村议事群] 陈美华: 签到
[后陈村议事群] 陈海峰: 签到
[后陈村议事群] 陈小龙: 签到
`
	voted = `[后陈村议事群] 张建国: 下一步
[后陈村议事群] 张建国: 下一步
[后陈村议事群] 陈海峰: 我同意装路灯，最好选太阳能的
[后陈村议事群] 张建国: 开始表决 同意安装路灯
[后陈村议事群] 张建国: 赞成
[后陈村议事群] 陈志强: 赞成
[后陈村议事群] 陈秀英: 赞成
[后陈村议事群] 胡丽萍: 赞成
[后陈村议事群] 王卫东: 赞成
[后陈村议事群] 胡德明: 赞成
[后陈村议事群] 陈美华: 赞成
[后陈村议事群] 陈海峰: 赞成
[后陈村议事群] 陈小龙: 反对
`
)

func prelude(t *testing.T) string { return readScript(t, "prelude.script") }

// answers returns what the bot said after each input line, keyed by the
// input line's position in the script (1-based, counting only chat lines).
func answers(transcript string) []string {
	var out []string
	for _, line := range strings.Split(transcript, "\n") {
		switch {
		case strings.Contains(line, "] 议事助手: ") || strings.HasPrefix(line, "    "):
			if len(out) > 0 {
				out[len(out)-1] += line + "\n"
			}
		case strings.HasPrefix(line, "["):
			out = append(out, "")
		}
	}
	return out
}

// last is what the bot said after the script's last line.
func last(transcript string) string {
	a := answers(transcript)
	if len(a) == 0 {
		return ""
	}
	return a[len(a)-1]
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: answer lacks %q:\n%s", what, w, got)
		}
	}
}

func mustNotContain(t *testing.T, what, got string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(got, w) {
			t.Errorf("%s: answer must not contain %q:\n%s", what, w, got)
		}
	}
}

// TestNeverGuessTheTopic: 确认记录 #abc, a bare 确认记录, 公示 #abc and a
// bare 公示 used to sign and publish topic #1. A malformed or missing
// number is refused with the format and the fitting topics; only a bare
// command with exactly one fitting topic asks "是指 #N 吗", and only 是
// acts on it.
func TestNeverGuessTheTopic(t *testing.T) {
	h := newHarness(t)
	h.run(prelude(t) + plan + meeting + voted)
	for _, line := range []string{"确认记录 #abc", "确认记录 abc", "确认记录 #", "确认记录 #999"} {
		got := last(h.run("[私聊] 胡丽萍: " + line + "\n"))
		mustNotContain(t, line, got, "已签字确认")
		mustContain(t, line, got, "#1「村口到小学路段安装路灯」")
		if !strings.Contains(got, "#999") {
			mustContain(t, line, got, "不是议题编号", "「确认记录 #编号」")
		}
	}
	got := last(h.run("[私聊] 胡丽萍: 确认记录\n"))
	mustContain(t, "bare 确认记录", got, "是指#1「村口到小学路段安装路灯」吗？回复「是」确认")
	mustNotContain(t, "bare 确认记录", got, "已签字确认")
	// Something else than 是 drops the question and is handled as itself.
	got = last(h.run("[私聊] 胡丽萍: 议题\n"))
	mustContain(t, "议题 after the question", got, "后陈村的议题")
	if got := last(h.run("[私聊] 胡丽萍: 是\n")); strings.Contains(got, "已签字确认") {
		t.Errorf("a 是 after another command must not confirm the dropped question:\n%s", got)
	}
	h.run("[私聊] 胡丽萍: 确认记录\n")
	got = last(h.run("[私聊] 胡丽萍: 是\n"))
	mustContain(t, "是 confirms", got, "记录员胡丽萍已签字确认议题 #1")

	for _, line := range []string{"公示 #abc", "公示"} {
		got := last(h.run("[后陈村议事群] 张建国: " + line + "\n"))
		mustNotContain(t, line, got, "已在群里公示", "【村务公开】")
	}
	got = last(h.run("[后陈村议事群] 张建国: 公示 #999\n"))
	mustContain(t, "公示 #999", got, "没有编号为 #999 的议题", "#1「村口到小学路段安装路灯」")
}

// TestResolverListsSeveral: with two topics in the same stage a bare
// command lists both and asks for the number; it never picks one.
func TestResolverListsSeveral(t *testing.T) {
	h := newHarness(t)
	h.run(prelude(t) + `[私聊] 李秀兰: 提议
[私聊] 李秀兰: 修缮村文化礼堂屋顶
[私聊] 李秀兰: 文化礼堂屋顶漏雨，下雨天活动没法开展，希望修缮。
[私聊] 李秀兰: 全体村民
[私聊] 李秀兰: 1
[私聊] 李秀兰: 确认
[私聊] 张建国: 审定 #2
[私聊] 张建国: 1
[私聊] 张建国: 好
[私聊] 张建国: 1 2 3
[私聊] 张建国: 好
`)
	got := last(h.run("[私聊] 张建国: 方案\n"))
	mustContain(t, "bare 方案 with two approved topics", got, "有2个议题", "#1「村口到小学路段安装路灯」", "#2「修缮村文化礼堂屋顶」", "「方案 #编号」")
	mustNotContain(t, "bare 方案", got, "协商时间？")
}

// TestCommandWordsDuringAFlow: 议题 or 签到 typed while the propose flow
// waits for a title used to become the title; 取消 always cancels.
func TestCommandWordsDuringAFlow(t *testing.T) {
	h := newHarness(t)
	got := h.run(`[私聊] 陈小龙: 提议
[私聊] 陈小龙: 议题
[私聊] 陈小龙: 签到
[私聊] 陈小龙: 提议
[私聊] 陈小龙: 审定 #1
[私聊] 陈小龙: 路灯
[私聊] 陈小龙: 取消
`)
	a := answers(got)
	mustContain(t, "议题 in a flow", a[1], "还没有议题", "还在等您回复")
	mustNotContain(t, "议题 in a flow", a[1], "第2步")
	mustContain(t, "签到 in a flow", a[2], "签到", "还在等您回复")
	mustNotContain(t, "签到 in a flow", a[2], "第2步")
	mustContain(t, "提议 in the propose flow", a[3], "接着回复这个问题", "第1步")
	mustContain(t, "审定 in the propose flow", a[4], "还没有填完")
	mustContain(t, "the real title", a[5], "第2步")
	mustContain(t, "取消", a[6], "已取消「提议」")
}

// TestUnboundGroup: a message from a group the bot is not bound to got
// silence. Now the first message of the day gets one answer: not set up,
// how to bind, and (privately) which groups the sender belongs to; later
// lines that day get none.
func TestUnboundGroup(t *testing.T) {
	h := newHarness(t)
	got := h.run("[隔壁村群] 陈小龙: 签到\n[隔壁村群] 陈小龙: 赞成\n[隔壁村群] 路人: 你好\n")
	a := answers(got)
	mustContain(t, "first line", a[0], "本群「隔壁村群」还没有登记", "groups", "chat: 隔壁村群", "[私聊→陈小龙]", "「后陈村议事群」")
	if a[1] != "" || a[2] != "" {
		t.Errorf("only the first message of the day is answered, got:\n%s", got)
	}
	h.clock.advance(24 * 60 * 60 * 1e9)
	if got := h.run("[隔壁村群] 路人: 你好\n"); !strings.Contains(got, "还没有登记") {
		t.Errorf("a new day gets the answer again:\n%s", got)
	}
}

// TestPrivateVoteTrueReason: a private vote with no open vote, or on a
// topic where the member is not a 协商主体, gets the true reason rather
// than "现在没有处于「表决中」".
func TestPrivateVoteTrueReason(t *testing.T) {
	h := newHarness(t)
	h.run(prelude(t) + plan)
	got := last(h.run("[私聊] 陈海峰: 赞成\n"))
	mustContain(t, "before the vote opens", got, "还没有开始表决")
	h.run(meeting + "[后陈村议事群] 张建国: 开始表决 同意安装路灯\n")
	got = last(h.run("[私聊] 李秀兰: 赞成\n"))
	mustContain(t, "not a participant", got, "正在表决", "不是这个议题的协商主体")
	mustNotContain(t, "not a participant", got, "现在没有处于")
	got = last(h.run("[私聊] 陈海峰: 赞成\n"))
	mustContain(t, "a participant votes privately", got, "已记录「赞成」")
}

// TestShortCheckInReplies: "到" during check-in was minuted as a statement
// and "👍" was ignored; both are check-ins from a participant while the
// meeting is open, and nothing from others.
func TestShortCheckInReplies(t *testing.T) {
	h := newHarness(t)
	h.run(prelude(t) + plan + "@advance 104h\n[后陈村议事群] 张建国: 开始协商 #1\n")
	got := h.run("[后陈村议事群] 陈海峰: 到\n[后陈村议事群] 何桂芳: 👍\n[后陈村议事群] 陈海峰: 到\n[后陈村议事群] 李秀兰: 👍\n")
	a := answers(got)
	mustContain(t, "到", a[0], "陈海峰 已签到")
	mustNotContain(t, "到", a[0], "已记入会议记录")
	mustContain(t, "👍", a[1], "何桂芳 已签到")
	mustContain(t, "到 again", a[2], "已经签过到了")
	if a[3] != "" {
		t.Errorf("👍 from a non-participant is chatter, got %q", a[3])
	}
}

// TestItemRules: an item needs an owner on the roster (or a named outside
// body) and a supervision method, and cannot be added after 审核记录.
func TestItemRules(t *testing.T) {
	h := newHarness(t)
	h.run(prelude(t) + plan + meeting + voted + "[私聊] 胡丽萍: 确认记录 #1\n")
	got := last(h.run("[私聊] 胡丽萍: 事项 #1 安装路灯；王卫东；2027-01-31\n"))
	mustContain(t, "no method", got, "监督方式")
	mustNotContain(t, "no method", got, "已记录")
	got = last(h.run("[私聊] 胡丽萍: 事项 #1 安装路灯；张三丰；2027-01-31；监委会现场查看\n"))
	mustContain(t, "owner not on the roster", got, "不在本村名册上")
	got = last(h.run("[私聊] 胡丽萍: 事项 #1 联系施工队；镇交通办；2027-01-31；监委会电话核实\n"))
	mustContain(t, "an outside body", got, "已记录", "责任人：镇交通办")
	got = last(h.run("[私聊] 胡丽萍: 事项 #1 安装路灯；王卫东；2027-01-31；监委会现场查看\n"))
	mustContain(t, "a roster owner", got, "已记录", "责任人：王卫东")
	h.run("[后陈村议事群] 胡丽萍: 公示 #1\n")
	got = last(h.run("[私聊] 胡德明: 审核记录 #1\n"))
	mustContain(t, "审核记录", got, "各项齐全")
	got = last(h.run("[私聊] 胡丽萍: 事项 #1 补种树木；王卫东；2027-03-31；监委会现场查看\n"))
	mustContain(t, "after 审核记录", got, "已于", "审核通过，不能再添加落实事项")
}

// TestProposalAcknowledgedTruthfully: the summary said 「已提交党组织审定」
// before the proposer confirmed. Now each step says what happened.
func TestProposalAcknowledgedTruthfully(t *testing.T) {
	h := newHarness(t)
	got := h.run(`[私聊] 陈小龙: 提议
[私聊] 陈小龙: 村口到小学路段安装路灯
[私聊] 陈小龙: 村口到村小学的800米路段没有路灯，冬天晚上看不清路。
[私聊] 陈小龙: 3组、4组村民
[私聊] 陈小龙: 1
`)
	summary := last(got)
	mustContain(t, "summary", summary, "还没有提交", "回复「确认」提交给党组织审定")
	mustNotContain(t, "summary", summary, "已提交", "已收到")
	got = last(h.run("[私聊] 陈小龙: 确认\n"))
	mustContain(t, "after 确认", got, "[私聊→张建国]", "[私聊→陈秀英]", "已提交党组织审定", "已私聊通知党组织的张建国、陈秀英")
}

// TestPublishSaysOnlyWhatWasDone: the answer to 公示 said stakeholders
// were told although an outside stakeholder was not.
func TestPublishSaysOnlyWhatWasDone(t *testing.T) {
	h := newHarness(t)
	script := strings.Replace(prelude(t), "[私聊] 张建国: 1 2 3\n", "[私聊] 张建国: 1 2 3 王卫东 物业公司\n", 1)
	got := last(h.run(script + plan + meeting + voted + "[后陈村议事群] 胡丽萍: 公示 #1\n"))
	mustContain(t, "公示", got, "已在群里公示", "已私聊告知提议人陈小龙和名册上的利益相关方王卫东", "名册外的利益相关方(物业公司)", "无法通知")
	mustNotContain(t, "公示", got, "已通报提议人和利益相关方")
}

// TestEarlyOpening: opening more than 2 hours before the planned time
// asks the chair; within 2 hours it opens at once; the announcement shows
// the planned and the actual time.
func TestEarlyOpening(t *testing.T) {
	h := newHarness(t)
	h.run(prelude(t) + plan)
	got := last(h.run("[后陈村议事群] 张建国: 开始协商 #1\n"))
	mustContain(t, "a day early", got, "12月5日 19:30", "早了4天9小时", "回复「是」确认")
	mustNotContain(t, "a day early", got, "【协商开始】")
	got = last(h.run("[后陈村议事群] 张建国: 不了\n"))
	mustNotContain(t, "not confirmed", got, "【协商开始】")
	h.run("[后陈村议事群] 张建国: 开始协商 #1\n")
	got = last(h.run("[后陈村议事群] 张建国: 是\n"))
	mustContain(t, "confirmed", got, "【协商开始】", "计划时间12月5日 19:30，实际开始12月1日 10:00")

	h2 := newHarness(t)
	h2.run(prelude(t) + plan + "@advance 104h\n")
	got = last(h2.run("[后陈村议事群] 张建国: 开始协商 #1\n"))
	mustContain(t, "1.5 hours early", got, "【协商开始】", "实际开始12月5日 18:00")
}

// TestLateCheckInRaisesThreshold: a check-in during the vote that raises
// the FOR votes needed is said in the tally and to the chair.
func TestLateCheckInRaisesThreshold(t *testing.T) {
	h := newHarness(t)
	h.run(prelude(t) + plan + meeting + "[后陈村议事群] 张建国: 开始表决 同意安装路灯\n")
	got := last(h.run("[后陈村议事群] 何桂芳: 签到\n"))
	mustNotContain(t, "a check-in that keeps the threshold (9→10 present: 7 FOR)", got, "【实时计票】")
	got = last(h.run("[后陈村议事群] 胡志刚: 签到\n"))
	mustContain(t, "a check-in that raises it (10→11 present: 8 FOR)", got, "【实时计票】",
		"胡志刚在表决中签到，实到由10人变为11人，通过所需的赞成票由7票变为8票", "[私聊→张建国] 议事助手: 【计票提示】")
}

var doubledPunct = regexp.MustCompile(`[。，；！？、][。，；！？、]`)

// TestNoDoubledPunctuation scans every message the console scenarios
// produce: 「内容：…。；」 came from a template adding a mark after a text
// that ended with one.
func TestNoDoubledPunctuation(t *testing.T) {
	h := newHarness(t)
	all := h.run(prelude(t) + plan + meeting + voted + "[私聊] 胡丽萍: 确认记录 #1\n[后陈村议事群] 胡丽萍: 公示 #1\n[私聊] 陈小龙: 记录 #1\n")
	for _, name := range []string{"vote", "secret", "bad_input", "review", "followup", "recusal"} {
		all += h.run(readScript(t, name+".script"))
	}
	for _, line := range strings.Split(all, "\n") {
		if strings.Contains(line, ": ") && !strings.Contains(line, "议事助手: ") && strings.HasPrefix(line, "[") {
			continue // what people typed
		}
		if loc := doubledPunct.FindStringIndex(line); loc != nil {
			t.Errorf("doubled punctuation %q in %q", line[loc[0]:loc[1]], line)
		}
	}
}

// TestWordingFollowsKind: an urban community reads 社区/居, never 村(居).
func TestWordingFollowsKind(t *testing.T) {
	y := strings.Replace(string(config.SampleYAML()), "kind: village", "kind: community", 1)
	y = strings.Replace(y, "default_preset: yishi", "default_preset: residents", 1)
	c, err := config.Parse("xingfu.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, c)
	got := h.run("[私聊] 陈小龙: 帮助\n[私聊] 吴晓明: 提议\n[私聊] 张建国: 审定 #1\n[私聊] 陈小龙: 提议\n[私聊] 陈小龙: 社区门口安装路灯\n[私聊] 陈小龙: 门口没有路灯，晚上很黑，希望装几盏灯。\n[私聊] 陈小龙: 全体居民\n[私聊] 陈小龙: 1\n")
	mustContain(t, "community wording", got, "本社区", "居民代表")
	mustNotContain(t, "community wording", got, "村(居)", "村(社区)", "本村")
}

// TestSplitTopicRef: a first word starting with # is the reference even
// when malformed, so it is refused rather than read as free text.
func TestSplitTopicRef(t *testing.T) {
	for _, tc := range []struct{ in, ref, rest string }{
		{"#3 同意安装", "#3", "同意安装"},
		{"＃12", "#12", ""},
		{"# 7 理由", "#7", "理由"},
		{"#abc", "#abc", ""},
		{"#abc 其他", "#abc", "其他"},
		{"3", "3", ""},
		{"3，理由", "3", "理由"},
		{"同意安装路灯", "", "同意安装路灯"},
		{"12345路段", "", "12345路段"},
		{"", "", ""},
	} {
		ref, rest := engine.SplitTopicRef(tc.in)
		if ref != tc.ref || rest != tc.rest {
			t.Errorf("SplitTopicRef(%q) = %q, %q; want %q, %q", tc.in, ref, rest, tc.ref, tc.rest)
		}
	}
}

// TestSupervisorCannotConfirmOwnReport: a supervisor who reported an item
// done cannot confirm it; another member of the committee can.
func TestSupervisorCannotConfirmOwnReport(t *testing.T) {
	h := newHarness(t)
	h.run(prelude(t) + plan + meeting + voted + "[私聊] 胡丽萍: 事项 #1 安装路灯；王卫东；2027-01-31；监委会现场查看\n[后陈村议事群] 胡丽萍: 公示 #1\n")
	h.run("[私聊] 胡德明: 反馈 #1 已完成安装，共10盏\n")
	got := last(h.run("[私聊] 胡德明: 确认落实 #1\n"))
	mustContain(t, "own report", got, "您不能确认落实", "不能自己确认自己")
	got = last(h.run("[私聊] 陈美华: 确认落实 #1\n"))
	mustContain(t, "another supervisor", got, "已确认落实事项 #1")
}

// TestUnansweredQuestionLapses: an unanswered 「是指 #N 吗？」 is dropped
// by the idle sweep without a "paused" notice; a later 是 does nothing.
func TestUnansweredQuestionLapses(t *testing.T) {
	h := newHarness(t)
	h.run(prelude(t) + plan + meeting + voted)
	h.run("[私聊] 胡丽萍: 确认记录\n")
	got := h.run("@advance 31m\n[私聊] 胡丽萍: 是\n")
	mustNotContain(t, "after the sweep", got, "暂停", "已签字确认")
}
