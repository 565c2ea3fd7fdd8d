package record

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var cst = time.FixedZone("CST", 8*3600)

func at(day, hour, minute int) time.Time { return time.Date(2024, 5, day, hour, minute, 0, 0, cst) }

var roster = map[string]string{
	"zhang": "张三", "wang": "王建国", "li": "李秀英", "zhao": "赵监督",
	"r1": "陈一", "r2": "周二", "r3": "吴三", "r4": "郑四", "r5": "孙五", "r6": "钱六",
	"guest": "刘旁听",
}

func names(id string) string { return roster[id] }

var nine = []string{"wang", "zhang", "r1", "r2", "r3", "r4", "r5", "r6", "zhao"}

func attendance(ids []string, t time.Time) map[string]time.Time {
	m := map[string]time.Time{}
	for i, id := range ids {
		m[id] = t.Add(time.Duration(i) * time.Minute)
	}
	return m
}

// result decides the tally with the real preset, so the sheet shows the
// engine's own arithmetic.
func result(preset string, expected, present, f, a, ab int, closedBy string, closedAt time.Time) *bot.Result {
	p, _ := bot.PresetByName(preset)
	o := p.Decide(bot.Tally{Expected: expected, Present: present, For: f, Against: a, Abstain: ab})
	why := bot.CloseReason(closedBy)
	if why != bot.ClosedByDeadline && why != bot.ClosedAllVoted {
		why = bot.ClosedByChair
	} else {
		closedBy = ""
	}
	return &bot.Result{Preset: preset, Expected: expected, Present: present, Voters: f + a + ab,
		For: f, Against: a, Abstain: ab, QuorumMet: o.QuorumMet, Agreed: o.Agreed,
		Arithmetic: o.Arithmetic, Closed: why, ClosedBy: closedBy, ClosedAt: closedAt}
}

func history(stages ...bot.Stage) []bot.Transition {
	var h []bot.Transition
	from := bot.StageDraft
	by := map[bot.Stage]string{bot.StagePendingReview: "zhang", bot.StageApproved: "wang",
		bot.StageNotified: "wang", bot.StageDeliberating: "wang", bot.StageVoting: "wang",
		bot.StageVoted: "deadline", bot.StagePublished: "li", bot.StageImplementing: "system",
		bot.StageRedeliberate: "wang", bot.StageTerminated: "wang"}
	why := map[bot.Stage]string{bot.StageApproved: "符合六必议第1项", bot.StagePublished: "已在村务公开栏公示"}
	for i, s := range stages {
		h = append(h, bot.Transition{From: from, To: s, By: by[s], At: at(1+i, 9, 0), Why: why[s]})
		from = s
	}
	return h
}

func baseTopic() *bot.Topic {
	return &bot.Topic{
		ID: "3", Community: "houchen", Title: "村口健身路径选址",
		Content:  "村口空地拟建健身路径一处。\n方案一：靠近小学；方案二：靠近文化礼堂。",
		Affected: "村口两侧住户、小学师生", Channel: bot.ChannelOnBehalf, Proposer: "zhang",
		Created:   at(1, 8, 30),
		Screening: bot.Screening{Verdict: "admissible", Category: 1, Reasons: []string{"涉及村民切身利益的公益事业"}},
		Category:  1, ReviewNote: "同意提交协商，请邀请小学代表列席",
		Participants: append(append([]string{}, nine...), "guest"),
		Stakeholders: []string{"r1", "村小学"},
		Chair:        "wang", Recorder: "li", Supervisor: "zhao",
		Plan: bot.Plan{Time: at(10, 14, 0), Place: "民生议事厅", Form: bot.FormBoth,
			Preset: bot.DefaultPreset, Ballot: bot.BallotOpen, Deadline: at(10, 16, 0)},
		Step:       4,
		Attendance: attendance(nine, at(10, 13, 50)),
		Statements: []bot.Statement{
			{Step: 1, Text: "本议题由张三替群众提出，经党组织审定同意。议事规则：赞成超过实到人数三分之二为通过。", At: at(10, 14, 0)},
			{Member: "zhang", Name: "张三", Step: 2, Text: "村口空地闲置多年，老人希望有地方锻炼。", At: at(10, 14, 5)},
			{Member: "r1", Step: 3, Text: "靠近小学更安全，但要避开上下学高峰施工。", At: at(10, 14, 12)},
			{Member: "r2", Name: "周二", Step: 3, Text: "我反对靠近文化礼堂，晚上太吵。", At: at(10, 14, 20)},
			{Member: "wang", Name: "王建国", Step: 4, Text: "现在开始表决。", At: at(10, 14, 40)},
		},
		Opinion:    "在村口靠近小学一侧建设健身路径，避开上下学时段施工。",
		VoteOpened: at(10, 14, 40),
	}
}

