package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
)

// Stats is the evaluation (评估) of one community in one period: topics are
// counted in the period in which they were proposed.
type Stats struct {
	Community string         `json:"community"`
	Name      string         `json:"name"`
	Period    string         `json:"period"`
	Topics    int            `json:"topics"`
	Rounds    int            `json:"rounds"`     // meeting rounds held (a topic held again counts each)
	HeldAgain int            `json:"held_again"` // topics with more than one round
	Category  map[string]int `json:"by_category"`
	Outcome   map[string]int `json:"by_outcome"`
	Overrides []string       `json:"screening_overrides"` // topic ids approved against the pre-screening
	// Median days from the proposal to each milestone, and how many topics
	// reached it (nil median: none did).
	DaysToApproval  *float64  `json:"median_days_to_approval"`
	Approved        int       `json:"approved"`
	DaysToResult    *float64  `json:"median_days_to_result"`
	Voted           int       `json:"voted"`
	DaysToConfirmed *float64  `json:"median_days_to_confirmed"`
	Completed       int       `json:"completed"`
	Meetings        []Meeting `json:"meetings"`
	Present         int       `json:"present"`  // 实到, summed over meetings
	Expected        int       `json:"expected"` // 应到, summed over meetings
	Items           int       `json:"items"`
	ItemsConfirmed  int       `json:"items_confirmed"`
	Overdue         []Overdue `json:"overdue"`
}

// Meeting is the participation of one vote.
type Meeting struct {
	Topic    string `json:"topic"`
	Round    int    `json:"round"`
	Title    string `json:"title"`
	Date     string `json:"date"`
	Present  int    `json:"present"`
	Expected int    `json:"expected"`
}

// Overdue is an item past its due date and not 已落实.
type Overdue struct {
	No          int    `json:"no"`
	Topic       string `json:"topic"`
	What        string `json:"what"`
	Responsible string `json:"responsible"`
	Due         string `json:"due"`
	Days        int    `json:"days"`
	Status      string `json:"status"`
}

func runStats(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("stats", io)
	var d dataFlags
	d.register(fs)
	d.registerStore(fs)
	period := fs.String("period", "quarter", "统计时期：year 年、quarter 季度、month 月、all 全部")
	asJSON := fs.Bool("json", false, "输出 JSON")
	atFlag := fs.String("at", "", "按这个时间计算逾期(默认现在)，格式同 yishi reminders --at")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !slices.Contains([]string{"year", "quarter", "month", "all"}, *period) {
		fmt.Fprintf(io.Err, "--period 只能是 year、quarter、month 或 all，不是 %q\n", *period)
		return errUsage
	}
	at, err := previewTime(*atFlag, time.Now())
	if err != nil {
		fmt.Fprintln(io.Err, err)
		return errUsage
	}

	a, comms, err := d.openExisting(ctx, io)
	if err != nil {
		return err
	}
	defer a.Close()
	var all []*Stats
	a.Engine.Read(func(tx *engine.Tx) {
		for _, c := range comms {
			all = append(all, communityStats(tx, c, *period, at(c))...)
		}
	})
	if *asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	writeStats(io.Out, all)
	return nil
}

func periodOf(t time.Time, period string) string {
	switch period {
	case "year":
		return t.Format("2006年")
	case "month":
		return t.Format("2006年1月")
	case "all":
		return "全部"
	}
	return fmt.Sprintf("%d年第%d季度", t.Year(), (int(t.Month())-1)/3+1)
}

func outcomeOf(t *bot.Topic) string {
	switch {
	case t.Stage == bot.StageDeclined:
		return fmt.Sprintf("不予受理(五不议第%d条)", t.DeclineRule)
	case t.Result != nil && !t.Result.QuorumMet:
		return "到会人数不足"
	case t.Result != nil && t.Result.Agreed:
		return "通过"
	case t.Result != nil:
		return "未通过"
	}
	return t.Stage.Chinese()
}

