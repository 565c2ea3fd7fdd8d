package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// The event log is the record. Every action the engine accepts is one or
// more typed events; each is the payload of one entry of the community's
// hash-chained audit log (audit.Entry: Action is the event's Kind, Topic
// the topic id, Actor who did it, At when, Detail the event as JSON). The
// state of a community — every topic, every round, every ballot of an open
// vote — is a left fold of its events through apply (apply.go), both live
// and on replay (Replay, yishi audit verify). Stored topic documents are
// snapshots of that fold, stamped with the log position they cover.
//
// An event carries every fact needed to rebuild state: names resolved at the
// time, the participants chosen, the plan as confirmed. Nothing is looked up
// in the configuration on replay, so a later change of the roster cannot
// change an earlier record.

// Kind names an event type; the values are stored in the log and never change.
type Kind string

// The event vocabulary.
const (
	KindProposed         Kind = "proposed"
	KindResubmitted      Kind = "resubmitted"
	KindApproved         Kind = "approved"
	KindReturned         Kind = "returned"
	KindDeclined         Kind = "declined"
	KindPlanned          Kind = "planned"
	KindMeetingOpened    Kind = "meeting_opened"
	KindStepAdvanced     Kind = "step_advanced"
	KindCheckedIn        Kind = "checked_in"
	KindStatement        Kind = "statement_recorded"
	KindVoteOpened       Kind = "vote_opened"
	KindVoteCast         Kind = "vote_cast"
	KindVoteClosed       Kind = "vote_closed"
	KindMinutesConfirmed Kind = "minutes_confirmed"
	KindPublished        Kind = "published"
	KindItemAdded        Kind = "item_added"
	KindItemUpdated      Kind = "item_updated"
	KindRedeliberation   Kind = "redeliberation_arranged"
	KindTerminated       Kind = "terminated"
	KindRecordAudited    Kind = "record_audited"
	KindBindCodeIssued   Kind = "bind_code_issued"
	KindBound            Kind = "bound"
	KindClerkNamed       Kind = "clerk_named"
	KindCheckedOut       Kind = "checked_out"
	KindWalkIn           Kind = "walk_in_recorded"
	KindRoomCounted      Kind = "room_counted"
	KindRoomConfirmed    Kind = "room_count_confirmed"
	KindObjection        Kind = "objection_raised"
	KindObjectionAnswer  Kind = "objection_answered"
	KindNotified         Kind = "stakeholder_notified"
	KindHeadCounted      Kind = "head_counted"
	KindWalkInConfirmed  Kind = "walk_in_confirmed"
	// KindImported carries a whole topic as the version before the event log
	// stored it: the first event of a migrated topic (migrate.go).
	KindImported Kind = "topic_imported"
)

// Event is one typed domain event.
type Event interface{ Kind() Kind }

// Proposed files a new topic; it goes to 待审定 at once.
type Proposed struct {
	Title     string        `json:"title"`
	Content   string        `json:"content"`
	Affected  string        `json:"affected"`
	Channel   bot.Channel   `json:"channel"`
	Group     string        `json:"group"`
	Screening bot.Screening `json:"screening"`
}

// Resubmitted is a returned topic changed by its proposer and sent back.
type Resubmitted struct {
	Title     string        `json:"title"`
	Content   string        `json:"content"`
	Affected  string        `json:"affected"`
	Channel   bot.Channel   `json:"channel"`
	Screening bot.Screening `json:"screening"`
}

// Approved is 审定同意 with everything the reviewer chose; Participants is
// the full resolved list (chair, recorder, supervisors and proposer added).
type Approved struct {
	Category     int      `json:"category"`
	Participants []string `json:"participants"`
	Stakeholders []string `json:"stakeholders,omitempty"`
	Chair        string   `json:"chair"`
	Recorder     string   `json:"recorder"`
	Supervisor   string   `json:"supervisor"`
	Note         string   `json:"note,omitempty"`
	Override     string   `json:"override,omitempty"` // reason for deciding against the screening
	// Observers are the participants who attend without voting (列席/旁听),
	// as the roster said at approval.
	Observers []string `json:"observers,omitempty"`
}

// Returned is 退回修改.
type Returned struct {
	Reason string `json:"reason"`
}

