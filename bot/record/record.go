// Package record renders the official record sheet of a deliberation,
// 城乡社区议事协商记录表 (附件2 of 金市民〔2023〕43号), as Markdown and as a
// printable HTML page. Every field of the paper form is produced; a field
// the topic does not have yet says so ("(尚未表决)") instead of being left
// out, so a half-finished record is never mistaken for a complete one.
package record

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// Sheet is what the record sheet is made from.
type Sheet struct {
	Topic *bot.Topic
	// Names resolves a member ID to a display name; nil or "" falls back to
	// the ID itself.
	Names     func(memberID string) string
	Community string // display name of the community
	// Location is the community's time zone; nil means China Standard Time.
	Location *time.Location
	// Full is the topic with every round when Topic is the view of one of
	// them (bot.Topic.RoundView); nil means Topic itself.
	Full *bot.Topic
	// Now is when the sheet is printed (for 公示中 / 公示期满); zero: not said.
	Now time.Time
	// Unreached are stakeholders not yet told the result by any means.
	Unreached []string
	// OpenVotes is who voted what, for an open (举手) ballot only. It is
	// ignored unless the topic's ballot is explicitly open: a secret ballot
	// never shows names, whatever is passed here.
	OpenVotes []VoteLine
}

// VoteLine is one person's vote in an open ballot.
type VoteLine struct {
	Name   string
	Choice bot.Choice
	By     string // the clerk's name when the vote was recorded for the member (代投)
}

// chinaTime is UTC+8 without depending on the tz database being installed.
var chinaTime = time.FixedZone("CST", 8*3600)

// Placeholders for fields the topic does not have yet.
const (
	notVoted     = "(尚未表决)"
	notSet       = "(未定)"
	notFilled    = "(未填写)"
	notConfirmed = "(记录员尚未确认)"
)

// view is the sheet with every field already worded; both renderers print
// it, so the Markdown and the HTML cannot say different things.
type view struct {
	Community, ID, Title, Stage string
	Rounds                      string   // which round this sheet is, and the others
	Room                        []string // what clerks recorded for people in the room
	Publicity                   []string // the 公示 window, objections and answers, who was told
	Content, Affected           string
	Source, Category, Review    string
	Screening                   string

	Participants, Stakeholders string
	Attendance                 string
	PresentList, AbsentList    []string

	Time, Place, Form, Ballot, Rule, Deadline string
	Chair, Recorder, Supervisor               string

	Steps          []step
	Flow           []string
	Opinion        string
	Dissent        string
	Voted          bool
	Voters         int
	For, Against   int
	Abstain        int
	PctFor         string
	PctAgainst     string
	PctAbstain     string
	VoteNote       string
	OpenGroups     []voteGroup
	OpenNote       string
	VoteWindow     string
	Verdict        string
	RuleApplied    string
	Expected       string
	Present        string
	Arithmetic     string
	Agreed         bool
	NoQuorum       bool
	FollowUps      []followUp
	NoFollowUps    string
	Redeliberation string
	Signature      string
	Audit          string
	Filed          string
}

type step struct {
	Title string
	Lines []line
}

type line struct {
	At, Name, Text string
}

type voteGroup struct {
	Choice string
	Names  []string
}

type followUp struct {
	No, What, Who, Due, Supervision, Status string
}

// stepTitles are the four steps of the meeting (PROCESS.md stage 3).
var stepTitles = []string{
	"",
	"一、说明议题来源、审查情况、具体内容和议事规则",
	"二、对议题进行说明",
	"三、各方发表意见，组织协商",
	"四、对协商形成的基本共识进行表决",
}

type builder struct {
	s   Sheet
	t   *bot.Topic
	loc *time.Location
}

func (b builder) name(id string) string {
	if id == "" {
		return ""
	}
	if b.s.Names != nil {
		if n := b.s.Names(id); n != "" {
			return n
		}
	}
	return id
}

// actor names who did something: a member, or the system's own closers.
func (b builder) actor(id string) string {
	switch id {
	case "system":
		return "系统"
	case "deadline":
		return "表决截止时间到"
	case "all_voted":
		return "全部协商主体已表决"
	}
	return b.name(id)
}

