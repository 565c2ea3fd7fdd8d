package web

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
)

const cookieName = "yishi_session"

// secure reports whether the browser reached us over TLS, directly or
// through a reverse proxy that says so.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (s *Server) current(r *http.Request) *session {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	return s.cfg.Logins.session(c.Value)
}

// sessionView names the logged-in person for the page header.
func (s *Server) sessionView(r *http.Request) *sessionView {
	ss := s.current(r)
	if ss == nil {
		return nil
	}
	v := &sessionView{CSRF: ss.CSRF}
	s.cfg.Engine.Read(func(tx *engine.Tx) { v.Name = tx.Name(ss.Comm, ss.Member) })
	return v
}

func private(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}

// loginForm shows a button that uses the link: a GET never spends it, so a
// chat app's link preview cannot use up the link before the member does.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	private(w)
	tok := r.URL.Query().Get("t")
	if tok == "" {
		s.fail(w, http.StatusBadRequest, "登录链接不完整。请在私聊中给议事助手发送「网页登录」，打开它回复的链接。")
		return
	}
	s.page(w, http.StatusOK, "login.html", map[string]string{"Token": tok})
}

// login spends a one-time link and opens a session. The link's token is
// the form's secret: only the person holding the link can post it.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	private(w)
	cookie, _, err := s.cfg.Logins.redeem(r.PostFormValue("t"))
	if err != nil {
		s.fail(w, http.StatusForbidden, err.Error())
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: cookie, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r), MaxAge: int(SessionTTL / time.Second)})
	http.Redirect(w, r, "/me", http.StatusSeeOther)
}

// checkCSRF refuses a state-changing form without the session's token.
func (s *Server) checkCSRF(w http.ResponseWriter, r *http.Request) (*session, bool) {
	ss := s.current(r)
	if ss == nil {
		s.fail(w, http.StatusForbidden, "请先登录：在私聊中给议事助手发送「网页登录」。")
		return nil, false
	}
	if !ss.validCSRF(r.PostFormValue("csrf")) {
		s.fail(w, http.StatusForbidden, "表单校验失败(缺少或不符的安全令牌)，操作没有执行。请回到页面重新提交。")
		return nil, false
	}
	return ss, true
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	private(w)
	if _, ok := s.checkCSRF(w, r); !ok {
		return
	}
	c, _ := r.Cookie(cookieName)
	s.cfg.Logins.logout(c.Value)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: secure(r), MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// member is the logged-in roster member, checked against the roster as it
// is now (someone removed from it is logged out in effect).
func (s *Server) member(w http.ResponseWriter, r *http.Request, tx *engine.Tx) (*session, *config.Community, *bot.Member, bool) {
	ss := s.current(r)
	if ss == nil {
		return nil, nil, nil, false
	}
	c := tx.Community(ss.Comm)
	if c == nil {
		return nil, nil, nil, false
	}
	m := c.Member(ss.Member)
	return ss, c, m, m != nil
}

func (s *Server) needLogin(w http.ResponseWriter) {
	private(w)
	s.fail(w, http.StatusUnauthorized, "这个页面需要登录。请在私聊中给议事助手发送「网页登录」，打开它回复的链接(10分钟内有效，只能用一次)。")
}

type myTopic struct {
	ID, Title, Stage, Role string
	Rounds                 []myRound
}

type myRound struct {
	No                 int
	Present, Vote, Res string
}

type myItem struct {
	No                       int
	Topic, What, Due, Status string
}

type meView struct {
	Name, Roles, Community string
	CSRF                   string
	Officer                bool
	Topics                 []myTopic
	Items                  []myItem
}

// me is a member's own page: their topics, their attendance and votes, the
// items they answer for. A secret ballot's choice is shown to no one, the
// voter included: it was erased when the vote closed.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	private(w)
	var v meView
	ok := false
	var denied error
	s.cfg.Engine.Read(func(tx *engine.Tx) {
		var ss *session
		var c *config.Community
		var m *bot.Member
		if ss, c, m, ok = s.member(w, r, tx); !ok {
			return
		}
		if denied = bot.Authorize(bot.Actor{Member: m}, bot.ActReadRecords, nil); denied != nil {
			return
		}
		b := newBuilder(tx, c)
		v.Name, v.Roles, v.Community, v.CSRF = m.Name, m.RoleLabel(), c.Name, ss.CSRF
		v.Officer = bot.Authorize(bot.Actor{Member: m}, bot.ActReadStats, nil) == nil
		for _, t := range tx.Topics(c.ID) {
			var roles []string
			if t.Proposer == m.ID {
				roles = append(roles, "提议人")
			}
			if t.Chair == m.ID {
				roles = append(roles, "主持人")
			}
			if t.Recorder == m.ID {
				roles = append(roles, "记录员")
			}
			if t.IsParticipant(m.ID) {
				roles = append(roles, "协商主体")
			}
			if len(roles) == 0 {
				continue
			}
			title := t.Title
			mt := myTopic{ID: t.ID, Title: title, Stage: t.Stage.Chinese(), Role: strings.Join(roles, "、")}
			if t.IsParticipant(m.ID) {
				for k := 1; k <= t.RoundCount(); k++ {
					rv, ok := t.RoundView(k)
					if !ok {
						continue
					}
					mr := myRound{No: k, Present: "未签到", Res: resultText(rv.Result)}
					if at, ok := rv.Attendance[m.ID]; ok {
						mr.Present = "已签到 " + b.when(at)
					}
					switch {
					case rv.Plan.Ballot == bot.BallotSecret:
						mr.Vote = "无记名投票：选择不记录、不显示"
					case rv.VoteOpened.IsZero() && rv.Result == nil:
						mr.Vote = "尚未表决"
					default:
						if ch, ok := tx.Ballots(c.ID, rv)[m.ID]; ok {
							mr.Vote = ch.Chinese()
						} else {
							mr.Vote = "未投票"
						}
					}
					mt.Rounds = append(mt.Rounds, mr)
				}
			}
			v.Topics = append(v.Topics, mt)
			for _, f := range t.FollowUps {
				if f.Responsible == m.ID {
					v.Items = append(v.Items, myItem{No: f.No, Topic: t.ID, What: f.What, Due: b.day(f.Due), Status: f.Status.Chinese()})
				}
			}
		}
	})
	switch {
	case !ok:
		s.needLogin(w)
		return
	case denied != nil:
		s.fail(w, http.StatusForbidden, bot.ErrorMessage(denied))
		return
	}
	s.page(w, http.StatusOK, "me.html", v)
}

