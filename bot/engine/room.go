package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/yishi-community/yishi/bot"
)

// The room (PROCESS.md 现场情况). Most meetings are held in a room, with
// members who have no smartphone: the recorder, or a 代录员 the chair names,
// records for them, and every such record names who made it.

// clerkTopic is the topic a clerk records for, when the actor may record
// (the recorder or a 代录员) and the topic is at one of the stages.
func (tx *Tx) clerkTopic(comm, id string, actor *bot.Member, what string, stages ...bot.Stage) (*community, *bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.authorize(c, actor, bot.ActClerk, t); err != nil {
		return nil, nil, err
	}
	if err := tx.needStage(t, what, stages...); err != nil {
		return nil, nil, err
	}
	return c, t, nil
}

// NameClerk is the chair naming a 代录员 for the meeting.
func (tx *Tx) NameClerk(comm, id string, actor *bot.Member, who string) (*bot.Topic, *bot.Member, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.authorize(c, actor, bot.ActNameClerk, t); err != nil {
		return nil, nil, err
	}
	m, err := tx.FindMember(comm, who)
	if err != nil {
		return nil, nil, err
	}
	if slices.Contains(t.Clerks, m.ID) {
		return t, m, nil
	}
	if err := tx.emit(c, t.ID, actor.ID, ClerkNamed{Member: m.ID}); err != nil {
		return nil, nil, err
	}
	return c.topics[t.ID], m, nil
}

// roomMembers resolves names typed by a clerk, each to a participant of t.
// Any unknown, repeated or uninvited name refuses the whole list, naming
// them: nothing is recorded in part.
func (tx *Tx) roomMembers(c *community, t *bot.Topic, names []string) ([]*bot.Member, error) {
	var ms []*bot.Member
	var unknown, twice, outside []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		m, err := tx.FindMember(c.cfg.ID, n)
		switch {
		case err != nil:
			unknown = append(unknown, n)
		case seen[m.ID]:
			twice = append(twice, n)
		case !t.IsParticipant(m.ID):
			outside = append(outside, n)
		default:
			seen[m.ID] = true
			ms = append(ms, m)
		}
	}
	var problems []string
	if len(unknown) > 0 {
		problems = append(problems, "名册上没有："+strings.Join(unknown, "、"))
	}
	if len(twice) > 0 {
		problems = append(problems, "重复写了："+strings.Join(twice, "、"))
	}
	if len(outside) > 0 {
		problems = append(problems, "不是本议题的参会人员："+strings.Join(outside, "、")+"(临时到场的利益相关方请用「临时参会 姓名 身份」)")
	}
	if len(problems) > 0 {
		return nil, bot.Errorf(bot.EINVALID, "%s。这次没有记录任何人，请改正后整条重发。", strings.Join(problems, "；"))
	}
	if len(ms) == 0 {
		return nil, bot.Errorf(bot.EINVALID, "请写上姓名，例如「代签到 张三 李四」。")
	}
	return ms, nil
}

// ProxyCheckIn is 代签到: members present in the room, recorded by a clerk.
func (tx *Tx) ProxyCheckIn(comm, id string, actor *bot.Member, names []string) (*bot.Topic, []*bot.Member, error) {
	c, t, err := tx.clerkTopic(comm, id, actor, "代签到", bot.StageNotified, bot.StageDeliberating, bot.StageVoting)
	if err != nil {
		return nil, nil, err
	}
	ms, err := tx.roomMembers(c, t, names)
	if err != nil {
		return nil, nil, err
	}
	var already []string
	evs := make([]Event, 0, len(ms))
	for _, m := range ms {
		if t.Present(m.ID) {
			already = append(already, m.Name)
		}
		evs = append(evs, CheckedIn{Round: t.Round, Member: m.ID, By: actor.ID})
	}
	if len(already) > 0 {
		return nil, nil, bot.Errorf(bot.ECONFLICT, "已经签到过：%s。这次没有记录任何人，请去掉他们后重发。", strings.Join(already, "、"))
	}
	if err := tx.emit(c, t.ID, actor.ID, evs...); err != nil {
		return nil, nil, err
	}
	return c.topics[t.ID], ms, nil
}

