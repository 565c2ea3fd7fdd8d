package flows

import (
	"fmt"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
)

// EarlyOpening is how much earlier than the plan a meeting may open
// without the chair confirming: opening a day early would leave out the
// participants who come at the announced time.
const EarlyOpening = 2 * time.Hour

const timeLayout = "1月2日 15:04"

func (b *Bot) cmdOpenMeeting(m *msg, rest string) {
	t := b.topic(m, refOnly(rest), scopeChat, bot.StageNotified)
	if t == nil {
		return
	}
	early := t.Plan.Time.Sub(m.tx.Now())
	if t.Stage == bot.StageNotified && early > EarlyOpening && m.skip != "early" {
		if err := bot.Authorize(m.actor(), bot.ActOpenMeeting, t); err != nil {
			b.refuse(m, err)
			return
		}
		if b.pend(m, "开始协商 #"+t.ID, "early") {
			m.ask(fmt.Sprintf("议题 %s 的协商方案定于 %s 开始，现在早了%s。按时来的参会人员会错过开头。\n确定现在就开始吗？回复「是」确认(计划时间和实际开始时间都会记入记录)；回复其他内容则不开始。",
				t.Label(), t.Plan.Time.In(m.comm.Location).Format(timeLayout), span(early)))
		} else {
			m.reply("议题 %s 定于 %s 开始，现在早了%s。请先完成或取消正在填写的内容，再发「开始协商 #%s」确认提前开始。",
				t.Label(), t.Plan.Time.In(m.comm.Location).Format(timeLayout), span(early), t.ID)
		}
		return
	}
	t, err := m.tx.OpenMeeting(m.comm.ID, t.ID, m.member)
	if err != nil {
		b.refuse(m, err)
		return
	}
	tl := m.tx.Tally(m.comm.ID, t)
	when := ""
	if !t.Plan.Time.IsZero() {
		when = fmt.Sprintf("计划时间%s，实际开始%s。", t.Plan.Time.In(m.comm.Location).Format(timeLayout), m.tx.Now().In(m.comm.Location).Format(timeLayout))
	}
	m.toGroup(t, fmt.Sprintf("【协商开始】议题 %s，主持人%s，记录员%s，监督员%s。%s应到%d人，已签到%d人；还没签到的请发「签到」(或回复「到」)。\n%s\n%s\n主持人发「下一步」进入下一环节。",
		t.Label(), m.tx.Name(m.comm.ID, t.Chair), m.tx.Name(m.comm.ID, t.Recorder), m.tx.Name(m.comm.ID, t.Supervisor), when,
		tl.Expected, tl.Present, engine.MeetingSteps[1], t.Statements[len(t.Statements)-1].Text))
	m.send(bot.LiveAttendance(m.comm.ID, m.groupPlatform(t), m.groupChat(t), t.Group, t, tl.Present, tl.Expected))
	if m.in.Private {
		m.reply("已宣布开始协商，公告已发到群里。")
	}
}

// span is a duration in words: 3小时20分钟, 2天.
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d.Hours())/24, int(d.Hours())%24, int(d.Minutes())%60
	var sb strings.Builder
	if days > 0 {
		fmt.Fprintf(&sb, "%d天", days)
	}
	if hours > 0 {
		fmt.Fprintf(&sb, "%d小时", hours)
	}
	if mins > 0 && days == 0 {
		fmt.Fprintf(&sb, "%d分钟", mins)
	}
	return sb.String()
}

func (b *Bot) cmdNextStep(m *msg, rest string) {
	t := b.topic(m, refOnly(rest), scopeMeeting, bot.StageDeliberating)
	if t == nil {
		return
	}
	t, err := m.tx.NextStep(m.comm.ID, t.ID, m.member)
	if err != nil {
		b.refuse(m, err)
		return
	}
	hint := "请提议人或主持人说明议题，大家在群里的发言都会记入会议记录。"
	if t.Step == 3 {
		hint = "请各方发表意见(直接在群里说，会逐条记入记录)。意见发表完后，主持人发「开始表决 表决意见」。"
	}
	m.toGroup(t, fmt.Sprintf("【议程】议题 %s 进入%s。%s", t.Label(), engine.MeetingSteps[t.Step], hint))
}

