package engine

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
)

// Limits on what a proposal may contain, in characters.
const (
	MaxTitle    = 50
	MinTitle    = 2
	MaxContent  = 2000
	MinContent  = 5
	MaxAffected = 200
	MaxText     = 2000 // statements, reasons, follow-up text
)

// Draft is what the propose flow collected.
type Draft struct {
	Title    string
	Content  string
	Affected string
	Channel  bot.Channel
	Group    string // config name of the group it belongs to ("" = the community's first)
}

// Validate checks lengths and required fields, in Chinese.
func (d Draft) Validate() error {
	if err := CheckLength("标题", d.Title, MinTitle, MaxTitle); err != nil {
		return err
	}
	if err := CheckLength("内容", d.Content, MinContent, MaxContent); err != nil {
		return err
	}
	if err := CheckLength("涉及的人或地方", d.Affected, 2, MaxAffected); err != nil {
		return err
	}
	if d.Channel.Chinese() == "" {
		return bot.Errorf(bot.EINVALID, "请选择提议渠道：1 本人提议，2 替群众说事，3 理事会成员提事。")
	}
	return nil
}

// CheckLength validates a text field's length in characters.
func CheckLength(field, s string, minimum, maximum int) error {
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	switch {
	case n < minimum:
		return bot.Errorf(bot.EINVALID, "%s太短了(至少%d个字)，请再写详细一点。", field, minimum)
	case n > maximum:
		return bot.Errorf(bot.EINVALID, "%s太长了(%d个字，最多%d个字)，请精简后再发。", field, n, maximum)
	}
	return nil
}

func (tx *Tx) authorize(c *community, actor *bot.Member, act bot.Action, t *bot.Topic) error {
	return bot.Authorize(bot.Actor{Member: actor}, act, t)
}

func (tx *Tx) groupOut(c *community, t *bot.Topic, text string) bot.Outgoing {
	g := c.cfg.Groups[0]
	if t != nil && t.Group != "" {
		for _, gg := range c.cfg.Groups {
			if gg.Name == t.Group {
				g = gg
			}
		}
	}
	return bot.Outgoing{Community: c.cfg.ID, Platform: g.Platform, Chat: g.Chat, ChatTitle: g.Name, Text: text}
}

// ToGroup queues a message to a topic's group (the community's first group
// when topic is nil).
func (tx *Tx) ToGroup(comm string, t *bot.Topic, text string) {
	if c := tx.e.comms[comm]; c != nil && len(c.cfg.Groups) > 0 {
		tx.Send(tx.groupOut(c, t, text))
	}
}

// ToMember queues a private message to a roster member.
func (tx *Tx) ToMember(comm, member, text string) {
	tx.Send(bot.Outgoing{Community: comm, Member: member, Private: true, Text: text})
}

// Propose files a new topic (草稿 → 待审定) with its screening result.
func (tx *Tx) Propose(comm string, actor *bot.Member, d Draft, s bot.Screening) (*bot.Topic, error) {
	c, err := tx.comm(comm)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActPropose, nil); err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.Group == "" && len(c.cfg.Groups) > 0 {
		d.Group = c.cfg.Groups[0].Name
	}
	id := strconv.Itoa(c.next)
	if err := tx.emit(c, id, actor.ID, Proposed{Title: strings.TrimSpace(d.Title), Content: strings.TrimSpace(d.Content),
		Affected: strings.TrimSpace(d.Affected), Channel: d.Channel, Group: d.Group, Screening: s}); err != nil {
		return nil, err
	}
	return c.topics[id], nil
}