// closer says how the vote was closed.
func (b builder) closer(r *bot.Result) string {
	switch {
	case r.Closed == bot.ClosedByDeadline:
		return b.actor("deadline")
	case r.Closed == bot.ClosedAllVoted:
		return b.actor("all_voted")
	case r.ClosedBy == "":
		return "结束方式未记录"
	}
	return b.name(r.ClosedBy) + "宣布结束"
}

func (b builder) when(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.In(b.loc).Format("2006年1月2日 15:04")
}

func or(s, zero string) string {
	if strings.TrimSpace(s) == "" {
		return zero
	}
	return s
}

func (b builder) names(ids []string) string {
	if len(ids) == 0 {
		return notFilled
	}
	ns := make([]string, len(ids))
	for i, id := range ids {
		ns[i] = b.name(id)
	}
	return strings.Join(ns, "、") + fmt.Sprintf("(共%d人)", len(ids))
}

// build words every field of the sheet.
func build(s Sheet) view {
	t := s.Topic
	if t == nil {
		t = &bot.Topic{}
	}
	loc := s.Location
	if loc == nil {
		loc = chinaTime
	}
	b := builder{s: s, t: t, loc: loc}
	v := view{
		Community: or(s.Community, or(t.Community, notFilled)),
		ID:        or(t.ID, "-"),
		Title:     or(t.Title, notFilled),
		Stage:     or(t.Stage.Chinese(), notFilled),
		Content:   or(t.Content, notFilled),
		Affected:  or(t.Affected, notFilled),
	}
	v.Rounds = b.rounds()
	v.Source = b.source()
	v.Category = b.category()
	v.Screening = b.screening()
	v.Review = b.review()
	v.Participants = b.names(t.Participants)
	v.Stakeholders = b.names(t.Stakeholders)
	b.attendance(&v)
	b.plan(&v)
	v.Chair = or(b.name(t.Chair), notSet)
	v.Recorder = or(b.name(t.Recorder), notSet)
	v.Supervisor = or(b.name(t.Supervisor), notSet)
	b.process(&v)
	b.vote(&v)
	b.result(&v)
	b.room(&v)
	b.publicity(&v)
	if t.MinutesBy != "" {
		v.Signature = fmt.Sprintf("%s(于%s确认)", b.name(t.MinutesBy), b.when(t.MinutesAt, "(时间未记录)"))
	} else {
		v.Signature = notConfirmed
	}
	if t.AuditedBy != "" {
		v.Audit = fmt.Sprintf("%s于%s审核", b.name(t.AuditedBy), b.when(t.AuditedAt, "(时间未记录)"))
	} else {
		v.Audit = "(村(居)务监督委员会尚未审核)"
	}
	return v
}

// rounds says which round of a topic held again this sheet is, and how to
// print the others (every round is kept: the guideline's 归档).
func (b builder) rounds() string {
	full := b.s.Full
	if full == nil {
		full = b.t
	}
	n := full.RoundCount()
	if n < 2 {
		return ""
	}
	var others []string
	for k := 1; k <= n; k++ {
		if k == b.t.Round {
			continue
		}
		rv, ok := full.RoundView(k)
		if !ok {
			continue
		}
		what := "尚未表决"
		if r := rv.Result; r != nil {
			verdict := map[bool]string{true: "通过", false: "未通过"}[r.Agreed]
			if !r.QuorumMet {
				verdict = "未达法定到会人数，不产生决定"
			}
			what = fmt.Sprintf("%s，赞成%d 反对%d 弃权%d / 实到%d", verdict, r.For, r.Against, r.Abstain, r.Present)
		}
		others = append(others, fmt.Sprintf("第%d轮(%s)", k, what))
	}
	return fmt.Sprintf("本表为第%d轮协商的记录(本议题共协商%d轮)。其他轮次：%s。查看某一轮：记录 #%s 第N轮，或 yishi record %s --round N。",
		b.t.Round, n, strings.Join(others, "；"), b.t.ID, b.t.ID)
}

func (b builder) source() string {
	t := b.t
	s := or(t.Channel.Chinese(), notFilled)
	var who []string
	if t.Proposer != "" {
		who = append(who, "提议人："+b.name(t.Proposer))
	}
	if !t.Created.IsZero() {
		who = append(who, b.when(t.Created, "")+"提出")
	}
	if len(who) > 0 {
		s += "(" + strings.Join(who, "，") + ")"
	}
	return s
}