// checkInReplies are the short replies that mean 签到 while a meeting of
// this group is open (协商中 or 表决中) and the speaker is one of its
// participants (FORMAT.md, "Short replies").
var checkInReplies = []string{"到", "到了", "我到了", "已到", "👍", "🙋", "🙋‍♂️", "🙋‍♀️", "✋", "🙋🏻"}

// shortCheckIn handles a short reply that means 签到; it reports whether
// the message was one.
func (b *Bot) shortCheckIn(m *msg) bool {
	if m.group == nil || m.member == nil || !isOneOf(strings.TrimSpace(m.raw), checkInReplies...) {
		return false
	}
	ts := b.activeTopics(m, bot.StageDeliberating, bot.StageVoting)
	if len(ts) != 1 || !ts[0].IsParticipant(m.member.ID) {
		return false
	}
	m.word = "签到"
	b.checkIn(m, ts[0])
	return true
}

func (b *Bot) cmdCheckIn(m *msg, rest string) {
	t := b.topic(m, refOnly(rest), scopeMeeting, bot.StageNotified, bot.StageDeliberating, bot.StageVoting)
	if t == nil {
		return
	}
	b.checkIn(m, t)
}

func (b *Bot) checkIn(m *msg, t *bot.Topic) {
	before := m.tx.Tally(m.comm.ID, t)
	t, already, err := m.tx.CheckIn(m.comm.ID, t.ID, m.member)
	if err != nil {
		b.refuse(m, err)
		return
	}
	tl := m.tx.Tally(m.comm.ID, t)
	switch {
	case already:
		m.send(bot.ReceiptFor(m.in, m.comm.ID, fmt.Sprintf("%s，您已经签过到了(实到%d/应到%d)。", m.who(), tl.Present, tl.Expected)))
	case m.member.IsObserver():
		m.send(bot.ReceiptFor(m.in, m.comm.ID, fmt.Sprintf("%s 已签到(列席/旁听，不参加表决)。", m.who())))
	default:
		m.send(bot.ReceiptFor(m.in, m.comm.ID, fmt.Sprintf("%s 已签到。实到%d人/应到%d人。", m.who(), tl.Present, tl.Expected)))
	}
	m.send(bot.LiveAttendance(m.comm.ID, m.groupPlatform(t), m.groupChat(t), t.Group, t, tl.Present, tl.Expected))
	if already || t.Stage != bot.StageVoting {
		return
	}
	// A check-in during the vote raises 实到, and with it the FOR votes
	// needed: say so in the tally and to the chair, never silently.
	pr := preset(t)
	was, now := pr.Decide(before).NeedFor+before.For, pr.Decide(tl).NeedFor+tl.For
	if now == was {
		return
	}
	note := fmt.Sprintf("%s在表决中签到，实到由%d人变为%d人，通过所需的赞成票由%d票变为%d票。", m.who(), before.Present, tl.Present, was, now)
	b.postTally(m, t, note)
	if t.Chair != "" && t.Chair != m.member.ID {
		m.toMember(t.Chair, "【计票提示】议题 "+t.Label()+"："+note)
	}
}

func preset(t *bot.Topic) *bot.Preset {
	if pr := bot.Presets[t.Plan.Preset]; pr != nil {
		return pr
	}
	return bot.Presets[bot.DefaultPreset]
}

// postTally updates the live tally in the topic's group; note, if any,
// says what just changed the count.
func (b *Bot) postTally(m *msg, t *bot.Topic, note string) {
	text := tallyText(m.tx, t)
	if note != "" {
		text += "\n" + note
	}
	m.send(bot.Outgoing{Community: m.comm.ID, Platform: m.groupPlatform(t), Chat: m.groupChat(t), ChatTitle: t.Group,
		Text: text, Key: "tally/" + m.comm.ID + "/" + t.ID, Buttons: voteButtons(t)})
}

