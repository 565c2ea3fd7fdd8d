package web

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/record"
	"github.com/yishi-community/yishi/bot/reminders"
)

// Public reports whether a topic is on the public board: from 审定 on. A
// draft, a proposal awaiting 审定 and one returned for changes are between
// the proposer and the party organisation.
func Public(t *bot.Topic) bool {
	switch t.Stage {
	case bot.StageDraft, bot.StagePendingReview, bot.StageReturned, "":
		return false
	}
	return true
}

// publicIn is Public under community c's public_from: with "published"
// only topics with a round published (公示) show, and declined ones do not.
func publicIn(c *config.Community, t *bot.Topic) bool {
	if !Public(t) {
		return false
	}
	if c == nil || c.PublicFrom != config.PublicFromPublished {
		return true
	}
	if t.Published != nil {
		return true
	}
	for _, r := range t.Rounds {
		if r.Published != nil {
			return true
		}
	}
	return false
}

// sections are the board's headings in order, each with its stages.
var sections = []struct {
	Title  string
	Stages []bot.Stage
}{
	{"协商进行中", []bot.Stage{bot.StageApproved, bot.StageNotified, bot.StageDeliberating, bot.StageVoting}},
	{"已表决、公示中", []bot.Stage{bot.StageVoted, bot.StagePublished}},
	{"落实中", []bot.Stage{bot.StageImplementing}},
	{"再议", []bot.Stage{bot.StageRedeliberate}},
	{"已办结", []bot.Stage{bot.StageCompleted}},
	{"已终止", []bot.Stage{bot.StageTerminated}},
	{"不予受理", []bot.Stage{bot.StageDeclined}},
}

// pubTopic is what the public sees of a topic; it is plain strings built
// inside one engine read.
type pubTopic struct {
	ID, Title, Stage, StageKey string
	Declined                   bool
	Rule                       string // the 五不议 rule of a declined topic
	Created                    string
	created                    time.Time
	Result                     string
	Next                       string
	Objections                 string
	Items                      []pubItem
	Rounds                     []pubRound
	History                    []string
	Comm                       string
}

type pubItem struct {
	No                           int
	What, Who, Due, Status, Note string
	Overdue                      bool
	Progress                     []string
}

type pubRound struct {
	No                       int
	Meeting, Result, Opinion string
	Publication, Anchor      string
	Objections               []string
	Redeliberation           string
}

type builder struct {
	tx  *engine.Tx
	c   *config.Community
	loc *time.Location
	now time.Time
}

func newBuilder(tx *engine.Tx, c *config.Community) builder {
	loc := c.Location
	if loc == nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return builder{tx: tx, c: c, loc: loc, now: tx.Now()}
}

func (b builder) day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(b.loc).Format("2006年1月2日")
}

func (b builder) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(b.loc).Format("2006年1月2日 15:04")
}

func (b builder) name(id string) string { return b.tx.Name(b.c.ID, id) }

// ruleText names a 五不议 rule.
func ruleText(n int) string {
	if n >= 1 && n < len(bot.ExclusionRules) {
		return fmt.Sprintf("五不议第%d条：%s", n, bot.ExclusionRules[n])
	}
	return "五不议(条目未记录)"
}

// resultText sums a closed vote up for the public.
func resultText(r *bot.Result) string {
	if r == nil {
		return ""
	}
	verdict := "未通过"
	switch {
	case !r.QuorumMet:
		verdict = "到会人数不足，不形成决定"
	case r.Agreed:
		verdict = "通过"
	}
	return fmt.Sprintf("%s(赞成%d 反对%d 弃权%d / 实到%d)", verdict, r.For, r.Against, r.Abstain, r.Present)
}

