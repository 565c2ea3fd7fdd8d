package engine

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// undoLog undoes what apply did to a community's state when an action fails
// part-way: each change pushes the function that reverts it. A nil log (on
// replay) records nothing.
type undoLog struct{ fns []func() }

func (u *undoLog) push(f func()) {
	if u != nil {
		u.fns = append(u.fns, f)
	}
}

func (u *undoLog) rollback() {
	for i := len(u.fns) - 1; i >= 0; i-- {
		u.fns[i]()
	}
	u.fns = nil
}

// record is one event in the log with what apply needs to know of its entry.
type record struct {
	Recorded
	Hash string
	// secret is the choice of a secret VoteCast, known only to the live
	// engine (the event carries none); "" on replay.
	secret bot.Choice
	// archived: a Planned event that archived the earlier round.
	archived bool
}

// apply is the only code that changes deliberation state: the live engine
// applies each new event through it, and a cold start or `yishi audit
// verify` replays the log through it. It checks the event against the state
// (an event the state cannot take is an error, never a guess) and leaves
// the state unchanged when it fails, given the undo log.
func (c *community) apply(r *record, u *undoLog) error {
	switch e := r.Event.(type) {
	case Proposed:
		return c.applyProposed(r, e, u)
	case Imported:
		return c.applyImported(r, e, u)
	case BindCodeIssued:
		return nil // the code lives apart from the log (bind.go); the log keeps who and until when
	case Bound:
		key := e.Platform + "\x00" + e.Identity
		if u != nil {
			old := maps.Clone(c.bindings)
			u.push(func() { c.bindings = old })
		}
		c.bindings = maps.Clone(c.bindings)
		for k, v := range c.bindings {
			if v == e.Member && len(k) > len(e.Platform) && k[:len(e.Platform)+1] == e.Platform+"\x00" {
				delete(c.bindings, k)
			}
		}
		c.bindings[key] = e.Member
		return nil
	}
	t := c.topics[r.Topic]
	if t == nil {
		return fmt.Errorf("事件 %s 指向不存在的议题 #%s", r.Event.Kind(), r.Topic)
	}
	if u != nil { // a copy of the topic's fields to undo with; not on replay
		old := *t
		u.push(func() { *t = old })
	}
	if err := c.applyTopic(t, r, u); err != nil {
		return err
	}
	if !keptBeside(r.Event) {
		t.Seq = r.Seq
	}
	return nil
}

// keptBeside reports whether an event changes only what is kept in
// per-member keys beside the topic document (a meeting of hundreds must not
// rewrite the topic at every check-in and vote): the document, and its Seq,
// stay as they are. What a clerk recorded (代录) is marked in the document.
func keptBeside(e Event) bool {
	switch e := e.(type) {
	case CheckedIn:
		return e.By == ""
	case VoteCast:
		return e.By == ""
	}
	return false
}

func (c *community) applyProposed(r *record, e Proposed, u *undoLog) error {
	id := strconv.Itoa(c.next)
	if r.Topic != id {
		return fmt.Errorf("新议题的编号应为 #%s，日志里是 #%s", id, r.Topic)
	}
	t := &bot.Topic{ID: id, Community: c.cfg.ID, Title: e.Title, Content: e.Content, Affected: e.Affected,
		Channel: e.Channel, Proposer: r.Actor, Group: e.Group, Stage: bot.StageDraft, Created: r.At, Screening: e.Screening}
	if err := t.Move(bot.StagePendingReview, r.Actor, r.At, "提交审定"); err != nil {
		return err
	}
	t.Seq = r.Seq
	next, n := c.next, len(c.ids)
	if u != nil {
		u.push(func() { c.next, c.ids = next, c.ids[:n]; delete(c.topics, id) })
	}
	c.next++
	c.topics[id] = t
	c.ids = append(c.ids, id)
	return nil
}

