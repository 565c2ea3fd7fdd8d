package flows

import (
	"fmt"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/reminders"
)

// Follow-up commands (stage 5): 反馈, 确认落实, 退回落实, 受阻, 进展, 审核记录,
// 待办. 退回落实 is not 退回: 退回修改 belongs to the party's review of a
// proposal.
func init() {
	commands = append(commands,
		command{[]string{"进展反馈", "反馈进展", "反馈", "汇报进展"}, (*Bot).cmdReportProgress},
		command{[]string{"确认落实"}, (*Bot).cmdConfirmItem},
		command{[]string{"退回落实", "驳回落实"}, (*Bot).cmdReturnItem},
		command{[]string{"受阻"}, (*Bot).cmdBlockItem},
		command{[]string{"查进展", "进展"}, (*Bot).cmdItem},
		command{[]string{"审核记录"}, (*Bot).cmdAuditRecord},
		command{[]string{"我的待办", "待办"}, (*Bot).cmdTodo},
	)
}

// itemRef takes "#12 rest" apart into an item number and the free text
// that follows (from the original text, not the normalised one).
func (m *msg) itemRef(usage string) (int, string, bool) {
	id, rest := splitRef(m.rawRest)
	if id == "" {
		m.say(usage)
		return 0, "", false
	}
	no, err := engine.ParseItemRef(id)
	if err != nil {
		m.replyErr(err)
		return 0, "", false
	}
	return no, rest, true
}

func (b *Bot) cmdReportProgress(m *msg, _ string) {
	no, text, ok := m.itemRef("格式：反馈 #事项编号 进展情况\n例如：反馈 #3 灯杆已到货，下周安装。全部做完时请写「已完成」，监委会会来核实。")
	if !ok {
		return
	}
	if text == "" {
		m.reply("请写上进展情况，例如「反馈 #%d 已完成安装，共10盏」。", no)
		return
	}
	ch, err := m.tx.ReportProgress(m.comm.ID, no, m.member, text)
	if err != nil {
		m.replyErr(err)
		return
	}
	f := ch.Item
	switch {
	case ch.Changed() && f.Status == bot.FollowUpDone:
		m.reply("已记录：落实事项 #%d「%s」已完成，现在是「%s」，已请监委会核实确认。", f.No, f.What, f.Status.Chinese())
	case ch.Changed():
		m.reply("已记录落实事项 #%d 的进展，状态：%s → %s。", f.No, ch.From.Chinese(), f.Status.Chinese())
	default:
		m.reply("已记录落实事项 #%d 的进展(现在是「%s」)。", f.No, f.Status.Chinese())
	}
}

func (b *Bot) cmdConfirmItem(m *msg, _ string) {
	no, evidence, ok := m.itemRef("格式：确认落实 #事项编号 [核实情况]\n例如：确认落实 #3 已现场查看，10盏路灯均正常亮灯")
	if !ok {
		return
	}
	if !b.mayJudgeItem(m, no) {
		return
	}
	ch, err := m.tx.ConfirmFollowUp(m.comm.ID, no, m.member, evidence)
	if err != nil {
		m.replyErr(err)
		return
	}
	msg := fmt.Sprintf("已确认落实事项 #%d「%s」已落实。", ch.Item.No, ch.Item.What)
	switch open := ch.Topic.OpenObjections(); {
	case ch.Completed:
		msg += fmt.Sprintf("议题 %s 的落实事项已全部落实，议题办结。", ch.Topic.Label())
	case len(open) > 0 && ch.Topic.Stage == bot.StageImplementing && allItemsConfirmed(ch.Topic):
		// The one thing still keeping the topic open is a 公示 objection.
		nos := make([]string, len(open))
		for i, o := range open {
			nos[i] = fmt.Sprintf("第%d条", o.No)
		}
		msg += fmt.Sprintf("议题 %s 的落实事项已全部落实，但公示异议%s还没有答复，答复前议题不能办结；已提醒主持人答复。", ch.Topic.Label(), strings.Join(nos, "、"))
		m.toMember(ch.Topic.Chair, fmt.Sprintf("议题 %s 的落实事项已全部落实，只差公示异议%s的答复就能办结。请发「答复异议 #%s 序号 答复内容」。", ch.Topic.Label(), strings.Join(nos, "、"), ch.Topic.ID))
	}
	m.say(msg)
}

func (b *Bot) cmdReturnItem(m *msg, _ string) {
	no, reason, ok := m.itemRef("格式：退回落实 #事项编号 理由\n例如：退回落实 #3 还有2盏路灯不亮")
	if !ok {
		return
	}
	if !b.mayJudgeItem(m, no) {
		return
	}
	if reason == "" {
		m.reply("退回需要写明理由，例如「退回落实 #%d 还有2盏路灯不亮」。", no)
		return
	}
	ch, err := m.tx.ReturnFollowUp(m.comm.ID, no, m.member, reason)
	if err != nil {
		m.replyErr(err)
		return
	}
	m.reply("已退回落实事项 #%d，状态改为「%s」，理由已告知责任人%s。", ch.Item.No, ch.Item.Status.Chinese(), m.tx.Name(m.comm.ID, ch.Item.Responsible))
}