// officerOnly runs fn for a logged-in member whom Authorize lets do act.
func (s *Server) officerOnly(w http.ResponseWriter, r *http.Request, act bot.Action, fn func(tx *engine.Tx, ss *session, c *config.Community, m *bot.Member)) bool {
	private(w)
	var err error
	logged := false
	s.cfg.Engine.Read(func(tx *engine.Tx) {
		ss, c, m, ok := s.member(w, r, tx)
		if !ok {
			return
		}
		logged = true
		if err = bot.Authorize(bot.Actor{Member: m}, act, nil); err != nil {
			return
		}
		fn(tx, ss, c, m)
	})
	switch {
	case !logged:
		s.needLogin(w)
		return false
	case err != nil:
		s.fail(w, http.StatusForbidden, bot.ErrorMessage(err))
		return false
	}
	return true
}

type officerView struct {
	Name, Community, CSRF string
	Stats                 stats
	Chart                 chart
	Reminders             []reminderView
	CanBackup             bool
	HasAudit, HasBackup   bool
}

type reminderView struct {
	LastRun, NextRun, Quiet string
	Messages                []reminderMsg
}

type reminderMsg struct{ To, Why, Text string }

func (s *Server) officer(w http.ResponseWriter, r *http.Request) {
	var v officerView
	var commID string
	if !s.officerOnly(w, r, bot.ActReadStats, func(tx *engine.Tx, ss *session, c *config.Community, m *bot.Member) {
		v.Name, v.Community, v.CSRF, commID = m.Name, c.Name, ss.CSRF, c.ID
		v.Stats = computeStats(newBuilder(tx, c))
		v.CanBackup = bot.Authorize(bot.Actor{Member: m}, bot.ActDownloadBackup, nil) == nil
	}) {
		return
	}
	v.Chart = drawChart(v.Stats)
	v.HasAudit, v.HasBackup = s.cfg.Store != nil, s.cfg.Backup != nil
	if s.cfg.Reminders != nil {
		// Preview reads the engine itself: outside our read.
		now := s.cfg.Clock.Now()
		for _, p := range s.cfg.Reminders(func(*config.Community) time.Time { return now }) {
			if p.Community != commID {
				continue
			}
			loc := time.FixedZone("CST", 8*3600)
			rv := reminderView{LastRun: fmtOr(p.LastRun, loc, "尚未运行"), NextRun: fmtOr(p.NextRun, loc, "未安排")}
			if p.Quiet {
				rv.Quiet = "现在是免打扰时段，" + fmtOr(p.QuietEnds, loc, "") + "后发送"
			}
			for _, msg := range p.Messages {
				rv.Messages = append(rv.Messages, reminderMsg{To: msg.ToName, Why: msg.Why, Text: msg.Text})
			}
			v.Reminders = append(v.Reminders, rv)
		}
	}
	s.page(w, http.StatusOK, "officer.html", v)
}