// Resubmit updates a returned topic and sends it back for review.
func (tx *Tx) Resubmit(comm, id string, actor *bot.Member, d Draft, s bot.Screening) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActResubmit, t); err != nil {
		return nil, err
	}
	if t.Stage != bot.StageReturned {
		return nil, bot.Errorf(bot.ECONFLICT, "议题 %s 现在是「%s」，只有被退回修改的议题才能重新提交。", t.Label(), t.Stage.Chinese())
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := tx.emit(c, t.ID, actor.ID, Resubmitted{Title: strings.TrimSpace(d.Title), Content: strings.TrimSpace(d.Content),
		Affected: strings.TrimSpace(d.Affected), Channel: d.Channel, Screening: s}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

func (tx *Tx) topicFor(comm, id string) (*community, *bot.Topic, error) {
	c, err := tx.comm(comm)
	if err != nil {
		return nil, nil, err
	}
	t, err := tx.Topic(comm, id)
	if err != nil {
		return nil, nil, err
	}
	return c, t, nil
}

func (tx *Tx) needStage(t *bot.Topic, what string, stages ...bot.Stage) error {
	if slices.Contains(stages, t.Stage) {
		return nil
	}
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = "「" + s.Chinese() + "」"
	}
	return bot.Errorf(bot.ECONFLICT, "议题 %s 现在是「%s」，%s需要议题处于%s。", t.Label(), t.Stage.Chinese(), what, strings.Join(names, "或"))
}

// Approval is the party organisation's 同意 with its choices.
type Approval struct {
	Category     int
	Participants []string // member IDs
	Stakeholders []string // member IDs or named outside parties
	Chair        string
	Recorder     string
	Supervisor   string
	Override     string // reason when deciding against the screening
	Note         string
}

// Approve is 审定同意 (待审定 → 已审定).
func (tx *Tx) Approve(comm, id string, actor *bot.Member, a Approval) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActReview, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "审定", bot.StagePendingReview); err != nil {
		return nil, err
	}
	if a.Category < 1 || a.Category > 6 {
		return nil, bot.Errorf(bot.EINVALID, "请选择六必议类别 1-6。")
	}
	if t.Screening.Verdict != "" && t.Screening.Verdict != "admissible" && strings.TrimSpace(a.Override) == "" {
		return nil, bot.Errorf(bot.EINVALID, "预审提示此议题可能属于「五不议」，同意受理需要写明理由。")
	}
	for _, role := range []struct{ id, name string }{{a.Chair, "主持人"}, {a.Recorder, "记录员"}, {a.Supervisor, "监督员"}} {
		if c.member(role.id) == nil {
			return nil, bot.Errorf(bot.EINVALID, "%s必须是名册上的人员。", role.name)
		}
	}
	parts := slices.Clone(a.Participants)
	for _, must := range []string{a.Chair, a.Recorder, a.Supervisor, t.Proposer} {
		if m := c.member(must); m != nil && !slices.Contains(parts, must) {
			parts = append(parts, must)
		}
	}
	// The supervision committee takes part throughout (PROCESS.md).
	for _, m := range c.cfg.WithRole(bot.RoleSupervisor) {
		if !slices.Contains(parts, m.ID) {
			parts = append(parts, m.ID)
		}
	}
	for _, p := range parts {
		if c.member(p) == nil {
			return nil, bot.Errorf(bot.EINVALID, "参会人员「%s」不在名册上。", p)
		}
	}
	voters := 0
	observers := []string{}
	for _, p := range parts {
		if c.member(p).IsObserver() {
			observers = append(observers, p)
		} else {
			voters++
		}
	}
	if voters == 0 {
		return nil, bot.Errorf(bot.EINVALID, "参会人员中没有可以表决的人，请至少选择一类协商主体。")
	}
	if err := tx.emit(c, t.ID, actor.ID, Approved{Category: a.Category, Participants: parts, Stakeholders: a.Stakeholders,
		Chair: a.Chair, Recorder: a.Recorder, Supervisor: a.Supervisor, Note: a.Note, Override: strings.TrimSpace(a.Override),
		Observers: observers}); err != nil {
		return nil, err
	}
	t = c.topics[t.ID]
	tx.ToMember(comm, t.Proposer, fmt.Sprintf("您提出的议题 %s 已经党组织审定同意，归入六必议第%d类(%s)。接下来会制定协商方案并通知参会人员。", t.Label(), a.Category, bot.Categories[a.Category]))
	return t, nil
}

// Return is 退回修改 (待审定 → 退回修改), told to the proposer.
func (tx *Tx) Return(comm, id string, actor *bot.Member, reason string) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActReview, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "退回修改", bot.StagePendingReview); err != nil {
		return nil, err
	}
	if err := CheckLength("退回理由", reason, 2, MaxText); err != nil {
		return nil, err
	}
	if err := tx.emit(c, t.ID, actor.ID, Returned{Reason: strings.TrimSpace(reason)}); err != nil {
		return nil, err
	}
	tx.ToMember(comm, t.Proposer, fmt.Sprintf("您提出的议题 %s 被退回修改。理由：%s\n修改后请私聊我发送「修改 #%s」重新提交。", t.Label(), reason, t.ID))
	return t, nil
}

