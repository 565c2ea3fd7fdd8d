// Package web is the public board (村务公开栏) on the web: from the running
// bot, with html/template and no JavaScript, every community's topics by
// stage, each topic's public record round by round (the printable 附件2
// sheet), and open data (CSV with a BOM for Excel, JSON, the audit export).
//
// What is public follows the guideline's 公示: a topic appears once the
// party organisation approved it (its meeting notice is posted in the group
// anyway); its record sheet and figures only for rounds that were
// published (公示). A declined topic shows only the 五不议 rule invoked,
// never its title or content; a topic waiting for 审定 or returned does not
// appear. No page shows a member id, a private message, an open vote's
// partial count or a secret ballot's choice (the record never holds one).
package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/record"
)

// Options are what the board reads.
type Options struct {
	Engine *engine.Engine
	// Sheet gathers a topic's record sheet (cmd/yishi/app.Sheet).
	Sheet func(tx *engine.Tx, t *bot.Topic) record.Sheet
	// Export writes a community's audit log as canonical JSON lines (the
	// same as yishi audit export); nil: not offered.
	Export func(community string, w *bytes.Buffer) error
}

// New returns the board's handler.
func New(opts Options) http.Handler {
	s := &server{opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /c/{comm}/{$}", s.board)
	mux.HandleFunc("GET /c/{comm}/topics/{id}", s.topic)
	mux.HandleFunc("GET /c/{comm}/topics/{id}/record.html", s.record)
	mux.HandleFunc("GET /c/{comm}/export/topics.csv", s.exportCSV)
	mux.HandleFunc("GET /c/{comm}/export/topics.json", s.exportJSON)
	mux.HandleFunc("GET /c/{comm}/export/audit.jsonl", s.exportAudit)
	// One community: its pages also without the /c/{comm} prefix.
	mux.HandleFunc("GET /topics/{id}", s.single)
	mux.HandleFunc("GET /topics/{id}/record.html", s.single)
	mux.HandleFunc("GET /export/{file}", s.single)
	return securityHeaders(mux)
}

type server struct{ opts Options }

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'")
		h.ServeHTTP(w, r)
	})
}

// Public says whether topic t appears on the board at all.
func Public(t *bot.Topic) bool {
	switch t.Stage {
	case bot.StageDraft, bot.StagePendingReview, bot.StageReturned:
		return false
	}
	return true
}

// publishedRound says whether round k of t was published (公示).
func publishedRound(t *bot.Topic, k int) bool {
	v, ok := t.RoundView(k)
	return ok && v.Published != nil
}

func (s *server) community(w http.ResponseWriter, r *http.Request) (*config.Community, bool) {
	id := r.PathValue("comm")
	for _, c := range s.opts.Engine.Communities() {
		if c.ID == id {
			return c, true
		}
	}
	notFound(w, "没有这个社区。")
	return nil, false
}

func notFound(w http.ResponseWriter, why string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_ = pages.ExecuteTemplate(w, "error", why)
}