// Declined is 不予受理 under a 五不议 rule.
type Declined struct {
	Rule   int    `json:"rule"`
	Reason string `json:"reason"`
}

// Planned is the 协商方案, as confirmed. Round is the round it prepares:
// the first plan and every change before the meeting keep the round, a
// plan for a topic held again (再议) starts the next one.
type Planned struct {
	Plan  bot.Plan `json:"plan"`
	Round int      `json:"round"`
}

// MeetingOpened is 开始协商: step 1 with the statement of source, review and
// rules read out by the chair.
type MeetingOpened struct {
	Round int    `json:"round"`
	Intro string `json:"intro"`
}

// StepAdvanced moves the meeting to the next step (2 or 3).
type StepAdvanced struct {
	Round int `json:"round"`
	Step  int `json:"step"`
}

// CheckedIn is one participant present (实到). By is the clerk who recorded
// a member present in the room (代签到); "" when the member checked in.
type CheckedIn struct {
	Round  int    `json:"round"`
	Member string `json:"member"`
	By     string `json:"by,omitempty"`
}

// CheckedOut is a member who left the meeting (代签退): no longer 实到.
type CheckedOut struct {
	Round  int    `json:"round"`
	Member string `json:"member"`
}

// ClerkNamed is the chair naming a 代录员 for the meeting.
type ClerkNamed struct {
	Member string `json:"member"`
}