func agreedOpen() (Sheet, []VoteLine) {
	t := baseTopic()
	t.Stage = bot.StageImplementing
	t.Result = result(bot.DefaultPreset, 9, 9, 7, 2, 0, "wang", at(10, 15, 0))
	t.FollowUps = []bot.FollowUp{
		{No: 12, What: "完成选址测量和施工图", Responsible: "r3", Due: at(31, 17, 0),
			Supervision: "监委会每两周现场查看一次", Status: bot.FollowUpInProgress},
		{No: 13, What: "采购健身器材", Responsible: "村经济合作社", Due: time.Date(2024, 7, 15, 17, 0, 0, 0, cst),
			Supervision: "采购结果在公开栏公示", Status: bot.FollowUpNotStarted},
	}
	t.MinutesBy, t.MinutesAt = "li", at(10, 16, 30)
	t.AuditedBy, t.AuditedAt = "zhao", at(11, 9, 0)
	t.History = history(bot.StagePendingReview, bot.StageApproved, bot.StageNotified, bot.StageDeliberating,
		bot.StageVoting, bot.StageVoted, bot.StagePublished, bot.StageImplementing)
	votes := []VoteLine{{Name: "王建国", Choice: bot.ChoiceFor}, {Name: "张三", Choice: bot.ChoiceFor}, {Name: "陈一", Choice: bot.ChoiceFor},
		{Name: "周二", Choice: bot.ChoiceAgainst}, {Name: "吴三", Choice: bot.ChoiceFor}, {Name: "郑四", Choice: bot.ChoiceFor}, {Name: "孙五", Choice: bot.ChoiceAgainst},
		{Name: "钱六", Choice: bot.ChoiceFor}, {Name: "赵监督", Choice: bot.ChoiceFor}}
	return Sheet{Topic: t, Names: names, Community: "后陈村", OpenVotes: votes}, votes
}

func failedVote() Sheet {
	t := baseTopic()
	t.Stage = bot.StageRedeliberate
	t.Result = result(bot.DefaultPreset, 9, 9, 6, 3, 0, "all_voted", at(10, 15, 5))
	t.Redeliberation = "待小学暑假期间重新勘察场地后再次协商；届时需邀请小学和派出所代表参加。"
	t.MinutesBy, t.MinutesAt = "li", at(10, 16, 0)
	t.History = history(bot.StagePendingReview, bot.StageApproved, bot.StageNotified, bot.StageDeliberating,
		bot.StageVoting, bot.StageVoted, bot.StagePublished, bot.StageRedeliberate)
	return Sheet{Topic: t, Names: names, Community: "后陈村"}
}

// secretNames are passed as OpenVotes to a secret ballot: none may print.
var secretNames = []string{"甲某某", "乙某某", "丙某某"}

func secretBallot() Sheet {
	t := baseTopic()
	t.Stage = bot.StagePublished
	t.Plan.Ballot = bot.BallotSecret
	t.Result = result(bot.DefaultPreset, 9, 9, 8, 0, 1, "deadline", at(10, 16, 0))
	t.History = history(bot.StagePendingReview, bot.StageApproved, bot.StageNotified, bot.StageDeliberating,
		bot.StageVoting, bot.StageVoted, bot.StagePublished)
	var votes []VoteLine
	for _, n := range secretNames {
		votes = append(votes, VoteLine{Name: n, Choice: bot.ChoiceAbstain})
	}
	return Sheet{Topic: t, Names: names, Community: "后陈村", OpenVotes: votes}
}

func quorumNotMet() Sheet {
	t := baseTopic()
	t.Stage = bot.StagePublished
	t.Plan.Preset = "representatives"
	present := nine[:5]
	t.Attendance = attendance(present, at(10, 13, 50))
	t.Result = result("representatives", 9, 5, 5, 0, 0, "wang", at(10, 15, 0))
	t.Redeliberation = "待村民代表到会人数达到三分之二以上时重新召开。"
	t.History = history(bot.StagePendingReview, bot.StageApproved, bot.StageNotified, bot.StageDeliberating,
		bot.StageVoting, bot.StageVoted, bot.StagePublished)
	return Sheet{Topic: t, Names: names, Community: "后陈村"}
}