func (b *Bot) cmdBlockItem(m *msg, _ string) {
	no, reason, ok := m.itemRef("格式：受阻 #事项编号 原因\n例如：受阻 #3 施工队进场受阻，需要协调")
	if !ok {
		return
	}
	if reason == "" {
		m.reply("请写明受阻的原因，例如「受阻 #%d 资金还没有到位」。", no)
		return
	}
	ch, err := m.tx.BlockFollowUp(m.comm.ID, no, m.member, reason)
	if err != nil {
		m.replyErr(err)
		return
	}
	m.reply("已记录落实事项 #%d 受阻，监委会已收到通知。问题解决后请发「反馈 #%d 进展情况」。", ch.Item.No, ch.Item.No)
}

// cmdItem is 进展 #编号: anyone may see the state of an item of a published
// topic (村务公开).
func (b *Bot) cmdItem(m *msg, _ string) {
	no, _, ok := m.itemRef("格式：进展 #事项编号，例如「进展 #3」。事项编号可以发「查看 #议题编号」看到。")
	if !ok {
		return
	}
	t, f, err := m.tx.FollowUpItem(m.comm.ID, no)
	if err != nil {
		m.replyErr(err)
		return
	}
	if t.Stage == bot.StageVoted {
		m.reply("落实事项 #%d 所属的议题 %s 还没有公示，公示后可以查询进展。", no, t.Label())
		return
	}
	m.say(itemText(m.tx, t, f))
}

func itemText(tx *engine.Tx, t *bot.Topic, f bot.FollowUp) string {
	c := tx.Community(t.Community)
	loc := c.Location
	var sb strings.Builder
	fmt.Fprintf(&sb, "落实事项 #%d：%s\n议题：%s(%s)\n责任人：%s；期限：%s；监督方式：%s\n状态：%s", f.No, f.What, t.Label(), t.Stage.Chinese(),
		tx.Name(t.Community, f.Responsible), f.Due.In(loc).Format("2006年1月2日"), orDash(f.Supervision), f.Status.Chinese())
	today := tx.Now().In(loc)
	y, mo, d := today.Date()
	if f.Status != bot.FollowUpConfirmed && f.Status != bot.FollowUpDone {
		if days := int(time.Date(y, mo, d, 0, 0, 0, 0, loc).Sub(f.Due.In(loc)).Hours() / 24); days > 0 {
			fmt.Fprintf(&sb, "(已逾期%d天)", days)
		}
	}
	if f.Status == bot.FollowUpConfirmed {
		fmt.Fprintf(&sb, "(%s由%s确认)", f.ConfirmedAt.In(loc).Format("1月2日"), tx.Name(t.Community, f.ConfirmedBy))
	}
	if len(f.Progress) == 0 {
		sb.WriteString("\n还没有进展反馈。")
		return sb.String()
	}
	sb.WriteString("\n最近进展：")
	for _, p := range f.Progress[max(0, len(f.Progress)-3):] {
		fmt.Fprintf(&sb, "\n· %s %s：%s", p.At.In(loc).Format("1月2日"), tx.Name(t.Community, p.By), p.Text)
	}
	return sb.String()
}

// cmdTodo is 待办: a supervisor's digest on demand (everything current,
// reminded before or not), or a responsible person's open items. In a group
// the answer goes privately.
func (b *Bot) cmdTodo(m *msg, _ string) {
	if m.member == nil {
		m.replyErr(bot.Errorf(bot.EFORBIDDEN, "您不在本村(社区)名册上，没有待办事项。"))
		return
	}
	text := reminders.Todo(m.tx, m.comm, m.member, m.tx.Now())
	if m.in.Private {
		m.say(text)
		return
	}
	m.toMember(m.member.ID, text)
	m.reply("%s，待办事项已私聊发给您。", m.who())
}

// mayJudgeItem checks, through bot.Authorize, that the sender may confirm
// or send back item no: a supervisor who owns the item or filed the report
// that it is done cannot judge it. It answers and returns false when not.
func (b *Bot) mayJudgeItem(m *msg, no int) bool {
	t, f, err := m.tx.FollowUpItem(m.comm.ID, no)
	if err != nil {
		return true // the engine gives the answer for an unknown item
	}
	actor := m.actor()
	if m.member != nil {
		actor.Responsible = f.Responsible == m.member.ID
		actor.Reporter = f.Status == bot.FollowUpDone && len(f.Progress) > 0 && f.Progress[len(f.Progress)-1].By == m.member.ID
	}
	if err := bot.Authorize(actor, bot.ActConfirmFollowUp, t); err != nil {
		b.refuse(m, err)
		return false
	}
	return true
}

// allItemsConfirmed reports whether every follow-up item of t is confirmed.
func allItemsConfirmed(t *bot.Topic) bool {
	for _, f := range t.FollowUps {
		if f.Status != bot.FollowUpConfirmed {
			return false
		}
	}
	return len(t.FollowUps) > 0
}
