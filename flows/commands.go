package flows

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/voteword"
)

type command struct {
	words []string
	run   func(b *Bot, m *msg, rest string)
}

// commands in match order; longer words first where one is a prefix of another.
var commands = []command{
	{[]string{"帮助", "/help", "/start", "help", "?", "菜单", "怎么用"}, (*Bot).cmdHelp},
	{[]string{"提议", "我要提议", "提出议题", "提事", "说事", "/propose"}, (*Bot).cmdPropose},
	{[]string{"继续"}, (*Bot).cmdResume},
	{[]string{"取消"}, (*Bot).cmdCancelNothing},
	{[]string{"修改"}, (*Bot).cmdResubmit},
	{[]string{"待审定", "待审"}, (*Bot).cmdPending},
	{[]string{"议题列表", "议题", "列表", "/list"}, (*Bot).cmdTopics},
	{[]string{"查看", "详情"}, (*Bot).cmdShow},
	{[]string{"审定"}, (*Bot).cmdReview},
	{[]string{"方案", "通知"}, (*Bot).cmdPlan},
	{[]string{"指定代录员"}, (*Bot).cmdNameClerk},
	{[]string{"代签到"}, (*Bot).cmdProxyCheckIn},
	{[]string{"代签退"}, (*Bot).cmdProxyCheckOut},
	{[]string{"临时参会"}, (*Bot).cmdWalkIn},
	{[]string{"确认协商主体"}, (*Bot).cmdConfirmWalkIn},
	{[]string{"代记发言"}, (*Bot).cmdProxySpeak},
	{[]string{"代投"}, (*Bot).cmdProxyVote},
	{[]string{"现场计票"}, (*Bot).cmdRoomCount},
	{[]string{"现场人数", "清点人数"}, (*Bot).cmdHeadCount},
	{[]string{"确认计票"}, (*Bot).cmdConfirmCount},
	{[]string{"无法定人数表决"}, (*Bot).cmdOpenVoteNoQuorum},
	{[]string{"答复异议"}, (*Bot).cmdAnswerObjection},
	{[]string{"异议"}, (*Bot).cmdObject},
	{[]string{"已通报"}, (*Bot).cmdNotified},
	{[]string{"开始协商", "开会", "开始议事"}, (*Bot).cmdOpenMeeting},
	{[]string{"下一步"}, (*Bot).cmdNextStep},
	{[]string{"签到", "/checkin"}, (*Bot).cmdCheckIn},
	{[]string{"开始表决"}, (*Bot).cmdOpenVote},
	{[]string{"结束表决"}, (*Bot).cmdCloseVote},
	{[]string{"计票", "票数", "表决情况"}, (*Bot).cmdTally},
	{[]string{"确认记录", "记录员签字"}, (*Bot).cmdConfirmMinutes},
	{[]string{"记录表", "记录"}, (*Bot).cmdRecord},
	{[]string{"公示", "备案"}, (*Bot).cmdPublish},
	{[]string{"事项", "落实事项"}, (*Bot).cmdFollowUp},
	{[]string{"再议"}, (*Bot).cmdRedeliberate},
	{[]string{"终止"}, (*Bot).cmdTerminate},
	{[]string{"绑定码"}, (*Bot).cmdBindCode},
	{[]string{"绑定", "/bind"}, (*Bot).cmdBindInGroup},
}

// matchCommand finds the command a text starts with, and the rest.
func matchCommand(text string) (*command, string) {
	for i := range commands {
		for _, w := range commands[i].words {
			if text == w {
				return &commands[i], ""
			}
			if strings.HasPrefix(text, w) {
				rest := text[len(w):]
				r, _ := utf8.DecodeRuneInString(rest)
				if strings.ContainsRune(" #:：,，0123456789", r) || strings.HasPrefix(rest, "@") {
					if strings.HasPrefix(rest, "@") { // /cmd@botname
						_, rest, _ = strings.Cut(rest, " ")
					}
					return &commands[i], strings.TrimLeft(rest, " :：,，")
				}
			}
		}
	}
	return nil, ""
}