func fmtOr(t time.Time, loc *time.Location, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.In(loc).Format("2006年1月2日 15:04")
}

// verify runs the audit check of the logged-in officer's community.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	var comm string
	if !s.officerOnly(w, r, bot.ActReadStats, func(_ *engine.Tx, _ *session, c *config.Community, _ *bot.Member) { comm = c.ID }) {
		return
	}
	ok, text := s.verifyText(comm)
	s.page(w, http.StatusOK, "verify.html", map[string]any{"OK": ok, "Text": text})
}

func (s *Server) verifyText(comm string) (bool, string) {
	if s.cfg.Verify != nil {
		return s.cfg.Verify(comm)
	}
	if s.cfg.Store == nil {
		return false, "本服务没有接入数据存储，无法核对审计链。"
	}
	rep, err := audit.Verify(s.cfg.Store, comm)
	if err != nil {
		return false, "读取审计日志失败：" + err.Error()
	}
	if !rep.OK {
		return false, fmt.Sprintf("审计链在第%d条断开：%s", rep.FirstBroken, rep.Problem)
	}
	text := fmt.Sprintf("审计链完整：共%d条记录，最后一条 %s。", rep.Entries, audit.FormatAnchor(rep.Head.Seq, rep.Head.HashPrefix))
	// Then the replay `yishi audit verify` does: the state rebuilt from the
	// log must be what the bot holds.
	rs, err := engine.VerifyReplay(s.cfg.Store, []*config.Community{{ID: comm, Name: comm}}, comm)
	if err != nil {
		return false, text + "\n无法读取存储的快照：" + err.Error()
	}
	for _, r := range rs {
		switch {
		case r.Failed != nil:
			return false, text + "\n按审计日志重放失败：" + r.Failed.Error()
		case r.Diverged != nil:
			return false, text + "\n快照与审计日志不一致，第一处：" + r.Diverged.String() + "(正在写入时核对可能误报，请稍后再核对一次)"
		default:
			text += fmt.Sprintf("\n按审计日志从第1条重放了%d个事件，重建%d个议题、%d轮协商，与存储的快照完全一致。", r.Events, r.Topics, r.Rounds)
		}
	}
	return true, text
}

// auditExport writes the community's chain as RFC 8785 lines for auditors.
// It names member ids (who did what is what an audit checks), so it is an
// officers' page, never a public one.
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request) {
	var comm string
	if !s.officerOnly(w, r, bot.ActReadStats, func(_ *engine.Tx, _ *session, c *config.Community, _ *bot.Member) { comm = c.ID }) {
		return
	}
	if s.cfg.Store == nil {
		s.fail(w, http.StatusNotFound, "本服务没有接入数据存储，无法导出审计日志。")
		return
	}
	var b bytes.Buffer
	if err := audit.ExportJCS(s.cfg.Store, comm, &b); err != nil {
		s.log.Error("web: audit export", "community", comm, "err", err)
		s.fail(w, http.StatusInternalServerError, "审计日志导出失败，请联系管理员查看日志。")
		return
	}
	w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-audit.jsonl"`, comm))
	_, _ = w.Write(b.Bytes())
}