func communityStats(tx *engine.Tx, c *config.Community, period string, now time.Time) []*Stats {
	loc := c.Location
	by := map[string]*Stats{}
	var order []string
	var approval, result, confirmed = map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	days := func(from, to time.Time) float64 { return to.Sub(from).Hours() / 24 }
	day := func(t time.Time) time.Time {
		y, m, d := t.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	tx.EachTopic(c.ID, func(t *bot.Topic) bool {
		p := periodOf(t.Created.In(loc), period)
		s := by[p]
		if s == nil {
			s = &Stats{Community: c.ID, Name: c.Name, Period: p, Category: map[string]int{}, Outcome: map[string]int{}}
			by[p] = s
			order = append(order, p)
		}
		s.Topics++
		cat := "未分类(未审定)"
		if t.Category > 0 && t.Category < len(bot.Categories) {
			cat = fmt.Sprintf("第%d类 %s", t.Category, bot.Categories[t.Category])
		}
		s.Category[cat]++
		s.Outcome[outcomeOf(t)]++
		if t.Screening.Override != "" {
			s.Overrides = append(s.Overrides, t.ID)
		}
		for _, h := range t.History {
			switch h.To {
			case bot.StageApproved:
				approval[p] = append(approval[p], days(t.Created, h.At))
			case bot.StageCompleted:
				confirmed[p] = append(confirmed[p], days(t.Created, h.At))
			}
		}
		if r := t.Result; r != nil {
			result[p] = append(result[p], days(t.Created, r.ClosedAt))
		}
		if t.RoundCount() > 1 {
			s.HeldAgain++
		}
		for k := 1; k <= t.RoundCount(); k++ {
			rv, ok := t.RoundView(k)
			if !ok || rv.Result == nil {
				continue
			}
			r := rv.Result
			s.Rounds++
			s.Meetings = append(s.Meetings, Meeting{Topic: t.ID, Round: k, Title: t.Title, Date: r.ClosedAt.In(loc).Format("2006-01-02"), Present: r.Present, Expected: r.Expected})
			s.Present += r.Present
			s.Expected += r.Expected
		}
		for _, f := range t.FollowUps {
			s.Items++
			if f.Status == bot.FollowUpConfirmed {
				s.ItemsConfirmed++
				continue
			}
			if late := int(day(now).Sub(day(f.Due)).Hours() / 24); late > 0 {
				s.Overdue = append(s.Overdue, Overdue{No: f.No, Topic: t.ID, What: f.What, Responsible: tx.Name(c.ID, f.Responsible),
					Due: f.Due.In(loc).Format("2006-01-02"), Days: late, Status: f.Status.Chinese()})
			}
		}
		return true
	})
	out := make([]*Stats, 0, len(order))
	for _, p := range order {
		s := by[p]
		s.DaysToApproval, s.Approved = median(approval[p]), len(approval[p])
		s.DaysToResult, s.Voted = median(result[p]), len(result[p])
		s.DaysToConfirmed, s.Completed = median(confirmed[p]), len(confirmed[p])
		slices.SortFunc(s.Overdue, func(a, b Overdue) int { return cmp.Compare(b.Days, a.Days) })
		out = append(out, s)
	}
	return out
}

// median of xs rounded to a tenth of a day; nil for none.
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	m = float64(int(m*10+0.5)) / 10
	return &m
}

func writeStats(w io.Writer, all []*Stats) {
	if len(all) == 0 {
		fmt.Fprintln(w, "还没有任何议题。")
		return
	}
	md := func(x *float64, n int) string {
		if x == nil {
			return "—(还没有)"
		}
		return fmt.Sprintf("%.1f天(%d个议题)", *x, n)
	}
	for _, s := range all {
		fmt.Fprintf(w, "== %s(%s) %s：议题%d个，协商表决%d轮(再议的议题%d个)\n", s.Name, s.Community, s.Period, s.Topics, s.Rounds, s.HeldAgain)
		fmt.Fprintf(w, "按类别：%s\n", counts(s.Category))
		fmt.Fprintf(w, "按结果：%s\n", counts(s.Outcome))
		if len(s.Overrides) > 0 {
			fmt.Fprintf(w, "未按预审意见审定(改判)：%d个(议题 #%s)\n", len(s.Overrides), strings.Join(s.Overrides, "、#"))
		} else {
			fmt.Fprintln(w, "未按预审意见审定(改判)：0个")
		}
		fmt.Fprintf(w, "用时中位数：提出→审定 %s；提出→表决结果 %s；提出→全部落实 %s\n",
			md(s.DaysToApproval, s.Approved), md(s.DaysToResult, s.Voted), md(s.DaysToConfirmed, s.Completed))
		if len(s.Meetings) > 0 {
			fmt.Fprintf(w, "参会(实到/应到)：合计%d/%d(%s%%)\n", s.Present, s.Expected, bot.Percent(s.Present, s.Expected))
			for _, m := range s.Meetings {
				fmt.Fprintf(w, "  议题 #%s「%s」第%d轮 %s：%d/%d\n", m.Topic, m.Title, m.Round, m.Date, m.Present, m.Expected)
			}
		}
		fmt.Fprintf(w, "落实事项：%d项，已落实%d项，逾期%d项\n", s.Items, s.ItemsConfirmed, len(s.Overdue))
		for _, o := range s.Overdue {
			fmt.Fprintf(w, "  #%d %s(议题 #%s，责任人%s，期限%s，逾期%d天，%s)\n", o.No, o.What, o.Topic, o.Responsible, o.Due, o.Days, o.Status)
		}
		fmt.Fprintln(w)
	}
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, "；")
}