func (c *community) applyImported(r *record, e Imported, u *undoLog) error {
	t := e.Topic
	if t.ID != r.Topic || c.topics[t.ID] != nil {
		return fmt.Errorf("导入的议题 #%s 与日志或已有议题冲突", t.ID)
	}
	t.Seq = r.Seq
	next, nextItem, n := c.next, c.nextItem, len(c.ids)
	u.push(func() {
		c.next, c.nextItem, c.ids = next, nextItem, c.ids[:n]
		delete(c.topics, t.ID)
		delete(c.ballots, t.ID)
		delete(c.voters, t.ID)
	})
	c.topics[t.ID] = &t
	c.ids = append(c.ids, t.ID)
	slices.SortFunc(c.ids, func(a, b string) int { return atoi(a) - atoi(b) })
	if n := atoi(t.ID); n >= c.next {
		c.next = n + 1
	}
	for _, f := range t.FollowUps {
		if f.No >= c.nextItem {
			c.nextItem = f.No + 1
		}
	}
	if len(e.Ballots) > 0 {
		bs := make(map[string]*ballot, len(e.Ballots))
		for m, b := range e.Ballots {
			bs[m] = &ballot{Choice: b.Choice, At: b.At, Changes: b.Changes}
		}
		c.ballots[t.ID] = bs
	}
	return nil
}

