package flows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/voteword"
)

// The room (issue P9): what the recorder, or a 代录员 the chair names, records
// for people present in person. Each command takes an optional #N; without
// it, the meeting under way in this chat.

var meetingStages = []bot.Stage{bot.StageNotified, bot.StageDeliberating, bot.StageVoting}

// roomTopic resolves the topic and the text after it.
func (b *Bot) roomTopic(m *msg, rest string, stages ...bot.Stage) (*bot.Topic, string) {
	ref, tail := engine.SplitTopicRef(rest)
	t := b.topic(m, ref, scopeMeeting, stages...)
	return t, strings.TrimSpace(tail)
}

func names(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '、' || r == ',' || r == '，' || r == '\u3000' })
}

func (b *Bot) cmdNameClerk(m *msg, rest string) {
	t, who := b.roomTopic(m, rest, meetingStages...)
	if t == nil {
		return
	}
	if who == "" {
		m.reply("格式：指定代录员 #%s 姓名", t.ID)
		return
	}
	t, c, err := m.tx.NameClerk(m.comm.ID, t.ID, m.member, who)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.reply("已指定%s为议题 %s 的代录员：可以代签到、代签退、登记临时参会、代记发言、代投和现场计票，每一条都会记明由谁代录。", c.Name, t.Label())
}

func (b *Bot) cmdProxyCheckIn(m *msg, rest string) {
	t, list := b.roomTopic(m, rest, meetingStages...)
	if t == nil {
		return
	}
	t, ms, err := m.tx.ProxyCheckIn(m.comm.ID, t.ID, m.member, names(list))
	if err != nil {
		b.refuse(m, err)
		return
	}
	done := make([]string, len(ms))
	for i, x := range ms {
		done[i] = x.Name
	}
	tl := m.tx.Tally(m.comm.ID, t)
	m.reply("已为现场的%d人代签到：%s(%s代录)。实到%d人/应到%d人。", len(ms), strings.Join(done, "、"), m.who(), tl.Present, tl.Expected)
	m.send(bot.LiveAttendance(m.comm.ID, m.groupPlatform(t), m.groupChat(t), t.Group, t, tl.Present, tl.Expected))
}

func (b *Bot) cmdProxyCheckOut(m *msg, rest string) {
	t, who := b.roomTopic(m, rest, meetingStages...)
	if t == nil {
		return
	}
	t, x, err := m.tx.ProxyCheckOut(m.comm.ID, t.ID, m.member, who)
	if err != nil {
		b.refuse(m, err)
		return
	}
	tl := m.tx.Tally(m.comm.ID, t)
	m.reply("%s已签退(%s代录)。实到%d人/应到%d人。", x.Name, m.who(), tl.Present, tl.Expected)
	m.send(bot.LiveAttendance(m.comm.ID, m.groupPlatform(t), m.groupChat(t), t.Group, t, tl.Present, tl.Expected))
}

func (b *Bot) cmdWalkIn(m *msg, _ string) {
	t, tail := b.roomTopic(m, m.rawRest, meetingStages...)
	if t == nil {
		return
	}
	// The name is the first word; the role is the rest as written.
	f := names(tail)
	if len(f) < 2 {
		m.reply("格式：临时参会 姓名 身份，例如「临时参会 王大爷 3组村民」。")
		return
	}
	name := f[0]
	role := strings.TrimLeft(strings.TrimSpace(tail)[len(name):], " 、,，\u3000")
	if _, err := m.tx.WalkIn(m.comm.ID, t.ID, m.member, name, role); err != nil {
		b.refuse(m, err)
		return
	}
	m.reply("已登记%s(%s)临时参会，列席：可以发言，不参加表决。", name, role)
}

func (b *Bot) cmdConfirmWalkIn(m *msg, rest string) {
	t, name := b.roomTopic(m, rest, meetingStages...)
	if t == nil {
		return
	}
	t, err := m.tx.ConfirmWalkIn(m.comm.ID, t.ID, m.member, name)
	if err != nil {
		b.refuse(m, err)
		return
	}
	tl := m.tx.Tally(m.comm.ID, t)
	m.toGroup(t, fmt.Sprintf("【协商主体】议题 %s：主持人%s确认临时参会的%s为协商主体，计入实到，在现场计票中表决(实到%d人)。", t.Label(), m.who(), name, tl.Present))
}

var speakPattern = regexp.MustCompile(`^(\S+?)\s*[:：]\s*(.+)$`)

