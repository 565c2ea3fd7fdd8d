package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Channel is how a topic was raised (PROCESS.md stage 1).
type Channel string

const (
	ChannelSelf     Channel = "self"    // 本人提议 (访民情问事)
	ChannelOnBehalf Channel = "behalf"  // 替群众说事
	ChannelCouncil  Channel = "council" // 理事会成员提事
)

var channelNames = map[Channel]string{
	ChannelSelf:     "本人提议",
	ChannelOnBehalf: "替群众说事",
	ChannelCouncil:  "理事会成员提事",
}

// Chinese returns the channel's Chinese name.
func (c Channel) Chinese() string { return channelNames[c] }

// ChannelByName accepts 1/2/3 or the Chinese names.
func ChannelByName(s string) (Channel, bool) {
	switch s {
	case "1", "本人提议", "本人", "自己":
		return ChannelSelf, true
	case "2", "替群众说事", "替群众", "代说":
		return ChannelOnBehalf, true
	case "3", "理事会成员提事", "理事会":
		return ChannelCouncil, true
	}
	return "", false
}

// Categories are the 六必议 (must-deliberate) categories, 1-based.
var Categories = []string{
	"",
	"涉及村(居)民切身利益的公共事务、公益事业",
	"群众反映强烈、迫切要求解决的实际困难、问题和矛盾纠纷",
	"党委政府方针政策、重点工作部署在本地落实的相关事项",
	"法律法规和政策明确要求议事协商的事项",
	"各类议事协商主体提出议事协商需求的事项",
	"其他需要开展议事协商的事项",
}

// ExclusionRules are the 五不议 (not-to-deliberate) rules, 1-based.
var ExclusionRules = []string{
	"",
	"涉及党的政策、国家相关法律法规有明文规定的事项",
	"上级党委、政府有明确要求的事项",
	"经村(居)民(代表)会议表决通过的事项",
	"明显不公平、有悖于本地长远规划与公序良俗的事项",
	"属于个体矛盾、双方纠纷的事项",
}

// Form is how the meeting is held.
type Form string

const (
	FormOnSite Form = "onsite" // 现场
	FormOnline Form = "online" // 线上
	FormBoth   Form = "both"   // 线上+现场
)

// Chinese returns the form's Chinese name.
func (f Form) Chinese() string {
	switch f {
	case FormOnSite:
		return "现场"
	case FormOnline:
		return "线上"
	case FormBoth:
		return "线上+现场"
	}
	return string(f)
}

// FormByName accepts the Chinese names or 1/2/3.
func FormByName(s string) (Form, bool) {
	switch s {
	case "1", "现场", "线下":
		return FormOnSite, true
	case "2", "线上", "网上", "在线":
		return FormOnline, true
	case "3", "线上+现场", "线上加现场", "现场+线上", "混合":
		return FormBoth, true
	}
	return "", false
}

// Ballot is open (举手) or secret (投票).
type Ballot string

const (
	BallotOpen   Ballot = "open"   // 举手: who voted what is recorded
	BallotSecret Ballot = "secret" // 投票: nothing links a person to a choice
)

// Chinese returns the ballot's Chinese name.
func (b Ballot) Chinese() string {
	if b == BallotSecret {
		return "投票(无记名)"
	}
	return "举手(记名)"
}

// Plan is the 协商方案 of stage 2.
type Plan struct {
	Time   time.Time `json:"time"`
	Place  string    `json:"place"`
	Form   Form      `json:"form"`
	Preset string    `json:"preset"` // rule preset key, see Presets
	Ballot Ballot    `json:"ballot"`
	// VoteMinutes is how long the vote stays open once the chair opens it (0:
	// until the chair closes it); Deadline is set from it when the vote opens.
	VoteMinutes int       `json:"vote_minutes,omitempty"`
	Deadline    time.Time `json:"deadline,omitzero"`
	// Eligible is the statutory base of an assembly preset (adults or
	// household representatives) when it differs from the invited voters.
	Eligible int `json:"eligible,omitempty"`
	// Recusal: the stakeholders named at approval speak but do not vote.
	// CoolingOffDays: a failed topic may be held again only that many days
	// after its vote. Both come from the community's config (off by
	// default, LEGAL.md) and are recorded with the plan.
	Recusal        bool `json:"recusal,omitempty"`
	CoolingOffDays int  `json:"cooling_off_days,omitempty"`
}