func notYetVoted() Sheet {
	t := &bot.Topic{ID: "5", Title: "小区停车收费标准", Stage: bot.StageNotified,
		Proposer: "r4", Channel: bot.ChannelSelf, Participants: []string{"r4", "r5", "unknown-id"},
		Attendance: map[string]time.Time{"r5": {}},
		Plan:       bot.Plan{Place: "社区会议室"},
		History:    history(bot.StagePendingReview, bot.StageApproved, bot.StageNotified)}
	return Sheet{Topic: t, Names: names, Community: "幸福社区"}
}

const nasty = "**紧急** _路灯_ <script>alert('x')</script> | `code` [链接](http://x) & ~删~"

func specialChars() Sheet {
	s, _ := agreedOpen()
	t := s.Topic
	t.Title = nasty
	t.Content = "# 不是标题\n- 不是列表\n1. 不是编号\n<b>不是粗体</b> | 竖线 \\ 反斜杠"
	t.Opinion = "方案 *A* 与 _B_ 二选一 | 以 <i>多数</i> 为准"
	t.Statements = append(t.Statements, bot.Statement{Member: "r3", Name: "吴<三>|", Step: 3, Text: "**我** 同意\n> 引用", At: at(10, 14, 30)})
	t.FollowUps[0].What = "修 | 路灯 <img src=x onerror=alert(1)>"
	t.Redeliberation = "<script>不该出现</script>"
	s.OpenVotes[0].Name = "王|建国<b>"
	return s
}

var cases = []struct {
	name  string
	sheet func() Sheet
}{
	{"agreed_open", func() Sheet { s, _ := agreedOpen(); return s }},
	{"failed_6_of_9", failedVote},
	{"secret_ballot", secretBallot},
	{"quorum_not_met", quorumNotMet},
	{"not_yet_voted", notYetVoted},
	{"special_chars", specialChars},
}

func TestGolden(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden(t, filepath.Join("testdata", c.name+".md"), Markdown(c.sheet()))
			golden(t, filepath.Join("testdata", c.name+".html"), HTML(c.sheet()))
			golden(t, filepath.Join("testdata", c.name+".txt"), Text(c.sheet()))
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./bot/record -update): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs; run go test ./bot/record -update and review the diff\n--- got\n%s", path, got)
	}
}

// fields are the labels of 附件2; each must be on every sheet, in both forms.
var fields = []string{"协商议题", "协商主体", "协商时间", "协商地点", "协商方式", "协商主持人",
	"协商记录员", "协商监督员", "协商过程", "协商表决", "表决人数", "赞成人数", "反对人数", "弃权人数",
	"协商结果", "确认协商结果", "协商记录员签字", "应到", "实到", "适用规则", "议题来源", "议题类别", "审查情况"}

func TestEveryFieldOnEverySheet(t *testing.T) {
	all := append(cases, struct {
		name  string
		sheet func() Sheet
	}{"empty", func() Sheet { return Sheet{} }})
	for _, c := range all {
		for form, out := range map[string]string{"md": Markdown(c.sheet()), "html": HTML(c.sheet()), "txt": Text(c.sheet())} {
			for _, f := range fields {
				if !strings.Contains(out, f) {
					t.Errorf("%s.%s lacks the field %s", c.name, form, f)
				}
			}
		}
	}
}

