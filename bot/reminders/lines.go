// Package reminders decides which follow-up reminders go to whom and when
// (stage 5 of PROCESS.md): each supervision committee member gets ONE
// private digest per scheduled run of their community's cron spec, the
// member responsible for an item hears in the same run of their own items
// due soon, overdue or without progress, the party secretary gets items
// overdue by more than K days, and participants get
// meeting reminders a day and an hour before the meeting. Nothing is sent in
// quiet hours; it waits until they end.
//
// Every reminder line has a key (recipient, kind, subject, period). A line
// is sent only if its key is not in the engine's reminder log, and the key
// is written in the same Engine.Do as the Tx.Send that queues the message,
// so both commit in one batch. That gives:
//
//   - nothing missed: a crash before the commit loses both the message and
//     the mark, and the next run (the start-up catch-up) queues it again;
//     after the commit the transactional outbox delivers it, retrying with
//     backoff until the platform accepts it;
//   - nothing doubled by the scheduler: a run after the commit finds the
//     mark. The only possible duplicate is the outbox's: when the process
//     dies after the platform accepted a message but before the outbox
//     deleted it, the message is sent once more at restart (the platforms
//     offer no idempotent send). At-least-once, with at most one repeat.
//
// The period makes a recurring concern come back at a sensible pace: an
// item due soon is reminded once per due date; an overdue, stale, blocked
// or unconfirmed item and an unaudited record come back every stale_days
// days while the concern lasts; an escalation and a re-deliberation date
// are reminded once.
package reminders

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
)

// Kind is what a reminder line is about.
type Kind string

// Reminder kinds, in the order a digest lists them.
const (
	KindOverdue      Kind = "overdue"      // 已逾期
	KindDueSoon      Kind = "due_soon"     // 即将到期
	KindStale        Kind = "stale"        // 久无进展
	KindBlocked      Kind = "blocked"      // 受阻
	KindAwaiting     Kind = "awaiting"     // 已完成待确认
	KindUnaudited    Kind = "unaudited"    // 记录未审核
	KindRedeliberate Kind = "redeliberate" // 再议时间已到
	KindEscalate     Kind = "escalate"     // 逾期升级(给书记)
	KindMeetingDay   Kind = "meeting_day"  // 会议前一天
	KindMeetingHour  Kind = "meeting_hour" // 会议前一小时
)

var digestOrder = []Kind{KindOverdue, KindDueSoon, KindStale, KindBlocked, KindAwaiting, KindUnaudited, KindRedeliberate}

var kindTitles = map[Kind]string{
	KindOverdue:      "已逾期的落实事项",
	KindDueSoon:      "即将到期的落实事项",
	KindStale:        "长时间没有进展反馈的落实事项",
	KindBlocked:      "受阻的落实事项",
	KindAwaiting:     "已完成待确认的落实事项(请核实后发「确认落实 #编号」或「退回落实 #编号 理由」)",
	KindUnaudited:    "尚未审核的议事协商记录(齐全后发「审核记录 #议题编号」)",
	KindRedeliberate: "约定的再议时间已到的议题",
	KindEscalate:     "逾期升级的落实事项",
	KindMeetingDay:   "会议提醒(前一天)",
	KindMeetingHour:  "会议提醒(前一小时)",
}

// Chinese names the kind.
func (k Kind) Chinese() string { return kindTitles[k] }

// Line is one thing a reminder is about.
type Line struct {
	Kind   Kind   `json:"kind"`
	Topic  string `json:"topic"`
	Item   int    `json:"item,omitempty"` // follow-up number; 0 for a topic
	Period string `json:"period"`         // which occurrence of the concern
	Text   string `json:"text"`
}

// Key identifies the line for recipient to in the reminder log.
func (l Line) Key(to string) string {
	subject := "topic-" + l.Topic
	if l.Item > 0 {
		subject = "item-" + strconv.Itoa(l.Item)
	}
	return to + "/" + string(l.Kind) + "/" + subject + "/" + l.Period
}

// Message is one private reminder.
type Message struct {
	Community string `json:"community"`
	To        string `json:"to"` // member id
	ToName    string `json:"to_name"`
	Why       string `json:"why"` // why this person gets it
	Lines     []Line `json:"lines"`
	Text      string `json:"text"`
	owner     bool   // to the member responsible, not a supervisor's digest
}