// applyTopic applies an event to an existing topic. The caller has saved
// the topic's fields for undo; maps and slices shared with that copy are
// replaced, never changed in place, unless the change is undone here.
func (c *community) applyTopic(t *bot.Topic, r *record, u *undoLog) error {
	at, by := r.At, r.Actor
	switch e := r.Event.(type) {
	case Resubmitted:
		t.Title, t.Content, t.Affected, t.Channel, t.Screening = e.Title, e.Content, e.Affected, e.Channel, e.Screening
		return t.Move(bot.StagePendingReview, by, at, "修改后重新提交")
	case Approved:
		if e.Category < 1 || e.Category > 6 || len(e.Participants) == 0 {
			return fmt.Errorf("审定事件缺少类别或参会人员")
		}
		t.Category, t.Participants, t.Stakeholders, t.Observers = e.Category, e.Participants, e.Stakeholders, e.Observers
		if t.Observers == nil {
			t.Observers = []string{} // known: none (nil means "ask the roster", for topics older than the log)
		}
		t.Chair, t.Recorder, t.Supervisor, t.ReviewNote = e.Chair, e.Recorder, e.Supervisor, e.Note
		if e.Override != "" {
			t.Screening.Override = e.Override
		}
		c.dropVoters(t.ID, u)
		return t.Move(bot.StageApproved, by, at, "审定同意，六必议第"+strconv.Itoa(e.Category)+"类")
	case Returned:
		t.ReviewNote = e.Reason
		return t.Move(bot.StageReturned, by, at, e.Reason)
	case Declined:
		t.DeclineRule, t.ReviewNote = e.Rule, e.Reason
		return t.Move(bot.StageDeclined, by, at, fmt.Sprintf("五不议第%d条：%s", e.Rule, e.Reason))
	case Planned:
		return c.applyPlanned(t, r, e, u)
	case MeetingOpened:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		if err := t.Move(bot.StageDeliberating, by, at, "主持人宣布开始协商"); err != nil {
			return err
		}
		t.Step, t.Opened = 1, at
		t.Statements = append(t.Statements, bot.Statement{Step: 1, Text: e.Intro, At: at, Name: "(主持人)"})
		return nil
	case StepAdvanced:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		if t.Stage != bot.StageDeliberating || e.Step != t.Step+1 || e.Step > 3 {
			return fmt.Errorf("议程不能从第%d步到第%d步", t.Step, e.Step)
		}
		t.Step = e.Step
		return nil
	case CheckedIn:
		return c.applyCheckIn(t, e, at, u)
	case StatementRecorded:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		if t.Stage != bot.StageDeliberating {
			return fmt.Errorf("议题不在协商中，不能记录发言")
		}
		t.Statements = append(t.Statements, bot.Statement{Member: e.Member, Name: e.Name, Step: e.Step, Text: e.Text, At: at, RecordedBy: e.By})
		return nil
	case ClerkNamed:
		if !slices.Contains(t.Clerks, e.Member) {
			t.Clerks = append(t.Clerks, e.Member)
		}
		return nil
	case CheckedOut:
		return c.applyCheckOut(t, e, u)
	case WalkInRecorded:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		t.WalkIns = append(t.WalkIns, bot.WalkIn{Name: e.Name, Role: e.Role, By: by, At: at})
		return nil
	case RoomCounted:
		return c.applyRoomCount(t, r, e)
	case WalkInConfirmed:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		i := slices.IndexFunc(t.WalkIns, func(w bot.WalkIn) bool { return w.Name == e.Name })
		if i < 0 || t.WalkIns[i].ConfirmedBy != "" {
			return fmt.Errorf("%s 不是待确认的临时参会人员", e.Name)
		}
		t.WalkIns = slices.Clone(t.WalkIns)
		t.WalkIns[i].ConfirmedBy, t.WalkIns[i].ConfirmedAt = by, at
		return nil
	case HeadCounted:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		if e.Count < 0 {
			return fmt.Errorf("现场人数不能为负")
		}
		tl := c.tally(t)
		if present, cast := tl.Present-t.HeadCount+e.Count, votesCast(t, tl); present < cast {
			return fmt.Errorf("现场人数%d使实到(%d)少于已投票数(%d)", e.Count, present, cast)
		}
		t.HeadCount, t.HeadCountBy = e.Count, r.Actor
		return nil
	case RoomCountConfirmed:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		n := len(t.RoomCounts)
		if n == 0 || t.RoomCounts[n-1].ConfirmedBy != "" {
			return fmt.Errorf("没有待确认的现场计票")
		}
		if t.RoomCounts[n-1].By == by {
			return fmt.Errorf("现场计票须由另一人确认")
		}
		t.RoomCounts = slices.Clone(t.RoomCounts)
		t.RoomCounts[n-1].ConfirmedBy, t.RoomCounts[n-1].ConfirmedAt = by, at
		return nil
	case ObjectionRaised:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		if t.ObjectionsUntil.IsZero() || at.After(t.ObjectionsUntil) {
			return fmt.Errorf("不在公示异议期内")
		}
		if e.No != len(t.Objections)+1 {
			return fmt.Errorf("异议序号应为 %d", len(t.Objections)+1)
		}
		t.Objections = append(t.Objections, bot.Objection{No: e.No, By: by, Text: e.Text, At: at})
		return nil
	case ObjectionAnswered:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		if e.No < 1 || e.No > len(t.Objections) || t.Objections[e.No-1].AnsweredBy != "" {
			return fmt.Errorf("没有待答复的第%d条异议", e.No)
		}
		t.Objections = slices.Clone(t.Objections)
		o := &t.Objections[e.No-1]
		o.Answer, o.AnsweredBy, o.AnsweredAt = e.Text, by, at
		return c.maybeComplete(t, by, at)
	case StakeholderNotified:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		t.Notices = append(t.Notices, bot.Notice{Name: e.Name, Method: e.Method, By: by, At: at})
		return nil
	case VoteOpened:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		if err := t.Move(bot.StageVoting, by, at, "进入表决："+e.Opinion); err != nil {
			return err
		}
		t.Step, t.Opinion, t.VoteOpened, t.Plan.Deadline, t.QuorumWaived = 4, e.Opinion, at, e.Deadline, e.WithoutQuorum
		return nil
	case VoteCast:
		return c.applyVote(t, r, e, u)
	case VoteClosed:
		return c.applyClose(t, r, e, u)
	case MinutesConfirmed:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		if t.Result == nil || t.MinutesBy != "" {
			return fmt.Errorf("记录员签字需要表决结果且只能签一次")
		}
		t.MinutesBy, t.MinutesAt = by, at
		return nil
	case Published:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		if t.Result == nil {
			return fmt.Errorf("没有表决结果，不能公示")
		}
		if d := t.Result.Digest(); d != e.ResultDigest {
			return fmt.Errorf("公示事件的结果摘要 %.16s 与表决结果 %.16s 不符", e.ResultDigest, d)
		}
		if err := t.Move(bot.StagePublished, by, at, "公示并报党组织备案"); err != nil {
			return err
		}
		t.Published = &bot.Publication{By: by, At: at, Seq: r.Seq, Hash: r.Hash, Digest: e.ResultDigest}
		t.ObjectionsUntil = e.ObjectionsUntil
		switch {
		case t.Result.Agreed:
			return t.Move(bot.StageImplementing, by, at, "进入落实")
		case t.Redeliberation != "":
			return t.Move(bot.StageRedeliberate, by, at, t.Redeliberation)
		}
		return nil
	case ItemAdded:
		if e.Item.No != c.nextItem {
			return fmt.Errorf("落实事项编号应为 #%d，日志里是 #%d", c.nextItem, e.Item.No)
		}
		next := c.nextItem
		if u != nil {
			u.push(func() { c.nextItem = next })
		}
		c.nextItem++
		t.FollowUps = append(t.FollowUps, e.Item)
		return nil
	case ItemUpdated:
		return c.applyItem(t, r, e)
	case RedeliberationArranged:
		t.Redeliberation = e.When
		if t.Stage == bot.StagePublished {
			return t.Move(bot.StageRedeliberate, by, at, e.When)
		}
		return nil
	case Terminated:
		t.Redeliberation = ""
		if t.Stage == bot.StagePublished {
			return t.Move(bot.StageTerminated, by, at, e.Why)
		}
		return nil
	case RecordAudited:
		if err := c.sameRound(t, e.Round); err != nil {
			return err
		}
		if t.AuditedBy != "" {
			return fmt.Errorf("记录已审核过")
		}
		t.AuditedBy, t.AuditedAt = by, at
		return nil
	}
	return fmt.Errorf("事件 %s 不能用于议题", r.Event.Kind())
}