// Recused reports whether member id is a stakeholder who does not vote on
// this topic under the recusal rule.
func (t *Topic) Recused(id string) bool {
	if !t.Plan.Recusal {
		return false
	}
	for _, s := range t.Stakeholders {
		if s == id {
			return true
		}
	}
	return false
}

// Statement is one entry of the minutes.
type Statement struct {
	Member string    `json:"member"` // member ID ("" for the bot/chair's procedural notes)
	Name   string    `json:"name"`
	Step   int       `json:"step"` // meeting step 1-4
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
	// RecordedBy is the clerk who minuted a statement made aloud in the
	// room (代记发言); "" when the member typed it.
	RecordedBy string `json:"recorded_by,omitempty"`
}

// Transition records one stage change: who, when and why.
type Transition struct {
	From Stage     `json:"from"`
	To   Stage     `json:"to"`
	By   string    `json:"by"` // member ID, or "system"
	At   time.Time `json:"at"`
	Why  string    `json:"why,omitempty"`
}

// FollowUpStatus is the state of a follow-up item (issue P3).
type FollowUpStatus string

const (
	FollowUpNotStarted FollowUpStatus = "not_started" // 未开始
	FollowUpInProgress FollowUpStatus = "in_progress" // 进行中
	FollowUpDone       FollowUpStatus = "done"        // 已完成待确认
	FollowUpConfirmed  FollowUpStatus = "confirmed"   // 已落实
	FollowUpBlocked    FollowUpStatus = "blocked"     // 受阻
)

// Chinese returns the status's Chinese name.
func (s FollowUpStatus) Chinese() string {
	switch s {
	case FollowUpNotStarted:
		return "未开始"
	case FollowUpInProgress:
		return "进行中"
	case FollowUpDone:
		return "已完成待确认"
	case FollowUpConfirmed:
		return "已落实"
	case FollowUpBlocked:
		return "受阻"
	}
	return string(s)
}

// Progress is a note on a follow-up item.
type Progress struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// FollowUp is an actionable opinion of an agreed topic and its supervision.
type FollowUp struct {
	No          int            `json:"no"` // community-wide number (#编号)
	What        string         `json:"what"`
	Responsible string         `json:"responsible"` // member ID or a free-text unit
	Due         time.Time      `json:"due"`
	Supervision string         `json:"supervision,omitempty"` // 如何监督落实
	Status      FollowUpStatus `json:"status"`
	Progress    []Progress     `json:"progress,omitempty"`
	Evidence    string         `json:"evidence,omitempty"`
	ConfirmedBy string         `json:"confirmed_by,omitempty"`
	ConfirmedAt time.Time      `json:"confirmed_at,omitzero"`
}

// Result is the outcome of the vote, frozen when the vote closes.
type Result struct {
	Preset     string `json:"preset"`
	Expected   int    `json:"expected"` // 应到
	Present    int    `json:"present"`  // 实到
	Voters     int    `json:"voters"`   // 表决人数
	For        int    `json:"for"`
	Against    int    `json:"against"`
	Abstain    int    `json:"abstain"`
	QuorumMet  bool   `json:"quorum_met"`
	Agreed     bool   `json:"agreed"`
	Arithmetic string `json:"arithmetic"` // the rule and the sums, in Chinese
	// Closed says what closed the vote; ClosedBy is the chair's member ID
	// when the chair closed it ("" otherwise). Versions before the event log
	// stored "deadline" or "all_voted" in ClosedBy; the migration moves them.
	Closed   CloseReason `json:"closed,omitempty"`
	ClosedBy string      `json:"closed_by"`
	ClosedAt time.Time   `json:"closed_at"`
}

// CloseReason is why a vote closed: a typed value, so that no member id can
// be mistaken for one.
type CloseReason string

const (
	ClosedByChair    CloseReason = "chair"     // 主持人宣布结束表决
	ClosedByDeadline CloseReason = "deadline"  // 表决时间已到
	ClosedAllVoted   CloseReason = "all_voted" // 实到人员已全部表决
)

