package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/reminders"
)

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	id, se := s.sess.redeem(r.PathValue("token"))
	if id == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_ = pages.ExecuteTemplate(w, "error", "这个登录链接已经用过或已过期(10分钟内有效，只能用一次)。请在私聊里重新发「网页登录」。")
		return
	}
	setSessionCookie(w, r, id, se.expires)
	http.Redirect(w, r, "/me", http.StatusSeeOther)
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	id, se, ok := s.sess.lookup(r)
	if !ok || !validCSRF(r, se) {
		http.Error(w, "请求无效(缺少或错误的表单令牌) / invalid form token", http.StatusForbidden)
		return
	}
	s.sess.end(id)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// member resolves the session to a roster member (nil when logged out or
// no longer on the roster).
func (s *server) member(r *http.Request) (session, *config.Community, *bot.Member) {
	_, se, ok := s.sess.lookup(r)
	if !ok {
		return se, nil, nil
	}
	var c *config.Community
	var m *bot.Member
	s.opts.Engine.Read(func(tx *engine.Tx) {
		if c = tx.Community(se.community); c != nil {
			m = c.Member(se.member)
		}
	})
	return se, c, m
}

type mePage struct {
	Community *config.Community
	Name      string
	CSRF      string
	Topics    []meTopic
	Officer   bool
	Chart     template.HTML
	Months    []monthRow
	Reminders []reminders.Message
	Verify    string
	VerifyOK  bool
	Backup    bool
}

type meTopic struct {
	ID, Title, Stage, Role, Vote string
}

type monthRow struct {
	Month                    string
	Agreed, Failed, NoQuorum int
}

func (s *server) me(w http.ResponseWriter, r *http.Request) {
	se, c, m := s.member(r)
	if m == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_ = pages.ExecuteTemplate(w, "error", "请先登录：在私聊里给议事助手发「网页登录」，打开它发给您的链接。")
		return
	}
	p := mePage{Community: c, Name: m.Name, CSRF: se.csrf}
	officer := bot.Authorize(bot.Actor{Member: m}, bot.ActOfficerPages, nil) == nil
	s.opts.Engine.Read(func(tx *engine.Tx) {
		now := tx.Now()
		tx.EachTopic(c.ID, func(t *bot.Topic) bool {
			role := ""
			switch {
			case t.Proposer == m.ID:
				role = "提议人"
			case t.Chair == m.ID:
				role = "主持人"
			case t.Recorder == m.ID:
				role = "记录员"
			case t.IsParticipant(m.ID):
				role = "参会"
			}
			if role == "" {
				return true
			}
			mt := meTopic{ID: t.ID, Title: t.Title, Stage: t.Stage.Chinese(), Role: role}
			switch {
			case t.Plan.Ballot == bot.BallotSecret && t.Result != nil:
				mt.Vote = "无记名投票：不记录、不显示任何人的选择"
			case t.Plan.Ballot == bot.BallotSecret:
				mt.Vote = "无记名投票：请在私聊里投票，网页不显示选择"
			default:
				if ch, ok := tx.Ballots(c.ID, t)[m.ID]; ok {
					mt.Vote = "您的表决：" + ch.Chinese()
				}
			}
			p.Topics = append(p.Topics, mt)
			return true
		})
		if officer {
			p.Officer = true
			p.Months = monthsByOutcome(tx, c)
			p.Chart = barChart(p.Months)
			p.Reminders = append(reminders.Digests(tx, c, now, nil), reminders.Meetings(tx, c, now, nil)...)
		}
	})
	if officer && s.opts.Verify != nil {
		p.Verify, p.VerifyOK = s.opts.Verify(c.ID)
	}
	p.Backup = officer && s.opts.Backup != nil
	render(w, "me", p)
}

// monthsByOutcome counts the topics voted on per month by outcome.
func monthsByOutcome(tx *engine.Tx, c *config.Community) []monthRow {
	by := map[string]*monthRow{}
	tx.EachTopic(c.ID, func(t *bot.Topic) bool {
		for k := 1; k <= t.RoundCount(); k++ {
			v, ok := t.RoundView(k)
			if !ok || v.Result == nil {
				continue
			}
			month := v.Result.ClosedAt.In(c.Location).Format("2006-01")
			if by[month] == nil {
				by[month] = &monthRow{Month: month}
			}
			switch {
			case !v.Result.QuorumMet:
				by[month].NoQuorum++
			case v.Result.Agreed:
				by[month].Agreed++
			default:
				by[month].Failed++
			}
		}
		return true
	})
	var out []monthRow
	for _, r := range by {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Month < out[j].Month })
	return out
}

// barChart draws topics per month by outcome as a stacked SVG bar chart,
// on the server: the page needs no script.
func barChart(rows []monthRow) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	maxN := 1
	for _, r := range rows {
		maxN = max(maxN, r.Agreed+r.Failed+r.NoQuorum)
	}
	const barW, gap, h, top = 36, 14, 160, 10
	width := len(rows)*(barW+gap) + gap
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="每月议题表决结果">`, width, h+top+40)
	for i, r := range rows {
		x := gap + i*(barW+gap)
		y := top + h
		for _, part := range []struct {
			n     int
			color string
			what  string
		}{{r.Agreed, "#2e7d32", "通过"}, {r.Failed, "#c62828", "未通过"}, {r.NoQuorum, "#9e9e9e", "未达法定人数"}} {
			if part.n == 0 {
				continue
			}
			ph := part.n * h / maxN
			y -= ph
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s %s %d</title></rect>`, x, y, barW, ph, part.color,
				template.HTMLEscapeString(r.Month), part.what, part.n)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>`, x+barW/2, top+h+16, template.HTMLEscapeString(r.Month))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle">%d</text>`, x+barW/2, top+h+32, r.Agreed+r.Failed+r.NoQuorum)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built here from numbers and escaped month labels
}

func (s *server) backup(w http.ResponseWriter, r *http.Request) {
	se, c, m := s.member(r)
	if m == nil {
		http.Error(w, "请先登录 / log in first", http.StatusUnauthorized)
		return
	}
	if !validCSRF(r, se) {
		http.Error(w, "请求无效(缺少或错误的表单令牌) / invalid form token", http.StatusForbidden)
		return
	}
	if err := bot.Authorize(bot.Actor{Member: m}, bot.ActOfficerPages, nil); err != nil || s.opts.Backup == nil {
		http.Error(w, bot.ErrorMessage(err), http.StatusForbidden)
		return
	}
	var buf bytes.Buffer
	if err := s.opts.Backup(&buf); err != nil {
		http.Error(w, "备份失败 / backup failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="yishi-%s-%s.backup"`, c.ID, s.opts.Now().Format("20060102-150405")))
	_, _ = w.Write(buf.Bytes())
}

var _ = strings.TrimSpace
var _ = time.Now