// ProxyCheckOut is 代签退: a member left the room.
func (tx *Tx) ProxyCheckOut(comm, id string, actor *bot.Member, name string) (*bot.Topic, *bot.Member, error) {
	c, t, err := tx.clerkTopic(comm, id, actor, "代签退", bot.StageNotified, bot.StageDeliberating, bot.StageVoting)
	if err != nil {
		return nil, nil, err
	}
	ms, err := tx.roomMembers(c, t, []string{name})
	if err != nil {
		return nil, nil, err
	}
	m := ms[0]
	if !t.Present(m.ID) {
		return nil, nil, bot.Errorf(bot.ECONFLICT, "%s还没有签到，不需要签退。", m.Name)
	}
	if err := tx.emit(c, t.ID, actor.ID, CheckedOut{Round: t.Round, Member: m.ID}); err != nil {
		return nil, nil, err
	}
	return c.topics[t.ID], m, nil
}

// WalkIn is 临时参会: a stakeholder who came without being invited, 列席.
func (tx *Tx) WalkIn(comm, id string, actor *bot.Member, name, role string) (*bot.Topic, error) {
	c, t, err := tx.clerkTopic(comm, id, actor, "临时参会", bot.StageNotified, bot.StageDeliberating, bot.StageVoting)
	if err != nil {
		return nil, err
	}
	name, role = strings.TrimSpace(name), strings.TrimSpace(role)
	if err := CheckLength("姓名", name, 2, 20); err != nil {
		return nil, err
	}
	if err := CheckLength("身份", role, 2, 40); err != nil {
		return nil, bot.Errorf(bot.EINVALID, "请写明临时参会人员的身份，例如「临时参会 王大爷 3组村民」。")
	}
	for _, w := range t.WalkIns {
		if w.Name == name {
			return nil, bot.Errorf(bot.ECONFLICT, "%s已经登记为列席人员。", name)
		}
	}
	if err := tx.emit(c, t.ID, actor.ID, WalkInRecorded{Round: t.Round, Name: name, Role: role}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// ProxySpeak is 代记发言: a statement made aloud in the room, minuted by a
// clerk under the speaker's name (a participant or a walk-in).
func (tx *Tx) ProxySpeak(comm, id string, actor *bot.Member, name, text string) (*bot.Topic, error) {
	c, t, err := tx.clerkTopic(comm, id, actor, "代记发言", bot.StageDeliberating)
	if err != nil {
		return nil, err
	}
	if err := CheckLength("发言", text, 1, MaxText); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	ev := StatementRecorded{Round: t.Round, Name: name, Step: t.Step, Text: strings.TrimSpace(text), By: actor.ID}
	walkIn := slices.ContainsFunc(t.WalkIns, func(w bot.WalkIn) bool { return w.Name == name })
	if !walkIn {
		ms, err := tx.roomMembers(c, t, []string{name})
		if err != nil {
			return nil, err
		}
		ev.Member, ev.Name = ms[0].ID, ms[0].Name
	} else {
		ev.Name = name + "(列席)"
	}
	if err := tx.emit(c, t.ID, actor.ID, ev); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// ProxyVote is 代投: an open vote by a member in the room, recorded by a
// clerk. A secret ballot is never recorded for someone else, and a member
// who already voted online is refused by name (no double counting).
func (tx *Tx) ProxyVote(comm, id string, actor *bot.Member, name string, choice bot.Choice) (VoteReceipt, error) {
	c, t, err := tx.clerkTopic(comm, id, actor, "代投", bot.StageVoting)
	if err != nil {
		return VoteReceipt{}, err
	}
	if t.Plan.Ballot == bot.BallotSecret {
		return VoteReceipt{}, bot.Errorf(bot.EINVALID, "议题 %s 是无记名投票，不能代投：请用纸质选票在现场投票，计票后发「现场计票 赞成N 反对N 弃权N」，再请监委会成员确认。", t.Label())
	}
	if !choice.Valid() {
		return VoteReceipt{}, bot.Errorf(bot.EINVALID, "格式：代投 姓名 赞成|反对|弃权")
	}
	ms, err := tx.roomMembers(c, t, []string{name})
	if err != nil {
		return VoteReceipt{}, err
	}
	m := ms[0]
	if err := bot.Authorize(bot.Actor{Member: m}, bot.ActVote, t); err != nil {
		return VoteReceipt{}, bot.Errorf(bot.EFORBIDDEN, "不能为%s代投：%s", m.Name, strings.TrimPrefix(bot.ErrorMessage(err), m.Name+"，您不能表决："))
	}
	if b := c.ballots[t.ID][m.ID]; b != nil {
		return VoteReceipt{}, bot.Errorf(bot.ECONFLICT, "%s已经投过票(%s)，不能再由代录员代投，也不能在现场重复计票。", m.Name, b.Choice.Chinese())
	}
	evs := tx.closingIfAllVoted(t, addChoice(c.tally(t), choice, 1),
		VoteCast{Round: t.Round, Member: m.ID, Choice: choice, By: actor.ID})
	if err := tx.emit(c, t.ID, actor.ID, evs...); err != nil {
		return VoteReceipt{}, err
	}
	r := VoteReceipt{Topic: c.topics[t.ID], Closed: len(evs) > 1}
	r.Tally = tx.Tally(comm, r.Topic)
	return r, nil
}

// RoomCount is 现场计票: a show of hands or a paper ballot counted in the
// room. It counts only once a second person confirms it (ConfirmRoomCount).
func (tx *Tx) RoomCount(comm, id string, actor *bot.Member, f, a, ab int) (*bot.Topic, error) {
	c, t, err := tx.clerkTopic(comm, id, actor, "现场计票", bot.StageVoting)
	if err != nil {
		return nil, err
	}
	if n := len(t.RoomCounts); n > 0 && t.RoomCounts[n-1].ConfirmedBy == "" {
		p := t.RoomCounts[n-1]
		return nil, bot.Errorf(bot.ECONFLICT, "%s录入的现场计票(赞成%d 反对%d 弃权%d)还没有确认，请先由监委会成员或主持人发「确认计票 #%s」。", tx.Name(comm, p.By), p.For, p.Against, p.Abstain, t.ID)
	}
	if f < 0 || a < 0 || ab < 0 || f+a+ab == 0 {
		return nil, bot.Errorf(bot.EINVALID, "格式：现场计票 赞成N 反对N 弃权N，例如「现场计票 赞成8 反对1 弃权0」。")
	}
	tl := c.tally(t)
	if free := tl.Present - tl.Voted() - tl.Unknown; f+a+ab > free {
		return nil, bot.Errorf(bot.EINVALID, "现场计票共%d票，超过了实到且还没有投票的%d人(实到%d人，已投%d票)。请核对人数；在线上投过票的人不能在现场再计一次。",
			f+a+ab, free, tl.Present, tl.Voted())
	}
	if err := tx.emit(c, t.ID, actor.ID, RoomCounted{Round: t.Round, For: f, Against: a, Abstain: ab}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// ConfirmRoomCount is 确认计票: the second person (the supervision committee
// member present, or the chair) confirms the pending room count.
func (tx *Tx) ConfirmRoomCount(comm, id string, actor *bot.Member) (VoteReceipt, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return VoteReceipt{}, err
	}
	if err := tx.authorize(c, actor, bot.ActConfirmCount, t); err != nil {
		return VoteReceipt{}, err
	}
	if t.Stage != bot.StageVoting {
		return VoteReceipt{}, bot.Errorf(bot.ECONFLICT, "议题 %s 的表决已经结束，现场计票不能再确认。", t.Label())
	}
	n := len(t.RoomCounts)
	if n == 0 || t.RoomCounts[n-1].ConfirmedBy != "" {
		return VoteReceipt{}, bot.Errorf(bot.ECONFLICT, "议题 %s 没有待确认的现场计票。", t.Label())
	}
	p := t.RoomCounts[n-1]
	if p.By == actor.ID {
		return VoteReceipt{}, bot.Errorf(bot.EFORBIDDEN, "现场计票须由另一人确认(两人核对)：计票人%s不能自己确认。请监委会成员或主持人确认。", actor.Name)
	}
	tl := c.tally(t)
	tl.For, tl.Against, tl.Abstain = tl.For+p.For, tl.Against+p.Against, tl.Abstain+p.Abstain
	evs := tx.closingIfAllVoted(t, tl, RoomCountConfirmed{Round: t.Round})
	if err := tx.emit(c, t.ID, actor.ID, evs...); err != nil {
		return VoteReceipt{}, err
	}
	r := VoteReceipt{Topic: c.topics[t.ID], Closed: len(evs) > 1}
	r.Tally = tx.Tally(comm, r.Topic)
	return r, nil
}

// RaiseObjection is 异议 during the 公示 window, by a roster member or a
// stakeholder.
func (tx *Tx) RaiseObjection(comm, id string, actor *bot.Member, text string) (*bot.Topic, bot.Objection, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, bot.Objection{}, err
	}
	if err := tx.authorize(c, actor, bot.ActObject, t); err != nil {
		return nil, bot.Objection{}, err
	}
	if t.Published == nil || t.ObjectionsUntil.IsZero() {
		return nil, bot.Objection{}, bot.Errorf(bot.ECONFLICT, "议题 %s 还没有公示(或本社区不设异议期)，现在不能提出异议。", t.Label())
	}
	if tx.now.After(t.ObjectionsUntil) {
		return nil, bot.Objection{}, bot.Errorf(bot.ECONFLICT, "议题 %s 的公示期已于%s结束(公示期满)，不能再提出异议；如有意见请联系村(居)务监督委员会。",
			t.Label(), t.ObjectionsUntil.In(c.cfg.Location).Format("1月2日 15:04"))
	}
	text = strings.TrimSpace(text)
	if err := CheckLength("异议理由", text, 2, MaxText); err != nil {
		return nil, bot.Objection{}, err
	}
	no := len(t.Objections) + 1
	if err := tx.emit(c, t.ID, actor.ID, ObjectionRaised{Round: t.Round, No: no, Text: text}); err != nil {
		return nil, bot.Objection{}, err
	}
	t = c.topics[t.ID]
	return t, t.Objections[no-1], nil
}

// AnswerObjection is 答复异议 by the chair.
func (tx *Tx) AnswerObjection(comm, id string, actor *bot.Member, no int, text string) (*bot.Topic, bot.Objection, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, bot.Objection{}, err
	}
	if err := tx.authorize(c, actor, bot.ActAnswerObjection, t); err != nil {
		return nil, bot.Objection{}, err
	}
	if no < 1 || no > len(t.Objections) {
		return nil, bot.Objection{}, bot.Errorf(bot.ENOTFOUND, "议题 %s 没有第%d条异议(共%d条)。", t.Label(), no, len(t.Objections))
	}
	if o := t.Objections[no-1]; o.AnsweredBy != "" {
		return nil, bot.Objection{}, bot.Errorf(bot.ECONFLICT, "第%d条异议已于%s答复过。", no, o.AnsweredAt.In(c.cfg.Location).Format("1月2日 15:04"))
	}
	text = strings.TrimSpace(text)
	if err := CheckLength("答复", text, 2, MaxText); err != nil {
		return nil, bot.Objection{}, err
	}
	if err := tx.emit(c, t.ID, actor.ID, ObjectionAnswered{Round: t.Round, No: no, Text: text}); err != nil {
		return nil, bot.Objection{}, err
	}
	t = c.topics[t.ID]
	return t, t.Objections[no-1], nil
}

// NotifyMethods are the ways someone without the chat is told a result.
var NotifyMethods = []string{"电话", "上门", "书面"}

// Notified is 已通报: someone without the chat was told the result.
func (tx *Tx) Notified(comm, id string, actor *bot.Member, name, method string) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActClerk, t); err != nil {
		return nil, err
	}
	if t.Published == nil {
		return nil, bot.Errorf(bot.ECONFLICT, "议题 %s 还没有公示，公示后再登记通报情况。", t.Label())
	}
	name, method = strings.TrimSpace(name), strings.TrimSpace(method)
	if !slices.Contains(NotifyMethods, method) {
		return nil, bot.Errorf(bot.EINVALID, "通报方式只能是 电话、上门 或 书面，例如「已通报 #%s 王大爷 上门」。", t.ID)
	}
	if err := CheckLength("姓名", name, 2, 40); err != nil {
		return nil, err
	}
	if err := tx.emit(c, t.ID, actor.ID, StakeholderNotified{Round: t.Round, Name: name, Method: method}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// Unreached lists who still has to be told a published result by other
// means: stakeholders that are not roster members (named outside parties),
// and those the bot cannot reach privately (reachable says who it can), less
// those already recorded as told.
//
// With reachable nil, the members whose private messages failed because
// they never opened a chat with the bot (MarkUnreachable) are the ones not
// reachable; they are listed too when they are the topic's participants, so
// that nobody who took part learns the result only from a group they may
// not read.
func (tx *Tx) Unreached(comm string, t *bot.Topic, reachable func(member string) bool) []string {
	if reachable == nil {
		reachable = func(member string) bool { return !tx.e.unreachable(comm, member) }
	}
	told := map[string]bool{}
	for _, n := range t.Notices {
		told[n.Name] = true
	}
	var out []string
	seen := map[string]bool{}
	add := func(id string, outside bool) {
		name := tx.Name(comm, id)
		if seen[name] || told[name] || (!outside && reachable(id)) {
			return
		}
		seen[name] = true
		out = append(out, name)
	}
	for _, s := range t.Stakeholders {
		add(s, tx.e.comms[comm].member(s) == nil)
	}
	for _, p := range t.Participants {
		add(p, false)
	}
	return out
}

// QuorumShortfall says, in Chinese, why the attendance quorum of t's rule
// is not met ("" when it is, or the rule has none).
func (tx *Tx) QuorumShortfall(comm string, t *bot.Topic) string {
	pr := bot.Presets[t.Plan.Preset]
	if pr == nil {
		return ""
	}
	tl := tx.Tally(comm, t)
	if o := pr.Decide(tl); o.QuorumMet {
		return ""
	}
	base := tl.Expected
	if tl.Eligible > 0 {
		base = tl.Eligible
	}
	return fmt.Sprintf("按「%s」，%s；法定基数%s，现在实到%d人，未达到法定到会人数", pr.Name, pr.QuorumDoc, bot.BaseDoc(pr.Basis, base), tl.Present)
}

// votesCast is the votes cast so far, a room count still to be confirmed
// included: no headcount may leave fewer present than that.
func votesCast(t *bot.Topic, tl bot.Tally) int {
	n := tl.Voted() + tl.Unknown
	if k := len(t.RoomCounts); k > 0 && t.RoomCounts[k-1].ConfirmedBy == "" {
		p := t.RoomCounts[k-1]
		n += p.For + p.Against + p.Abstain
	}
	return n
}

// maxHeadCount bounds 现场人数: more people than any assembly hall holds is a
// typing error, not a meeting.
const maxHeadCount = 100_000

// HeadCount is 现场人数: the clerk's headcount of voters present in the room
// who are not checked in one by one (a 村民会议 of hundreds). It is part of
// 实到 and replaces an earlier headcount; during the vote it may not fall
// below the votes already cast.
func (tx *Tx) HeadCount(comm, id string, actor *bot.Member, n int) (*bot.Topic, error) {
	c, t, err := tx.clerkTopic(comm, id, actor, "现场人数", bot.StageNotified, bot.StageDeliberating, bot.StageVoting)
	if err != nil {
		return nil, err
	}
	if n < 0 || n > maxHeadCount {
		return nil, bot.Errorf(bot.EINVALID, "格式：现场人数 N(清点到会、没有逐个签到的表决人数，0-%d)，例如「现场人数 150」。", maxHeadCount)
	}
	tl := c.tally(t)
	if present, cast := tl.Present-t.HeadCount+n, votesCast(t, tl); present < cast {
		return nil, bot.Errorf(bot.EINVALID, "现场人数%d会使实到(%d人)少于已经投出的%d票(含待确认的现场计票)，请核对。", n, present, cast)
	}
	if err := tx.emit(c, t.ID, actor.ID, HeadCounted{Round: t.Round, Count: n}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// ConfirmWalkIn is the chair confirming a walk-in (临时参会) as a 协商主体:
// from then on they count as present and vote in the room count
// (现场计票), not by a ballot of their own.
func (tx *Tx) ConfirmWalkIn(comm, id string, actor *bot.Member, name string) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActConfirmWalkIn, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "确认协商主体", bot.StageNotified, bot.StageDeliberating, bot.StageVoting); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	i := slices.IndexFunc(t.WalkIns, func(w bot.WalkIn) bool { return w.Name == name })
	switch {
	case name == "":
		return nil, bot.Errorf(bot.EINVALID, "格式：确认协商主体 #%s 姓名(先由记录员「临时参会 姓名 身份」登记)。", t.ID)
	case i < 0:
		return nil, bot.Errorf(bot.ENOTFOUND, "议题 %s 没有登记名为「%s」的临时参会人员，请先由记录员发「临时参会 %s 身份」。", t.Label(), name, name)
	case t.WalkIns[i].ConfirmedBy != "":
		return nil, bot.Errorf(bot.ECONFLICT, "%s已经确认为协商主体。", name)
	}
	if err := tx.emit(c, t.ID, actor.ID, WalkInConfirmed{Round: t.Round, Name: name}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}