func (c *community) sameRound(t *bot.Topic, round int) error {
	if round != t.Round {
		return fmt.Errorf("事件属于第%d轮，议题现在是第%d轮", round, t.Round)
	}
	return nil
}

// nextRound is the round a plan for t prepares.
func nextRound(t *bot.Topic) int {
	switch {
	case t.Stage == bot.StageRedeliberate:
		return t.Round + 1
	case t.Round == 0:
		return 1
	}
	return t.Round
}

func (c *community) applyPlanned(t *bot.Topic, r *record, e Planned, u *undoLog) error {
	if e.Round != nextRound(t) {
		return fmt.Errorf("协商方案应属第%d轮，日志里是第%d轮", nextRound(t), e.Round)
	}
	why := "发布协商方案并通知"
	switch t.Stage {
	case bot.StageNotified:
		why = "修改协商方案并重新通知"
	case bot.StageRedeliberate:
		r.archived = true
		// The earlier round is archived whole: the guideline wants every
		// round of the record kept (归档).
		done := bot.Round{No: t.Round, Plan: t.Plan, Opened: t.Opened, Attendance: t.Attendance, Statements: t.Statements,
			Opinion: t.Opinion, VoteOpened: t.VoteOpened, Result: t.Result, Redeliberation: t.Redeliberation,
			MinutesBy: t.MinutesBy, MinutesAt: t.MinutesAt, AuditedBy: t.AuditedBy, AuditedAt: t.AuditedAt, Published: t.Published,
			Proxied: t.Proxied, WalkIns: t.WalkIns, RoomCounts: t.RoomCounts, QuorumWaived: t.QuorumWaived,
			HeadCount: t.HeadCount, HeadCountBy: t.HeadCountBy,
			Objections: t.Objections, Notices: t.Notices, ObjectionsUntil: t.ObjectionsUntil}
		if t.Plan.Ballot != bot.BallotSecret {
			for m, b := range c.ballots[t.ID] {
				if done.Ballots == nil {
					done.Ballots = map[string]bot.Choice{}
				}
				done.Ballots[m] = b.Choice
			}
		}
		t.Rounds = append(t.Rounds, done)
		t.Attendance, t.Statements, t.Result, t.Step, t.Opinion, t.VoteOpened, t.Opened = nil, nil, nil, 0, "", time.Time{}, time.Time{}
		t.MinutesBy, t.MinutesAt, t.AuditedBy, t.AuditedAt, t.Published, t.Redeliberation = "", time.Time{}, "", time.Time{}, nil, ""
		t.Proxied, t.WalkIns, t.RoomCounts, t.QuorumWaived, t.Objections, t.Notices, t.ObjectionsUntil = nil, nil, nil, "", nil, nil, time.Time{}
		t.HeadCount, t.HeadCountBy = 0, ""
		ballots := c.ballots[t.ID]
		if u != nil {
			u.push(func() { c.ballots[t.ID] = ballots })
		}
		delete(c.ballots, t.ID)
	}
	t.Plan, t.Round = e.Plan, e.Round
	c.dropVoters(t.ID, u)
	return t.Move(bot.StageNotified, r.Actor, r.At, why)
}