// topic builds the public view; ok is false for a topic that is not public.
func (b builder) topic(t *bot.Topic, full bool) (pubTopic, bool) {
	if !publicIn(b.c, t) {
		return pubTopic{}, false
	}
	p := pubTopic{ID: t.ID, Stage: t.Stage.Chinese(), StageKey: string(t.Stage), Created: b.day(t.Created), created: t.Created, Comm: b.c.ID}
	if t.Stage == bot.StageDeclined {
		// Only the rule invoked: the proposal itself, who made it and the
		// reviewer's words stay private.
		p.Declined, p.Rule, p.Title = true, ruleText(t.DeclineRule), "(不予受理的提议不公开内容)"
		p.Result = "不予受理：" + p.Rule
		return p, true
	}
	p.Title = t.Title
	if t.Stage != bot.StageVoting {
		p.Result = resultText(t.Result)
	}
	if p.Result == "" && t.Stage == bot.StageVoting {
		p.Result = "表决进行中(结果在表决结束后公布)"
	}
	p.Next = b.next(t)
	if !t.ObjectionsUntil.IsZero() && b.now.Before(t.ObjectionsUntil) {
		p.Objections = fmt.Sprintf("公示期至%s，期内可在群里发「异议 #%s 理由」", b.when(t.ObjectionsUntil), t.ID)
		if n := len(t.OpenObjections()); n > 0 {
			p.Objections += fmt.Sprintf("；有%d条异议待主持人答复", n)
		}
	}
	for _, f := range t.FollowUps {
		it := pubItem{No: f.No, What: f.What, Who: b.name(f.Responsible), Due: b.day(f.Due), Status: f.Status.Chinese(), Note: f.Supervision}
		it.Overdue = f.Status != bot.FollowUpConfirmed && !f.Due.IsZero() && b.now.After(f.Due)
		if full {
			for _, pr := range f.Progress {
				it.Progress = append(it.Progress, fmt.Sprintf("%s %s：%s", b.when(pr.At), b.name(pr.By), pr.Text))
			}
			if f.ConfirmedBy != "" {
				it.Progress = append(it.Progress, fmt.Sprintf("%s %s确认已落实", b.when(f.ConfirmedAt), b.name(f.ConfirmedBy)))
			}
		}
		p.Items = append(p.Items, it)
	}
	if !full {
		return p, true
	}
	for k := 1; k <= t.RoundCount(); k++ {
		v, ok := t.RoundView(k)
		if !ok {
			continue
		}
		p.Rounds = append(p.Rounds, b.round(v))
	}
	for _, h := range t.History {
		// The stage and the date only: a transition's reason can be a
		// reviewer's private note.
		p.History = append(p.History, fmt.Sprintf("%s %s → %s", b.when(h.At), h.From.Chinese(), h.To.Chinese()))
	}
	return p, true
}

func (b builder) round(v *bot.Topic) pubRound {
	r := pubRound{No: v.Round, Opinion: v.Opinion, Redeliberation: v.Redeliberation}
	if !v.Plan.Time.IsZero() {
		r.Meeting = fmt.Sprintf("%s，%s，%s", b.when(v.Plan.Time), v.Plan.Place, v.Plan.Form.Chinese())
	}
	if v.Stage == bot.StageVoting {
		r.Result = "表决进行中(结果在表决结束后公布)"
	} else {
		r.Result = resultText(v.Result)
	}
	if v.Published != nil && v.Result != nil {
		r.Publication = engine.ResultText(v, b.tx.Name)
		r.Anchor = audit.FormatAnchor(v.Published.Seq, v.Published.Hash)
	}
	for _, o := range v.Objections {
		// The objection's text and the answer are part of the 公示; who
		// objected is not said.
		s := fmt.Sprintf("异议%d(%s)：%s", o.No, b.day(o.At), o.Text)
		if o.AnsweredBy != "" {
			s += "；答复：" + o.Answer
		} else {
			s += "；(待答复)"
		}
		r.Objections = append(r.Objections, s)
	}
	return r
}

// next is the date of the topic's next step, worded.
func (b builder) next(t *bot.Topic) string {
	switch t.Stage {
	case bot.StageApproved:
		return "待制定协商方案"
	case bot.StageNotified:
		if !t.Plan.Time.IsZero() {
			return fmt.Sprintf("协商会议：%s，%s", b.when(t.Plan.Time), t.Plan.Place)
		}
	case bot.StageDeliberating:
		return "协商会议进行中"
	case bot.StageVoting:
		if !t.Plan.Deadline.IsZero() {
			return "表决截止：" + b.when(t.Plan.Deadline)
		}
		return "表决进行中，由主持人宣布结束"
	case bot.StageVoted:
		return "待公示"
	case bot.StagePublished:
		if !t.ObjectionsUntil.IsZero() && b.now.Before(t.ObjectionsUntil) {
			return "公示期至" + b.when(t.ObjectionsUntil)
		}
		if t.Result != nil && t.Result.Agreed {
			return "待记录落实事项"
		}
		return "待决定再议或终止"
	case bot.StageImplementing:
		var due time.Time
		for _, f := range t.FollowUps {
			if f.Status != bot.FollowUpConfirmed && !f.Due.IsZero() && (due.IsZero() || f.Due.Before(due)) {
				due = f.Due
			}
		}
		switch {
		case !due.IsZero():
			return "最近的落实期限：" + b.day(due)
		case len(t.FollowUps) == 0:
			return "待记录落实事项"
		}
		return "待监委会确认落实"
	case bot.StageRedeliberate:
		if d, ok := reminders.RedeliberationDate(t, b.loc); ok {
			return "计划再议：" + b.day(d)
		}
		if t.Redeliberation != "" {
			return "再议安排：" + t.Redeliberation
		}
		return "待安排再议"
	}
	return ""
}