// day is a calendar day in the community's time zone, as days since
// 1970-01-01; comparing days instead of durations keeps "due today" and
// "3 days left" right whatever the hour of the run.
func day(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func dateText(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006年1月2日") }

// every is a period index that changes every n days (n < 1 counts as 1).
func every(days, n int) int {
	if n < 1 {
		n = 1
	}
	return days / n
}

// lastActivity is when an item last had a progress note, or when its topic
// entered follow-up (publication, else the vote) if it has none.
func lastActivity(t *bot.Topic, f *bot.FollowUp) time.Time {
	if n := len(f.Progress); n > 0 {
		return f.Progress[n-1].At
	}
	for i := len(t.History) - 1; i >= 0; i-- {
		if t.History[i].To == bot.StagePublished {
			return t.History[i].At
		}
	}
	if t.Result != nil {
		return t.Result.ClosedAt
	}
	return t.Created
}

func followUpStage(s bot.Stage) bool {
	return s == bot.StageVoted || s == bot.StagePublished || s == bot.StageImplementing
}

// collector gathers the lines of one community at one moment. Lines are
// only built for what is due, so memory follows the reminders, not the
// items stored.
type collector struct {
	tx    *engine.Tx
	c     *config.Community
	now   time.Time
	today int
}

func newCollector(tx *engine.Tx, c *config.Community, now time.Time) *collector {
	return &collector{tx: tx, c: c, now: now, today: day(now, c.Location)}
}

func (k *collector) name(id string) string { return k.tx.Name(k.c.ID, id) }

func (k *collector) itemHead(t *bot.Topic, f *bot.FollowUp) string {
	return fmt.Sprintf("#%d %s(议题 %s)，责任人%s，期限%s", f.No, f.What, t.Label(), k.name(f.Responsible), dateText(f.Due, k.c.Location))
}

// digest returns the supervisors' lines, the secretary's escalations and,
// per responsible member, the lines about their own items (due soon,
// overdue, no progress): the person who must act hears it too, not only
// those who supervise.
func (k *collector) digest() (sup, esc []Line, owners map[string][]Line) {
	owner := func(f *bot.FollowUp, l Line) {
		if owners == nil {
			owners = map[string][]Line{}
		}
		owners[f.Responsible] = append(owners[f.Responsible], l)
	}
	r := k.c.Reminders
	loc := k.c.Location
	k.tx.EachTopic(k.c.ID, func(t *bot.Topic) bool {
		if t.Result != nil && t.AuditedBy == "" {
			age := k.today - day(t.Result.ClosedAt, loc)
			missing := engine.CheckRecord(t)
			text := fmt.Sprintf("议题 %s 于%s表决，记录已齐全，请审核：发「审核记录 #%s」", t.Label(), dateText(t.Result.ClosedAt, loc), t.ID)
			if len(missing) > 0 {
				fields := make([]string, len(missing))
				for i, m := range missing {
					fields[i] = m.Problem
				}
				text = fmt.Sprintf("议题 %s 于%s表决，记录尚缺%d项：%s", t.Label(), dateText(t.Result.ClosedAt, loc), len(missing), strings.Join(fields, "；"))
			}
			sup = append(sup, Line{Kind: KindUnaudited, Topic: t.ID, Period: strconv.Itoa(every(age, r.StaleDays)), Text: text})
		}
		if t.Stage == bot.StageRedeliberate {
			if when, ok := RedeliberationDate(t, loc); ok && day(when, loc) <= k.today {
				sup = append(sup, Line{Kind: KindRedeliberate, Topic: t.ID, Period: when.In(loc).Format("2006-01-02"),
					Text: fmt.Sprintf("议题 %s 约定%s再议，时间已到。再议安排：%s", t.Label(), dateText(when, loc), t.Redeliberation)})
			}
		}
		if !followUpStage(t.Stage) {
			return true
		}
		for i := range t.FollowUps {
			f := &t.FollowUps[i]
			if f.Status == bot.FollowUpConfirmed {
				continue
			}
			// One line per item and digest, by what needs the supervisor
			// most: a report to confirm, then overdue, blocked, due soon,
			// and last no progress.
			overdue := k.today - day(f.Due, loc)
			at := lastActivity(t, f)
			idle := k.today - day(at, loc)
			// Strings are built only for lines that are made: memory follows
			// the reminders due, not the items stored.
			due := func() string { return f.Due.In(loc).Format("2006-01-02") }
			since := func() string { return at.In(loc).Format("2006-01-02") + "/" + strconv.Itoa(every(idle, r.StaleDays)) }
			blocked := ""
			if f.Status == bot.FollowUpBlocked && len(f.Progress) > 0 {
				blocked = fmt.Sprintf("，%s受阻：%s", dateText(at, loc), strings.TrimPrefix(f.Progress[len(f.Progress)-1].Text, "受阻："))
			}
			switch {
			case f.Status == bot.FollowUpDone:
				sup = append(sup, Line{Kind: KindAwaiting, Topic: t.ID, Item: f.No, Period: since(),
					Text: fmt.Sprintf("%s，%s于%s反馈已完成：%s", k.itemHead(t, f), k.name(lastBy(f)), dateText(at, loc), f.Evidence)})
			case overdue > 0:
				l := Line{Kind: KindOverdue, Topic: t.ID, Item: f.No, Period: due() + "/" + strconv.Itoa(every(overdue-1, r.StaleDays)),
					Text: fmt.Sprintf("%s，已逾期%d天，现在「%s」%s", k.itemHead(t, f), overdue, f.Status.Chinese(), blocked)}
				sup = append(sup, l)
				owner(f, l)
				if overdue > r.EscalateAfterDays {
					esc = append(esc, Line{Kind: KindEscalate, Topic: t.ID, Item: f.No, Period: due(),
						Text: fmt.Sprintf("%s，已逾期%d天(超过%d天)仍未落实，现在「%s」%s", k.itemHead(t, f), overdue, r.EscalateAfterDays, f.Status.Chinese(), blocked)})
				}
			case f.Status == bot.FollowUpBlocked:
				sup = append(sup, Line{Kind: KindBlocked, Topic: t.ID, Item: f.No, Period: since(), Text: k.itemHead(t, f) + blocked})
			case -overdue <= r.DueWithinDays:
				left := "今天到期"
				if overdue < 0 {
					left = fmt.Sprintf("还有%d天", -overdue)
				}
				l := Line{Kind: KindDueSoon, Topic: t.ID, Item: f.No, Period: due(),
					Text: fmt.Sprintf("%s(%s)，现在「%s」", k.itemHead(t, f), left, f.Status.Chinese())}
				sup = append(sup, l)
				owner(f, l)
			case idle >= max(r.StaleDays, 1):
				l := Line{Kind: KindStale, Topic: t.ID, Item: f.No, Period: since(),
					Text: fmt.Sprintf("%s，已有%d天没有进展反馈(上次：%s)，现在「%s」", k.itemHead(t, f), idle, dateText(at, loc), f.Status.Chinese())}
				sup = append(sup, l)
				owner(f, l)
			}
		}
		return true
	})
	slices.SortStableFunc(sup, func(a, b Line) int { return slices.Index(digestOrder, a.Kind) - slices.Index(digestOrder, b.Kind) })
	return sup, esc, owners
}

func lastBy(f *bot.FollowUp) string {
	if n := len(f.Progress); n > 0 {
		return f.Progress[n-1].By
	}
	return f.Responsible
}

// meetings returns, per participant, the meeting reminders due now: a day
// before (from 24 h to 1 h before the meeting) and an hour before. A
// reminder whose window passed (the bot was down, or quiet hours lasted
// into it) is dropped rather than sent late, and none is sent when the
// notice itself went out inside the window.
func (k *collector) meetings() map[string][]Line {
	var out map[string][]Line
	loc := k.c.Location
	k.tx.EachTopic(k.c.ID, func(t *bot.Topic) bool {
		if t.Stage != bot.StageNotified || t.Plan.Time.IsZero() {
			return true
		}
		at := t.Plan.Time
		var notified time.Time
		for i := len(t.History) - 1; i >= 0; i-- {
			if t.History[i].To == bot.StageNotified {
				notified = t.History[i].At
				break
			}
		}
		var l Line
		switch {
		case !k.now.Before(at):
			return true
		case !k.now.Before(at.Add(-time.Hour)):
			if notified.After(at.Add(-time.Hour)) {
				return true
			}
			l = Line{Kind: KindMeetingHour, Text: fmt.Sprintf("【会议提醒】议题 %s 的协商会议将于1小时后(%s)在%s举行(%s)。请准时参加，到场后在群里发「签到」。",
				t.Label(), at.In(loc).Format("15:04"), t.Plan.Place, t.Plan.Form.Chinese())}
		case !k.now.Before(at.Add(-24 * time.Hour)):
			if notified.After(at.Add(-24 * time.Hour)) {
				return true
			}
			when := "明天"
			if day(at, loc) == k.today {
				when = "今天"
			}
			l = Line{Kind: KindMeetingDay, Text: fmt.Sprintf("【会议提醒】议题 %s 的协商会议定于%s(%s) %s在%s举行(%s)。请安排好时间准时参加。",
				t.Label(), when, at.In(loc).Format("1月2日"), at.In(loc).Format("15:04"), t.Plan.Place, t.Plan.Form.Chinese())}
		default:
			return true
		}
		l.Topic, l.Period = t.ID, at.UTC().Format("20060102T1504")
		for _, p := range t.Participants {
			if k.c.Member(p) == nil {
				continue
			}
			if out == nil {
				out = map[string][]Line{}
			}
			out[p] = append(out[p], l)
		}
		return true
	})
	return out
}

// digestText is the text of one supervisor's digest.
func digestText(c *config.Community, name string, now time.Time, lines []Line) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "【落实跟进提醒】%s %s\n%s，您好。以下事项需要监委会跟进：", c.Name, dateText(now, c.Location), name)
	n := 0
	for _, kind := range digestOrder {
		var ls []Line
		for _, l := range lines {
			if l.Kind == kind {
				ls = append(ls, l)
			}
		}
		if len(ls) == 0 {
			continue
		}
		n++
		fmt.Fprintf(&sb, "\n%s、%s(%d)：", chineseNumber(n), kind.Chinese(), len(ls))
		for _, l := range ls {
			sb.WriteString("\n· " + l.Text)
		}
	}
	sb.WriteString("\n发「待办」可随时查看全部待跟进事项；发「进展 #编号」查看某个事项。")
	return sb.String()
}