// dropVoters forgets the cached voter set of a topic whose participants or
// rules changed (and again on undo: the cache is rebuilt on demand).
func (c *community) dropVoters(id string, u *undoLog) {
	delete(c.voters, id)
	if u != nil {
		u.push(func() { delete(c.voters, id) })
	}
}

func (c *community) applyCheckIn(t *bot.Topic, e CheckedIn, at time.Time, u *undoLog) error {
	if err := c.sameRound(t, e.Round); err != nil {
		return err
	}
	switch t.Stage {
	case bot.StageNotified, bot.StageDeliberating, bot.StageVoting:
	default:
		return fmt.Errorf("议题现在是「%s」，不能签到", t.Stage.Chinese())
	}
	if !t.IsParticipant(e.Member) {
		return fmt.Errorf("%s 不是本议题的参会人员", e.Member)
	}
	if t.Present(e.Member) {
		return fmt.Errorf("%s 已经签到过", e.Member)
	}
	if t.Attendance == nil {
		t.Attendance = map[string]time.Time{}
	}
	m := t.Attendance
	if u != nil {
		u.push(func() { delete(m, e.Member) })
	}
	m[e.Member] = at
	if e.By != "" {
		setProxied(t, "checkin:"+e.Member, e.By)
	}
	if vs := c.voterSet(t); vs.counted && vs.votes(e.Member) {
		tally := vs.tally
		if u != nil {
			u.push(func() { vs.tally = tally })
		}
		vs.tally.Present++
	}
	return nil
}