func categoryText(n int) (string, bool) {
	if n < 1 || n >= len(bot.Categories) {
		return "", false
	}
	return fmt.Sprintf("六必议第%d项：%s", n, bot.Categories[n]), true
}

func (b builder) category() string {
	if c, ok := categoryText(b.t.Category); ok {
		return c
	}
	if c, ok := categoryText(b.t.Screening.Category); ok {
		return c + "(预审建议，尚未审定)"
	}
	return "(未分类)"
}

func (b builder) screening() string {
	sc := b.t.Screening
	var parts []string
	switch sc.Verdict {
	case "admissible":
		parts = append(parts, "预审：属于议事协商范围")
	case "review":
		parts = append(parts, "预审：需党组织审定时重点审查")
	case "excluded":
		parts = append(parts, "预审：可能属于五不议")
	case "":
		parts = append(parts, "预审：(未预审)")
	default:
		parts = append(parts, "预审："+sc.Verdict)
	}
	for _, r := range sc.Rules {
		if r >= 1 && r < len(bot.ExclusionRules) {
			parts = append(parts, fmt.Sprintf("五不议第%d项(%s)", r, bot.ExclusionRules[r]))
		}
	}
	parts = append(parts, sc.Reasons...)
	if sc.Override != "" {
		parts = append(parts, "审定人意见："+sc.Override)
	}
	return strings.Join(parts, "；")
}

// review is the 审查情况: the party organisation's decision, from History.
func (b builder) review() string {
	t := b.t
	for i := len(t.History) - 1; i >= 0; i-- {
		h := t.History[i]
		var what string
		switch h.To {
		case bot.StageApproved:
			what = "党组织已审定同意"
		case bot.StageDeclined:
			what = "党组织决定不予受理"
			if t.DeclineRule >= 1 && t.DeclineRule < len(bot.ExclusionRules) {
				what += fmt.Sprintf("(五不议第%d项：%s)", t.DeclineRule, bot.ExclusionRules[t.DeclineRule])
			}
		case bot.StageReturned:
			what = "党组织退回修改"
		default:
			continue
		}
		s := fmt.Sprintf("%s(%s，%s)", what, or(b.actor(h.By), "(未记录)"), b.when(h.At, "(时间未记录)"))
		if note := or(t.ReviewNote, h.Why); note != "" {
			s += "；审定意见：" + note
		}
		return s
	}
	if t.Stage == bot.StageDraft || t.Stage == bot.StagePendingReview || t.Stage == "" {
		return "(尚未审定)"
	}
	return "(审定记录缺失)"
}

func (b builder) attendance(v *view) {
	t := b.t
	var ids []string
	ids = append(ids, t.Participants...)
	var extra []string
	for id := range t.Attendance {
		if !slices.Contains(ids, id) {
			extra = append(extra, id)
		}
	}
	sort.Strings(extra)
	ids = append(ids, extra...)
	for _, id := range ids {
		at, ok := t.Attendance[id]
		switch {
		case ok && at.IsZero():
			v.PresentList = append(v.PresentList, b.name(id))
		case ok:
			v.PresentList = append(v.PresentList, fmt.Sprintf("%s(%s签到)", b.name(id), b.when(at, "")))
		default:
			v.AbsentList = append(v.AbsentList, b.name(id))
		}
	}
	if r := t.Result; r != nil {
		v.Attendance = fmt.Sprintf("应到%d人，实到%d人(表决时统计，列席/旁听人员不计)", r.Expected, r.Present)
		return
	}
	v.Attendance = fmt.Sprintf("%s；目前已签到%d人", notVoted, len(v.PresentList))
}

func (b builder) plan(v *view) {
	p := b.t.Plan
	v.Time = b.when(p.Time, notSet)
	if o := b.t.Opened; !o.IsZero() && !p.Time.IsZero() {
		// The plan is not what happened: the record shows when the meeting
		// really opened beside it.
		v.Time = "计划" + v.Time + "；实际" + b.when(o, "") + "开始"
		if d := p.Time.Sub(o); d > 2*time.Hour {
			v.Time += fmt.Sprintf("(比计划提前%s)", durationText(d))
		} else if d < -2*time.Hour {
			v.Time += fmt.Sprintf("(比计划推迟%s)", durationText(-d))
		}
	}
	v.Place = or(p.Place, notSet)
	v.Form = notSet
	if p.Form != "" {
		v.Form = p.Form.Chinese()
	}
	switch p.Ballot {
	case bot.BallotOpen, bot.BallotSecret:
		v.Ballot = p.Ballot.Chinese()
	default:
		v.Ballot = notSet
	}
	key := p.Preset
	if r := b.t.Result; r != nil && r.Preset != "" {
		key = r.Preset
	}
	v.Rule = ruleText(key)
	if p.Recusal {
		v.Rule += "；利益相关方回避表决"
	}
	if p.CoolingOffDays > 0 {
		v.Rule += fmt.Sprintf("；未通过的议题须满%d天后方可再议", p.CoolingOffDays)
	}
	if !p.Deadline.IsZero() {
		v.Deadline = "表决截止时间：" + b.when(p.Deadline, "")
	}
}