func (b *Bot) cmdProxySpeak(m *msg, _ string) {
	t, tail := b.roomTopic(m, m.rawRest, bot.StageDeliberating) // the words as said, not normalised
	if t == nil {
		return
	}
	p := speakPattern.FindStringSubmatch(tail)
	if p == nil {
		m.reply("格式：代记发言 姓名：内容，例如「代记发言 王大爷：路灯要装在东侧」。")
		return
	}
	if _, err := m.tx.ProxySpeak(m.comm.ID, t.ID, m.member, p[1], p[2]); err != nil {
		b.refuse(m, err)
		return
	}
	m.reply("已记入会议记录：%s的现场发言(%s代记)。", p[1], m.who())
}

func (b *Bot) cmdProxyVote(m *msg, rest string) {
	t, tail := b.roomTopic(m, rest, bot.StageVoting)
	if t == nil {
		return
	}
	f := names(tail)
	if len(f) != 2 {
		m.reply("格式：代投 姓名 赞成|反对|弃权，例如「代投 王大爷 赞成」。")
		return
	}
	choice, ok := voteword.Parse(f[1])
	if !ok {
		m.reply("「%s」不是表决意见。格式：代投 姓名 赞成|反对|弃权。", f[1])
		return
	}
	r, err := m.tx.ProxyVote(m.comm.ID, t.ID, m.member, f[0], choice)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.reply("已为%s代投「%s」(%s代录)。", f[0], choice.Chinese(), m.who())
	if r.Closed {
		b.afterClose(m.tx, r.Topic)
	}
}

var countPattern = regexp.MustCompile(`^赞成\s*(\d+)\s*[，, ]*\s*反对\s*(\d+)\s*[，, ]*\s*弃权\s*(\d+)$`)