// boardView is the whole board page.
type boardView struct {
	Name, ID    string
	Communities []commLink
	Sections    []boardSection
	Count       int
	Now         string
	Session     *sessionView
}

type commLink struct {
	ID, Name string
	Current  bool
}

type boardSection struct {
	Title  string
	Topics []pubTopic
}

type sessionView struct {
	Name string
	CSRF string
}

func commLinks(tx *engine.Tx, cur string) []commLink {
	var out []commLink
	for _, c := range tx.Communities() {
		out = append(out, commLink{ID: c.ID, Name: c.Name, Current: c.ID == cur})
	}
	if len(out) < 2 {
		return nil // one community: no selector
	}
	return out
}

// boardKey names the state a community's board shows: per topic what the
// board prints changes only with a stage change (History), a new plan, an
// item or its progress, an objection or its answer; and the minute (dates
// and windows move with the clock). A vote or a check-in changes none of
// it, so a running vote does not make every reader render the page again.
func boardKey(tx *engine.Tx, c *config.Community) string {
	h := fnv.New64a()
	var buf [8]byte
	put := func(n int) {
		binary.LittleEndian.PutUint64(buf[:], uint64(n))
		h.Write(buf[:])
	}
	for _, t := range tx.Topics(c.ID) {
		h.Write([]byte(t.ID))
		h.Write([]byte(t.Stage))
		put(len(t.History))
		put(int(t.Plan.Time.Unix()))
		put(int(t.Plan.Deadline.Unix()))
		put(len(t.FollowUps))
		for _, f := range t.FollowUps {
			put(len(f.Progress))
			h.Write([]byte(f.Status))
		}
		put(len(t.Objections))
		put(len(t.OpenObjections()))
	}
	return fmt.Sprintf("%s|%x|%d", c.ID, h.Sum64(), tx.Now().Unix()/60)
}

// boardFresh is how long a rendered board is served without asking the
// engine whether it changed: readers then take no engine lock at all, and a
// change shows on the board within a second.
const boardFresh = time.Second

func (s *Server) board(w http.ResponseWriter, r *http.Request) {
	sv := s.sessionView(r)
	if sv == nil {
		if body := s.fresh(r.URL.Query().Get("c")); body != nil {
			writeRaw(w, body)
			return
		}
	}
	var key string
	var err error
	s.cfg.Engine.Read(func(tx *engine.Tx) {
		var c *config.Community
		if c, err = community(tx, r); err == nil {
			key = boardKey(tx, c)
		}
	})
	if err != nil {
		s.fail(w, statusOf(err), bot.ErrorMessage(err))
		return
	}
	if sv != nil {
		// A logged-in reader's board names them: rendered for them alone.
		v, _ := s.boardView(r)
		v.Session = sv
		s.page(w, http.StatusOK, "board.html", v)
		return
	}
	comm, _, _ := strings.Cut(key, "|")
	if body := s.cached(comm, key); body != nil {
		writeRaw(w, body) // masked when it was rendered
		return
	}
	s.renderMu.Lock()
	defer s.renderMu.Unlock()
	if body := s.cached(comm, key); body != nil { // rendered while we waited
		writeRaw(w, body)
		return
	}
	v, key := s.boardView(r)
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "board.html", v); err != nil {
		s.log.Error("web: render", "page", "board", "err", err)
		s.fail(w, http.StatusInternalServerError, "页面生成失败，请稍后再试或联系管理员。")
		return
	}
	body := maskPhones(b.Bytes())
	s.cacheMu.Lock()
	s.cache[comm] = cachedPage{key: key, body: body, at: s.cfg.Clock.Now()}
	if r.URL.Query().Get("c") == "" {
		s.cache[""] = s.cache[comm] // the default community's board
	}
	s.cacheMu.Unlock()
	writeRaw(w, body)
}