// Decline is 不予受理 with the 五不议 rule and a reason, told to the proposer.
func (tx *Tx) Decline(comm, id string, actor *bot.Member, rule int, reason string) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActReview, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "不予受理", bot.StagePendingReview); err != nil {
		return nil, err
	}
	if rule < 1 || rule > 5 {
		return nil, bot.Errorf(bot.EINVALID, "请选择五不议的条款 1-5。")
	}
	if err := CheckLength("不予受理的理由", reason, 2, MaxText); err != nil {
		return nil, err
	}
	if err := tx.emit(c, t.ID, actor.ID, Declined{Rule: rule, Reason: strings.TrimSpace(reason)}); err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("您提出的议题 %s 经党组织审定不予受理。\n依据：五不议第%d条「%s不议」。\n理由：%s", t.Label(), rule, bot.ExclusionRules[rule], reason)
	if rule == 5 {
		msg += "\n个体矛盾和双方纠纷不进入议事表决，建议通过人民调解解决：可以找村(居)人民调解委员会，工作人员会协助联系。"
	}
	tx.ToMember(comm, t.Proposer, msg)
	return t, nil
}

// SetPlan is the 协商方案 (已审定/再议 → 已通知): it notifies every
// participant privately with the topic material and announces the meeting
// in the group. A plan may be changed before the meeting (已通知 → 已通知).
func (tx *Tx) SetPlan(comm, id string, actor *bot.Member, p bot.Plan) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActPrepare, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "制定协商方案", bot.StageApproved, bot.StageRedeliberate, bot.StageNotified); err != nil {
		return nil, err
	}
	if p.Time.IsZero() {
		return nil, bot.Errorf(bot.EINVALID, "请填写协商时间。")
	}
	if err := CheckLength("协商地点", p.Place, 2, 100); err != nil {
		return nil, err
	}
	if p.Form.Chinese() == string(p.Form) {
		return nil, bot.Errorf(bot.EINVALID, "协商方式只能是 现场、线上 或 线上+现场。")
	}
	if p.Preset == "" {
		p.Preset = c.cfg.DefaultPreset
	}
	if _, ok := bot.Presets[p.Preset]; !ok {
		return nil, bot.Errorf(bot.EINVALID, "没有名为「%s」的议事规则。", p.Preset)
	}
	if p.Ballot == "" {
		p.Ballot = bot.BallotOpen
	}
	if p.Eligible == 0 {
		p.Eligible = c.cfg.EligibleFor(bot.Presets[p.Preset].Basis)
	}
	p.Recusal, p.CoolingOffDays = c.cfg.Recusal, c.cfg.CoolingOffDays
	if err := tx.CoolingOff(comm, t); err != nil {
		return nil, err
	}
	if err := tx.emit(c, t.ID, actor.ID, Planned{Plan: p, Round: nextRound(t)}); err != nil {
		return nil, err
	}
	t = c.topics[t.ID]
	loc := c.cfg.Location
	notice := fmt.Sprintf("【议事协商通知】%s\n时间：%s\n地点：%s\n方式：%s\n议事规则：%s；表决方式：%s\n议题内容：%s\n涉及：%s\n请准时参加，会议开始后在群里发「签到」。",
		t.Label(), p.Time.In(loc).Format("2006年1月2日 15:04"), p.Place, p.Form.Chinese(),
		bot.Presets[p.Preset].Name+"("+bot.Presets[p.Preset].RuleDoc+")", p.Ballot.Chinese(), t.Content, t.Affected)
	for _, m := range t.Participants {
		role := "协商主体"
		if c.member(m).IsObserver() {
			role = "列席/旁听(不参加表决)"
		}
		tx.ToMember(comm, m, notice+"\n您的身份："+role+"。")
	}
	tx.ToGroup(comm, t, fmt.Sprintf("【协商公告】议题 %s 定于 %s 在%s以%s方式协商，参会%d人(其中表决人%d人)。", t.Label(),
		p.Time.In(loc).Format("1月2日 15:04"), p.Place, p.Form.Chinese(), len(t.Participants), tx.expected(c, t)))
	return t, nil
}