func (b *Bot) cmdOpenVote(m *msg, _ string) {
	ref, opinion := engine.SplitTopicRef(m.rawRest)
	t := b.topic(m, ref, scopeMeeting, bot.StageDeliberating)
	if t == nil {
		return
	}
	t, err := m.tx.OpenVote(m.comm.ID, t.ID, m.member, opinion)
	if err != nil {
		b.refuse(m, err)
		return
	}
	tl := m.tx.Tally(m.comm.ID, t)
	pr := preset(t)
	how := "请实到的协商主体在群里回复：赞成(或 同意、1)、反对(或 不同意、2)、弃权(或 3)。表决结束前可以改票，以最后一次为准。"
	if t.Plan.Ballot == bot.BallotSecret {
		how = "本次为无记名投票：请私聊我发送 赞成/反对/弃权(或 1/2/3)，群里发的不计入；结果只公布票数。"
		if tl.Present < minSecretVoters {
			how += fmt.Sprintf("\n注意：实到只有%d人(少于%d人)，公布的票数可能让人推断出个人的选择；需要更好保密的，可以改为现场纸质投票后「现场计票」。", tl.Present, minSecretVoters)
			m.toMember(t.Chair, fmt.Sprintf("议题 %s 的无记名投票实到只有%d人：票数公布后，大家可能推断出每个人投了什么。如需更好保密，请发「结束表决 #%s」后改用现场纸质投票。", t.Label(), tl.Present, t.ID))
		}
	}
	deadline := "主持人发「结束表决」时结束，或实到人员全部投完时自动结束。"
	if !t.Plan.Deadline.IsZero() {
		deadline = fmt.Sprintf("表决将于 %s 自动结束(或实到人员全部投完时)。", t.Plan.Deadline.In(m.comm.Location).Format("15:04"))
	}
	m.send(bot.Outgoing{Community: m.comm.ID, Platform: m.groupPlatform(t), Chat: m.groupChat(t), ChatTitle: t.Group,
		Text: fmt.Sprintf("【开始表决】%s，%s\n表决意见：%s\n应到%d人，实到%d人。规则：%s，%s，本次需赞成至少%d人(表决中有人签到时会重新计算并告知)。\n%s\n%s",
			engine.MeetingSteps[4], t.Label(), t.Opinion, tl.Expected, tl.Present, pr.Name, pr.RuleDoc, pr.Decide(tl).NeedFor+tl.For, how, deadline),
		Buttons: voteButtons(t)})
}

func (b *Bot) cmdCloseVote(m *msg, rest string) {
	t := b.topic(m, refOnly(rest), scopeMeeting, bot.StageVoting)
	if t == nil {
		return
	}
	t, err := m.tx.CloseVote(m.comm.ID, t.ID, m.member)
	if err != nil {
		b.refuse(m, err)
		return
	}
	b.afterClose(m.tx, t)
	if m.in.Private {
		m.reply("已结束表决，结果已发到群里。")
	}
}

// afterClose tells the recorder what is next and lets the archive learn a
// passed topic.
// minSecretVoters: below it, a secret ballot's counts come close to naming
// each voter's choice (P9: small meetings stay secret).
const minSecretVoters = 5

// secretRevealWarning says when a secret ballot's published counts reveal
// individual choices: fewer than minSecretVoters voted, or all the same.
func secretRevealWarning(t *bot.Topic) string {
	r := t.Result
	if t.Plan.Ballot != bot.BallotSecret || r == nil || r.Voters == 0 {
		return ""
	}
	switch {
	case r.For == r.Voters || r.Against == r.Voters || r.Abstain == r.Voters:
		return "\n说明：本次无记名投票全体表决人的选择相同，票数本身就显示了每个人的选择。"
	case r.Voters < minSecretVoters:
		return fmt.Sprintf("\n说明：本次无记名投票只有%d人表决，票数可能让人推断出个人的选择。", r.Voters)
	}
	return ""
}

func (b *Bot) afterClose(tx *engine.Tx, t *bot.Topic) {
	c := tx.Community(t.Community)
	tx.ToGroup(t.Community, t, localize(c, engine.ResultText(t, tx.Name)+secretRevealWarning(t)))
	if t.Result.Agreed && b.opts.OnDecision != nil {
		b.opts.OnDecision(tx, t)
	}
	next := "请记录员发「确认记录 #" + t.ID + "」签字确认会议记录，然后由主持人或记录员发「公示 #" + t.ID + "」公示并备案。"
	if t.Result.Agreed {
		next += "\n通过的议题请记录落实事项：「事项 #" + t.ID + " 内容；责任人；完成期限；监督方式」。"
	} else {
		next += "\n未通过的议题请记录再议安排：「再议 #" + t.ID + " 时机和条件」，或「终止 #" + t.ID + "」。"
	}
	tx.ToMember(t.Community, t.Recorder, localize(c, "议题 "+t.Label()+" 表决已结束。"+next))
}