var refPattern = regexp.MustCompile(`[#＃]\s*(\d+)`)

// splitRef takes "#12 rest" (or "12 rest") apart.
func splitRef(rest string) (id, remainder string) {
	if loc := refPattern.FindStringSubmatchIndex(rest); loc != nil {
		id = rest[loc[2]:loc[3]]
		remainder = strings.TrimSpace(rest[:loc[0]] + " " + rest[loc[1]:])
		return id, strings.TrimLeft(remainder, " :：,，")
	}
	f := strings.Fields(rest)
	if len(f) > 0 && strings.Trim(f[0], "0123456789") == "" {
		return f[0], strings.TrimSpace(strings.TrimPrefix(rest, f[0]))
	}
	return "", rest
}

func (b *Bot) command(m *msg) {
	if c, rest := matchCommand(m.text); c != nil {
		m.rawRest = rest
		m.word = c.words[0]
		for _, w := range c.words {
			if strings.HasPrefix(m.text, w) {
				m.word = w
				break
			}
		}
		for _, w := range c.words {
			if strings.HasPrefix(m.raw, w) {
				m.rawRest = strings.TrimLeft(strings.TrimPrefix(m.raw, w), " :：,，")
				break
			}
		}
		c.run(b, m, rest)
		return
	}
	// A vote word, possibly with a topic number ("赞成 #3"); a bare number
	// is a vote (1/2/3), not a topic.
	id, rest := "", m.text
	if refPattern.MatchString(m.text) {
		id, rest = splitRef(m.text)
	}
	if choice, ok := voteword.Parse(rest); ok {
		// "同意" said while the meeting is still deliberating is a statement.
		if id == "" && len(b.activeTopics(m, bot.StageVoting)) == 0 && b.meetingStatement(m) {
			return
		}
		b.vote(m, id, choice)
		return
	}
	if b.meetingStatement(m) {
		return
	}
	if m.in.Private || m.in.ReplyToBot || looksAddressed(m.text) {
		if t := b.votingFor(m); t != nil && utf8.RuneCountInString(rest) <= 8 {
			m.say(voteword.Explain(rest))
			return
		}
		m.reply("没看懂「%s」。发「帮助」可以看到我能做的事；想提出议题请发「提议」。", clip(m.raw, 20))
		return
	}
	if t := b.votingFor(m); t != nil && utf8.RuneCountInString(rest) <= 20 && m.member != nil && t.IsParticipant(m.member.ID) {
		m.reply("%s：%s", m.who(), voteword.Explain(rest))
	}
	// Other group chatter is not addressed to the bot.
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// activeTopics are the topics of this chat's group (or, privately, of the
// sender) at one of the stages.
func (b *Bot) activeTopics(m *msg, stages ...bot.Stage) []*bot.Topic {
	var out []*bot.Topic
	for _, t := range m.tx.TopicsIn(m.comm.ID, stages...) {
		switch {
		case m.group != nil && t.Group == m.group.Name:
			out = append(out, t)
		case m.group == nil && m.member != nil && t.IsParticipant(m.member.ID):
			out = append(out, t)
		}
	}
	return out
}

func (b *Bot) votingFor(m *msg) *bot.Topic {
	if m.comm == nil {
		return nil
	}
	ts := b.activeTopics(m, bot.StageVoting)
	if len(ts) == 1 {
		return ts[0]
	}
	return nil
}

func (b *Bot) cmdHelp(m *msg, _ string) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "我是%s，帮助本村(社区)按「议事协商」流程办事。常用命令：\n", b.opts.BotName)
	sb.WriteString("· 提议 —— 提出一个议题(我会一步步问您)\n· 议题 —— 查看全部议题；查看 #编号 —— 看详情\n")
	sb.WriteString("· 签到 —— 开会时签到；赞成/同意/1、反对/不同意/2、弃权/3 —— 表决\n· 记录 #编号 —— 查看议事协商记录表\n")
	if m.member != nil {
		if m.member.Has(bot.RoleSecretary) || m.member.Has(bot.RolePartyMember) {
			sb.WriteString("· 待审定 / 审定 #编号 —— 党组织审定议题(请私聊我：同意、退回修改、不予受理)\n")
		}
		if bot.Authorize(bot.Actor{Member: m.member}, bot.ActPrepare, nil) == nil {
			sb.WriteString("· 方案 #编号 —— 制定协商方案并通知参会人员；绑定码 姓名 —— 给成员发绑定码\n")
		}
		if b.leadsATopic(m) {
			sb.WriteString("· 主持人：开始协商 #编号、下一步、开始表决 表决意见、结束表决\n· 记录员：确认记录 #编号；主持人或记录员：公示 #编号、事项 #编号 内容；责任人；期限；监督方式、再议 #编号 时机和条件\n")
			sb.WriteString("· 现场代录(记录员或主持人指定的代录员)：代签到 张三 李四、代签退 张三、临时参会 王大爷 3组村民、代记发言 王大爷：内容、代投 张三 赞成、现场人数 150(清点到会、没逐个签到的人数)、现场计票 赞成8 反对1 弃权0(由监委会成员或主持人发「确认计票」后计入)\n· 主持人：指定代录员 姓名、确认协商主体 姓名(临时参会人员改为参加表决)、无法定人数表决 理由、答复异议 #编号 序号 内容；记录员：已通报 #编号 姓名 电话|上门|书面\n")
		}
		sb.WriteString("· 落实责任人：反馈 #事项编号 进展情况、受阻 #事项编号 原因；待办 —— 我要办的事\n")
		if m.member.Has(bot.RoleSupervisor) {
			sb.WriteString("· 监委会：确认落实 #事项编号、退回落实 #事项编号 理由、确认计票(现场计票的第二人核对)、审核记录 #议题编号、待办 —— 需要跟进的事项\n")
		}
	}
	sb.WriteString("· 进展 #事项编号 —— 查看落实事项的进展\n· 异议 #编号 理由 —— 公示期内对结果提出异议(主持人会答复)\n")
	sb.WriteString("在任何一步都可以发「取消」或「帮助」。")
	m.say(sb.String())
}

