package flows

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
)

// After the vote: the recorder's signature, 公示, follow-up items, 再议 and
// 终止, the supervisor's 审核记录.

func (b *Bot) cmdConfirmMinutes(m *msg, rest string) {
	t := b.topic(m, refOnly(rest), scopeChat, stagesAfterVote...)
	if t == nil {
		return
	}
	t, err := m.tx.ConfirmMinutes(m.comm.ID, t.ID, m.member)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.reply("记录员%s已签字确认议题 %s 的会议记录(%s)。", m.who(), t.Label(), t.MinutesAt.In(m.comm.Location).Format("2006-01-02 15:04"))
}

func (b *Bot) cmdPublish(m *msg, rest string) {
	t := b.topic(m, refOnly(rest), scopeChat, bot.StageVoted)
	if t == nil {
		return
	}
	t, err := m.tx.Publish(m.comm.ID, t.ID, m.member)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.say(publishedText(m, t))
	if left := m.tx.Unreached(m.comm.ID, t, nil); len(left) > 0 && t.Recorder != "" {
		// The checklist: who the bot could not tell, to be told by phone,
		// at the door or in writing, each ticked with 已通报.
		m.toMember(t.Recorder, fmt.Sprintf("【待通报】议题 %s 已公示。以下人员不在群里或收不到我的私聊，请用电话、上门或书面方式告知结果，告知一位登记一位：\n%s\n登记格式：「已通报 #%s 姓名 电话|上门|书面」。",
			t.Label(), "· "+strings.Join(left, "\n· "), t.ID))
	}
}

// publishedText says what 公示 did and nothing more: the group got the
// result, the proposer and the stakeholders on the roster got it
// privately, the party organisation got it for 备案; outside parties named
// as stakeholders were not told by the bot, and the answer says so.
func publishedText(m *msg, t *bot.Topic) string {
	var told, outside []string
	for _, s := range t.Stakeholders {
		switch {
		case s == t.Proposer || slices.Contains(told, m.tx.Name(m.comm.ID, s)):
		case m.comm.Member(s) != nil:
			told = append(told, m.tx.Name(m.comm.ID, s))
		default:
			outside = append(outside, s)
		}
	}
	text := fmt.Sprintf("议题 %s 已在群里公示，并已私聊报党组织备案；已私聊告知提议人%s", t.Label(), m.tx.Name(m.comm.ID, t.Proposer))
	if len(told) > 0 {
		text += "和名册上的利益相关方" + strings.Join(told, "、")
	}
	text += "。"
	if len(outside) > 0 {
		text += fmt.Sprintf("名册外的利益相关方(%s)不在本群、我无法通知，请工作人员另行告知。", strings.Join(outside, "、"))
	}
	return text + fmt.Sprintf("现在是「%s」。", t.Stage.Chinese())
}

var itemSplit = regexp.MustCompile(`[;；\n]`)

const itemFormat = "格式：事项 #编号 内容；责任人；完成期限；监督方式\n例如：事项 #1 安装路灯10盏；李卫东；2026-12-31；监委会每月查看一次"

// outsideBody matches a responsible party that is an organisation rather
// than a person: 镇交通办, 物业公司, 3组村民小组.
var outsideBody = regexp.MustCompile(`(公司|办|办公室|局|站|所|中心|单位|合作社|委员会|委|队|小组|物业|协会|银行|学校|医院)$`)