func (c *community) applyVote(t *bot.Topic, r *record, e VoteCast, u *undoLog) error {
	if err := c.sameRound(t, e.Round); err != nil {
		return err
	}
	if t.Stage != bot.StageVoting {
		return fmt.Errorf("议题不在表决中")
	}
	vs := c.voterSet(t)
	if !vs.votes(e.Member) {
		return fmt.Errorf("%s 不是本议题的表决人", e.Member)
	}
	secret := t.Plan.Ballot == bot.BallotSecret
	choice := e.Choice
	if secret {
		if choice != "" {
			return fmt.Errorf("无记名投票的投票事件不应带有选择")
		}
		choice = r.secret
	} else if !choice.Valid() {
		return fmt.Errorf("投票事件的选择「%s」无效", choice)
	}
	if c.ballots[t.ID] == nil {
		c.ballots[t.ID] = map[string]*ballot{}
	}
	bs := c.ballots[t.ID]
	old := bs[e.Member]
	if e.Change != (old != nil) {
		return fmt.Errorf("改票标记与已有的票不符")
	}
	if u != nil {
		u.push(func() {
			if old == nil {
				delete(bs, e.Member)
			} else {
				bs[e.Member] = old
			}
		})
	}
	b := &ballot{Choice: choice, At: r.At}
	if old != nil {
		b.Changes = old.Changes + 1
	}
	bs[e.Member] = b
	if e.By != "" {
		setProxied(t, "vote:"+e.Member, e.By)
	}
	if vs.counted {
		tally := vs.tally
		if u != nil {
			u.push(func() { vs.tally = tally })
		}
		if old != nil {
			vs.tally = addChoice(vs.tally, old.Choice, -1)
			if old.Choice == "" {
				vs.tally.Unknown--
			}
		}
		vs.tally = addChoice(vs.tally, choice, 1)
		if choice == "" {
			vs.tally.Unknown++
		}
	}
	return nil
}

func (c *community) applyClose(t *bot.Topic, r *record, e VoteClosed, u *undoLog) error {
	if err := c.sameRound(t, e.Round); err != nil {
		return err
	}
	if t.Stage != bot.StageVoting {
		return fmt.Errorf("议题不在表决中，不能结束表决")
	}
	res := e.Result
	if !res.ClosedAt.Equal(r.At) {
		return fmt.Errorf("表决结束时间与日志时间不符")
	}
	tl := c.tally(t)
	if tl.Present != res.Present || tl.Expected != res.Expected {
		return fmt.Errorf("表决结果的应到/实到(%d/%d)与签到记录(%d/%d)不符", res.Expected, res.Present, tl.Expected, tl.Present)
	}
	secret := t.Plan.Ballot == bot.BallotSecret
	switch {
	case secret && tl.Voted()+tl.Unknown != res.Voters:
		return fmt.Errorf("表决人数 %d 与投票记录 %d 不符", res.Voters, tl.Voted()+tl.Unknown)
	case !secret && (tl.For != res.For || tl.Against != res.Against || tl.Abstain != res.Abstain):
		return fmt.Errorf("表决结果(赞成%d 反对%d 弃权%d)与逐票记录(赞成%d 反对%d 弃权%d)不符",
			res.For, res.Against, res.Abstain, tl.For, tl.Against, tl.Abstain)
	case res.For+res.Against+res.Abstain != res.Voters:
		return fmt.Errorf("表决人数与赞成、反对、弃权之和不符")
	}
	pr := bot.Presets[t.Plan.Preset]
	if pr == nil {
		pr = bot.Presets[bot.DefaultPreset]
	}
	tl.For, tl.Against, tl.Abstain, tl.Unknown = res.For, res.Against, res.Abstain, 0
	if o := pr.Decide(tl); o.Agreed != res.Agreed || o.QuorumMet != res.QuorumMet {
		return fmt.Errorf("表决结论与议事规则「%s」的计算不符", pr.Name)
	}
	t.Result = &res
	if secret {
		// The choices are gone with the close: only the tally remains.
		bs := c.ballots[t.ID]
		if u != nil {
			u.push(func() { c.ballots[t.ID] = bs })
		}
		delete(c.ballots, t.ID)
	}
	outcome := "未通过"
	if res.Agreed {
		outcome = "通过"
	}
	by := r.Actor
	if res.Closed != bot.ClosedByChair {
		by = string(res.Closed) // the record names what closed it (bot/record)
	}
	return t.Move(bot.StageVoted, by, r.At, fmt.Sprintf("表决%s：赞成%d 反对%d 弃权%d / 实到%d", outcome, res.For, res.Against, res.Abstain, res.Present))
}