func writeRaw(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (s *Server) cached(comm, key string) []byte {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if p, ok := s.cache[comm]; ok && p.key == key {
		p.at = s.cfg.Clock.Now() // checked against the engine just now
		s.cache[comm] = p
		return p.body
	}
	return nil
}

// fresh returns a board rendered or checked less than boardFresh ago.
func (s *Server) fresh(comm string) []byte {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if p, ok := s.cache[comm]; ok && s.cfg.Clock.Now().Sub(p.at) < boardFresh {
		return p.body
	}
	return nil
}

// boardView builds the board in one read, with the key of what it shows.
func (s *Server) boardView(r *http.Request) (boardView, string) {
	var v boardView
	var key string
	s.cfg.Engine.Read(func(tx *engine.Tx) {
		c, err := community(tx, r)
		if err != nil {
			return // checked by the caller a moment ago; communities do not change
		}
		key = boardKey(tx, c)
		b := newBuilder(tx, c)
		v.Name, v.ID, v.Communities, v.Now = c.Name, c.ID, commLinks(tx, c.ID), b.when(b.now)
		by := map[bot.Stage][]pubTopic{}
		for _, t := range tx.Topics(c.ID) {
			if p, ok := b.topic(t, false); ok {
				by[t.Stage] = append(by[t.Stage], p)
				v.Count++
			}
		}
		for _, sec := range sections {
			var ts []pubTopic
			for _, st := range sec.Stages {
				ts = append(ts, by[st]...)
			}
			if len(ts) == 0 {
				continue
			}
			slices.SortStableFunc(ts, newestFirst)
			v.Sections = append(v.Sections, boardSection{Title: sec.Title, Topics: ts})
		}
	})
	return v, key
}

// newestFirst orders by creation time, then by number, newest first.
func newestFirst(a, b pubTopic) int {
	if c := b.created.Compare(a.created); c != 0 {
		return c
	}
	ai, _ := strconv.Atoi(a.ID)
	bi, _ := strconv.Atoi(b.ID)
	return cmp.Compare(bi, ai)
}

// publicTopic finds a public topic by the {id} of the path.
func publicTopic(tx *engine.Tx, r *http.Request) (*config.Community, *bot.Topic, error) {
	c, err := community(tx, r)
	if err != nil {
		return nil, nil, err
	}
	id := r.PathValue("id")
	if _, err := strconv.Atoi(id); err != nil {
		return nil, nil, bot.Errorf(bot.ENOTFOUND, "议题编号应当是数字，例如 /topics/1。")
	}
	t, err := tx.Topic(c.ID, id)
	if err != nil || !publicIn(c, t) {
		// The same answer for a topic that does not exist and one not yet
		// public: the board does not say what awaits 审定.
		return nil, nil, bot.Errorf(bot.ENOTFOUND, "没有公开的 #%s 号议题。议题经党组织审定后才在公开栏公布。", id)
	}
	return c, t, nil
}

type topicView struct {
	Name, CommID string
	T            pubTopic
	Query        string
}

func (s *Server) topic(w http.ResponseWriter, r *http.Request) {
	var v topicView
	var err error
	s.cfg.Engine.Read(func(tx *engine.Tx) {
		var c *config.Community
		var t *bot.Topic
		if c, t, err = publicTopic(tx, r); err != nil {
			return
		}
		v.Name, v.CommID = c.Name, c.ID
		v.T, _ = newBuilder(tx, c).topic(t, true)
		if len(tx.Communities()) > 1 {
			v.Query = "?c=" + c.ID
		}
	})
	if err != nil {
		s.fail(w, statusOf(err), bot.ErrorMessage(err))
		return
	}
	s.page(w, http.StatusOK, "topic.html", v)
}

// sheet gathers one round's record sheet for the public: an open ballot's
// names only once that round's vote has closed.
func (s *Server) sheet(tx *engine.Tx, c *config.Community, v *bot.Topic) record.Sheet {
	var sh record.Sheet
	if s.cfg.Sheet != nil {
		sh = s.cfg.Sheet(tx, v)
	} else {
		sh = record.Sheet{Topic: v, Community: c.Name, Location: c.Location, Now: tx.Now(),
			Names: func(id string) string { return tx.Name(c.ID, id) }}
	}
	if v.Result == nil || v.Stage == bot.StageVoting || v.Plan.Ballot != bot.BallotOpen {
		sh.OpenVotes = nil
	}
	return sh
}

// record serves the printable 附件2 sheets of a topic, one page per round
// (?round=K: that round only).
func (s *Server) record(w http.ResponseWriter, r *http.Request) {
	var sheets []string
	var err error
	s.cfg.Engine.Read(func(tx *engine.Tx) {
		var c *config.Community
		var t *bot.Topic
		if c, t, err = publicTopic(tx, r); err != nil {
			return
		}
		if t.Stage == bot.StageDeclined {
			err = bot.Errorf(bot.ENOTFOUND, "#%s 号提议不予受理(%s)，不予受理的提议不公开记录表。", t.ID, ruleText(t.DeclineRule))
			return
		}
		rounds := []int{}
		if q := r.URL.Query().Get("round"); q != "" {
			k, convErr := strconv.Atoi(q)
			if convErr != nil || k < 1 || k > max(t.RoundCount(), 1) {
				err = bot.Errorf(bot.ENOTFOUND, "#%s 号议题没有第%s轮(共%d轮)。", t.ID, q, t.RoundCount())
				return
			}
			rounds = append(rounds, k)
		} else {
			for k := 1; k <= t.RoundCount(); k++ {
				rounds = append(rounds, k)
			}
			if len(rounds) == 0 {
				rounds = []int{0} // approved, no plan yet: the sheet says what is missing
			}
		}
		for _, k := range rounds {
			if v, ok := t.RoundView(k); ok {
				sheets = append(sheets, record.HTML(s.sheet(tx, c, v)))
			}
		}
	})
	if err != nil {
		s.fail(w, statusOf(err), bot.ErrorMessage(err))
		return
	}
	s.write(w, http.StatusOK, "text/html; charset=utf-8", joinSheets(sheets))
}

// joinSheets puts several complete sheet documents into one printable page:
// the first one's head, every body, a page break between them.
func joinSheets(docs []string) []byte {
	if len(docs) == 1 {
		return []byte(docs[0])
	}
	var b bytes.Buffer
	for i, d := range docs {
		head, body, ok := strings.Cut(d, "<body>")
		if !ok {
			b.WriteString(d)
			continue
		}
		body, _, _ = strings.Cut(body, "</body>")
		if i == 0 {
			b.WriteString(strings.Replace(head, "</style>", ".round-sheet + .round-sheet { break-before: page; page-break-before: always; }\n</style>", 1))
			b.WriteString("<body>\n")
		}
		b.WriteString(`<section class="round-sheet">`)
		b.WriteString(body)
		b.WriteString("</section>\n")
	}
	b.WriteString("</body>\n</html>\n")
	return b.Bytes()
}

// Row is one line of the open data: a topic in one round (a declined topic
// or one not yet planned has one row, round 0).
type Row struct {
	Community   string `json:"community"`
	Topic       string `json:"topic"`
	Title       string `json:"title"`
	Stage       string `json:"stage"`
	StageName   string `json:"stage_name"`
	Round       int    `json:"round"`
	Proposed    string `json:"proposed"`
	Category    string `json:"category"`
	DeclineRule string `json:"decline_rule,omitempty"`
	Meeting     string `json:"meeting"`
	Place       string `json:"place"`
	Form        string `json:"form"`
	Ballot      string `json:"ballot"`
	Rule        string `json:"rule"`
	Expected    *int   `json:"expected"`
	Present     *int   `json:"present"`
	Voters      *int   `json:"voters"`
	For         *int   `json:"for"`
	Against     *int   `json:"against"`
	Abstain     *int   `json:"abstain"`
	QuorumMet   *bool  `json:"quorum_met"`
	Agreed      *bool  `json:"agreed"`
	VoteClosed  string `json:"vote_closed"`
	Published   string `json:"published"`
	Anchor      string `json:"audit_anchor"`
	Items       int    `json:"follow_up_items"`
	ItemsDone   int    `json:"follow_up_items_confirmed"`
}

var csvHeader = []string{"社区", "议题编号", "议题名称", "阶段", "阶段名称", "协商轮次", "提出日期", "六必议类别", "不予受理依据",
	"协商时间", "地点", "形式", "表决方式", "表决规则", "应到", "实到", "表决人数", "赞成", "反对", "弃权", "达到到会要求", "通过",
	"表决结束", "公示时间", "审计存证", "落实事项数", "已落实"}

func iso(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(time.RFC3339)
}

// rows builds the open data of a community.
func (b builder) rows() []Row {
	var out []Row
	for _, t := range b.tx.Topics(b.c.ID) {
		if !publicIn(b.c, t) {
			continue
		}
		base := Row{Community: b.c.ID, Topic: t.ID, Stage: string(t.Stage), StageName: t.Stage.Chinese(), Proposed: iso(t.Created, b.loc)}
		if t.Stage == bot.StageDeclined {
			base.Title, base.DeclineRule = "", ruleText(t.DeclineRule)
			out = append(out, base)
			continue
		}
		base.Title = t.Title
		if t.Category >= 1 && t.Category < len(bot.Categories) {
			base.Category = fmt.Sprintf("%d %s", t.Category, bot.Categories[t.Category])
		}
		for _, f := range t.FollowUps {
			base.Items++
			if f.Status == bot.FollowUpConfirmed {
				base.ItemsDone++
			}
		}
		n := t.RoundCount()
		if n == 0 {
			out = append(out, base)
			continue
		}
		for k := 1; k <= n; k++ {
			v, ok := t.RoundView(k)
			if !ok {
				continue
			}
			row := base
			row.Round = k
			row.Meeting, row.Place = iso(v.Plan.Time, b.loc), v.Plan.Place
			if v.Plan.Form != "" {
				row.Form = v.Plan.Form.Chinese()
			}
			if v.Plan.Ballot != "" {
				row.Ballot = v.Plan.Ballot.Chinese()
			}
			row.Rule = v.Plan.Preset
			if res := v.Result; res != nil && v.Stage != bot.StageVoting {
				row.Expected, row.Present, row.Voters = &res.Expected, &res.Present, &res.Voters
				row.For, row.Against, row.Abstain = &res.For, &res.Against, &res.Abstain
				row.QuorumMet, row.Agreed = &res.QuorumMet, &res.Agreed
				row.VoteClosed = iso(res.ClosedAt, b.loc)
			}
			if v.Published != nil {
				row.Published = iso(v.Published.At, b.loc)
				row.Anchor = audit.FormatAnchor(v.Published.Seq, v.Published.Hash)
			}
			out = append(out, row)
		}
	}
	return out
}

func (s *Server) exportRows(r *http.Request) ([]Row, *config.Community, error) {
	var rows []Row
	var c *config.Community
	var err error
	s.cfg.Engine.Read(func(tx *engine.Tx) {
		if c, err = community(tx, r); err != nil {
			return
		}
		rows = newBuilder(tx, c).rows()
	})
	return rows, c, err
}

func (s *Server) exportJSON(w http.ResponseWriter, r *http.Request) {
	rows, c, err := s.exportRows(r)
	if err != nil {
		s.fail(w, statusOf(err), bot.ErrorMessage(err))
		return
	}
	if rows == nil {
		rows = []Row{}
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "数据导出失败。")
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-topics.json"`, c.ID))
	s.write(w, http.StatusOK, "application/json; charset=utf-8", append(b, '\n'))
}

func numOr[T int | bool](p *T) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}

func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request) {
	rows, c, err := s.exportRows(r)
	if err != nil {
		s.fail(w, statusOf(err), bot.ErrorMessage(err))
		return
	}
	var b bytes.Buffer
	b.WriteString("\ufeff") // the BOM: Excel then reads the file as UTF-8
	cw := csv.NewWriter(&b)
	_ = cw.Write(csvHeader)
	for _, x := range rows {
		_ = cw.Write([]string{x.Community, x.Topic, x.Title, x.Stage, x.StageName, strconv.Itoa(x.Round), x.Proposed, x.Category, x.DeclineRule,
			x.Meeting, x.Place, x.Form, x.Ballot, x.Rule, numOr(x.Expected), numOr(x.Present), numOr(x.Voters), numOr(x.For), numOr(x.Against),
			numOr(x.Abstain), numOr(x.QuorumMet), numOr(x.Agreed), x.VoteClosed, x.Published, x.Anchor, strconv.Itoa(x.Items), strconv.Itoa(x.ItemsDone)})
	}
	cw.Flush()
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-topics.csv"`, c.ID))
	s.write(w, http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}