// ownerText is the reminder to the member responsible for the items.
func ownerText(c *config.Community, name string, now time.Time, lines []Line) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "【落实事项提醒】%s %s\n%s，您好。您负责的落实事项：", c.Name, dateText(now, c.Location), name)
	for _, l := range lines {
		sb.WriteString("\n· " + l.Kind.short() + "：" + l.Text)
	}
	sb.WriteString("\n请发「反馈 #事项编号 进展情况」告诉大家进展，完成后发「反馈 #事项编号 已完成……」；遇到困难发「受阻 #事项编号 原因」。")
	return sb.String()
}

// short is a line kind in a word, for the owner's reminder.
func (k Kind) short() string {
	switch k {
	case KindOverdue:
		return "已逾期"
	case KindDueSoon:
		return "即将到期"
	case KindStale:
		return "久无进展"
	}
	return k.Chinese()
}

func escalationText(c *config.Community, name string, now time.Time, lines []Line) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "【逾期升级】%s %s\n%s书记，您好。以下落实事项逾期超过%d天仍未落实，按规定报告党组织：", c.Name, dateText(now, c.Location), name, c.Reminders.EscalateAfterDays)
	for _, l := range lines {
		sb.WriteString("\n· " + l.Text)
	}
	sb.WriteString("\n请督促责任人尽快落实或说明原因。")
	return sb.String()
}

