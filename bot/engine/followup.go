package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/yishi-community/yishi/bot"
)

// Follow-up (stage 5 of PROCESS.md): the responsible person reports
// progress, the supervision committee confirms or returns it, and audits
// that the record sheet is complete. Item numbers (#编号) are community-wide.

// ItemChange is what a follow-up action did to an item.
type ItemChange struct {
	Topic *bot.Topic
	Item  bot.FollowUp
	From  bot.FollowUpStatus
	// Completed is set when this change made every item 已落实 and the topic
	// moved 落实中 → 已办结.
	Completed bool
}

// Changed reports whether the item's status changed.
func (c ItemChange) Changed() bool { return c.From != c.Item.Status }

// ParseItemRef reads "#12", "＃12" or "12" as an item number.
func ParseItemRef(ref string) (int, error) {
	s := strings.TrimSpace(ref)
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "#"), "＃"))
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, bot.Errorf(bot.EINVALID, "落实事项编号「%s」不对，请写成 #编号，例如「进展 #3」。", ref)
	}
	return n, nil
}

// FollowUpItem finds item no of community comm and the topic it belongs to.
// Callers must not modify them.
func (tx *Tx) FollowUpItem(comm string, no int) (*bot.Topic, bot.FollowUp, error) {
	_, t, i, err := tx.findItem(comm, no)
	if err != nil {
		return nil, bot.FollowUp{}, err
	}
	return t, t.FollowUps[i], nil
}

func (tx *Tx) findItem(comm string, no int) (*community, *bot.Topic, int, error) {
	c, err := tx.comm(comm)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, id := range c.ids {
		t := c.topics[id]
		for i := range t.FollowUps {
			if t.FollowUps[i].No == no {
				return c, t, i, nil
			}
		}
	}
	return nil, nil, 0, bot.Errorf(bot.ENOTFOUND, "没有编号为 #%d 的落实事项。发「查看 #议题编号」可以看到议题的落实事项和编号。", no)
}

// EachTopic calls fn for every topic of comm in creation order until fn
// returns false, without copying the list (the reminder runs walk every
// topic of every community). Callers must not modify the topics.
func (tx *Tx) EachTopic(comm string, fn func(*bot.Topic) bool) {
	c := tx.e.comms[comm]
	if c == nil {
		return
	}
	for _, id := range c.ids {
		if !fn(c.topics[id]) {
			return
		}
	}
}

// Words that mark a progress report as "done" (已完成待确认), and words that
// mean the opposite or only a part ("未完成", "已完成一半").
var (
	doneWords    = []string{"已完成", "完成了", "全部完成", "已经完成", "已办结", "已建成", "已竣工"}
	notDoneWords = []string{"未完成", "没完成", "没有完成", "尚未", "还没", "一半", "部分", "%", "％", "成以上"}
)