func (c *community) applyItem(t *bot.Topic, r *record, e ItemUpdated) error {
	i := slices.IndexFunc(t.FollowUps, func(f bot.FollowUp) bool { return f.No == e.No })
	if i < 0 {
		return fmt.Errorf("议题 #%s 没有落实事项 #%d", t.ID, e.No)
	}
	// A copy: the saved topic for undo still points at the old items.
	t.FollowUps = slices.Clone(t.FollowUps)
	f := &t.FollowUps[i]
	if f.Status == bot.FollowUpConfirmed {
		return fmt.Errorf("落实事项 #%d 已确认落实", e.No)
	}
	f.Progress = append(f.Progress, bot.Progress{By: r.Actor, At: r.At, Text: e.Note})
	f.Status = e.Status
	if e.Evidence != "" {
		f.Evidence = e.Evidence
	}
	if e.Status == bot.FollowUpConfirmed {
		f.ConfirmedBy, f.ConfirmedAt = r.Actor, r.At
		return c.maybeComplete(t, r.Actor, r.At)
	}
	return nil
}

// maybeComplete closes an agreed topic (已办结) once every item is 已落实
// and no objection to its 公示 is left unanswered.
func (c *community) maybeComplete(t *bot.Topic, by string, at time.Time) error {
	if t.Stage == bot.StageImplementing && allConfirmed(t) && len(t.OpenObjections()) == 0 {
		why := "落实事项全部确认落实"
		if len(t.Objections) > 0 {
			why += "，公示异议均已答复"
		}
		return t.Move(bot.StageCompleted, by, at, why)
	}
	return nil
}

func (c *community) applyCheckOut(t *bot.Topic, e CheckedOut, u *undoLog) error {
	if err := c.sameRound(t, e.Round); err != nil {
		return err
	}
	if !t.Present(e.Member) {
		return fmt.Errorf("%s 没有签到", e.Member)
	}
	m := t.Attendance
	old := m[e.Member]
	if u != nil {
		u.push(func() { m[e.Member] = old })
	}
	delete(m, e.Member)
	if t.Proxied != nil {
		t.Proxied = maps.Clone(t.Proxied)
		delete(t.Proxied, "checkin:"+e.Member)
	}
	if vs := c.voterSet(t); vs.counted && vs.votes(e.Member) {
		tally := vs.tally
		if u != nil {
			u.push(func() { vs.tally = tally })
		}
		vs.tally.Present--
		if b := c.ballots[t.ID][e.Member]; b != nil {
			vs.tally = addChoice(vs.tally, b.Choice, -1)
		}
	}
	return nil
}

func (c *community) applyRoomCount(t *bot.Topic, r *record, e RoomCounted) error {
	if err := c.sameRound(t, e.Round); err != nil {
		return err
	}
	if t.Stage != bot.StageVoting {
		return fmt.Errorf("议题不在表决中")
	}
	if n := len(t.RoomCounts); n > 0 && t.RoomCounts[n-1].ConfirmedBy == "" {
		return fmt.Errorf("上一次现场计票还没有确认")
	}
	if e.For < 0 || e.Against < 0 || e.Abstain < 0 {
		return fmt.Errorf("票数不能为负")
	}
	tl := c.tally(t)
	if free := tl.Present - tl.Voted() - tl.Unknown; e.For+e.Against+e.Abstain > free {
		return fmt.Errorf("现场计票%d票，超过了实到且尚未表决的%d人", e.For+e.Against+e.Abstain, free)
	}
	t.RoomCounts = append(t.RoomCounts, bot.RoomCount{For: e.For, Against: e.Against, Abstain: e.Abstain, By: r.Actor, At: r.At})
	return nil
}

// setProxied marks who recorded something for a member (代录), in a copy of
// the map: the topic saved for undo keeps the old one.
func setProxied(t *bot.Topic, key, by string) {
	t.Proxied = maps.Clone(t.Proxied)
	if t.Proxied == nil {
		t.Proxied = map[string]string{}
	}
	t.Proxied[key] = by
}