func presetOf(key string) (*bot.Preset, bool) {
	if key == "" {
		key = bot.DefaultPreset
	}
	return bot.PresetByName(key)
}

func ruleText(key string) string {
	p, ok := presetOf(key)
	if !ok {
		return "「" + key + "」(未知的规则，请核对)"
	}
	return fmt.Sprintf("「%s」(%s)：%s；%s", p.Name, p.Source, p.QuorumDoc, p.RuleDoc)
}

func (b builder) process(v *view) {
	t := b.t
	v.Steps = make([]step, len(stepTitles)-1, len(stepTitles))
	for i := range v.Steps {
		v.Steps[i].Title = stepTitles[i+1]
	}
	other := step{Title: "其他记录"}
	for _, st := range t.Statements {
		who := st.Name
		if who == "" {
			who = b.name(st.Member)
		}
		if who == "" {
			who = "程序记录"
		}
		if st.RecordedBy != "" {
			who += "(现场发言，" + b.name(st.RecordedBy) + "代记)"
		}
		l := line{At: b.when(st.At, "(时间未记录)"), Name: who, Text: or(st.Text, "(空)")}
		if st.Step >= 1 && st.Step < len(stepTitles) {
			v.Steps[st.Step-1].Lines = append(v.Steps[st.Step-1].Lines, l)
		} else {
			other.Lines = append(other.Lines, l)
		}
	}
	if len(other.Lines) > 0 {
		v.Steps = append(v.Steps, other)
	}
	for _, h := range t.History {
		s := fmt.Sprintf("%s %s → %s(%s)", b.when(h.At, "(时间未记录)"), or(h.From.Chinese(), "新建"), h.To.Chinese(), or(b.actor(h.By), "(未记录)"))
		if h.Why != "" {
			s += "：" + h.Why
		}
		v.Flow = append(v.Flow, s)
	}
	v.Opinion = or(t.Opinion, "(尚未形成提交表决的协商意见)")
}

// openBallot reports whether names may be shown: only an explicitly open
// ballot; a secret or unset ballot shows counts only.
func openBallot(t *bot.Topic) bool { return t.Plan.Ballot == bot.BallotOpen }

