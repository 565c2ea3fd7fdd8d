package flows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
)

var planSteps = map[string]step{
	"time": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			return "制定协商方案(共5项)。\n1. 协商时间？例如：2026-12-05 19:30，或 12月5日 19:30，或 明天 19:30"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			t, err := parseDateTime(m.text, m.tx.Now(), m.comm.Location)
			if err != nil {
				b.retry(m, c, bot.ErrorMessage(err))
				return
			}
			c.Values["time"] = t.Format(time.RFC3339)
			b.ask(m, c, "place")
		},
	},
	"place": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			return "2. 协商地点？例如：村民生议事厅"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			if err := engine.CheckLength("地点", m.raw, 2, 100); err != nil {
				b.retry(m, c, bot.ErrorMessage(err))
				return
			}
			c.Values["place"] = m.raw
			b.ask(m, c, "form")
		},
	},
	"form": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			return "3. 协商方式？回复数字：1 现场  2 线上  3 线上+现场"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			f, ok := bot.FormByName(m.text)
			if !ok {
				b.retry(m, c, "请回复 1 现场、2 线上 或 3 线上+现场。")
				return
			}
			c.Values["form"] = string(f)
			b.ask(m, c, "rule")
		},
	},
	"rule": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			var sb strings.Builder
			sb.WriteString("4. 议事规则？回复数字，或「好」使用本社区默认规则(" + bot.Presets[m.comm.DefaultPreset].Name + ")：")
			for i, k := range presetsFor(m.comm) {
				p := bot.Presets[k]
				fmt.Fprintf(&sb, "\n%d %s：%s；%s", i+1, p.Name, p.RuleDoc, p.QuorumDoc)
			}
			return sb.String()
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			key := m.comm.DefaultPreset
			presetOrder := presetsFor(m.comm)
			if !isYes(m.text) {
				k, ok := choose(m.text, len(presetOrder))
				if !ok {
					if p, found := bot.PresetByName(m.text); found {
						key = p.Key
					} else {
						b.retry(m, c, fmt.Sprintf("请回复 1-%d 的数字，或「好」。", len(presetOrder)))
						return
					}
				} else {
					key = presetOrder[k-1]
				}
			}
			c.Values["preset"] = key
			b.ask(m, c, "ballot")
		},
	},
	"ballot": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			return "5. 表决方式？回复数字：1 举手(记名，在群里回复)  2 投票(无记名，私聊投票，只公布票数)\n可以在后面加上表决时限(分钟)，例如「1 30」表示举手表决、开始后30分钟自动结束；不加则由主持人结束。"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			f := strings.Fields(m.text)
			if len(f) == 0 || len(f) > 2 {
				b.retry(m, c, "请回复 1 或 2，可以加上分钟数，例如「1 30」。")
				return
			}
			switch f[0] {
			case "1", "举手", "记名":
				c.Values["ballot"] = string(bot.BallotOpen)
			case "2", "投票", "无记名":
				c.Values["ballot"] = string(bot.BallotSecret)
			default:
				b.retry(m, c, "请回复 1 举手 或 2 投票，可以加上分钟数，例如「1 30」。")
				return
			}
			c.Values["minutes"] = "0"
			if len(f) == 2 {
				n, err := strconv.Atoi(strings.TrimSuffix(f[1], "分钟"))
				if err != nil || n < 1 || n > 7*24*60 {
					b.retry(m, c, "表决时限请写1到10080之间的分钟数，例如「1 30」。")
					return
				}
				c.Values["minutes"] = strconv.Itoa(n)
			}
			b.ask(m, c, "confirm")
		},
	},
	"confirm": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			p := planFrom(c)
			limit := "由主持人结束"
			if p.VoteMinutes > 0 {
				limit = fmt.Sprintf("开始后%d分钟自动结束", p.VoteMinutes)
			}
			return fmt.Sprintf("请核对协商方案(议题 #%s)：\n时间：%s\n地点：%s\n方式：%s\n规则：%s\n表决：%s，%s\n回复「确认」发布并私聊通知全体参会人员，「取消」放弃。",
				c.Topic, p.Time.In(m.comm.Location).Format("2006年1月2日 15:04"), p.Place, p.Form.Chinese(), bot.Presets[p.Preset].Name, p.Ballot.Chinese(), limit)
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			if !isYes(m.text) {
				b.retry(m, c, "请回复「确认」发布，或「取消」放弃。")
				return
			}
			t, err := m.tx.SetPlan(m.comm.ID, c.Topic, m.member, planFrom(c))
			if err != nil {
				b.retry(m, c, bot.ErrorMessage(err))
				return
			}
			b.end(m)
			m.reply("协商方案已发布，已私聊通知%d位参会人员，群里已发公告。开会时由主持人%s发「开始协商 #%s」。", len(t.Participants), m.tx.Name(m.comm.ID, t.Chair), t.ID)
		},
	},
}