func chineseNumber(n int) string {
	digits := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
	if n <= 10 {
		return digits[n]
	}
	return strconv.Itoa(n)
}

// Filter decides whether a line still has to go to a recipient.
type Filter func(to string, l Line) bool

// Unsent keeps the lines not yet in tx's reminder log.
func Unsent(tx *engine.Tx, comm string) Filter {
	return func(to string, l Line) bool { return !tx.Reminded(comm, l.Key(to)) }
}

// Digests builds community c's scheduled messages at now: one digest per
// supervision committee member and one escalation per party secretary,
// holding only the lines keep accepts (nil keeps all).
func Digests(tx *engine.Tx, c *config.Community, now time.Time, keep Filter) []Message {
	k := newCollector(tx, c, now)
	sup, esc, owners := k.digest()
	var out []Message
	if len(sup) > 0 {
		for _, m := range c.WithRole(bot.RoleSupervisor) {
			if ls := filter(m.ID, sup, keep); len(ls) > 0 {
				out = append(out, Message{Community: c.ID, To: m.ID, ToName: m.Name, Why: "监督委员会成员：落实跟进汇总",
					Lines: ls, Text: digestText(c, m.Name, now, ls)})
			}
		}
	}
	for _, m := range c.Roster { // roster order: stable output
		// A supervisor who is also responsible reads it in the digest.
		if m.Has(bot.RoleSupervisor) {
			continue
		}
		if ls := filter(m.ID, owners[m.ID], keep); len(ls) > 0 {
			out = append(out, Message{Community: c.ID, To: m.ID, ToName: m.Name, Why: "落实责任人：自己负责的事项到期、逾期或久无进展",
				Lines: ls, Text: ownerText(c, m.Name, now, ls), owner: true})
		}
	}
	if len(esc) > 0 {
		for _, m := range c.WithRole(bot.RoleSecretary) {
			if ls := filter(m.ID, esc, keep); len(ls) > 0 {
				out = append(out, Message{Community: c.ID, To: m.ID, ToName: m.Name,
					Why:   fmt.Sprintf("党组织书记：逾期超过%d天升级", c.Reminders.EscalateAfterDays),
					Lines: ls, Text: escalationText(c, m.Name, now, ls)})
			}
		}
	}
	return out
}