func (s *server) single(w http.ResponseWriter, r *http.Request) {
	comms := s.opts.Engine.Communities()
	if len(comms) != 1 {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	http.Redirect(w, r, "/c/"+comms[0].ID+r.URL.Path, http.StatusFound)
}

func (s *server) index(w http.ResponseWriter, r *http.Request) {
	comms := s.opts.Engine.Communities()
	if len(comms) == 1 {
		http.Redirect(w, r, "/c/"+comms[0].ID+"/", http.StatusFound)
		return
	}
	render(w, "index", comms)
}

// boardTopic is one line of the board.
type boardTopic struct {
	ID, Title, Stage, Result, Next string
	Declined                       string // the rule invoked, for a declined topic (nothing else shown)
	Objections                     string
	Items                          []boardItem
}

type boardItem struct{ What, Due, Status string }

type boardPage struct {
	Community *config.Community
	Groups    []boardGroup
	Now       string
}

type boardGroup struct {
	Stage  string
	Topics []boardTopic
}

// stageOrder lists the stages on the board, the live ones first.
var stageOrder = []bot.Stage{bot.StageApproved, bot.StageNotified, bot.StageDeliberating, bot.StageVoting, bot.StageVoted,
	bot.StagePublished, bot.StageImplementing, bot.StageRedeliberate, bot.StageCompleted, bot.StageTerminated, bot.StageDeclined}

func (s *server) board(w http.ResponseWriter, r *http.Request) {
	c, ok := s.community(w, r)
	if !ok {
		return
	}
	loc := c.Location
	byStage := map[bot.Stage][]boardTopic{}
	s.opts.Engine.Read(func(tx *engine.Tx) {
		now := tx.Now()
		tx.EachTopic(c.ID, func(t *bot.Topic) bool {
			if !Public(t) {
				return true
			}
			bt := boardTopic{ID: t.ID, Stage: t.Stage.Chinese()}
			if t.Stage == bot.StageDeclined {
				bt.Declined = declinedText(t)
				byStage[t.Stage] = append(byStage[t.Stage], bt)
				return true
			}
			bt.Title = t.Title
			if t.Published != nil && t.Result != nil {
				bt.Result = resultText(t.Result)
			}
			bt.Next = nextStep(t, loc, now)
			if n := len(t.Objections); n > 0 || (!t.ObjectionsUntil.IsZero() && now.Before(t.ObjectionsUntil)) {
				bt.Objections = fmt.Sprintf("公示期至%s；异议%d条，未答复%d条", t.ObjectionsUntil.In(loc).Format("2006年1月2日 15:04"), n, len(t.OpenObjections()))
			}
			for _, f := range t.FollowUps {
				bt.Items = append(bt.Items, boardItem{What: f.What, Due: f.Due.In(loc).Format("2006-01-02"), Status: f.Status.Chinese()})
			}
			byStage[t.Stage] = append(byStage[t.Stage], bt)
			return true
		})
	})
	p := boardPage{Community: c, Now: time.Now().In(loc).Format("2006年1月2日 15:04")}
	for _, st := range stageOrder {
		ts := byStage[st]
		if len(ts) == 0 {
			continue
		}
		// Newest first: topic numbers grow with time.
		slices.SortFunc(ts, func(a, b boardTopic) int { return atoi(b.ID) - atoi(a.ID) })
		p.Groups = append(p.Groups, boardGroup{Stage: st.Chinese(), Topics: ts})
	}
	render(w, "board", p)
}

func declinedText(t *bot.Topic) string {
	if t.DeclineRule > 0 && t.DeclineRule < len(bot.ExclusionRules) {
		return fmt.Sprintf("议题 #%s 经党组织审定不予受理：五不议第%d条(%s)", t.ID, t.DeclineRule, bot.ExclusionRules[t.DeclineRule])
	}
	return fmt.Sprintf("议题 #%s 经党组织审定不予受理", t.ID)
}

func resultText(r *bot.Result) string {
	verdict := "未通过"
	switch {
	case !r.QuorumMet:
		verdict = "未达法定到会人数，不产生决定"
	case r.Agreed:
		verdict = "通过"
	}
	return fmt.Sprintf("%s(应到%d 实到%d：赞成%d 反对%d 弃权%d)", verdict, r.Expected, r.Present, r.For, r.Against, r.Abstain)
}

// nextStep is the date of the topic's next step, as residents need it.
func nextStep(t *bot.Topic, loc *time.Location, now time.Time) string {
	switch t.Stage {
	case bot.StageApproved:
		return "待制定协商方案"
	case bot.StageNotified:
		return "协商时间：" + t.Plan.Time.In(loc).Format("2006年1月2日 15:04") + "，地点：" + t.Plan.Place
	case bot.StageDeliberating:
		return "正在协商"
	case bot.StageVoting:
		return "正在表决(结束后公布结果)"
	case bot.StageVoted:
		return "待公示"
	case bot.StageImplementing, bot.StagePublished:
		var due time.Time
		for _, f := range t.FollowUps {
			if f.Status != bot.FollowUpConfirmed && (due.IsZero() || f.Due.Before(due)) {
				due = f.Due
			}
		}
		if !due.IsZero() {
			return "最近的落实期限：" + due.In(loc).Format("2006年1月2日")
		}
	case bot.StageRedeliberate:
		return "再议：" + t.Redeliberation
	}
	return ""
}

type topicPage struct {
	Community *config.Community
	Topic     *bot.Topic
	Stage     string
	Category  string
	Rounds    []roundLine
	Items     []itemLine
	Declined  string
}

type roundLine struct {
	No                          int
	When, Place, Result, Anchor string
	Published                   bool
	Objections                  []string
}

type itemLine struct {
	What, Who, Due, Status string
	History                []string
}

func (s *server) topic(w http.ResponseWriter, r *http.Request) {
	c, ok := s.community(w, r)
	if !ok {
		return
	}
	var p *topicPage
	s.opts.Engine.Read(func(tx *engine.Tx) {
		t, err := tx.Topic(c.ID, r.PathValue("id"))
		if err != nil || !Public(t) {
			return
		}
		loc := c.Location
		p = &topicPage{Community: c, Topic: t, Stage: t.Stage.Chinese()}
		if t.Stage == bot.StageDeclined {
			p.Declined = declinedText(t)
			p.Topic = &bot.Topic{ID: t.ID}
			return
		}
		if t.Category > 0 && t.Category < len(bot.Categories) {
			p.Category = fmt.Sprintf("六必议第%d类：%s", t.Category, bot.Categories[t.Category])
		}
		for k := 1; k <= t.RoundCount(); k++ {
			v, ok := t.RoundView(k)
			if !ok {
				continue
			}
			rl := roundLine{No: k, Place: v.Plan.Place, Published: v.Published != nil}
			if !v.Plan.Time.IsZero() {
				rl.When = v.Plan.Time.In(loc).Format("2006年1月2日 15:04")
			}
			if v.Published != nil && v.Result != nil {
				rl.Result = resultText(v.Result)
				rl.Anchor = fmt.Sprintf("审计存证：第%d条·%s", v.Published.Seq, shortHash(v.Published.Hash))
				for _, o := range v.Objections {
					line := fmt.Sprintf("异议%d：%s", o.No, o.Text)
					if o.Answer != "" {
						line += "；答复：" + o.Answer
					} else {
						line += "；尚未答复"
					}
					rl.Objections = append(rl.Objections, line)
				}
			}
			p.Rounds = append(p.Rounds, rl)
		}
		for _, f := range t.FollowUps {
			il := itemLine{What: f.What, Who: tx.Name(c.ID, f.Responsible), Due: f.Due.In(loc).Format("2006-01-02"), Status: f.Status.Chinese()}
			for _, pr := range f.Progress {
				il.History = append(il.History, pr.At.In(loc).Format("2006-01-02")+" "+tx.Name(c.ID, pr.By)+"："+pr.Text)
			}
			p.Items = append(p.Items, il)
		}
	})
	if p == nil {
		notFound(w, "没有这个议题，或它还没有公开(待审定的议题不公开)。")
		return
	}
	render(w, "topic", p)
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

func (s *server) record(w http.ResponseWriter, r *http.Request) {
	c, ok := s.community(w, r)
	if !ok {
		return
	}
	round, _ := strconv.Atoi(r.URL.Query().Get("round"))
	var page string
	s.opts.Engine.Read(func(tx *engine.Tx) {
		t, err := tx.Topic(c.ID, r.PathValue("id"))
		if err != nil || !Public(t) || t.Stage == bot.StageDeclined {
			return
		}
		if round == 0 {
			round = t.RoundCount()
		}
		// Only a published round's sheet is public: before the 公示 the
		// figures are not final (and an open vote's count is never shown).
		if !publishedRound(t, round) {
			return
		}
		v, _ := t.RoundView(round)
		page = record.HTML(s.opts.Sheet(tx, v))
	})
	if page == "" {
		notFound(w, "这一轮的记录表还没有公示，公示后才公开。")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, page)
}

// Row is one topic and round of the open data.
type Row struct {
	Community   string `json:"community"`
	Topic       string `json:"topic"`
	Round       int    `json:"round"`
	Title       string `json:"title"`
	Category    int    `json:"category"`
	Stage       string `json:"stage"`
	MeetingTime string `json:"meeting_time"`
	Place       string `json:"place"`
	Rule        string `json:"rule"`
	Expected    int    `json:"expected"`
	Present     int    `json:"present"`
	For         int    `json:"for"`
	Against     int    `json:"against"`
	Abstain     int    `json:"abstain"`
	QuorumMet   bool   `json:"quorum_met"`
	Agreed      bool   `json:"agreed"`
	PublishedAt string `json:"published_at"`
	Anchor      string `json:"anchor"`
}

// rows are the published rounds of community c's topics.
func (s *server) rows(c *config.Community) []Row {
	var out []Row
	s.opts.Engine.Read(func(tx *engine.Tx) {
		tx.EachTopic(c.ID, func(t *bot.Topic) bool {
			if !Public(t) || t.Stage == bot.StageDeclined {
				return true
			}
			for k := 1; k <= t.RoundCount(); k++ {
				v, ok := t.RoundView(k)
				if !ok || v.Published == nil || v.Result == nil {
					continue
				}
				res := v.Result
				rule := v.Plan.Preset
				if p, ok := bot.PresetByName(rule); ok {
					rule = p.Name
				}
				out = append(out, Row{Community: c.ID, Topic: t.ID, Round: k, Title: t.Title, Category: t.Category, Stage: t.Stage.Chinese(),
					MeetingTime: v.Plan.Time.In(c.Location).Format(time.RFC3339), Place: v.Plan.Place, Rule: rule,
					Expected: res.Expected, Present: res.Present, For: res.For, Against: res.Against, Abstain: res.Abstain,
					QuorumMet: res.QuorumMet, Agreed: res.Agreed && res.QuorumMet,
					PublishedAt: v.Published.At.In(c.Location).Format(time.RFC3339),
					Anchor:      fmt.Sprintf("第%d条·%s", v.Published.Seq, shortHash(v.Published.Hash))})
			}
			return true
		})
	})
	slices.SortFunc(out, func(a, b Row) int {
		if d := atoi(a.Topic) - atoi(b.Topic); d != 0 {
			return d
		}
		return a.Round - b.Round
	})
	return out
}

func (s *server) exportCSV(w http.ResponseWriter, r *http.Request) {
	c, ok := s.community(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // a BOM, so Excel reads UTF-8
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"社区", "议题编号", "轮次", "议题", "六必议类别", "当前阶段", "协商时间", "协商地点", "议事规则",
		"应到", "实到", "赞成", "反对", "弃权", "达到法定人数", "通过", "公示时间", "审计存证"})
	for _, x := range s.rows(c) {
		_ = cw.Write([]string{x.Community, x.Topic, strconv.Itoa(x.Round), x.Title, strconv.Itoa(x.Category), x.Stage, x.MeetingTime, x.Place, x.Rule,
			strconv.Itoa(x.Expected), strconv.Itoa(x.Present), strconv.Itoa(x.For), strconv.Itoa(x.Against), strconv.Itoa(x.Abstain),
			yesNo(x.QuorumMet), yesNo(x.Agreed), x.PublishedAt, x.Anchor})
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+c.ID+`-topics.csv"`)
	_, _ = w.Write(buf.Bytes())
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func (s *server) exportJSON(w http.ResponseWriter, r *http.Request) {
	c, ok := s.community(w, r)
	if !ok {
		return
	}
	rows := s.rows(c)
	if rows == nil {
		rows = []Row{}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rows)
}

func (s *server) exportAudit(w http.ResponseWriter, r *http.Request) {
	c, ok := s.community(w, r)
	if !ok {
		return
	}
	if s.opts.Export == nil {
		notFound(w, "本站没有提供审计日志导出。")
		return
	}
	var buf bytes.Buffer
	if err := s.opts.Export(c.ID, &buf); err != nil {
		http.Error(w, "审计日志导出失败 / audit export failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+c.ID+`-audit.jsonl"`)
	_, _ = w.Write(buf.Bytes())
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "页面生成失败 / page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

var pages = template.Must(template.New("").Funcs(template.FuncMap{"join": strings.Join}).Parse(pagesText))