func TestAgreedSheetContent(t *testing.T) {
	s, votes := agreedOpen()
	for form, out := range map[string]string{"md": Markdown(s), "html": HTML(s), "txt": Text(s)} {
		for _, want := range []string{
			"表决人数：9 人；赞成人数：7 人；反对人数：2 人；弃权人数：0 人。",
			"赞成人数比例：77.8%；反对人数比例：22.2%；弃权人数比例：0.0%。",
			"协商主体达成一致意见(表决通过)", "「议事协商」", "应到9人，实到9人",
			"实到9人，赞成7人，反对2人，弃权0人；通过需赞成至少7人。结果：通过。", "完成选址测量和施工图", "吴三", "2024年5月31日 17:00",
			"监委会每两周现场查看一次", "进行中", "#12", "村经济合作社",
			"李秀英(于2024年5月10日 16:30确认)", "六必议第1项", "替群众说事", "提议人：张三",
			"党组织已审定同意(王建国，2024年5月2日 09:00)", "同意提交协商，请邀请小学代表列席",
			"举手表决(记名)", "赞成(7人)", "反对(2人)", "刘旁听", "未签到(1人)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", form, want)
			}
		}
		for _, v := range votes {
			if !strings.Contains(out, v.Name) {
				t.Errorf("%s: open ballot lacks voter %s", form, v.Name)
			}
		}
		if strings.Contains(out, notConfirmed) || strings.Contains(out, notVoted) {
			t.Errorf("%s: a finished record shows a placeholder", form)
		}
	}
}

func TestFailedSheetContent(t *testing.T) {
	s := failedVote()
	for form, out := range map[string]string{"md": Markdown(s), "html": HTML(s), "txt": Text(s)} {
		for _, want := range []string{"未达成一致意见(表决未通过)", "赞成人数：6 人", "66.7%", "33.3%",
			"待小学暑假期间重新勘察场地后再次协商", "全部协商主体已表决", "通过需赞成至少7人"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", form, want)
			}
		}
		if strings.Contains(out, "可落实的协商意见及如何监督落实") {
			t.Errorf("%s: a failed vote lists actionable opinions", form)
		}
	}
}

func TestSecretBallotNeverShowsNames(t *testing.T) {
	s := secretBallot()
	for form, out := range map[string]string{"md": Markdown(s), "html": HTML(s), "txt": Text(s)} {
		for _, n := range secretNames {
			if strings.Contains(out, n) {
				t.Errorf("%s: secret ballot prints the voter %s", form, n)
			}
		}
		if !strings.Contains(out, "无记名投票") {
			t.Errorf("%s does not say the ballot was secret", form)
		}
		if !strings.Contains(out, "赞成人数：8 人") || !strings.Contains(out, "弃权人数：1 人") {
			t.Errorf("%s lacks the counts", form)
		}
		if regexp.MustCompile(`(赞成|反对|弃权)\(\d+人\)`).MatchString(out) {
			t.Errorf("%s: secret ballot has per-choice name groups", form)
		}
	}
	// A ballot whose kind was never set is treated as secret for names.
	s.Topic.Plan.Ballot = ""
	if out := Markdown(s); strings.Contains(out, secretNames[0]) {
		t.Errorf("unset ballot prints voter names")
	}
}

func TestQuorumNotMet(t *testing.T) {
	s := quorumNotMet()
	out := Markdown(s)
	for _, want := range []string{"到会人数不足，表决不产生决定", "「村民代表会议」", "应到：9人；实到：5人",
		"村民委员会组织法 第二十六条", "待村民代表到会人数达到三分之二以上时重新召开"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if strings.Contains(out, "表决通过") {
		t.Errorf("a vote without quorum is shown as passed")
	}
}

func TestUnfinishedTopicsDoNotPanic(t *testing.T) {
	sheets := map[string]Sheet{
		"zero":        {},
		"empty topic": {Topic: &bot.Topic{}},
		"nil result, odd values": {Topic: &bot.Topic{Category: 99, DeclineRule: -1, Channel: "bogus",
			Plan:       bot.Plan{Preset: "nope", Form: "carrier-pigeon", Ballot: "show"},
			Statements: []bot.Statement{{Step: 9, Text: ""}, {Step: -1}},
			Screening:  bot.Screening{Verdict: "strange", Rules: []int{0, 9, 2}, Category: 42},
			FollowUps:  []bot.FollowUp{{}}, History: []bot.Transition{{}}}},
		"result with zeros": {Topic: &bot.Topic{Result: &bot.Result{}}},
		"declined": {Topic: &bot.Topic{Stage: bot.StageDeclined, DeclineRule: 5,
			History: []bot.Transition{{From: bot.StagePendingReview, To: bot.StageDeclined, By: "wang"}}}},
	}
	for name, s := range sheets {
		md, html := Markdown(s), HTML(s)
		if md == "" || !strings.Contains(html, "</html>") {
			t.Errorf("%s: empty output", name)
		}
	}
	md := Markdown(Sheet{})
	for _, want := range []string{notVoted, notConfirmed, notSet} {
		if !strings.Contains(md, want) {
			t.Errorf("empty sheet lacks %q", want)
		}
	}
	decl := Markdown(sheets["declined"])
	if !strings.Contains(decl, "不予受理(五不议第5项：属于个体矛盾、双方纠纷的事项)") {
		t.Errorf("declined topic does not name the rule:\n%s", decl)
	}
}

func TestEscaping(t *testing.T) {
	s := specialChars()
	html := HTML(s)
	for _, bad := range []string{"<script>", "<img", "<b>不是粗体", "<i>多数", "王|建国<b>"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML contains unescaped %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "王|建国&lt;b&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks escaped %q", want)
		}
	}
	md := Markdown(s)
	for _, want := range []string{`\*\*紧急\*\* \_路灯\_ \<script>`, `\|`, "\\`code\\`", `\[链接\]`, `\&`, `\~删\~`,
		`\# 不是标题`, `\- 不是列表`, `1\. 不是编号`, `\\ 反斜杠`, `王\|建国\<b>`} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks escaped %q", want)
		}
	}
	// Every table row keeps its column count: user "|" never splits a cell.
	for _, l := range strings.Split(md, "\n") {
		if !strings.HasPrefix(l, "|") {
			continue
		}
		cells := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(l, -1))
		if cells != 3 && cells != 7 {
			t.Errorf("table row has %d unescaped pipes: %s", cells, l)
		}
	}
}