// presetsFor lists the rules a community may choose, in this order: the
// assembly statutes differ for villages and urban communities.
func presetsFor(c *config.Community) []string {
	if c.Kind == config.KindCommunity {
		return []string{bot.DefaultPreset, "representatives", "residents"}
	}
	return []string{bot.DefaultPreset, "representatives", "villagers", "villagers_households"}
}

func planFrom(c *engine.Conversation) bot.Plan {
	t, _ := time.Parse(time.RFC3339, c.Values["time"])
	n, _ := strconv.Atoi(c.Values["minutes"])
	return bot.Plan{Time: t, Place: c.Values["place"], Form: bot.Form(c.Values["form"]), Preset: c.Values["preset"],
		Ballot: bot.Ballot(c.Values["ballot"]), VoteMinutes: n}
}

var (
	reISO     = regexp.MustCompile(`^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})[日号]?$`)
	reClock   = regexp.MustCompile(`^(\d{1,2})(?:[:：点时](\d{1,2})?分?)?(半)?$`)
	reRelDay  = map[string]int{"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
	dayPeriod = []string{"上午", "早上", "下午", "晚上", "中午"}
)

// parseDate reads a date such as 2026-12-31, 12月31日, 12-31 or 明天, in loc.
func parseDate(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	now = now.In(loc)
	if d, ok := reRelDay[s]; ok {
		y, mo, dd := now.AddDate(0, 0, d).Date()
		return time.Date(y, mo, dd, 0, 0, 0, 0, loc), nil
	}
	g := reISO.FindStringSubmatch(s)
	if g == nil {
		return time.Time{}, bot.Errorf(bot.EINVALID, "没看懂日期「%s」。请写成 2026-12-31 或 12月31日。", clip(s, 20))
	}
	y := now.Year()
	if g[1] != "" {
		y, _ = strconv.Atoi(g[1])
	}
	mo, _ := strconv.Atoi(g[2])
	d, _ := strconv.Atoi(g[3])
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc)
	if t.Month() != time.Month(mo) || t.Day() != d || mo < 1 || mo > 12 {
		return time.Time{}, bot.Errorf(bot.EINVALID, "日期「%s」不存在，请检查月份和日子。", clip(s, 20))
	}
	if g[1] == "" && t.Before(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)) {
		t = t.AddDate(1, 0, 0) // a month-day already past means next year
	}
	return t, nil
}

// parseDateTime reads "2026-12-05 19:30", "12月5日 19:30", "12月5日晚上7点",
// "明天 19:30" in loc, and refuses times in the past.
func parseDateTime(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := bot.Errorf(bot.EINVALID, "没看懂时间「%s」。请写成 2026-12-05 19:30、12月5日 19:30 或 明天 19:30。", clip(s, 30))
	datePart, clock := s, ""
	if i := strings.IndexAny(s, " T"); i > 0 {
		datePart, clock = s[:i], strings.TrimSpace(s[i+1:])
	} else if i := strings.IndexAny(s, "日号天"); i > 0 {
		j := i + len("日")
		datePart, clock = s[:j], strings.TrimSpace(s[j:])
	}
	pm := false
	for _, p := range dayPeriod {
		if strings.HasPrefix(clock, p) {
			pm = p == "下午" || p == "晚上"
			clock = strings.TrimSpace(strings.TrimPrefix(clock, p))
		}
	}
	day, err := parseDate(datePart, now, loc)
	if err != nil {
		return time.Time{}, err
	}
	g := reClock.FindStringSubmatch(clock)
	if g == nil {
		return time.Time{}, bad
	}
	h, _ := strconv.Atoi(g[1])
	mi := 0
	if g[2] != "" {
		mi, _ = strconv.Atoi(g[2])
	}
	if g[3] != "" {
		mi = 30
	}
	if pm && h < 12 {
		h += 12
	}
	if h > 23 || mi > 59 {
		return time.Time{}, bad
	}
	t := time.Date(day.Year(), day.Month(), day.Day(), h, mi, 0, 0, loc)
	if t.Before(now) {
		return time.Time{}, bot.Errorf(bot.EINVALID, "时间 %s 已经过去了，请写一个以后的时间。", t.Format("2006-01-02 15:04"))
	}
	return t, nil
}

func (b *Bot) cmdPlan(m *msg, rest string) {
	if err := bot.Authorize(m.actor(), bot.ActPrepare, nil); err != nil {
		b.refuse(m, err)
		return
	}
	t := b.topic(m, refOnly(rest), scopeAll, bot.StageApproved, bot.StageRedeliberate)
	if t == nil {
		return
	}
	if err := bot.Authorize(m.actor(), bot.ActPrepare, t); err != nil {
		b.refuse(m, err)
		return
	}
	if t.Stage != bot.StageApproved && t.Stage != bot.StageRedeliberate && t.Stage != bot.StageNotified {
		m.reply("议题 %s 现在是「%s」，审定同意后(或再议时)才能制定协商方案。", t.Label(), t.Stage.Chinese())
		return
	}
	if err := m.tx.CoolingOff(m.comm.ID, t); err != nil {
		m.replyErr(err)
		return
	}
	b.start(m, "plan", "time", t.ID, nil)
}