func (b *Bot) cmdRoomCount(m *msg, rest string) {
	t, tail := b.roomTopic(m, rest, bot.StageVoting)
	if t == nil {
		return
	}
	p := countPattern.FindStringSubmatch(strings.TrimSpace(tail))
	if p == nil {
		m.reply("格式：现场计票 赞成N 反对N 弃权N，例如「现场计票 赞成8 反对1 弃权0」。")
		return
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	if _, err := m.tx.RoomCount(m.comm.ID, t.ID, m.member, n(p[1]), n(p[2]), n(p[3])); err != nil {
		b.refuse(m, err)
		return
	}
	m.toGroup(t, fmt.Sprintf("【现场计票】议题 %s：赞成%s 反对%s 弃权%s(%s计票)。须由在场的监委会成员(没有时由主持人)发「确认计票 #%s」后才计入表决结果。",
		t.Label(), p[1], p[2], p[3], m.who(), t.ID))
}

var headCountPattern = regexp.MustCompile(`^(\d{1,7})\s*人?$`)

func (b *Bot) cmdHeadCount(m *msg, rest string) {
	// A bare number is the count, not a topic: the topic needs its #.
	ref, tail := "", strings.TrimSpace(rest)
	if strings.HasPrefix(tail, "#") || strings.HasPrefix(tail, "＃") {
		ref, tail = engine.SplitTopicRef(tail)
	}
	t := b.topic(m, ref, scopeMeeting, meetingStages...)
	if t == nil {
		return
	}
	p := headCountPattern.FindStringSubmatch(strings.TrimSpace(tail))
	if p == nil {
		m.reply("格式：现场人数 N(清点到会、没有逐个签到的表决人数)，例如「现场人数 150」。")
		return
	}
	n, _ := strconv.Atoi(p[1])
	t, err := m.tx.HeadCount(m.comm.ID, t.ID, m.member, n)
	if err != nil {
		b.refuse(m, err)
		return
	}
	tl := m.tx.Tally(m.comm.ID, t)
	line := fmt.Sprintf("【现场人数】议题 %s：%s清点到会%d人(未逐个签到)，连同已签到的，实到%d人。", t.Label(), m.who(), n, tl.Present)
	if why := m.tx.QuorumShortfall(m.comm.ID, t); why != "" {
		line += "\n" + why + "。"
	} else if pr := bot.Presets[t.Plan.Preset]; pr != nil && pr.Basis != "" {
		line += fmt.Sprintf("\n按「%s」，%s：已达到法定到会人数。", pr.Name, pr.QuorumDoc)
	}
	m.toGroup(t, line)
}

func (b *Bot) cmdConfirmCount(m *msg, rest string) {
	t := b.topic(m, refOnly(rest), scopeMeeting, bot.StageVoting, bot.StageVoted)
	if t == nil {
		return
	}
	r, err := m.tx.ConfirmRoomCount(m.comm.ID, t.ID, m.member)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.toGroup(r.Topic, fmt.Sprintf("【现场计票已确认】议题 %s：%s确认了现场计票，已计入表决结果。应到%d，实到%d，已投%d：赞成%d，反对%d，弃权%d。",
		r.Topic.Label(), m.who(), r.Tally.Expected, r.Tally.Present, r.Tally.Voted(), r.Tally.For, r.Tally.Against, r.Tally.Abstain))
	if r.Closed {
		b.afterClose(m.tx, r.Topic)
	}
}

func (b *Bot) cmdOpenVoteNoQuorum(m *msg, _ string) {
	t, reason := b.roomTopic(m, m.rawRest, bot.StageDeliberating)
	if t == nil {
		return
	}
	if reason == "" {
		m.reply("格式：无法定人数表决 理由，例如「无法定人数表决 村民外出务工较多，先听取在场意见」。")
		return
	}
	t, err := m.tx.OpenVoteWithoutQuorum(m.comm.ID, t.ID, m.member, "", reason)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.toGroup(t, fmt.Sprintf("【开始表决(未达法定人数)】议题 %s：%s。主持人说明的理由：%s。按规定，本次表决不产生决定，记录表会写明。\n表决意见：%s",
		t.Label(), m.tx.QuorumShortfall(m.comm.ID, t), reason, t.Opinion))
}

func (b *Bot) cmdObject(m *msg, _ string) {
	ref, text := engine.SplitTopicRef(m.rawRest) // the objection in the resident's own words
	t := b.topic(m, ref, scopeAll, bot.StagePublished, bot.StageImplementing, bot.StageCompleted, bot.StageRedeliberate, bot.StageTerminated)
	if t == nil {
		return
	}
	t, o, err := m.tx.RaiseObjection(m.comm.ID, t.ID, m.member, text)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.reply("已收到您对议题 %s 公示的第%d条异议，主持人会答复；答复前议题不会办结。", t.Label(), o.No)
	m.toMember(t.Chair, fmt.Sprintf("【异议】议题 %s 收到第%d条异议：%s\n请答复：「答复异议 #%s %d 答复内容」。", t.Label(), o.No, o.Text, t.ID, o.No))
}

func (b *Bot) cmdAnswerObjection(m *msg, _ string) {
	ref, tail := engine.SplitTopicRef(m.rawRest)
	t := b.topic(m, ref, scopeAll, bot.StagePublished, bot.StageImplementing, bot.StageCompleted, bot.StageRedeliberate, bot.StageTerminated)
	if t == nil {
		return
	}
	no, text, _ := strings.Cut(strings.TrimSpace(tail), " ")
	n, err := strconv.Atoi(no)
	if err != nil {
		m.reply("格式：答复异议 #%s 序号 答复内容，例如「答复异议 #%s 1 已核实，按原方案实施」。", t.ID, t.ID)
		return
	}
	t, o, err := m.tx.AnswerObjection(m.comm.ID, t.ID, m.member, n, text)
	if err != nil {
		b.refuse(m, err)
		return
	}
	done := ""
	if t.Stage == bot.StageCompleted && len(t.OpenObjections()) == 0 {
		done = "公示异议均已答复，落实事项也已全部落实，议题已办结。"
	}
	m.reply("已答复议题 %s 的第%d条异议。%s", t.Label(), o.No, done)
	m.toMember(o.By, fmt.Sprintf("您对议题 %s 提出的异议已有答复：%s", t.Label(), o.Answer))
}

func (b *Bot) cmdNotified(m *msg, rest string) {
	ref, tail := engine.SplitTopicRef(rest)
	t := b.topic(m, ref, scopeChat, bot.StagePublished, bot.StageImplementing, bot.StageCompleted, bot.StageRedeliberate, bot.StageTerminated)
	if t == nil {
		return
	}
	f := names(tail)
	if len(f) != 2 {
		m.reply("格式：已通报 #%s 姓名 电话|上门|书面", t.ID)
		return
	}
	t, err := m.tx.Notified(m.comm.ID, t.ID, m.member, f[0], f[1])
	if err != nil {
		b.refuse(m, err)
		return
	}
	left := m.tx.Unreached(m.comm.ID, t, nil)
	msg := fmt.Sprintf("已登记：%s已通过%s获知议题 %s 的结果。", f[0], f[1], t.Label())
	if len(left) > 0 {
		msg += "还没有通报：" + strings.Join(left, "、") + "。"
	}
	m.reply("%s", msg)
}