func (b builder) vote(v *view) {
	t := b.t
	r := t.Result
	if t.Plan.Ballot == bot.BallotSecret {
		v.VoteNote = "无记名投票：本表只记录票数，不记录任何人的选择。"
	} else if openBallot(t) {
		v.VoteNote = "举手表决(记名)。"
	} else {
		v.VoteNote = "表决方式未定，本表只记录票数。"
	}
	if !t.VoteOpened.IsZero() || (r != nil && !r.ClosedAt.IsZero()) {
		v.VoteWindow = fmt.Sprintf("表决时间：%s 开始", b.when(t.VoteOpened, "(时间未记录)"))
		if r != nil {
			v.VoteWindow += fmt.Sprintf("，%s 结束(%s)", b.when(r.ClosedAt, "(时间未记录)"), b.closer(r))
		}
	}
	if r == nil {
		v.Dissent = notVoted
		return
	}
	v.Voted = true
	v.Voters, v.For, v.Against, v.Abstain = r.Voters, r.For, r.Against, r.Abstain
	v.PctFor = bot.Percent(r.For, r.Voters)
	v.PctAgainst = bot.Percent(r.Against, r.Voters)
	v.PctAbstain = bot.Percent(r.Abstain, r.Voters)
	v.Dissent = fmt.Sprintf("表决中反对%d人、弃权%d人。", r.Against, r.Abstain)
	if openBallot(t) && len(b.s.OpenVotes) > 0 {
		for _, c := range []bot.Choice{bot.ChoiceFor, bot.ChoiceAgainst, bot.ChoiceAbstain} {
			g := voteGroup{Choice: c.Chinese()}
			for _, l := range b.s.OpenVotes {
				if l.Choice == c {
					n := or(l.Name, "(无名)")
					if l.By != "" {
						n += "(" + l.By + "代录)"
					}
					g.Names = append(g.Names, n)
				}
			}
			v.OpenGroups = append(v.OpenGroups, g)
			if c == bot.ChoiceAgainst && len(g.Names) > 0 {
				v.Dissent = fmt.Sprintf("表决中反对%d人(%s)、弃权%d人。", r.Against, strings.Join(g.Names, "、"), r.Abstain)
			}
		}
		rf, ra, rab := t.ConfirmedRoomCount()
		if room := rf + ra + rab; len(b.s.OpenVotes)+room != r.Voters {
			also := ""
			if room > 0 {
				also = fmt.Sprintf("(另有现场计票%d票)", room)
			}
			v.OpenNote = fmt.Sprintf("注意：记名名单%d人%s，与表决人数%d人不一致，请核对。", len(b.s.OpenVotes), also, r.Voters)
		}
	}
	if r.Voters != r.For+r.Against+r.Abstain {
		v.OpenNote = strings.TrimSpace(v.OpenNote + fmt.Sprintf(" 注意：赞成、反对、弃权合计%d人，与表决人数%d人不一致，请核对。", r.For+r.Against+r.Abstain, r.Voters))
	}
	v.Dissent += "发言中的不同意见见协商过程第三步。"
}

func (b builder) result(v *view) {
	t := b.t
	r := t.Result
	v.Redeliberation = or(t.Redeliberation, "(尚未记录再次协商的时机和要求)")
	if t.Stage == bot.StageTerminated {
		v.Redeliberation = "终止议事协商。" + strings.TrimPrefix(or(t.Redeliberation, ""), "终止议事协商。")
	}
	v.NoFollowUps = "(尚未登记可落实的协商意见)"
	for _, f := range t.FollowUps {
		v.FollowUps = append(v.FollowUps, followUp{
			No:          fmt.Sprintf("#%d", f.No),
			What:        or(f.What, notFilled),
			Who:         or(b.name(f.Responsible), notFilled),
			Due:         b.when(f.Due, notSet),
			Supervision: or(f.Supervision, notFilled),
			Status:      or(f.Status.Chinese(), "(状态未记录)"),
		})
	}
	for _, h := range t.History {
		if h.To == bot.StagePublished {
			v.Filed = fmt.Sprintf("已公示、向党组织备案(%s，%s)", b.actor(h.By), b.when(h.At, "(时间未记录)"))
		}
	}
	if v.Filed == "" {
		v.Filed = "(尚未公示、备案)"
	}
	if r == nil {
		v.Verdict = notVoted
		v.RuleApplied = ruleText(t.Plan.Preset)
		v.Expected, v.Present, v.Arithmetic = notVoted, notVoted, notVoted
		return
	}
	v.RuleApplied = ruleText(r.Preset)
	v.Expected = fmt.Sprintf("%d人", r.Expected)
	if e := t.Plan.Eligible; e > 0 && e != r.Expected {
		// The assembly presets count the quorum against the statutory base,
		// and the record says which (adults or households, art. 22).
		basis := ""
		if p, ok := presetOf(r.Preset); ok {
			basis = p.Basis
		}
		v.Expected += fmt.Sprintf("(到会人数按法定基数：%s计算)", bot.BaseDoc(basis, e))
	}
	v.Present = fmt.Sprintf("%d人", r.Present)
	v.Arithmetic = or(r.Arithmetic, notFilled)
	v.Agreed = r.QuorumMet && r.Agreed
	v.NoQuorum = !r.QuorumMet
	switch {
	case !r.QuorumMet:
		v.Verdict = "到会人数不足，表决不产生决定(未达成一致意见)"
	case r.Agreed:
		v.Verdict = "协商主体达成一致意见(表决通过)"
	default:
		v.Verdict = "未达成一致意见(表决未通过)"
	}
}