// dropPrefix deletes every stored key with the prefix (a topic's ballots
// or attendance when it is held again).
// CoolingOff refuses to hold a failed topic again before the cooling-off
// period recorded with its plan has passed (LEGAL.md: off by default).
func (tx *Tx) CoolingOff(comm string, t *bot.Topic) error {
	if t.Stage != bot.StageRedeliberate || t.Result == nil || t.Plan.CoolingOffDays <= 0 {
		return nil
	}
	from := t.Result.ClosedAt.AddDate(0, 0, t.Plan.CoolingOffDays)
	if !tx.now.Before(from) {
		return nil
	}
	loc := time.Local
	if c := tx.e.comms[comm]; c != nil {
		loc = c.cfg.Location
	}
	return bot.Errorf(bot.ECONFLICT, "按本社区的规定，未通过的议题须在表决后满%d天才能再次协商：议题 %s 可于%s起再议。",
		t.Plan.CoolingOffDays, t.Label(), from.In(loc).Format("2006年1月2日"))
}

func (tx *Tx) dropPrefix(prefix string) {
	_ = tx.e.store.Scan([]byte(prefix), func(k, _ []byte) (bool, error) {
		tx.put(append([]byte(nil), k...), nil)
		return true, nil
	})
}

func (tx *Tx) expected(c *community, t *bot.Topic) int { return c.voterSet(t).expected }

// MeetingSteps are the four steps of PROCESS.md stage 3.
var MeetingSteps = []string{"",
	"第一步：说明议题来源、审查情况、具体内容和议事规则",
	"第二步：对议题进行说明",
	"第三步：各方发表意见，开展协商",
	"第四步：对协商形成的基本共识进行表决",
}

// OpenMeeting starts the deliberation (已通知 → 协商中, step 1) and returns
// the step-1 statement of the topic's source, review and rules.
func (tx *Tx) OpenMeeting(comm, id string, actor *bot.Member) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActOpenMeeting, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "开始协商", bot.StageNotified); err != nil {
		return nil, err
	}
	pr := bot.Presets[t.Plan.Preset]
	intro := fmt.Sprintf("议题来源：%s由%s提出；审查情况：经党组织审定同意，属六必议第%d类；内容：%s；议事规则：%s，%s。",
		t.Channel.Chinese(), tx.Name(comm, t.Proposer), t.Category, strings.TrimRight(t.Content, "。；;."), pr.Name, pr.RuleDoc)
	if err := tx.emit(c, t.ID, actor.ID, MeetingOpened{Round: t.Round, Intro: intro}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// NextStep moves the meeting from step 1 to 2 to 3.
func (tx *Tx) NextStep(comm, id string, actor *bot.Member) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActOpenMeeting, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "推进议程", bot.StageDeliberating); err != nil {
		return nil, err
	}
	if t.Step >= 3 {
		return nil, bot.Errorf(bot.ECONFLICT, "已经到了第三步(发表意见)。意见发表完后，请发「开始表决 意见内容」进入第四步。")
	}
	if err := tx.emit(c, t.ID, actor.ID, StepAdvanced{Round: t.Round, Step: t.Step + 1}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// CheckIn records that a participant is present (实到).
func (tx *Tx) CheckIn(comm, id string, actor *bot.Member) (t *bot.Topic, already bool, err error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, false, err
	}
	if err := tx.authorize(c, actor, bot.ActCheckIn, t); err != nil {
		return nil, false, err
	}
	if err := tx.needStage(t, "签到", bot.StageNotified, bot.StageDeliberating, bot.StageVoting); err != nil {
		return nil, false, err
	}
	if t.Present(actor.ID) {
		return t, true, nil
	}
	if err := tx.emit(c, t.ID, actor.ID, CheckedIn{Round: t.Round, Member: actor.ID}); err != nil {
		return nil, false, err
	}
	return c.topics[t.ID], false, nil
}