// Digest is the lowercase hex sha256 of the result's canonical form, which
// is fixed here and depends on no encoder: the fields as key=value lines in
// this order, integers in decimal, booleans true/false, the time in UTC
// RFC 3339 with nanoseconds (Go's time.RFC3339Nano):
//
//	preset=yishi
//	expected=12
//	present=12
//	voters=12
//	for=11
//	against=1
//	abstain=0
//	quorum_met=true
//	agreed=true
//	closed=all_voted
//	closed_by=
//	closed_at=2026-12-05T12:10:00Z
//
// each line ending in "\n". The published event carries it, so a 公示 that
// quotes its 审计存证 proves these figures.
func (r Result) Digest() string {
	var b strings.Builder
	for _, kv := range [][2]string{{"preset", r.Preset}, {"expected", strconv.Itoa(r.Expected)},
		{"present", strconv.Itoa(r.Present)}, {"voters", strconv.Itoa(r.Voters)}, {"for", strconv.Itoa(r.For)},
		{"against", strconv.Itoa(r.Against)}, {"abstain", strconv.Itoa(r.Abstain)},
		{"quorum_met", strconv.FormatBool(r.QuorumMet)}, {"agreed", strconv.FormatBool(r.Agreed)},
		{"closed", string(r.Closed)}, {"closed_by", r.ClosedBy}, {"closed_at", r.ClosedAt.UTC().Format(time.RFC3339Nano)}} {
		b.WriteString(kv[0] + "=" + kv[1] + "\n")
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// Screening is what the pre-screening (五不议/六必议) said about a proposal
// and what the reviewer decided about it.
type Screening struct {
	Verdict  string   `json:"verdict"` // admissible | review | excluded
	Rules    []int    `json:"rules,omitempty"`
	Category int      `json:"category,omitempty"`
	Reasons  []string `json:"reasons,omitempty"`
	Override string   `json:"override,omitempty"` // reviewer's reason when deciding against the screening
}

// Topic is one 议题 and everything the record sheet (附件2) needs.
type Topic struct {
	ID        string    `json:"id"` // e.g. "3" (per community sequence)
	Community string    `json:"community"`
	Title     string    `json:"title"`
	Content   string    `json:"content"`
	Affected  string    `json:"affected"` // who/where is affected
	Channel   Channel   `json:"channel"`
	Proposer  string    `json:"proposer"` // member ID
	Group     string    `json:"group"`    // config name of the group chat it belongs to
	Stage     Stage     `json:"stage"`
	Created   time.Time `json:"created"`

	Screening    Screening `json:"screening"`
	Category     int       `json:"category,omitempty"` // 六必议 1-6
	ReviewNote   string    `json:"review_note,omitempty"`
	DeclineRule  int       `json:"decline_rule,omitempty"` // 五不议 1-5
	Participants []string  `json:"participants,omitempty"` // member IDs (voters and observers)
	Stakeholders []string  `json:"stakeholders,omitempty"` // member IDs or named outside parties
	// Observers are the participants who attend without voting (列席/旁听),
	// as the roster said when the topic was approved.
	Observers  []string `json:"observers,omitempty"`
	Chair      string   `json:"chair,omitempty"`
	Recorder   string   `json:"recorder,omitempty"`
	Supervisor string   `json:"supervisor,omitempty"`

	Plan       Plan                 `json:"plan"`
	Step       int                  `json:"step,omitempty"` // meeting step 1-4
	Attendance map[string]time.Time `json:"attendance,omitempty"`
	Statements []Statement          `json:"statements,omitempty"`
	Opinion    string               `json:"opinion,omitempty"` // the opinion put to the vote
	VoteOpened time.Time            `json:"vote_opened,omitzero"`

	Result         *Result      `json:"result,omitempty"`
	FollowUps      []FollowUp   `json:"follow_ups,omitempty"`
	Redeliberation string       `json:"redeliberation,omitempty"` // when/conditions to hold again
	MinutesBy      string       `json:"minutes_by,omitempty"`     // recorder who confirmed
	MinutesAt      time.Time    `json:"minutes_at,omitzero"`
	AuditedBy      string       `json:"audited_by,omitempty"` // supervisor who passed the record
	AuditedAt      time.Time    `json:"audited_at,omitzero"`
	History        []Transition `json:"history"`

	// Round is the meeting round the fields above describe (1 for the first
	// meeting; 0 before a plan). A topic held again (再议) keeps every earlier
	// round in Rounds, oldest first.
	Round     int          `json:"round,omitempty"`
	Opened    time.Time    `json:"opened,omitzero"` // when the meeting really opened (Plan.Time is the plan)
	Published *Publication `json:"published,omitempty"`
	Rounds    []Round      `json:"rounds,omitempty"`

	// The room (PROCESS.md 现场情况): what the recorder or a 代录员 named by
	// the chair recorded for people present in person. Proxied maps
	// "checkin:<member>" and "vote:<member>" to who recorded it (代录).
	Clerks     []string          `json:"clerks,omitempty"`
	Proxied    map[string]string `json:"proxied,omitempty"`
	WalkIns    []WalkIn          `json:"walk_ins,omitempty"`
	RoomCounts []RoomCount       `json:"room_counts,omitempty"`
	// HeadCount is the clerk's headcount of voters in the room not checked
	// in one by one (现场人数, an assembly of hundreds), part of 实到.
	HeadCount   int    `json:"head_count,omitempty"`
	HeadCountBy string `json:"head_count_by,omitempty"`
	// QuorumWaived is the chair's reason for opening the vote without the
	// attendance quorum (the vote then produces no decision, LEGAL.md).
	QuorumWaived string `json:"quorum_waived,omitempty"`
	// The 公示 objection window and who outside the chat was told.
	ObjectionsUntil time.Time   `json:"objections_until,omitzero"`
	Objections      []Objection `json:"objections,omitempty"`
	Notices         []Notice    `json:"notices,omitempty"`
	// Seq is the log position of the last event that changed this document
	// (check-ins and votes are kept in per-member keys beside it). A snapshot
	// is a cache of the log, never trusted over it.
	Seq uint64 `json:"seq,omitempty"`

	parts participantIndex // not stored: an index over Participants
}

// WalkIn is a stakeholder who came to the meeting without being invited: 列席
// (attends, speaks, does not vote).
type WalkIn struct {
	Name string    `json:"name"`
	Role string    `json:"role"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	// ConfirmedBy is the chair who confirmed the walk-in as a 协商主体: they
	// then count as present and vote in the room (现场计票), no longer 列席.
	ConfirmedBy string    `json:"confirmed_by,omitempty"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
}

// WalkInVoters is how many walk-ins the chair confirmed as 协商主体.
func (t *Topic) WalkInVoters() int {
	n := 0
	for _, w := range t.WalkIns {
		if w.ConfirmedBy != "" {
			n++
		}
	}
	return n
}

// RoomCount is a show of hands or a paper ballot counted in the room. It
// counts only once a second person confirmed it (ConfirmedBy).
type RoomCount struct {
	For         int       `json:"for"`
	Against     int       `json:"against"`
	Abstain     int       `json:"abstain"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	ConfirmedBy string    `json:"confirmed_by,omitempty"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
}

// Total is how many the count covers.
func (r RoomCount) Total() int { return r.For + r.Against + r.Abstain }

// Objection is an 异议 to a 公示 and the chair's answer.
type Objection struct {
	No         int       `json:"no"`
	By         string    `json:"by"` // member id
	Text       string    `json:"text"`
	At         time.Time `json:"at"`
	Answer     string    `json:"answer,omitempty"`
	AnsweredBy string    `json:"answered_by,omitempty"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
}

// Notice records that someone without the chat was told of the result, and how.
type Notice struct {
	Name   string    `json:"name"`
	Method string    `json:"method"` // 电话、上门、书面
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// OpenObjections are the objections not answered yet.
func (t *Topic) OpenObjections() []Objection {
	var out []Objection
	for _, o := range t.Objections {
		if o.AnsweredBy == "" {
			out = append(out, o)
		}
	}
	return out
}

// ConfirmedRoomCount sums the confirmed counts of the room.
func (t *Topic) ConfirmedRoomCount() (f, a, ab int) {
	for _, r := range t.RoomCounts {
		if r.ConfirmedBy != "" {
			f, a, ab = f+r.For, a+r.Against, ab+r.Abstain
		}
	}
	return f, a, ab
}

// Publication is a round's 公示 and 备案: who, when, and the audit entry
// that recorded it (the 审计存证 printed with it).
type Publication struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Seq    uint64    `json:"seq"`
	Hash   string    `json:"hash"`
	Digest string    `json:"digest"` // Result.Digest at publication
}

// Round is one earlier meeting of a topic held again: everything the record
// sheet shows of that meeting.
type Round struct {
	No              int                  `json:"no"`
	Plan            Plan                 `json:"plan"`
	Opened          time.Time            `json:"opened,omitzero"`
	Attendance      map[string]time.Time `json:"attendance,omitempty"`
	Statements      []Statement          `json:"statements,omitempty"`
	Opinion         string               `json:"opinion,omitempty"`
	VoteOpened      time.Time            `json:"vote_opened,omitzero"`
	Result          *Result              `json:"result,omitempty"`
	Ballots         map[string]Choice    `json:"ballots,omitempty"` // open ballots only
	Redeliberation  string               `json:"redeliberation,omitempty"`
	MinutesBy       string               `json:"minutes_by,omitempty"`
	MinutesAt       time.Time            `json:"minutes_at,omitzero"`
	AuditedBy       string               `json:"audited_by,omitempty"`
	AuditedAt       time.Time            `json:"audited_at,omitzero"`
	Published       *Publication         `json:"published,omitempty"`
	Proxied         map[string]string    `json:"proxied,omitempty"`
	WalkIns         []WalkIn             `json:"walk_ins,omitempty"`
	RoomCounts      []RoomCount          `json:"room_counts,omitempty"`
	HeadCount       int                  `json:"head_count,omitempty"`
	HeadCountBy     string               `json:"head_count_by,omitempty"`
	QuorumWaived    string               `json:"quorum_waived,omitempty"`
	Objections      []Objection          `json:"objections,omitempty"`
	Notices         []Notice             `json:"notices,omitempty"`
	ObjectionsUntil time.Time            `json:"objections_until,omitzero"`
}

// RoundCount is how many rounds the topic has had (at least 1 once planned).
func (t *Topic) RoundCount() int {
	if t.Round == 0 {
		return len(t.Rounds)
	}
	return t.Round
}

// RoundView returns the topic as it stood in round k: the current topic for
// its current round, or a copy with an archived round's meeting fields. The
// second result is false for a round that does not exist.
func (t *Topic) RoundView(k int) (*Topic, bool) {
	if k == t.Round || (k == 0 && t.Round == 0) {
		return t, true
	}
	for _, r := range t.Rounds {
		if r.No != k {
			continue
		}
		v := *t
		v.Rounds = nil
		v.Round, v.Plan, v.Opened, v.Attendance, v.Statements = r.No, r.Plan, r.Opened, r.Attendance, r.Statements
		v.Opinion, v.VoteOpened, v.Result, v.Redeliberation = r.Opinion, r.VoteOpened, r.Result, r.Redeliberation
		v.MinutesBy, v.MinutesAt, v.AuditedBy, v.AuditedAt, v.Published = r.MinutesBy, r.MinutesAt, r.AuditedBy, r.AuditedAt, r.Published
		v.Proxied, v.WalkIns, v.RoomCounts, v.QuorumWaived = r.Proxied, r.WalkIns, r.RoomCounts, r.QuorumWaived
		v.HeadCount, v.HeadCountBy = r.HeadCount, r.HeadCountBy
		v.Objections, v.Notices, v.ObjectionsUntil = r.Objections, r.Notices, r.ObjectionsUntil
		v.FollowUps, v.Step = nil, 4
		v.Stage = StageVoted
		if r.Published != nil {
			v.Stage = StagePublished
		}
		return &v, true
	}
	return nil, false
}

// Move changes the topic's stage if the graph allows it and records who,
// when and why; otherwise it returns an ECONFLICT error naming both stages.
func (t *Topic) Move(to Stage, by string, at time.Time, why string) error {
	if !t.Stage.CanMove(to) {
		return Errorf(ECONFLICT, "议题 #%s 现在是「%s」，不能直接变为「%s」。", t.ID, t.Stage.Chinese(), to.Chinese())
	}
	t.History = append(t.History, Transition{From: t.Stage, To: to, By: by, At: at, Why: why})
	t.Stage = to
	return nil
}

// IsParticipant reports whether member id was chosen for this topic.
func (t *Topic) IsParticipant(id string) bool {
	if len(t.Participants) < 32 {
		for _, p := range t.Participants {
			if p == id {
				return true
			}
		}
		return false
	}
	// Large meetings: an index, rebuilt whenever the slice is replaced.
	if t.parts.of != &t.Participants[0] || t.parts.n != len(t.Participants) {
		t.parts.set = make(map[string]struct{}, len(t.Participants))
		for _, p := range t.Participants {
			t.parts.set[p] = struct{}{}
		}
		t.parts.of, t.parts.n = &t.Participants[0], len(t.Participants)
	}
	_, ok := t.parts.set[id]
	return ok
}

// participantIndex caches Participants as a set; it is not stored.
type participantIndex struct {
	of  *string
	n   int
	set map[string]struct{}
}

// Present reports whether member id has checked in.
func (t *Topic) Present(id string) bool { _, ok := t.Attendance[id]; return ok }

// Label is "#ID 标题" for messages.
func (t *Topic) Label() string { return fmt.Sprintf("#%s「%s」", t.ID, t.Title) }