// SaysDone reports whether a progress text says the item is finished.
func SaysDone(text string) bool {
	for _, w := range notDoneWords {
		if strings.Contains(text, w) {
			return false
		}
	}
	for _, w := range doneWords {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

func (tx *Tx) openItem(comm string, no int, actor *bot.Member, act bot.Action, what string) (*community, *bot.Topic, *bot.FollowUp, error) {
	c, t, i, err := tx.findItem(comm, no)
	if err != nil {
		return nil, nil, nil, err
	}
	f := &t.FollowUps[i]
	responsible := actor != nil && f.Responsible == actor.ID
	reporter := actor != nil && f.Status == bot.FollowUpDone && len(f.Progress) > 0 && f.Progress[len(f.Progress)-1].By == actor.ID
	if err := bot.Authorize(bot.Actor{Member: actor, Responsible: responsible, Reporter: reporter}, act, t); err != nil {
		if act == bot.ActReportProgress && actor != nil {
			return nil, nil, nil, bot.Errorf(bot.EFORBIDDEN, "%s，落实事项 #%d 的责任人是%s，只有责任人或两委成员可以%s。", actor.Name, f.No, tx.Name(comm, f.Responsible), what)
		}
		return nil, nil, nil, err
	}
	if f.Status == bot.FollowUpConfirmed {
		return nil, nil, nil, bot.Errorf(bot.ECONFLICT, "落实事项 #%d 已于%s由%s确认落实，不能再%s。", f.No,
			f.ConfirmedAt.In(c.cfg.Location).Format("1月2日"), tx.Name(comm, f.ConfirmedBy), what)
	}
	return c, t, f, nil
}

// ReportProgress is 反馈 #编号: the item's responsible person (or a cadre)
// adds a progress note. 未开始/受阻 → 进行中; a text that says the work is
// finished (SaysDone) → 已完成待确认, with the text as evidence, and the
// topic's supervisor is asked to confirm.
func (tx *Tx) ReportProgress(comm string, no int, actor *bot.Member, text string) (ItemChange, error) {
	c, t, f, err := tx.openItem(comm, no, actor, bot.ActReportProgress, "反馈进展")
	if err != nil {
		return ItemChange{}, err
	}
	text = strings.TrimSpace(text)
	if err := CheckLength("进展情况", text, 2, MaxText); err != nil {
		return ItemChange{}, err
	}
	ch := ItemChange{Topic: t, From: f.Status}
	ev := ItemUpdated{No: f.No, Status: f.Status, Note: text}
	switch {
	case SaysDone(text):
		ev.Status, ev.Evidence = bot.FollowUpDone, text
	case f.Status != bot.FollowUpDone:
		ev.Status = bot.FollowUpInProgress
	}
	if ch, err = tx.updateItem(c, t, actor, ev, ch); err != nil {
		return ItemChange{}, err
	}
	t, f = ch.Topic, &ch.Item
	tx.tellItemChange(c, t, ch, actor, text)
	if ch.Changed() && f.Status == bot.FollowUpDone {
		for _, s := range tx.itemSupervisors(c, t) {
			if s != actor.ID {
				tx.ToMember(comm, s, fmt.Sprintf("【待确认】%s反馈落实事项 #%d「%s」(议题 %s)已完成：%s\n请核实后发「确认落实 #%d」，未落实到位请发「退回落实 #%d 理由」。",
					actor.Name, f.No, f.What, t.Label(), text, f.No, f.No))
			}
		}
	}
	return ch, nil
}

// ConfirmFollowUp is 确认落实 #编号 by a supervision committee member: an
// item reported finished (已完成待确认) becomes 已落实; when every item of
// the topic is 已落实 the topic moves 落实中 → 已办结 and the result is
// posted in the group.
func (tx *Tx) ConfirmFollowUp(comm string, no int, actor *bot.Member, evidence string) (ItemChange, error) {
	c, t, f, err := tx.openItem(comm, no, actor, bot.ActConfirmFollowUp, "确认落实")
	if err != nil {
		return ItemChange{}, err
	}
	if f.Status != bot.FollowUpDone {
		return ItemChange{}, bot.Errorf(bot.ECONFLICT, "落实事项 #%d 现在是「%s」。责任人反馈「已完成」后才能确认落实；可以提醒%s发「反馈 #%d 已完成……」。",
			f.No, f.Status.Chinese(), tx.Name(comm, f.Responsible), f.No)
	}
	evidence = strings.TrimSpace(evidence)
	ev := ItemUpdated{No: f.No, Status: bot.FollowUpConfirmed, Note: "确认落实" + prefixed("：", evidence)}
	if evidence != "" {
		if err := CheckLength("核实情况", evidence, 2, MaxText); err != nil {
			return ItemChange{}, err
		}
		ev.Evidence = strings.TrimSpace(f.Evidence + "\n监委会核实：" + evidence)
	}
	ch := ItemChange{Topic: t, From: f.Status}
	if ch, err = tx.updateItem(c, t, actor, ev, ch); err != nil {
		return ItemChange{}, err
	}
	t, f = ch.Topic, &ch.Item
	if t.Stage == bot.StageCompleted {
		ch.Completed = true
		tx.ToGroup(comm, t, fmt.Sprintf("【落实公开】议题 %s 的%d项落实事项已全部由监委会确认落实，议题办结。", t.Label(), len(t.FollowUps)))
	}
	tx.tellItemChange(c, t, ch, actor, evidence)
	if m := c.member(f.Responsible); m != nil && m.ID != actor.ID {
		tx.ToMember(comm, m.ID, fmt.Sprintf("您负责的落实事项 #%d「%s」已由%s确认落实，谢谢！", f.No, f.What, actor.Name))
	}
	return ch, nil
}

// ReturnFollowUp is 退回落实 #编号 理由: a supervisor sends an item reported
// finished back to 进行中 with the reason, told to the responsible person.
func (tx *Tx) ReturnFollowUp(comm string, no int, actor *bot.Member, reason string) (ItemChange, error) {
	c, t, f, err := tx.openItem(comm, no, actor, bot.ActConfirmFollowUp, "退回")
	if err != nil {
		return ItemChange{}, err
	}
	if f.Status != bot.FollowUpDone {
		return ItemChange{}, bot.Errorf(bot.ECONFLICT, "落实事项 #%d 现在是「%s」，只有「已完成待确认」的事项才能退回。", f.No, f.Status.Chinese())
	}
	reason = strings.TrimSpace(reason)
	if err := CheckLength("退回理由", reason, 2, MaxText); err != nil {
		return ItemChange{}, err
	}
	ch := ItemChange{Topic: t, From: f.Status}
	if ch, err = tx.updateItem(c, t, actor, ItemUpdated{No: f.No, Status: bot.FollowUpInProgress, Note: "退回：" + reason}, ch); err != nil {
		return ItemChange{}, err
	}
	t, f = ch.Topic, &ch.Item
	tx.tellItemChange(c, t, ch, actor, "退回理由："+reason)
	if m := c.member(f.Responsible); m != nil && m.ID != actor.ID {
		tx.ToMember(comm, m.ID, fmt.Sprintf("您负责的落实事项 #%d「%s」被监委会%s退回，理由：%s\n整改后请再发「反馈 #%d 进展情况」。", f.No, f.What, actor.Name, reason, f.No))
	}
	return ch, nil
}

// BlockFollowUp is 受阻 #编号 理由: the responsible person (or a cadre)
// reports that the work cannot go on; the topic's supervisor is told at once.
func (tx *Tx) BlockFollowUp(comm string, no int, actor *bot.Member, reason string) (ItemChange, error) {
	c, t, f, err := tx.openItem(comm, no, actor, bot.ActReportProgress, "报告受阻")
	if err != nil {
		return ItemChange{}, err
	}
	reason = strings.TrimSpace(reason)
	if err := CheckLength("受阻原因", reason, 2, MaxText); err != nil {
		return ItemChange{}, err
	}
	ch := ItemChange{Topic: t, From: f.Status}
	if ch, err = tx.updateItem(c, t, actor, ItemUpdated{No: f.No, Status: bot.FollowUpBlocked, Note: "受阻：" + reason}, ch); err != nil {
		return ItemChange{}, err
	}
	t, f = ch.Topic, &ch.Item
	tx.tellItemChange(c, t, ch, actor, "受阻原因："+reason)
	for _, s := range tx.itemSupervisors(c, t) {
		if s != actor.ID {
			tx.ToMember(comm, s, fmt.Sprintf("【受阻】落实事项 #%d「%s」(议题 %s)受阻，%s说明：%s", f.No, f.What, t.Label(), actor.Name, reason))
		}
	}
	return ch, nil
}

// tellItemChange tells the proposer when an item of their topic changes
// state (not when they made the change themselves).
// updateItem applies a follow-up item's update and returns the change with
// the item as it now is.
func (tx *Tx) updateItem(c *community, t *bot.Topic, actor *bot.Member, ev ItemUpdated, ch ItemChange) (ItemChange, error) {
	if err := tx.emit(c, t.ID, actor.ID, ev); err != nil {
		return ItemChange{}, err
	}
	ch.Topic = c.topics[t.ID]
	for _, f := range ch.Topic.FollowUps {
		if f.No == ev.No {
			ch.Item = f
		}
	}
	return ch, nil
}

func (tx *Tx) tellItemChange(c *community, t *bot.Topic, ch ItemChange, actor *bot.Member, note string) {
	if !ch.Changed() || c.member(t.Proposer) == nil || (actor != nil && actor.ID == t.Proposer) {
		return
	}
	f := ch.Item
	msg := fmt.Sprintf("您提出的议题 %s 的落实事项 #%d「%s」：%s → %s。", t.Label(), f.No, f.What, ch.From.Chinese(), f.Status.Chinese())
	if note != "" {
		msg += "\n" + note
	}
	if ch.Completed {
		msg += "\n全部落实事项已确认落实，议题已办结。"
	}
	tx.ToMember(c.cfg.ID, t.Proposer, msg)
}

// itemSupervisors are who is told at once about an item: the topic's
// supervisor (协商监督员) when it has one who is on the supervision
// committee, otherwise every committee member.
func (tx *Tx) itemSupervisors(c *community, t *bot.Topic) []string {
	if m := c.member(t.Supervisor); m != nil && m.Has(bot.RoleSupervisor) {
		return []string{m.ID}
	}
	var out []string
	for _, m := range c.cfg.WithRole(bot.RoleSupervisor) {
		out = append(out, m.ID)
	}
	return out
}

func allConfirmed(t *bot.Topic) bool {
	if len(t.FollowUps) == 0 {
		return false
	}
	for _, f := range t.FollowUps {
		if f.Status != bot.FollowUpConfirmed {
			return false
		}
	}
	return true
}

func prefixed(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

// Missing is one field of the record sheet (附件2) that is still empty or
// unconfirmed.
type Missing struct {
	Field   string `json:"field"`   // the field's name on the sheet
	Problem string `json:"problem"` // what is missing, in Chinese
}

func (m Missing) String() string { return m.Field + "：" + m.Problem }

// CheckRecord is the completeness check of the record sheet: every 附件2
// field that is still empty or unconfirmed, in the sheet's order. An empty
// result means the supervision committee may pass the record.
func CheckRecord(t *bot.Topic) []Missing {
	var out []Missing
	need := func(ok bool, field, problem string) {
		if !ok {
			out = append(out, Missing{field, problem})
		}
	}
	need(strings.TrimSpace(t.Title) != "" && strings.TrimSpace(t.Content) != "", "协商议题", "议题标题或内容为空")
	need(len(t.Participants) > 0, "协商主体", "没有确定参会人员")
	need(!t.Plan.Time.IsZero(), "协商时间", "没有协商方案的时间")
	need(strings.TrimSpace(t.Plan.Place) != "", "协商地点", "没有填写地点")
	need(t.Plan.Form.Chinese() != string(t.Plan.Form), "协商方式", "没有填写协商方式")
	need(t.Chair != "", "协商主持人", "没有指定主持人")
	need(t.Recorder != "", "协商记录员", "没有指定记录员")
	need(t.Supervisor != "", "协商监督员", "没有指定监督员")
	spoke := slices.ContainsFunc(t.Statements, func(s bot.Statement) bool { return s.Member != "" })
	need(spoke, "协商过程", "没有记录到各方发表的意见")
	need(strings.TrimSpace(t.Opinion) != "", "协商过程", "没有记录提交表决的意见")
	need(t.Result != nil, "协商表决", "还没有表决结果")
	if r := t.Result; r != nil {
		need(r.Voters == r.For+r.Against+r.Abstain, "协商表决", "表决人数与赞成、反对、弃权人数之和不符")
		switch {
		case r.Agreed:
			need(len(t.FollowUps) > 0, "协商结果", "表决通过，但还没有登记可落实的协商意见(事项)")
			for _, f := range t.FollowUps {
				need(strings.TrimSpace(f.Supervision) != "", "协商结果", fmt.Sprintf("落实事项 #%d 没有写明如何监督落实", f.No))
			}
		default:
			need(strings.TrimSpace(t.Redeliberation) != "" || t.Stage == bot.StageTerminated, "协商结果", "未通过，但还没有记录再次协商的时机和要求(或终止)")
		}
	}
	need(t.MinutesBy != "", "协商记录员签字", "记录员还没有确认会议记录")
	return out
}

// MissingText lists missing fields one per line.
func MissingText(ms []Missing) string {
	lines := make([]string, len(ms))
	for i, m := range ms {
		lines[i] = "· " + m.String()
	}
	return strings.Join(lines, "\n")
}

// AuditRecord is 审核记录 #N by a supervision committee member: the record
// is marked 审核通过 only when CheckRecord finds nothing missing; otherwise
// the error lists the missing 附件2 fields (and missing says them as data).
func (tx *Tx) AuditRecord(comm, id string, actor *bot.Member) (t *bot.Topic, missing []Missing, err error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.authorize(c, actor, bot.ActAuditRecord, t); err != nil {
		return nil, nil, err
	}
	if t.AuditedBy != "" {
		return nil, nil, bot.Errorf(bot.ECONFLICT, "议题 %s 的记录已于%s由%s审核通过。", t.Label(),
			t.AuditedAt.In(c.cfg.Location).Format("1月2日 15:04"), tx.Name(comm, t.AuditedBy))
	}
	if missing = CheckRecord(t); len(missing) > 0 {
		return t, missing, bot.Errorf(bot.ECONFLICT, "议题 %s 的记录表还不完整，暂不能审核通过。还缺%d项：\n%s", t.Label(), len(missing), MissingText(missing))
	}
	if err := tx.emit(c, t.ID, actor.ID, RecordAudited{Round: t.Round}); err != nil {
		return nil, nil, err
	}
	t = c.topics[t.ID]
	if m := c.member(t.Recorder); m != nil && m.ID != actor.ID {
		tx.ToMember(comm, m.ID, fmt.Sprintf("议题 %s 的议事协商记录表已由监委会%s审核通过。", t.Label(), actor.Name))
	}
	return t, nil, nil
}