// Speak records a statement in the minutes.
func (tx *Tx) Speak(comm, id string, actor *bot.Member, text string) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActSpeak, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "发言记录", bot.StageDeliberating); err != nil {
		return nil, err
	}
	if err := CheckLength("发言", text, 1, MaxText); err != nil {
		return nil, err
	}
	if err := tx.emit(c, t.ID, actor.ID, StatementRecorded{Round: t.Round, Member: actor.ID, Name: actor.Name, Step: t.Step,
		Text: strings.TrimSpace(text)}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// ErrNoQuorum is the code of OpenVote's refusal when the attendance quorum
// is not met: the chair may still open the vote with a reason
// (OpenVoteWithoutQuorum), and it then produces no decision.
const ErrNoQuorum = "no_quorum"

// OpenVote starts step 4 (协商中 → 表决中) on the opinion put to the vote.
// Without the attendance quorum of the topic's rule it is refused with the
// numbers (LEGAL.md).
func (tx *Tx) OpenVote(comm, id string, actor *bot.Member, opinion string) (*bot.Topic, error) {
	return tx.openVote(comm, id, actor, opinion, "")
}

// OpenVoteWithoutQuorum opens the vote although the quorum is not met, on
// the chair's stated reason; the record says the vote produced no decision.
func (tx *Tx) OpenVoteWithoutQuorum(comm, id string, actor *bot.Member, opinion, reason string) (*bot.Topic, error) {
	reason = strings.TrimSpace(reason)
	if err := CheckLength("不足法定人数仍表决的理由", reason, 2, MaxText); err != nil {
		return nil, err
	}
	return tx.openVote(comm, id, actor, opinion, reason)
}

func (tx *Tx) openVote(comm, id string, actor *bot.Member, opinion, withoutQuorum string) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActOpenVote, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "开始表决", bot.StageDeliberating); err != nil {
		return nil, err
	}
	opinion = strings.TrimSpace(opinion)
	if opinion == "" {
		opinion = "同意" + t.Title
	}
	if err := CheckLength("表决意见", opinion, 2, MaxText); err != nil {
		return nil, err
	}
	if short := tx.QuorumShortfall(comm, t); short != "" && withoutQuorum == "" {
		return nil, &bot.Error{Code: bot.ECONFLICT, Message: fmt.Sprintf("暂不能开始表决：%s。请继续签到(现场人员可由记录员「代签到」)。如确需表决，主持人可发「无法定人数表决 理由」，记录表将写明本次表决未达法定人数、不产生决定。", short)}
	}
	var deadline time.Time
	if t.Plan.VoteMinutes > 0 {
		deadline = tx.now.UTC().Add(time.Duration(t.Plan.VoteMinutes) * time.Minute)
	}
	if err := tx.emit(c, t.ID, actor.ID, VoteOpened{Round: t.Round, Opinion: opinion, Deadline: deadline, WithoutQuorum: withoutQuorum}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// Tally counts the ballots of present voters.
func (tx *Tx) Tally(comm string, t *bot.Topic) bot.Tally { return tx.e.comms[comm].tally(t) }

func addChoice(tl bot.Tally, ch bot.Choice, n int) bot.Tally {
	switch ch {
	case bot.ChoiceFor:
		tl.For += n
	case bot.ChoiceAgainst:
		tl.Against += n
	case bot.ChoiceAbstain:
		tl.Abstain += n
	}
	return tl
}

// Ballots returns who voted what, for open ballots only (nil for secret).
func (tx *Tx) Ballots(comm string, t *bot.Topic) map[string]bot.Choice {
	if t.Plan.Ballot == bot.BallotSecret {
		return nil
	}
	if cur := tx.e.comms[comm].topics[t.ID]; cur != nil && cur.Round != t.Round {
		// The view of an earlier round (bot.Topic.RoundView): its ballots
		// are archived with it.
		for _, r := range cur.Rounds {
			if r.No == t.Round {
				return maps.Clone(r.Ballots)
			}
		}
		return nil
	}
	out := map[string]bot.Choice{}
	for m, b := range tx.e.comms[comm].ballots[t.ID] {
		out[m] = b.Choice
	}
	return out
}

// HasVoted reports whether member has a ballot on topic t.
func (tx *Tx) HasVoted(comm string, t *bot.Topic, member string) bool {
	_, ok := tx.e.comms[comm].ballots[t.ID][member]
	return ok
}

// VoteReceipt tells the caller what CastVote did.
type VoteReceipt struct {
	Topic   *bot.Topic
	Changed bool // replaced an earlier vote
	Same    bool // the same choice again: nothing changed
	Closed  bool // this vote completed the vote (every present voter voted)
	Tally   bot.Tally
}

// CastVote records a vote: one participant, one vote; a new vote replaces
// the earlier one until the vote closes. A secret ballot only accepts
// private votes, and its audit entry never names the choice.
func (tx *Tx) CastVote(comm, id string, actor *bot.Member, choice bot.Choice, private bool) (VoteReceipt, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return VoteReceipt{}, err
	}
	if t.Stage != bot.StageVoting {
		switch {
		case t.Stage == bot.StageDeliberating || t.Stage == bot.StageNotified:
			return VoteReceipt{}, bot.Errorf(bot.ECONFLICT, "议题 %s 还没有开始表决，请等主持人宣布「开始表决」后再投。", t.Label())
		case t.Result != nil:
			return VoteReceipt{}, bot.Errorf(bot.ECONFLICT, "议题 %s 的表决已经结束(%s)，不能再投票或改票。", t.Label(), t.Result.ClosedAt.In(c.cfg.Location).Format("1月2日 15:04"))
		default:
			return VoteReceipt{}, bot.Errorf(bot.ECONFLICT, "议题 %s 现在是「%s」，不在表决时间内。", t.Label(), t.Stage.Chinese())
		}
	}
	if err := tx.authorize(c, actor, bot.ActVote, t); err != nil {
		return VoteReceipt{}, err
	}
	if t.Plan.Ballot == bot.BallotSecret && !private {
		return VoteReceipt{}, bot.Errorf(bot.EINVALID, "议题 %s 是无记名投票，请私聊我发送您的表决，群里发的不计入。", t.Label())
	}
	if !choice.Valid() {
		return VoteReceipt{}, bot.Errorf(bot.EINVALID, "请回复 赞成、反对 或 弃权。")
	}
	r := VoteReceipt{Topic: t}
	old := c.ballots[t.ID][actor.ID]
	if old != nil && old.Choice == choice {
		r.Same = true
		r.Tally = tx.Tally(comm, t)
		return r, nil
	}
	r.Changed = old != nil
	var ev Event = VoteCast{Round: t.Round, Member: actor.ID, Choice: choice, Change: r.Changed}
	if t.Plan.Ballot == bot.BallotSecret {
		ev = secretVote{VoteCast{Round: t.Round, Member: actor.ID, Change: r.Changed}, choice}
	}
	tl := c.tally(t)
	if old == nil && t.Present(actor.ID) {
		tl = addChoice(tl, choice, 1)
	}
	evs := tx.closingIfAllVoted(t, tl, ev)
	if err := tx.emit(c, t.ID, actor.ID, evs...); err != nil {
		return VoteReceipt{}, err
	}
	r.Topic = c.topics[t.ID]
	r.Closed = len(evs) > 1
	r.Tally = tx.Tally(comm, r.Topic)
	return r, nil
}