// leadsATopic reports whether the member is a cadre or the chair or
// recorder of some topic, so the help shows them the meeting commands.
func (b *Bot) leadsATopic(m *msg) bool {
	if bot.Authorize(bot.Actor{Member: m.member}, bot.ActPrepare, nil) == nil {
		return true
	}
	for _, t := range m.tx.Topics(m.comm.ID) {
		if t.Chair == m.member.ID || t.Recorder == m.member.ID {
			return true
		}
	}
	return false
}

func (b *Bot) cmdCancelNothing(m *msg, _ string) {
	m.reply("现在没有进行中的操作，不需要取消。")
}

func (b *Bot) cmdResume(m *msg, _ string) {
	m.reply("没有暂停中的填写可以继续。想提出议题请发「提议」。")
}

func (b *Bot) describe(tx *engine.Tx, t *bot.Topic) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "议题 %s\n状态：%s\n提议人：%s(%s)\n内容：%s\n涉及：%s", t.Label(), t.Stage.Chinese(),
		tx.Name(t.Community, t.Proposer), t.Channel.Chinese(), t.Content, t.Affected)
	if t.Category > 0 {
		fmt.Fprintf(&sb, "\n类别：六必议第%d类(%s)", t.Category, bot.Categories[t.Category])
	}
	if t.DeclineRule > 0 {
		fmt.Fprintf(&sb, "\n不予受理依据：五不议第%d条；理由：%s", t.DeclineRule, t.ReviewNote)
	} else if t.Stage == bot.StageReturned {
		fmt.Fprintf(&sb, "\n退回理由：%s", t.ReviewNote)
	}
	if !t.Plan.Time.IsZero() {
		loc := tx.Community(t.Community).Location
		fmt.Fprintf(&sb, "\n协商时间：%s，地点：%s，方式：%s", t.Plan.Time.In(loc).Format("2006年1月2日 15:04"), t.Plan.Place, t.Plan.Form.Chinese())
	}
	if t.Stage == bot.StageVoting || t.Stage == bot.StageDeliberating {
		tl := tx.Tally(t.Community, t)
		fmt.Fprintf(&sb, "\n应到%d人，实到%d人", tl.Expected, tl.Present)
	}
	if t.Result != nil {
		fmt.Fprintf(&sb, "\n表决：赞成%d 反对%d 弃权%d(实到%d)", t.Result.For, t.Result.Against, t.Result.Abstain, t.Result.Present)
	}
	for _, f := range t.FollowUps {
		fmt.Fprintf(&sb, "\n落实事项 #%d：%s(责任人%s，%s前，%s)", f.No, f.What, tx.Name(t.Community, f.Responsible), f.Due.Format("2006-01-02"), f.Status.Chinese())
	}
	if n := len(t.Objections); n > 0 {
		fmt.Fprintf(&sb, "\n公示异议：%d条，尚未答复%d条", n, len(t.OpenObjections()))
		if open := len(t.OpenObjections()); open > 0 {
			sb.WriteString("(答复前议题不能办结)")
		}
	}
	return sb.String()
}

