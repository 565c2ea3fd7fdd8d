package flows

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"yishi/bot"
	"yishi/bot/engine"
	"yishi/bot/voteword"
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

// pickTopic resolves an explicit "#N" or the only topic in the right stage.
func (b *Bot) pickTopic(m *msg, id, what string, stages ...bot.Stage) *bot.Topic {
	if id != "" {
		t, err := m.tx.Topic(m.comm.ID, id)
		if err != nil {
			m.replyErr(err)
			return nil
		}
		return t
	}
	ts := b.activeTopics(m, stages...)
	switch len(ts) {
	case 0:
		names := make([]string, len(stages))
		for i, s := range stages {
			names[i] = s.Chinese()
		}
		m.reply("现在没有处于「%s」的议题可以%s。发「议题」查看全部议题。", strings.Join(names, "/"), what)
		return nil
	case 1:
		return ts[0]
	}
	refs := make([]string, len(ts))
	for i, t := range ts {
		refs[i] = t.Label()
	}
	m.reply("现在有%d个议题可以%s：%s。请在后面加上编号，例如「%s #%s」。", len(ts), what, strings.Join(refs, "、"), what, ts[0].ID)
	return nil
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
			sb.WriteString("· 待审定 / 审定 #编号 —— 党组织审定议题(同意、退回修改、不予受理)\n")
		}
		if bot.Authorize(bot.Actor{Member: m.member}, bot.ActPrepare, nil) == nil {
			sb.WriteString("· 方案 #编号 —— 制定协商方案并通知参会人员；绑定码 姓名 —— 给成员发绑定码\n")
		}
		if b.leadsATopic(m) {
			sb.WriteString("· 主持人：开始协商 #编号、下一步、开始表决 表决意见、结束表决\n· 记录员：确认记录 #编号；主持人或记录员：公示 #编号、事项 #编号 内容；责任人；期限；监督方式、再议 #编号 时机和条件\n")
		}
		sb.WriteString("· 落实责任人：反馈 #事项编号 进展情况、受阻 #事项编号 原因；待办 —— 我要办的事\n")
		if m.member.Has(bot.RoleSupervisor) {
			sb.WriteString("· 监委会：确认落实 #事项编号、退回落实 #事项编号 理由、审核记录 #议题编号、待办 —— 需要跟进的事项\n")
		}
	}
	sb.WriteString("· 进展 #事项编号 —— 查看落实事项的进展\n")
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