// CloseVote ends the vote by the chair (表决中 → 已表决).
func (tx *Tx) CloseVote(comm, id string, actor *bot.Member) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActCloseVote, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "结束表决", bot.StageVoting); err != nil {
		return nil, err
	}
	return tx.closeVote(c, t, bot.ClosedByChair, actor.ID)
}

// CloseExpired closes every vote whose deadline has passed. It is called by
// a timer; deadlines live in the stored plan, so they survive restarts.
func (tx *Tx) CloseExpired() []*bot.Topic {
	var closed []*bot.Topic
	for _, id := range tx.e.order {
		c := tx.e.comms[id]
		for _, tid := range c.ids {
			t := c.topics[tid]
			if t.Stage == bot.StageVoting && !t.Plan.Deadline.IsZero() && !tx.now.Before(t.Plan.Deadline) {
				if t, err := tx.closeVote(c, t, bot.ClosedByDeadline, ""); err == nil {
					closed = append(closed, t)
				}
			}
		}
	}
	return closed
}

// NextDeadline is the earliest vote deadline still ahead (zero if none).
func (tx *Tx) NextDeadline() time.Time {
	var next time.Time
	for _, id := range tx.e.order {
		for _, t := range tx.e.comms[id].topics {
			if t.Stage == bot.StageVoting && !t.Plan.Deadline.IsZero() && (next.IsZero() || t.Plan.Deadline.Before(next)) {
				next = t.Plan.Deadline
			}
		}
	}
	return next
}

