package flows_test

import (
	"os"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot/config"
)

// FORMAT.md is what operators and residents read; these tests keep it in
// step with the code: every YAML example parses, and every short reply in
// its table is run through the bot at the step it documents.

func readFormat(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../bot/config/FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFormatExamplesParse: the example community file in FORMAT.md had no
// supervisor, so the parser refused it.
func TestFormatExamplesParse(t *testing.T) {
	doc := readFormat(t)
	n := 0
	for _, block := range strings.Split(doc, "```yaml\n")[1:] {
		example, _, _ := strings.Cut(block, "```")
		n++
		if _, err := config.Parse("FORMAT.md", []byte(example)); err != nil {
			t.Errorf("example %d of FORMAT.md does not parse: %v\n%s", n, err, example)
		}
	}
	if n == 0 {
		t.Fatal("FORMAT.md has no ```yaml example")
	}
	for _, stale := range []string{"is cancelled with a notice", "comes later"} {
		if strings.Contains(doc, stale) {
			t.Errorf("FORMAT.md still says %q", stale)
		}
	}
}

// shortReplyCheck drives one row of the short-replies table: setup brings
// a person to the step, the example is sent as line(example), and the
// answer must contain want.
type shortReplyCheck struct {
	setup string
	line  func(example string) string
	want  string
}

const toSummary = `[私聊] 陈小龙: 提议
[私聊] 陈小龙: 村口到小学路段安装路灯
[私聊] 陈小龙: 村口到村小学的800米路段没有路灯，冬天晚上看不清路。
[私聊] 陈小龙: 3组、4组村民
[私聊] 陈小龙: 1
`

func privately(name string) func(string) string {
	return func(ex string) string { return "[私聊] " + name + ": " + ex + "\n" }
}

func inGroup(name string) func(string) string {
	return func(ex string) string { return "[后陈村议事群] " + name + ": " + ex + "\n" }
}

// shortReplyChecks is keyed by the table's "where" and "example" columns.
func shortReplyChecks(t *testing.T) map[string]shortReplyCheck {
	pre := readScript(t, "prelude.script")
	open := pre + plan + "@advance 104h\n[后陈村议事群] 张建国: 开始协商 #1\n"
	return map[string]shortReplyCheck{
		"any flow step|取消":    {"[私聊] 陈小龙: 提议\n", privately("陈小龙"), "已取消「提议」"},
		"any flow step|帮助":    {"[私聊] 陈小龙: 提议\n", privately("陈小龙"), "您正在「提议」"},
		"any flow step|议题":    {"[私聊] 陈小龙: 提议\n", privately("陈小龙"), "还在等您回复"},
		"a paused flow|继续":    {"[私聊] 陈小龙: 提议\n@advance 31m\n", privately("陈小龙"), "接着填写"},
		"propose: channel|1":  {strings.TrimSuffix(toSummary, "[私聊] 陈小龙: 1\n"), privately("陈小龙"), "请核对您的提议(还没有提交)"},
		"propose: summary|确认": {toSummary, privately("陈小龙"), "已提交党组织审定"},
		"propose: summary|修改": {toSummary, privately("陈小龙"), "要修改哪一项"},
		"review: decision|1":  {toSummary + "[私聊] 陈小龙: 确认\n[私聊] 张建国: 审定 #1\n", privately("张建国"), "归入六必议的哪一类"},
		"review: category, roles; plan: rule|好": {toSummary + "[私聊] 陈小龙: 确认\n[私聊] 张建国: 审定 #1\n[私聊] 张建国: 1\n",
			privately("张建国"), "请选择参会的协商主体"},
		"plan: ballot|1 30": {pre + "[私聊] 张建国: 方案 #1\n[私聊] 张建国: 12月5日 19:30\n[私聊] 张建国: 会议室\n[私聊] 张建国: 1\n[私聊] 张建国: 好\n",
			privately("张建国"), "开始后30分钟自动结束"},
		"a question 「是指 #N 吗？」 or 「确定现在就开始吗？」|是": {pre + plan + "[后陈村议事群] 张建国: 开始协商 #1\n", inGroup("张建国"), "【协商开始】"},
		"the same question|不了": {pre + plan + "[私聊] 张建国: 开始协商 #1\n", privately("张建国"), "没看懂「不了」"},
		"group, a meeting of this group is open (协商中 or 表决中), sender is a participant|到": {open, inGroup("陈海峰"), "陈海峰 已签到"},
		"group, the vote is open|赞成": {open + "[后陈村议事群] 陈海峰: 签到\n[后陈村议事群] 张建国: 签到\n[后陈村议事群] 张建国: 开始表决\n",
			inGroup("陈海峰"), "已记录「赞成」"},
		"group, meeting steps 1–3, sender is a participant|同意": {open, inGroup("陈海峰"), "已记入会议记录"},
	}
}

// TestFormatShortReplies runs each example of FORMAT.md's short-replies
// table through the bot at its step; a row without a check fails, so the
// table cannot drift from the code.
func TestFormatShortReplies(t *testing.T) {
	doc := readFormat(t)
	_, section, ok := strings.Cut(doc, "## Short replies\n")
	if !ok {
		t.Fatal("FORMAT.md has no ## Short replies section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	checks := shortReplyChecks(t)
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "where" {
			continue
		}
		rows++
		where, example := strings.TrimSpace(cells[1]), strings.Trim(strings.TrimSpace(cells[4]), "`")
		c, ok := checks[where+"|"+example]
		if !ok {
			t.Errorf("FORMAT.md short reply %q at %q has no check in shortReplyChecks", example, where)
			continue
		}
		h := newHarness(t)
		h.run(c.setup)
		got := last(h.run(c.line(example)))
		if !strings.Contains(got, c.want) {
			t.Errorf("FORMAT.md: %q at %q: answer lacks %q:\n%s", example, where, c.want, got)
		}
	}
	if rows != len(checks) {
		t.Errorf("FORMAT.md has %d short-reply rows, the test checks %d", rows, len(checks))
	}
}