// WalkInRecorded is a stakeholder present in the room who was not invited
// (列席: attends and speaks, does not vote).
type WalkInRecorded struct {
	Round int    `json:"round"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

// RoomCounted is a count in the room (现场计票), pending a second person.
type RoomCounted struct {
	Round   int `json:"round"`
	For     int `json:"for"`
	Against int `json:"against"`
	Abstain int `json:"abstain"`
}

// WalkInConfirmed is the chair confirming a walk-in as a 协商主体.
type WalkInConfirmed struct {
	Round int    `json:"round"`
	Name  string `json:"name"`
}

// HeadCounted is the clerk's headcount of voters present in the room who
// are not checked in one by one (a 村民会议 of hundreds: 现场人数). The latest
// count replaces the earlier one; it adds to those checked in.
type HeadCounted struct {
	Round int `json:"round"`
	Count int `json:"count"`
}

// RoomCountConfirmed is the second person's confirmation of the pending
// room count: from then on it is part of the tally.
type RoomCountConfirmed struct {
	Round int `json:"round"`
}

// ObjectionRaised is an 异议 during the 公示 window.
type ObjectionRaised struct {
	Round int    `json:"round"`
	No    int    `json:"no"`
	Text  string `json:"text"`
}

// ObjectionAnswered is the chair's answer to an objection.
type ObjectionAnswered struct {
	Round int    `json:"round"`
	No    int    `json:"no"`
	Text  string `json:"text"`
}

// StakeholderNotified records that someone outside the chat was told the
// result, and how (电话、上门、书面).
type StakeholderNotified struct {
	Round  int    `json:"round"`
	Name   string `json:"name"`
	Method string `json:"method"`
}

// StatementRecorded is one entry of the minutes.
type StatementRecorded struct {
	Round  int    `json:"round"`
	By     string `json:"by,omitempty"` // the clerk who recorded a statement made aloud (代记发言)
	Member string `json:"member"`
	Name   string `json:"name"`
	Step   int    `json:"step"`
	Text   string `json:"text"`
}

// VoteOpened is step 4 on the opinion put to the vote.
type VoteOpened struct {
	Round    int       `json:"round"`
	Opinion  string    `json:"opinion"`
	Deadline time.Time `json:"deadline,omitzero"`
	// WithoutQuorum is the chair's reason for opening without the
	// attendance quorum; the vote then produces no decision.
	WithoutQuorum string `json:"without_quorum,omitempty"`
}

// VoteCast is one vote. In a secret round Choice is empty: the log says who
// voted, never what (the choice is kept encrypted until the vote closes,
// secret.go).
type VoteCast struct {
	Round  int        `json:"round"`
	By     string     `json:"by,omitempty"` // the clerk who recorded an open vote in the room (代投)
	Member string     `json:"member"`
	Choice bot.Choice `json:"choice,omitempty"`
	Change bool       `json:"change,omitempty"`
}

// VoteClosed freezes the result: who or what closed it and the tally. For
// an open round apply recounts the ballots and refuses a tally that differs;
// for a secret round the tally here is the only record of the choices.
type VoteClosed struct {
	Round  int        `json:"round"`
	Result bot.Result `json:"result"`
}

// MinutesConfirmed is the recorder's signature.
type MinutesConfirmed struct {
	Round int `json:"round"`
}

// Published is 公示 and 备案. ResultDigest is the sha256 of the result's
// canonical form (bot.Result.Digest), so the 审计存证 printed with the 公示,
// which names this entry, also proves the figures.
type Published struct {
	Round        int    `json:"round"`
	ResultDigest string `json:"result_digest"`
	// ObjectionsUntil is the end of the objection window (zero: none).
	ObjectionsUntil time.Time `json:"objections_until,omitzero"`
}

// ItemAdded is a follow-up item of an agreed topic; No is its community-wide
// number.
type ItemAdded struct {
	Item bot.FollowUp `json:"item"`
}

// ItemUpdated is progress on a follow-up item: a report, 已完成, 受阻, a
// return by the supervision committee or its confirmation (Status
// confirmed). Evidence replaces the item's evidence when not empty.
type ItemUpdated struct {
	No       int                `json:"no"`
	Status   bot.FollowUpStatus `json:"status"`
	Note     string             `json:"note"`
	Evidence string             `json:"evidence,omitempty"`
}

// RedeliberationArranged records when and on what conditions a failed topic
// may be held again.
type RedeliberationArranged struct {
	When string `json:"when"`
}

// Terminated ends a failed topic.
type Terminated struct {
	Why string `json:"why,omitempty"`
}

// RecordAudited is the supervision committee's pass of the record sheet.
type RecordAudited struct {
	Round int `json:"round"`
}

// BindCodeIssued is a one-time code for a member; the code itself is not in
// the log (anyone who reads the log could use it), only its hash.
type BindCodeIssued struct {
	Member   string    `json:"member"`
	CodeHash string    `json:"code_hash"`
	Expires  time.Time `json:"expires"`
}

// Bound links a platform identity to a roster member.
type Bound struct {
	Platform string `json:"platform"`
	Identity string `json:"identity"`
	Member   string `json:"member"`
}

// Imported is a topic as the version before the event log stored it (the
// migration, migrate.go). Ballots are the open round's ballots; a closed
// secret round's choices are not carried over.
type Imported struct {
	Topic   bot.Topic                 `json:"topic"`
	Ballots map[string]importedBallot `json:"ballots,omitempty"`
}

type importedBallot struct {
	Choice  bot.Choice `json:"choice,omitempty"`
	At      time.Time  `json:"at"`
	Changes int        `json:"changes,omitempty"`
}

func (Proposed) Kind() Kind               { return KindProposed }
func (Resubmitted) Kind() Kind            { return KindResubmitted }
func (Approved) Kind() Kind               { return KindApproved }
func (Returned) Kind() Kind               { return KindReturned }
func (Declined) Kind() Kind               { return KindDeclined }
func (Planned) Kind() Kind                { return KindPlanned }
func (MeetingOpened) Kind() Kind          { return KindMeetingOpened }
func (StepAdvanced) Kind() Kind           { return KindStepAdvanced }
func (CheckedIn) Kind() Kind              { return KindCheckedIn }
func (StatementRecorded) Kind() Kind      { return KindStatement }
func (VoteOpened) Kind() Kind             { return KindVoteOpened }
func (VoteCast) Kind() Kind               { return KindVoteCast }
func (VoteClosed) Kind() Kind             { return KindVoteClosed }
func (MinutesConfirmed) Kind() Kind       { return KindMinutesConfirmed }
func (Published) Kind() Kind              { return KindPublished }
func (ItemAdded) Kind() Kind              { return KindItemAdded }
func (ItemUpdated) Kind() Kind            { return KindItemUpdated }
func (RedeliberationArranged) Kind() Kind { return KindRedeliberation }
func (Terminated) Kind() Kind             { return KindTerminated }
func (RecordAudited) Kind() Kind          { return KindRecordAudited }
func (BindCodeIssued) Kind() Kind         { return KindBindCodeIssued }
func (Bound) Kind() Kind                  { return KindBound }
func (Imported) Kind() Kind               { return KindImported }
func (ClerkNamed) Kind() Kind             { return KindClerkNamed }
func (CheckedOut) Kind() Kind             { return KindCheckedOut }
func (WalkInRecorded) Kind() Kind         { return KindWalkIn }
func (RoomCounted) Kind() Kind            { return KindRoomCounted }
func (RoomCountConfirmed) Kind() Kind     { return KindRoomConfirmed }
func (ObjectionRaised) Kind() Kind        { return KindObjection }
func (ObjectionAnswered) Kind() Kind      { return KindObjectionAnswer }
func (StakeholderNotified) Kind() Kind    { return KindNotified }
func (HeadCounted) Kind() Kind            { return KindHeadCounted }
func (WalkInConfirmed) Kind() Kind        { return KindWalkInConfirmed }

// newEvent returns a zero event of kind, ready to decode into; false for a
// kind this version does not know (an action of the log before events).
func newEvent(k Kind) (Event, bool) {
	var e Event
	switch k {
	case KindProposed:
		e = &Proposed{}
	case KindResubmitted:
		e = &Resubmitted{}
	case KindApproved:
		e = &Approved{}
	case KindReturned:
		e = &Returned{}
	case KindDeclined:
		e = &Declined{}
	case KindPlanned:
		e = &Planned{}
	case KindMeetingOpened:
		e = &MeetingOpened{}
	case KindStepAdvanced:
		e = &StepAdvanced{}
	case KindCheckedIn:
		e = &CheckedIn{}
	case KindStatement:
		e = &StatementRecorded{}
	case KindVoteOpened:
		e = &VoteOpened{}
	case KindVoteCast:
		e = &VoteCast{}
	case KindVoteClosed:
		e = &VoteClosed{}
	case KindMinutesConfirmed:
		e = &MinutesConfirmed{}
	case KindPublished:
		e = &Published{}
	case KindItemAdded:
		e = &ItemAdded{}
	case KindItemUpdated:
		e = &ItemUpdated{}
	case KindRedeliberation:
		e = &RedeliberationArranged{}
	case KindTerminated:
		e = &Terminated{}
	case KindRecordAudited:
		e = &RecordAudited{}
	case KindBindCodeIssued:
		e = &BindCodeIssued{}
	case KindBound:
		e = &Bound{}
	case KindImported:
		e = &Imported{}
	case KindClerkNamed:
		e = &ClerkNamed{}
	case KindCheckedOut:
		e = &CheckedOut{}
	case KindWalkIn:
		e = &WalkInRecorded{}
	case KindRoomCounted:
		e = &RoomCounted{}
	case KindRoomConfirmed:
		e = &RoomCountConfirmed{}
	case KindObjection:
		e = &ObjectionRaised{}
	case KindObjectionAnswer:
		e = &ObjectionAnswered{}
	case KindWalkInConfirmed:
		e = &WalkInConfirmed{}
	case KindHeadCounted:
		e = &HeadCounted{}
	case KindNotified:
		e = &StakeholderNotified{}
	default:
		return nil, false
	}
	return e, true
}

// encodeEvent is the Detail of the event's audit entry.
func encodeEvent(e Event) string {
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("engine: marshal %s event: %v", e.Kind(), err)) // our own types always marshal
	}
	return string(b)
}

// decodeEvent reads an entry's Detail as an event of kind; known is false
// for a kind this version does not know (an action of the log before events).
func decodeEvent(k Kind, detail string) (e Event, known bool, err error) {
	e, known = newEvent(k)
	if !known {
		return nil, false, nil
	}
	if err := json.Unmarshal([]byte(detail), e); err != nil {
		return nil, true, fmt.Errorf("decode %s event: %w", k, err)
	}
	return deref(e), true, nil
}

// deref turns the decoded pointer back into the value type apply switches on.
func deref(e Event) Event { return reflect.ValueOf(e).Elem().Interface().(Event) }

// Recorded is an event with its place in the log.
type Recorded struct {
	Seq   uint64
	At    time.Time
	Actor string
	Topic string
	Event Event
}