func (tx *Tx) closeVote(c *community, t *bot.Topic, why bot.CloseReason, chair string) (*bot.Topic, error) {
	actor := chair
	if actor == "" {
		actor = "system"
	}
	if err := tx.emit(c, t.ID, actor, VoteClosed{Round: t.Round, Result: tx.result(t, c.tally(t), why, chair)}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// closingIfAllVoted is ev, followed by the close of the vote when tl (the
// tally once ev is applied) has every present voter counted: the vote that
// completes the count closes it in the same action.
func (tx *Tx) closingIfAllVoted(t *bot.Topic, tl bot.Tally, ev Event) []Event {
	if tl.Present > 0 && tl.Voted() == tl.Present && tl.Unknown == 0 {
		return []Event{ev, VoteClosed{Round: t.Round, Result: tx.result(t, tl, bot.ClosedAllVoted, "")}}
	}
	return []Event{ev}
}

// result is the frozen outcome of a vote with tally tl.
func (tx *Tx) result(t *bot.Topic, tl bot.Tally, why bot.CloseReason, chair string) bot.Result {
	pr := bot.Presets[t.Plan.Preset]
	if pr == nil {
		pr = bot.Presets[bot.DefaultPreset]
	}
	o := pr.Decide(tl)
	return bot.Result{Preset: pr.Key, Expected: tl.Expected, Present: tl.Present, Voters: tl.Voted(),
		For: tl.For, Against: tl.Against, Abstain: tl.Abstain, QuorumMet: o.QuorumMet, Agreed: o.Agreed,
		Arithmetic: o.Arithmetic, Closed: why, ClosedBy: chair, ClosedAt: tx.now.UTC()}
}

// ResultText is the announcement of a closed vote.
func ResultText(t *bot.Topic, name func(comm, id string) string) string {
	r := t.Result
	why := map[bot.CloseReason]string{bot.ClosedByDeadline: "表决时间已到", bot.ClosedAllVoted: "实到人员已全部表决"}[r.Closed]
	if why == "" {
		why = "主持人" + name(t.Community, r.ClosedBy) + "宣布结束表决"
	}
	verdict := "未通过"
	switch {
	case !r.QuorumMet:
		verdict = "到会人数不足，不产生决定"
	case r.Agreed:
		verdict = "通过，协商主体达成一致意见"
	}
	return fmt.Sprintf("【表决结果】议题 %s(%s)\n表决意见：%s\n应到%d人，实到%d人，表决%d人：赞成%d人(%s%%)，反对%d人(%s%%)，弃权%d人(%s%%)。\n结果：%s。\n%s",
		t.Label(), why, t.Opinion, r.Expected, r.Present, r.Voters, r.For, bot.Percent(r.For, r.Voters),
		r.Against, bot.Percent(r.Against, r.Voters), r.Abstain, bot.Percent(r.Abstain, r.Voters), verdict, r.Arithmetic)
}

// ConfirmMinutes is the recorder's signature on the record sheet.
func (tx *Tx) ConfirmMinutes(comm, id string, actor *bot.Member) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActConfirmMinutes, t); err != nil {
		return nil, err
	}
	if t.Result == nil {
		return nil, bot.Errorf(bot.ECONFLICT, "议题 %s 还没有表决结果，表决结束后记录员才能签字确认记录。", t.Label())
	}
	if t.MinutesBy != "" {
		return nil, bot.Errorf(bot.ECONFLICT, "议题 %s 的记录已由%s于%s确认过。", t.Label(), tx.Name(comm, t.MinutesBy), t.MinutesAt.In(c.cfg.Location).Format("1月2日 15:04"))
	}
	if err := tx.emit(c, t.ID, actor.ID, MinutesConfirmed{Round: t.Round}); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}

// Publish is 公示 and 备案 (已表决 → 已公示·已备案, then 落实中 for an
// agreed topic): the result goes to the group's notice board, privately to
// the proposer and every stakeholder, and is filed with the party
// organisation.
func (tx *Tx) Publish(comm, id string, actor *bot.Member) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActPublish, t); err != nil {
		return nil, err
	}
	if err := tx.needStage(t, "公示备案", bot.StageVoted); err != nil {
		return nil, err
	}
	var until time.Time
	if d := c.cfg.ObjectionDays; d > 0 {
		until = tx.now.UTC().AddDate(0, 0, d)
	}
	if err := tx.emit(c, t.ID, actor.ID, Published{Round: t.Round, ResultDigest: t.Result.Digest(), ObjectionsUntil: until}); err != nil {
		return nil, err
	}
	t = c.topics[t.ID]
	// The published result carries an anchor of the audit chain: the entry
	// of this publication, whose event holds the result's digest. The chats
	// keep a copy outside the data directory that shows a later removal or
	// rewrite of the log and proves the figures (yishi audit verify --anchor).
	text := ResultText(t, tx.Name) + "\n审计存证：" + audit.FormatAnchor(t.Published.Seq, t.Published.Hash) + "(可凭此核对记录未被改动)"
	if !until.IsZero() {
		text += fmt.Sprintf("\n公示期%d天，至%s止。对结果有异议的，请在公示期内发「异议 #%s 理由」。", c.cfg.ObjectionDays,
			until.In(c.cfg.Location).Format("2006年1月2日 15:04"), t.ID)
	}
	tx.ToGroup(comm, t, "【村(居)务公开】"+strings.TrimPrefix(text, "【表决结果】"))
	told := map[string]bool{}
	tell := func(m, prefix string) {
		if c.member(m) != nil && !told[m] {
			told[m] = true
			tx.ToMember(comm, m, prefix+text)
		}
	}
	tell(t.Proposer, "您提出的议题有了结果：\n")
	for _, s := range t.Stakeholders {
		tell(s, "您是利益相关方，议题结果通报如下：\n")
	}
	for i := range c.cfg.Roster {
		if m := &c.cfg.Roster[i]; m.Has(bot.RoleSecretary) || m.Has(bot.RolePartyMember) {
			tell(m.ID, "【备案】以下议题结果报党组织备案：\n")
		}
	}
	return t, nil
}