func voteButtons(t *bot.Topic) []bot.Button {
	if t.Plan.Ballot == bot.BallotSecret {
		return nil
	}
	return []bot.Button{{Label: "赞成", Data: "赞成 #" + t.ID}, {Label: "反对", Data: "反对 #" + t.ID}, {Label: "弃权", Data: "弃权 #" + t.ID}}
}

func (m *msg) groupPlatform(t *bot.Topic) string {
	for _, g := range m.comm.Groups {
		if g.Name == t.Group {
			return g.Platform
		}
	}
	return m.comm.Groups[0].Platform
}

func (m *msg) groupChat(t *bot.Topic) string {
	for _, g := range m.comm.Groups {
		if g.Name == t.Group {
			return g.Chat
		}
	}
	return m.comm.Groups[0].Chat
}

// meetingStatement records what a participant says in the group during the
// deliberation (steps 1-3) in the minutes.
func (b *Bot) meetingStatement(m *msg) bool {
	if m.group == nil || m.member == nil {
		return false
	}
	ts := b.activeTopics(m, bot.StageDeliberating)
	if len(ts) != 1 || !ts[0].IsParticipant(m.member.ID) {
		return false
	}
	if _, err := m.tx.Speak(m.comm.ID, ts[0].ID, m.member, m.raw); err != nil {
		m.replyErr(err)
		return true
	}
	// Told to the speaker alone (privately, or as Telegram's receipt), not
	// the group: forty statements make no forty group messages.
	m.send(bot.ReceiptFor(m.in, m.comm.ID, fmt.Sprintf("%s，您的发言已记入会议记录(议题 %s)。", m.who(), ts[0].Label())))
	return true
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (b *Bot) cmdBindCode(m *msg, rest string) {
	who := strings.TrimSpace(rest)
	if who == "" {
		m.reply("请写上要绑定的成员姓名，例如「绑定码 张三」。")
		return
	}
	code, mm, err := m.tx.IssueBindCode(m.comm.ID, m.member, who)
	if err != nil {
		m.replyErr(err)
		return
	}
	m.toMember(m.member.ID, fmt.Sprintf("%s(%s)的绑定码：%s，24小时内有效，只能用一次。请转告本人私聊我发送「绑定 %s」。", mm.Name, mm.RoleLabel(), code, code))
	if !m.in.Private {
		m.reply("绑定码已私聊发给%s。", m.who())
	}
}

func (b *Bot) cmdBindInGroup(m *msg, _ string) {
	m.reply("绑定码请私聊我发送，不要发在群里。这个绑定码已不安全，请向工作人员重新要一个。")
}

func isOneOf(s string, words ...string) bool { return slices.Contains(words, s) }