// durationText is a duration in days and hours, in Chinese.
func durationText(d time.Duration) string {
	h := int(d.Round(time.Hour).Hours())
	switch {
	case h >= 24 && h%24 == 0:
		return fmt.Sprintf("%d天", h/24)
	case h >= 24:
		return fmt.Sprintf("%d天%d小时", h/24, h%24)
	}
	return fmt.Sprintf("%d小时", h)
}

// room lists what was recorded for people in the room (代录).
func (b builder) room(v *view) {
	t := b.t
	if len(t.Clerks) > 0 {
		v.Room = append(v.Room, "主持人指定的代录员："+b.names(t.Clerks))
	}
	var proxied []string
	for _, id := range t.Participants {
		if by := t.Proxied["checkin:"+id]; by != "" {
			proxied = append(proxied, b.name(id)+"("+b.name(by)+"代签到)")
		}
	}
	if len(proxied) > 0 {
		v.Room = append(v.Room, fmt.Sprintf("现场签到由代录员登记(%d人)：%s", len(proxied), strings.Join(proxied, "、")))
	}
	for _, w := range t.WalkIns {
		if w.ConfirmedBy != "" {
			v.Room = append(v.Room, fmt.Sprintf("临时参会，经主持人确认为协商主体(计入实到，在现场计票中表决)：%s，%s(%s于%s登记，%s于%s确认)",
				w.Name, w.Role, b.name(w.By), b.when(w.At, ""), b.name(w.ConfirmedBy), b.when(w.ConfirmedAt, "")))
			continue
		}
		v.Room = append(v.Room, fmt.Sprintf("临时参会(列席，不参加表决)：%s，%s(%s于%s登记)", w.Name, w.Role, b.name(w.By), b.when(w.At, "")))
	}
	if t.HeadCount > 0 {
		v.Room = append(v.Room, fmt.Sprintf("现场清点到会人数：%d人(未逐个签到，由%s清点登记，计入实到)", t.HeadCount, b.name(t.HeadCountBy)))
	}
	for _, r := range t.RoomCounts {
		s := fmt.Sprintf("现场计票：赞成%d 反对%d 弃权%d(%s于%s计票", r.For, r.Against, r.Abstain, b.name(r.By), b.when(r.At, ""))
		if r.ConfirmedBy != "" {
			s += fmt.Sprintf("，%s于%s确认，已计入表决结果)", b.name(r.ConfirmedBy), b.when(r.ConfirmedAt, ""))
		} else {
			s += "，未经第二人确认，不计入表决结果)"
		}
		v.Room = append(v.Room, s)
	}
	if t.QuorumWaived != "" {
		v.Room = append(v.Room, "本次表决未达到法定到会人数，主持人说明理由后进行："+t.QuorumWaived+"。按规定，未达法定人数的表决不产生决定。")
	}
}

// publicity is the 公示 window, its objections and answers, and who outside
// the chat was told how.
func (b builder) publicity(v *view) {
	t := b.t
	if !t.ObjectionsUntil.IsZero() {
		s := "公示期至" + b.when(t.ObjectionsUntil, "")
		switch {
		case b.s.Now.IsZero():
		case b.s.Now.After(t.ObjectionsUntil):
			s += "，公示期满"
		default:
			s += "，公示中"
		}
		v.Publicity = append(v.Publicity, s+fmt.Sprintf("；收到异议%d条，尚未答复%d条", len(t.Objections), len(t.OpenObjections())))
	}
	for _, o := range t.Objections {
		s := fmt.Sprintf("异议%d：%s于%s提出：%s", o.No, b.name(o.By), b.when(o.At, ""), o.Text)
		if o.AnsweredBy != "" {
			s += fmt.Sprintf("；答复(%s，%s)：%s", b.name(o.AnsweredBy), b.when(o.AnsweredAt, ""), o.Answer)
		} else {
			s += "；尚未答复"
		}
		v.Publicity = append(v.Publicity, s)
	}
	for _, n := range t.Notices {
		v.Publicity = append(v.Publicity, fmt.Sprintf("已通报：%s(%s，%s于%s登记)", n.Name, n.Method, b.name(n.By), b.when(n.At, "")))
	}
	if t.Published != nil && len(b.s.Unreached) > 0 {
		v.Publicity = append(v.Publicity, "尚未通报："+strings.Join(b.s.Unreached, "、")+"(不在群里或收不到私聊，请用「已通报 #"+t.ID+" 姓名 电话|上门|书面」登记)")
	}
}