// AddFollowUp records an actionable opinion of an agreed topic.
func (tx *Tx) AddFollowUp(comm, id string, actor *bot.Member, f bot.FollowUp) (*bot.Topic, bot.FollowUp, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, f, err
	}
	if err := tx.authorize(c, actor, bot.ActAddFollowUp, t); err != nil {
		return nil, f, err
	}
	if !t.AuditedAt.IsZero() {
		return nil, f, bot.Errorf(bot.ECONFLICT, "议题 %s 的记录已经审核通过，不能再添加落实事项；如确需补充，请联系村(居)务监督委员会。", t.Label())
	}
	if strings.TrimSpace(f.Supervision) == "" {
		return nil, f, bot.Errorf(bot.EINVALID, "请写明如何监督落实，例如「监委会每两周到现场查看一次」。")
	}
	if t.Result == nil || !t.Result.Agreed {
		return nil, f, bot.Errorf(bot.ECONFLICT, "只有表决通过的议题才能记录落实事项；议题 %s 没有通过。", t.Label())
	}
	if err := tx.needStage(t, "记录落实事项", bot.StageVoted, bot.StagePublished, bot.StageImplementing); err != nil {
		return nil, f, err
	}
	if err := CheckLength("落实事项", f.What, 2, MaxText); err != nil {
		return nil, f, err
	}
	if strings.TrimSpace(f.Responsible) == "" {
		return nil, f, bot.Errorf(bot.EINVALID, "请写明责任人。")
	}
	if f.Due.IsZero() {
		return nil, f, bot.Errorf(bot.EINVALID, "请写明完成期限。")
	}
	f.No = c.nextItem
	f.Status = bot.FollowUpNotStarted
	f.What, f.Responsible, f.Supervision = strings.TrimSpace(f.What), strings.TrimSpace(f.Responsible), strings.TrimSpace(f.Supervision)
	if err := tx.emit(c, t.ID, actor.ID, ItemAdded{Item: f}); err != nil {
		return nil, f, err
	}
	return c.topics[t.ID], f, nil
}

// SetRedeliberation records, for a failed topic, when and on what conditions
// it may be held again (已公示 → 再议), or ends it (已公示 → 已终止) when
// when is empty and end is true.
func (tx *Tx) SetRedeliberation(comm, id string, actor *bot.Member, when string, end bool) (*bot.Topic, error) {
	c, t, err := tx.topicFor(comm, id)
	if err != nil {
		return nil, err
	}
	if err := tx.authorize(c, actor, bot.ActPublish, t); err != nil {
		return nil, err
	}
	if t.Result == nil || t.Result.Agreed {
		return nil, bot.Errorf(bot.ECONFLICT, "只有未通过的议题才需要记录再议安排。")
	}
	if err := tx.needStage(t, "记录再议安排", bot.StageVoted, bot.StagePublished); err != nil {
		return nil, err
	}
	if !end {
		if err := CheckLength("再议的时机和条件", when, 2, MaxText); err != nil {
			return nil, err
		}
	}
	var ev Event = RedeliberationArranged{When: strings.TrimSpace(when)}
	if end {
		ev = Terminated{Why: strings.TrimSpace(when)}
	}
	if err := tx.emit(c, t.ID, actor.ID, ev); err != nil {
		return nil, err
	}
	return c.topics[t.ID], nil
}