// Meetings builds community c's meeting reminders due at now, one message
// per participant and reminder.
func Meetings(tx *engine.Tx, c *config.Community, now time.Time, keep Filter) []Message {
	byMember := newCollector(tx, c, now).meetings()
	if len(byMember) == 0 {
		return nil
	}
	var out []Message
	for _, m := range c.Roster { // roster order: stable output
		for _, l := range filter(m.ID, byMember[m.ID], keep) {
			out = append(out, Message{Community: c.ID, To: m.ID, ToName: m.Name, Why: "参会人员：" + l.Kind.Chinese(),
				Lines: []Line{l}, Text: l.Text})
		}
	}
	return out
}

func filter(to string, lines []Line, keep Filter) []Line {
	if keep == nil {
		return lines
	}
	var out []Line
	for _, l := range lines {
		if keep(to, l) {
			out = append(out, l)
		}
	}
	return out
}

// Todo is a supervisor's digest on demand (待办): every current line,
// whether or not it was reminded before. For someone who is not on the
// supervision committee it lists the open items they are responsible for.
func Todo(tx *engine.Tx, c *config.Community, m *bot.Member, now time.Time) string {
	if m.Has(bot.RoleSupervisor) {
		k := newCollector(tx, c, now)
		sup, _, _ := k.digest()
		if len(sup) == 0 {
			return fmt.Sprintf("%s，目前没有需要监委会跟进的事项。", m.Name)
		}
		return digestText(c, m.Name, now, sup)
	}
	var sb strings.Builder
	n := 0
	tx.EachTopic(c.ID, func(t *bot.Topic) bool {
		for _, f := range t.FollowUps {
			if f.Responsible == m.ID && f.Status != bot.FollowUpConfirmed {
				n++
				fmt.Fprintf(&sb, "\n· #%d %s(议题 %s)，期限%s，现在「%s」", f.No, f.What, t.Label(), dateText(f.Due, c.Location), f.Status.Chinese())
			}
		}
		return true
	})
	if n == 0 {
		return fmt.Sprintf("%s，您目前没有待办的落实事项。「待办」汇总是给监委会成员和落实责任人用的。", m.Name)
	}
	return fmt.Sprintf("%s，您负责的落实事项(%d项)：%s\n有进展请发「反馈 #编号 进展情况」，遇到困难请发「受阻 #编号 原因」。", m.Name, n, sb.String())
}