func (b *Bot) cmdTopics(m *msg, rest string) {
	if id, _ := splitRef(rest); id != "" {
		b.cmdShow(m, rest)
		return
	}
	ts := m.tx.Topics(m.comm.ID)
	if len(ts) == 0 {
		m.reply("%s还没有议题。发「提议」提出第一个。", m.comm.Name)
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s的议题(%d个)：", m.comm.Name, len(ts))
	for _, t := range ts[max(0, len(ts)-20):] {
		fmt.Fprintf(&sb, "\n%s —— %s", t.Label(), t.Stage.Chinese())
	}
	if len(ts) > 20 {
		sb.WriteString("\n(只列出最近20个)")
	}
	m.say(sb.String())
}

func (b *Bot) cmdPending(m *msg, _ string) {
	ts := m.tx.TopicsIn(m.comm.ID, bot.StagePendingReview)
	if len(ts) == 0 {
		m.reply("没有待审定的议题。")
		return
	}
	var sb strings.Builder
	sb.WriteString("待审定的议题：")
	for _, t := range ts {
		mark := ""
		if t.Screening.Verdict == "excluded" || t.Screening.Verdict == "review" {
			mark = " ⚠预审提示"
		}
		fmt.Fprintf(&sb, "\n%s(%s 提出)%s", t.Label(), m.tx.Name(m.comm.ID, t.Proposer), mark)
	}
	sb.WriteString("\n发「审定 #编号」开始审定。")
	m.say(sb.String())
}

func (b *Bot) cmdShow(m *msg, rest string) {
	id, _ := splitRef(rest)
	if id == "" {
		m.reply("请写上议题编号，例如「查看 #1」。")
		return
	}
	t, err := m.tx.Topic(m.comm.ID, id)
	if err != nil {
		m.replyErr(err)
		return
	}
	m.say(b.describe(m.tx, t))
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
	return sb.String()
}

func (b *Bot) cmdOpenMeeting(m *msg, rest string) {
	id, _ := splitRef(rest)
	t := b.pickTopic(m, id, "开始协商", bot.StageNotified)
	if t == nil {
		return
	}
	t, err := m.tx.OpenMeeting(m.comm.ID, t.ID, m.member)
	if err != nil {
		m.replyErr(err)
		return
	}
	tl := m.tx.Tally(m.comm.ID, t)
	m.tx.ToGroup(m.comm.ID, t, fmt.Sprintf("【协商开始】议题 %s，主持人%s，记录员%s，监督员%s。应到%d人，已签到%d人；还没签到的请发「签到」。\n%s\n%s\n主持人发「下一步」进入下一环节。",
		t.Label(), m.tx.Name(m.comm.ID, t.Chair), m.tx.Name(m.comm.ID, t.Recorder), m.tx.Name(m.comm.ID, t.Supervisor),
		tl.Expected, tl.Present, engine.MeetingSteps[1], t.Statements[len(t.Statements)-1].Text))
	m.tx.Send(bot.LiveAttendance(m.comm.ID, m.groupPlatform(t), m.groupChat(t), t.Group, t, tl.Present, tl.Expected))
	if m.in.Private {
		m.reply("已宣布开始协商，公告已发到群里。")
	}
}

func (b *Bot) cmdNextStep(m *msg, rest string) {
	id, _ := splitRef(rest)
	t := b.pickTopic(m, id, "推进议程", bot.StageDeliberating)
	if t == nil {
		return
	}
	t, err := m.tx.NextStep(m.comm.ID, t.ID, m.member)
	if err != nil {
		m.replyErr(err)
		return
	}
	hint := "请提议人或主持人说明议题，大家在群里的发言都会记入会议记录。"
	if t.Step == 3 {
		hint = "请各方发表意见(直接在群里说，会逐条记入记录)。意见发表完后，主持人发「开始表决 表决意见」。"
	}
	m.tx.ToGroup(m.comm.ID, t, fmt.Sprintf("【议程】议题 %s 进入%s。%s", t.Label(), engine.MeetingSteps[t.Step], hint))
}

func (b *Bot) cmdCheckIn(m *msg, rest string) {
	id, _ := splitRef(rest)
	t := b.pickTopic(m, id, "签到", bot.StageNotified, bot.StageDeliberating, bot.StageVoting)
	if t == nil {
		return
	}
	t, already, err := m.tx.CheckIn(m.comm.ID, t.ID, m.member)
	if err != nil {
		m.replyErr(err)
		return
	}
	tl := m.tx.Tally(m.comm.ID, t)
	switch {
	case already:
		m.tx.Send(bot.ReceiptFor(m.in, m.comm.ID, fmt.Sprintf("%s，您已经签过到了(实到%d/应到%d)。", m.who(), tl.Present, tl.Expected)))
	case m.member.IsObserver():
		m.tx.Send(bot.ReceiptFor(m.in, m.comm.ID, fmt.Sprintf("%s 已签到(列席/旁听，不参加表决)。", m.who())))
	default:
		m.tx.Send(bot.ReceiptFor(m.in, m.comm.ID, fmt.Sprintf("%s 已签到。实到%d人/应到%d人。", m.who(), tl.Present, tl.Expected)))
	}
	m.tx.Send(bot.LiveAttendance(m.comm.ID, m.groupPlatform(t), m.groupChat(t), t.Group, t, tl.Present, tl.Expected))
}

func (b *Bot) cmdOpenVote(m *msg, _ string) {
	id, opinion := splitRef(m.rawRest)
	t := b.pickTopic(m, id, "开始表决", bot.StageDeliberating)
	if t == nil {
		return
	}
	t, err := m.tx.OpenVote(m.comm.ID, t.ID, m.member, opinion)
	if err != nil {
		m.replyErr(err)
		return
	}
	tl := m.tx.Tally(m.comm.ID, t)
	pr := bot.Presets[t.Plan.Preset]
	how := "请实到的协商主体在群里回复：赞成(或 同意、1)、反对(或 不同意、2)、弃权(或 3)。表决结束前可以改票，以最后一次为准。"
	if t.Plan.Ballot == bot.BallotSecret {
		how = "本次为无记名投票：请私聊我发送 赞成/反对/弃权(或 1/2/3)，群里发的不计入；结果只公布票数。"
	}
	deadline := "主持人发「结束表决」时结束，或实到人员全部投完时自动结束。"
	if !t.Plan.Deadline.IsZero() {
		deadline = fmt.Sprintf("表决将于 %s 自动结束(或实到人员全部投完时)。", t.Plan.Deadline.In(m.comm.Location).Format("15:04"))
	}
	m.tx.Send(bot.Outgoing{Community: m.comm.ID, Platform: m.groupPlatform(t), Chat: m.groupChat(t), ChatTitle: t.Group,
		Text: fmt.Sprintf("【开始表决】%s，%s\n表决意见：%s\n应到%d人，实到%d人。规则：%s，%s，本次需赞成至少%d人。\n%s\n%s",
			engine.MeetingSteps[4], t.Label(), t.Opinion, tl.Expected, tl.Present, pr.Name, pr.RuleDoc, pr.Decide(tl).NeedFor+tl.For, how, deadline),
		Buttons: voteButtons(t)})
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

func (b *Bot) cmdCloseVote(m *msg, rest string) {
	id, _ := splitRef(rest)
	t := b.pickTopic(m, id, "结束表决", bot.StageVoting)
	if t == nil {
		return
	}
	t, err := m.tx.CloseVote(m.comm.ID, t.ID, m.member)
	if err != nil {
		m.replyErr(err)
		return
	}
	b.afterClose(m.tx, t)
	if m.in.Private {
		m.reply("已结束表决，结果已发到群里。")
	}
}

// afterClose tells the recorder what is next and lets the archive learn a
// passed topic.
func (b *Bot) afterClose(tx *engine.Tx, t *bot.Topic) {
	tx.ToGroup(t.Community, t, engine.ResultText(t, tx.Name))
	if t.Result.Agreed && b.opts.OnDecision != nil {
		b.opts.OnDecision(tx, t)
	}
	next := "请记录员发「确认记录 #" + t.ID + "」签字确认会议记录，然后由主持人或记录员发「公示 #" + t.ID + "」公示并备案。"
	if t.Result.Agreed {
		next += "\n通过的议题请记录落实事项：「事项 #" + t.ID + " 内容；责任人；完成期限；监督方式」。"
	} else {
		next += "\n未通过的议题请记录再议安排：「再议 #" + t.ID + " 时机和条件」，或「终止 #" + t.ID + "」。"
	}
	tx.ToMember(t.Community, t.Recorder, "议题 "+t.Label()+" 表决已结束。"+next)
}

func (b *Bot) cmdTally(m *msg, rest string) {
	id, _ := splitRef(rest)
	t := b.pickTopic(m, id, "计票", bot.StageVoting)
	if t == nil {
		return
	}
	m.say(tallyText(m.tx, t))
}

func tallyText(tx *engine.Tx, t *bot.Topic) string {
	tl := tx.Tally(t.Community, t)
	pr := bot.Presets[t.Plan.Preset]
	o := pr.Decide(tl)
	need := fmt.Sprintf("按「%s」规则还需赞成%d票才能通过。", pr.Name, o.NeedFor)
	if o.NeedFor == 0 && o.QuorumMet {
		need = "赞成票已达到通过所需票数。"
	}
	if !o.QuorumMet {
		need = "到会人数还不够法定人数：" + pr.QuorumDoc + "。"
	}
	if t.Plan.Ballot == bot.BallotSecret {
		return fmt.Sprintf("【实时计票】%s 应到%d，实到%d，已投%d(无记名，结束后公布票数)。", t.Label(), tl.Expected, tl.Present, tl.Voted())
	}
	return fmt.Sprintf("【实时计票】%s 应到%d，实到%d，已投%d：赞成%d，反对%d，弃权%d。%s", t.Label(), tl.Expected, tl.Present, tl.Voted(), tl.For, tl.Against, tl.Abstain, need)
}

func (b *Bot) vote(m *msg, id string, choice bot.Choice) {
	if m.member == nil {
		m.reply("%s，您不在本社区名册上，这次表决不计入。如有疑问请联系工作人员。", m.who())
		return
	}
	if id == "" && len(b.activeTopics(m, bot.StageVoting)) == 0 {
		// No vote is open here: name the one that just closed, if any, so
		// the refusal says when and why.
		for _, t := range m.tx.TopicsIn(m.comm.ID, bot.StageVoted, bot.StagePublished, bot.StageImplementing, bot.StageRedeliberate) {
			if t.Result != nil && (m.group == nil && t.IsParticipant(m.member.ID) || m.group != nil && t.Group == m.group.Name) {
				id = t.ID
			}
		}
	}
	t := b.pickTopic(m, id, "表决", bot.StageVoting)
	if t == nil {
		return
	}
	r, err := m.tx.CastVote(m.comm.ID, t.ID, m.member, choice, m.in.Private)
	if err != nil {
		if bot.ErrorCode(err) == bot.EFORBIDDEN && !m.in.Private {
			// A polite private refusal, plus a short note in the group so the sender sees it.
			m.tx.ToMember(m.comm.ID, m.member.ID, bot.ErrorMessage(err))
			m.reply("%s：这次表决没有计入，原因已私聊告诉您。", m.who())
			return
		}
		m.replyErr(err)
		return
	}
	secret := t.Plan.Ballot == bot.BallotSecret
	var ack string
	switch {
	case r.Same:
		ack = fmt.Sprintf("%s，您已经投过「%s」了，不用重复投。", m.who(), choice.Chinese())
	case secret && r.Changed:
		ack = "已改票，以您最后一次为准(无记名，不会公开)。"
	case secret:
		ack = "已收到您的无记名表决(不会公开谁投了什么)。表决结束前可以改票。"
	case r.Changed:
		ack = fmt.Sprintf("%s：已改为「%s」(以最后一次为准)。", m.who(), choice.Chinese())
	default:
		ack = fmt.Sprintf("%s：已记录「%s」。", m.who(), choice.Chinese())
	}
	if m.in.Private {
		m.say(ack)
	} else {
		// In a group, acknowledgements of a burst of votes are merged into
		// one message (the vote itself is already on disk).
		m.tx.Send(bot.ReceiptFor(m.in, m.comm.ID, ack))
	}
	if r.Same || (secret && r.Changed) { // a changed secret ballot leaves the count as it was
		return
	}
	if r.Closed {
		b.afterClose(m.tx, r.Topic)
		return
	}
	m.tx.Send(bot.Outgoing{Community: m.comm.ID, Platform: m.groupPlatform(t), Chat: m.groupChat(t), ChatTitle: t.Group,
		Text: tallyText(m.tx, t), Key: "tally/" + m.comm.ID + "/" + t.ID, Buttons: voteButtons(t)})
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
	m.reply("(已记入会议记录：%s)", m.who())
	return true
}

func (b *Bot) cmdConfirmMinutes(m *msg, rest string) {
	id, _ := splitRef(rest)
	t := b.pickTopic(m, id, "确认记录", bot.StageVoted, bot.StagePublished, bot.StageImplementing)
	if t == nil {
		return
	}
	t, err := m.tx.ConfirmMinutes(m.comm.ID, t.ID, m.member)
	if err != nil {
		m.replyErr(err)
		return
	}
	m.reply("记录员%s已签字确认议题 %s 的会议记录(%s)。", m.who(), t.Label(), t.MinutesAt.In(m.comm.Location).Format("2006-01-02 15:04"))
}

func (b *Bot) cmdRecord(m *msg, rest string) {
	id, _ := splitRef(rest)
	if id == "" {
		m.reply("请写上议题编号，例如「记录 #1」。")
		return
	}
	t, err := m.tx.Topic(m.comm.ID, id)
	if err != nil {
		m.replyErr(err)
		return
	}
	if err := bot.Authorize(bot.Actor{Member: m.member}, bot.ActReadRecords, t); err != nil {
		m.replyErr(err)
		return
	}
	sheet := b.describe(m.tx, t)
	if b.opts.Record != nil {
		sheet = b.opts.Record(m.tx, t)
	}
	if m.group != nil && m.member != nil {
		// The sheet is long: it goes privately, and the group gets one line.
		m.tx.ToMember(m.comm.ID, m.member.ID, sheet)
		m.reply("%s，议题 %s 的议事协商记录表已私聊发给您。", m.who(), t.Label())
		return
	}
	m.say(sheet)
}

func (b *Bot) cmdPublish(m *msg, rest string) {
	id, _ := splitRef(rest)
	t := b.pickTopic(m, id, "公示", bot.StageVoted)
	if t == nil {
		return
	}
	t, err := m.tx.Publish(m.comm.ID, t.ID, m.member)
	if err != nil {
		m.replyErr(err)
		return
	}
	m.reply("议题 %s 已公示，并报党组织备案，已通报提议人和利益相关方。现在是「%s」。", t.Label(), t.Stage.Chinese())
}

var itemSplit = regexp.MustCompile(`[;；\n]`)

func (b *Bot) cmdFollowUp(m *msg, _ string) {
	id, body := splitRef(m.rawRest)
	if id == "" {
		m.reply("格式：事项 #编号 内容；责任人；完成期限；监督方式\n例如：事项 #1 安装路灯10盏；李卫东；2026-12-31；监委会每月查看一次")
		return
	}
	parts := itemSplit.Split(body, -1)
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(parts) < 3 {
		m.reply("落实事项要写清楚：内容；责任人；完成期限(；监督方式)，用分号隔开。\n例如：事项 #%s 安装路灯10盏；李卫东；2026-12-31；监委会每月查看一次", id)
		return
	}
	due, err := parseDate(parts[2], m.tx.Now(), m.comm.Location)
	if err != nil {
		m.replyErr(err)
		return
	}
	responsible := parts[1]
	if mm, err := m.tx.FindMember(m.comm.ID, responsible); err == nil {
		responsible = mm.ID
	}
	f := bot.FollowUp{What: parts[0], Responsible: responsible, Due: due}
	if len(parts) > 3 {
		f.Supervision = strings.Join(parts[3:], "；")
	}
	t, f, err := m.tx.AddFollowUp(m.comm.ID, id, m.member, f)
	if err != nil {
		m.replyErr(err)
		return
	}
	m.reply("已记录议题 %s 的落实事项 #%d：%s；责任人：%s；期限：%s；监督：%s。", t.Label(), f.No, f.What,
		m.tx.Name(m.comm.ID, f.Responsible), f.Due.Format("2006-01-02"), orDash(f.Supervision))
	if mm := m.tx.Community(m.comm.ID).Member(f.Responsible); mm != nil {
		m.tx.ToMember(m.comm.ID, mm.ID, fmt.Sprintf("您是议题 %s 落实事项 #%d 的责任人：%s，期限 %s。有进展请发「反馈 #%d 进展情况」。", t.Label(), f.No, f.What, f.Due.Format("2006-01-02"), f.No))
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (b *Bot) cmdRedeliberate(m *msg, _ string) {
	id, when := splitRef(m.rawRest)
	if id == "" || when == "" {
		m.reply("格式：再议 #编号 再次协商的时机和条件\n例如：再议 #2 明年春耕后，资金落实后再议")
		return
	}
	t, err := m.tx.SetRedeliberation(m.comm.ID, id, m.member, when, false)
	if err != nil {
		m.replyErr(err)
		return
	}
	m.reply("已记录议题 %s 的再议安排：%s。", t.Label(), when)
}

func (b *Bot) cmdTerminate(m *msg, rest string) {
	id, _ := splitRef(rest)
	if id == "" {
		m.reply("请写上议题编号，例如「终止 #2」。")
		return
	}
	t, err := m.tx.SetRedeliberation(m.comm.ID, id, m.member, "", true)
	if err != nil {
		m.replyErr(err)
		return
	}
	m.reply("议题 %s 已终止协商(%s)。", t.Label(), t.Stage.Chinese())
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
	m.tx.ToMember(m.comm.ID, m.member.ID, fmt.Sprintf("%s(%s)的绑定码：%s，24小时内有效，只能用一次。请转告本人私聊我发送「绑定 %s」。", mm.Name, mm.RoleLabel(), code, code))
	if !m.in.Private {
		m.reply("绑定码已私聊发给%s。", m.who())
	}
}

func (b *Bot) cmdBindInGroup(m *msg, _ string) {
	m.reply("绑定码请私聊我发送，不要发在群里。这个绑定码已不安全，请向工作人员重新要一个。")
}

// cmdResubmit starts the propose flow on a returned topic.
func (b *Bot) cmdResubmit(m *msg, rest string) {
	id, _ := splitRef(rest)
	if id == "" {
		m.reply("请写上要修改的议题编号，例如「修改 #3」。")
		return
	}
	t, err := m.tx.Topic(m.comm.ID, id)
	if err != nil {
		m.replyErr(err)
		return
	}
	if m.member == nil || t.Proposer != m.member.ID || t.Stage != bot.StageReturned {
		m.reply("只有被退回修改的议题，才能由提议人修改后重新提交。议题 %s 现在是「%s」。", t.Label(), t.Stage.Chinese())
		return
	}
	b.startPropose(m, t)
}

func isOneOf(s string, words ...string) bool { return slices.Contains(words, s) }