// backup streams a consistent backup. It is a POST with the CSRF token: a
// backup holds everything, so no other site may make a browser fetch one.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	private(w)
	if _, ok := s.checkCSRF(w, r); !ok {
		return
	}
	if !s.officerOnly(w, r, bot.ActDownloadBackup, func(*engine.Tx, *session, *config.Community, *bot.Member) {}) {
		return
	}
	if s.cfg.Backup == nil {
		s.fail(w, http.StatusNotFound, "本服务没有接入备份功能。")
		return
	}
	var b bytes.Buffer
	if err := s.cfg.Backup(&b); err != nil {
		s.log.Error("web: backup", "err", err)
		s.fail(w, http.StatusInternalServerError, "备份失败，请联系管理员查看日志。")
		return
	}
	name := "yishi-" + s.cfg.Clock.Now().UTC().Format("20060102-150405") + ".backup"
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(b.Bytes())
}

// stats is the evaluation shown to officers: counts by stage and outcome,
// topics per month by outcome, participation and overdue items.
type stats struct {
	Topics, Rounds, HeldAgain int
	ByStage                   []kv
	ByOutcome                 []kv
	Months                    []month
	Outcomes                  []string // the outcomes in chart order
	Present, Expected         int
	Attendance                string
	Items, ItemsDone          int
	Overdue                   []overdue
}

type kv struct {
	K string
	N int
}

type month struct {
	Label string
	By    map[string]int
	Total int
}

type overdue struct {
	No               int
	Topic, What, Who string
	Due              string
	Days             int
}

// outcomes in the chart's order, with their colours.
var outcomeOrder = []string{"通过", "未通过", "到会人数不足", "不予受理", "进行中"}

func outcomeOf(t *bot.Topic) string {
	switch {
	case t.Stage == bot.StageDeclined:
		return "不予受理"
	case t.Result != nil && !t.Result.QuorumMet:
		return "到会人数不足"
	case t.Result != nil && t.Result.Agreed:
		return "通过"
	case t.Result != nil:
		return "未通过"
	}
	return "进行中"
}

func computeStats(b builder) stats {
	var st stats
	stage := map[bot.Stage]int{}
	outcome := map[string]int{}
	months := map[string]*month{}
	var keys []string
	for _, t := range b.tx.Topics(b.c.ID) {
		st.Topics++
		stage[t.Stage]++
		o := outcomeOf(t)
		outcome[o]++
		lbl := t.Created.In(b.loc).Format("2006-01")
		mo := months[lbl]
		if mo == nil {
			mo = &month{Label: lbl, By: map[string]int{}}
			months[lbl] = mo
			keys = append(keys, lbl)
		}
		mo.By[o]++
		mo.Total++
		st.Rounds += t.RoundCount()
		if t.RoundCount() > 1 {
			st.HeldAgain++
		}
		for k := 1; k <= t.RoundCount(); k++ {
			if v, ok := t.RoundView(k); ok && v.Result != nil {
				st.Present += v.Result.Present
				st.Expected += v.Result.Expected
			}
		}
		for _, f := range t.FollowUps {
			st.Items++
			if f.Status == bot.FollowUpConfirmed {
				st.ItemsDone++
				continue
			}
			if !f.Due.IsZero() && b.now.After(f.Due) {
				st.Overdue = append(st.Overdue, overdue{No: f.No, Topic: t.ID, What: f.What, Who: b.name(f.Responsible),
					Due: b.day(f.Due), Days: int(b.now.Sub(f.Due).Hours() / 24)})
			}
		}
	}
	all := []bot.Stage{bot.StageDraft, bot.StagePendingReview, bot.StageReturned}
	for _, sec := range sections {
		all = append(all, sec.Stages...)
	}
	for _, s := range all {
		if stage[s] > 0 {
			st.ByStage = append(st.ByStage, kv{s.Chinese(), stage[s]})
		}
	}
	for _, o := range outcomeOrder {
		if outcome[o] > 0 {
			st.ByOutcome = append(st.ByOutcome, kv{o, outcome[o]})
		}
	}
	st.Outcomes = outcomeOrder
	slices.Sort(keys)
	for _, k := range keys {
		st.Months = append(st.Months, *months[k])
	}
	if st.Expected > 0 {
		st.Attendance = bot.Percent(st.Present, st.Expected)
	}
	return st
}