func (b *Bot) cmdFollowUp(m *msg, _ string) {
	ref, body := engine.SplitTopicRef(m.rawRest)
	if ref == "" && body == "" {
		m.say(itemFormat)
		return
	}
	t := b.topic(m, ref, scopeChat, bot.StageVoted, bot.StagePublished, bot.StageImplementing)
	if t == nil {
		return
	}
	if err := bot.Authorize(m.actor(), bot.ActAddFollowUp, t); err != nil {
		b.refuse(m, err)
		return
	}
	if t.Result != nil && !t.Result.Agreed {
		m.reply("只有表决通过的议题才能记录落实事项；议题 %s 没有通过，请用「再议 #%s 时机和条件」或「终止 #%s」。", t.Label(), t.ID, t.ID)
		return
	}
	if !t.AuditedAt.IsZero() {
		m.reply("议题 %s 的议事协商记录表已于%s由%s审核通过，不能再添加落实事项；确需补充时，请监委会先说明理由重新审核。",
			t.Label(), t.AuditedAt.In(m.comm.Location).Format(timeLayout), m.tx.Name(m.comm.ID, t.AuditedBy))
		return
	}
	parts := itemSplit.Split(body, -1)
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(parts) < 4 || slices.Contains(parts[:4], "") {
		m.reply("落实事项要写清楚四项：内容；责任人；完成期限；监督方式，用分号隔开(监督方式写监委会怎样核实，例如「监委会现场查看」)。\n例如：事项 #%s 安装路灯10盏；李卫东；2026-12-31；监委会每月查看一次", t.ID)
		return
	}
	due, err := parseDate(parts[2], m.tx.Now(), m.comm.Location)
	if err != nil {
		m.replyErr(err)
		return
	}
	responsible, why := b.responsible(m, t, parts[1])
	if why != "" {
		m.say(why)
		return
	}
	f := bot.FollowUp{What: parts[0], Responsible: responsible, Due: due, Supervision: strings.Join(parts[3:], "；")}
	t, f, err = m.tx.AddFollowUp(m.comm.ID, t.ID, m.member, f)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.reply("已记录议题 %s 的落实事项 #%d：%s；责任人：%s；期限：%s；监督：%s。", t.Label(), f.No, f.What,
		m.tx.Name(m.comm.ID, f.Responsible), f.Due.Format("2006-01-02"), orDash(f.Supervision))
	if mm := m.comm.Member(f.Responsible); mm != nil {
		m.toMember(mm.ID, fmt.Sprintf("您是议题 %s 落实事项 #%d 的责任人：%s，期限 %s。有进展请发「反馈 #%d 进展情况」。", t.Label(), f.No, f.What, f.Due.Format("2006-01-02"), f.No))
	}
}

// responsible reads an item's owner: a roster member, an outside party
// named as a stakeholder at approval, or an organisation (镇交通办); a
// name that is none of these is refused, since nobody could be held to it.
func (b *Bot) responsible(m *msg, t *bot.Topic, who string) (string, string) {
	mm, err := m.tx.FindMember(m.comm.ID, who)
	switch {
	case err == nil:
		return mm.ID, ""
	case bot.ErrorCode(err) != bot.ENOTFOUND:
		return "", bot.ErrorMessage(err)
	case slices.Contains(t.Stakeholders, who) || outsideBody.MatchString(who):
		return who, ""
	}
	return "", fmt.Sprintf("责任人「%s」不在本村(社区)名册上。责任人要写名册上的成员，或写明单位全称(例如「镇交通办」「物业公司」)。", clip(who, 20))
}

func (b *Bot) cmdRedeliberate(m *msg, _ string) {
	ref, when := engine.SplitTopicRef(m.rawRest)
	t := b.topic(m, ref, scopeChat, bot.StageVoted, bot.StagePublished)
	if t == nil {
		return
	}
	if when == "" {
		m.reply("请写上再次协商的时机和条件，格式：再议 #编号 时机和条件\n例如：再议 #%s 明年春耕后，资金落实后再议", t.ID)
		return
	}
	t, err := m.tx.SetRedeliberation(m.comm.ID, t.ID, m.member, when, false)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.reply("已记录议题 %s 的再议安排：%s。", t.Label(), when)
}

func (b *Bot) cmdTerminate(m *msg, rest string) {
	t := b.topic(m, refOnly(rest), scopeChat, bot.StageVoted, bot.StagePublished)
	if t == nil {
		return
	}
	t, err := m.tx.SetRedeliberation(m.comm.ID, t.ID, m.member, "", true)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.reply("议题 %s 已终止协商(%s)。", t.Label(), t.Stage.Chinese())
}

func (b *Bot) cmdAuditRecord(m *msg, rest string) {
	t := b.topic(m, refOnly(rest), scopeAll, stagesAfterVote...)
	if t == nil {
		return
	}
	t, _, err := m.tx.AuditRecord(m.comm.ID, t.ID, m.member)
	if err != nil {
		b.refuse(m, err)
		return
	}
	m.reply("议题 %s 的议事协商记录表各项齐全，已由%s审核通过(%s)。", t.Label(), m.who(), t.AuditedAt.In(m.comm.Location).Format("2006-01-02 15:04"))
}