func TestLocationAndNames(t *testing.T) {
	s, _ := agreedOpen()
	s.Location = time.UTC
	s.Names = nil
	out := Markdown(s)
	if !strings.Contains(out, "2024年5月10日 06:00") { // 14:00 CST
		t.Errorf("times are not shown in the sheet's Location")
	}
	if !strings.Contains(out, "li(于2024年5月10日 08:30确认)") {
		t.Errorf("nil Names does not fall back to the member ID")
	}
}

// TestEligibleBaseIsShown: the record says on which statutory base the
// quorum was counted, and which one (村民会议 by adults or by households).
func TestEligibleBaseIsShown(t *testing.T) {
	for _, tc := range []struct{ preset, want string }{
		{"representatives", "应到：9人(到会人数按法定基数：代表人数30人计算)"},
		{"villagers", "应到：9人(到会人数按法定基数：十八周岁以上(成年)人数30人计算)"},
		{"villagers_households", "应到：9人(到会人数按法定基数：户数30户计算)"},
	} {
		s := quorumNotMet()
		s.Topic.Plan.Eligible = 30
		s.Topic.Plan.Preset = tc.preset
		s.Topic.Result.Preset = tc.preset
		if out := Markdown(s); !strings.Contains(out, tc.want) {
			t.Errorf("%s: the statutory base is not shown as %q", tc.preset, tc.want)
		}
	}
}

func TestOpenVoteMismatchIsFlagged(t *testing.T) {
	s, _ := agreedOpen()
	s.OpenVotes = s.OpenVotes[:8]
	if out := Markdown(s); !strings.Contains(out, "记名名单8人，与表决人数9人不一致") {
		t.Errorf("a short open-vote list is not flagged")
	}
}

func BenchmarkMarkdown(b *testing.B) {
	s, _ := agreedOpen()
	for b.Loop() {
		Markdown(s)
	}
}

func BenchmarkHTML(b *testing.B) {
	s, _ := agreedOpen()
	for b.Loop() {
		HTML(s)
	}
}

func ExampleMarkdown() {
	t := &bot.Topic{ID: "1", Title: "路灯维修", Stage: bot.StageVoted,
		Plan:   bot.Plan{Ballot: bot.BallotSecret},
		Result: &bot.Result{Preset: bot.DefaultPreset, Expected: 3, Present: 3, Voters: 3, For: 3, QuorumMet: true, Agreed: true}}
	md := Markdown(Sheet{Topic: t, Community: "后陈村"})
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "表决人数") || strings.HasPrefix(l, "赞成人数比例") || strings.HasPrefix(l, "(1)") {
			fmt.Println(l)
		}
	}
	// Output:
	// 表决人数：3 人；赞成人数：3 人；反对人数：0 人；弃权人数：0 人。
	// 赞成人数比例：100.0%；反对人数比例：0.0%；弃权人数比例：0.0%。
	// (1) 确认协商结果：**协商主体达成一致意见(表决通过)**
}