func (b *Bot) cmdTally(m *msg, rest string) {
	if err := bot.Authorize(m.actor(), bot.ActReadRecords, nil); err != nil {
		b.refuse(m, err)
		return
	}
	t := b.topic(m, refOnly(rest), scopeMeeting, bot.StageVoting)
	if t == nil {
		return
	}
	m.say(tallyText(m.tx, t))
}

func tallyText(tx *engine.Tx, t *bot.Topic) string {
	tl := tx.Tally(t.Community, t)
	pr := preset(t)
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

func (b *Bot) vote(m *msg, ref string, choice bot.Choice) {
	if m.member == nil {
		b.refuse(m, bot.Errorf(bot.EFORBIDDEN, "您不在本村(社区)名册上，这次表决不计入。如有疑问请联系村(居)委会工作人员。"))
		return
	}
	if ref == "" {
		if why := b.noVoteHere(m); why != "" {
			m.say(why)
			return
		}
	}
	m.word = "表决"
	t := b.topic(m, ref, scopeMeeting, bot.StageVoting)
	if t == nil {
		return
	}
	r, err := m.tx.CastVote(m.comm.ID, t.ID, m.member, choice, m.in.Private)
	if err != nil {
		if bot.ErrorCode(err) == bot.EFORBIDDEN && !m.in.Private {
			// A polite private refusal, plus a short note in the group so the sender sees it.
			m.toMember(m.member.ID, bot.ErrorMessage(err))
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
		ack = fmt.Sprintf("已改投「%s」，以您最后一次为准(无记名，不会公开)。", choice.Chinese())
	case secret:
		ack = fmt.Sprintf("已收到您的无记名表决：您投了「%s」(不会公开谁投了什么)。表决结束前可以改投，以最后一次为准。", choice.Chinese())
	case r.Changed:
		ack = fmt.Sprintf("%s：已改为「%s」(以最后一次为准)。", m.who(), choice.Chinese())
	default:
		ack = fmt.Sprintf("%s：已记录「%s」。", m.who(), choice.Chinese())
	}
	switch {
	case secret && m.in.Private:
		// The receipt names the choice: sealed with the round's ballots
		// and erased with them at the close.
		m.tx.SendSealed(m.comm.ID, t.ID, bot.Outgoing{Platform: m.in.Platform, Chat: m.in.Chat, ChatTitle: m.in.ChatTitle,
			Private: true, Text: localize(m.comm, ack), Community: m.comm.ID})
	case m.in.Private:
		m.say(ack)
	default:
		// In a group, acknowledgements of a burst of votes are merged into
		// one message (the vote itself is already on disk).
		m.send(bot.ReceiptFor(m.in, m.comm.ID, ack))
	}
	if r.Same || (secret && r.Changed) { // a changed secret ballot leaves the count as it was
		return
	}
	if r.Closed {
		b.afterClose(m.tx, r.Topic)
		return
	}
	b.postTally(m, t, "")
}

// noVoteHere gives the true reason a vote without a number cannot count
// when no vote of this chat is open: the vote that is open is one the
// member does not take part in, or the vote of this chat has closed, or
// no vote is open at all. "" when a vote here is open.
func (b *Bot) noVoteHere(m *msg) string {
	if len(b.activeTopics(m, bot.StageVoting)) > 0 {
		return ""
	}
	for _, t := range m.tx.TopicsIn(m.comm.ID, bot.StageVoting) {
		if !t.IsParticipant(m.member.ID) {
			return fmt.Sprintf("%s，议题 %s 正在表决，但您不是这个议题的协商主体(参会名单由党组织审定时确定)，所以不能表决，可以旁听。", m.who(), t.Label())
		}
	}
	var closed *bot.Topic
	for _, t := range m.tx.TopicsIn(m.comm.ID, stagesAfterVote...) {
		if t.Result != nil && m.inChat(t) {
			closed = t
		}
	}
	if closed != nil {
		return fmt.Sprintf("议题 %s 的表决已经结束(%s)，不能再投票或改票。", closed.Label(), closed.Result.ClosedAt.In(m.comm.Location).Format(timeLayout))
	}
	for _, t := range m.tx.TopicsIn(m.comm.ID, bot.StageNotified, bot.StageDeliberating) {
		if m.inChat(t) {
			return fmt.Sprintf("议题 %s 还没有开始表决，请等主持人宣布「开始表决」后再投。", t.Label())
		}
	}
	return "现在没有正在表决的议题，这条表决没有计入。表决由主持人发「开始表决」后开始，届时再回复 赞成/反对/弃权。"
}
