package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/reminders"
)

// runReminders prints the reminders a run at --at would send, to whom and
// why, without sending or recording anything.
func runReminders(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("reminders", io)
	var d dataFlags
	d.register(fs)
	d.registerStore(fs)
	atFlag := fs.String("at", "", "预览的时间，默认现在；例如 \"2027-01-05 09:00\"(按各社区提醒时区理解)或 RFC3339")
	asJSON := fs.Bool("json", false, "输出 JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
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
	plans := a.Reminders.Preview(at)
	if *asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(plans)
	}
	fmt.Fprint(io.Out, previewText(comms, plans))
	return nil
}

var previewLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"}

// previewTime reads --at: RFC3339 is an instant; a time without a zone is
// read in each community's reminder time zone ("9:00" means 9:00 there).
func previewTime(s string, now time.Time) (func(*config.Community) time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return func(*config.Community) time.Time { return now }, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return func(*config.Community) time.Time { return t }, nil
	}
	for _, l := range previewLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return func(c *config.Community) time.Time {
				t, _ := time.ParseInLocation(l, s, zoneOf(c))
				return t
			}, nil
		}
	}
	return nil, fmt.Errorf("--at %q 看不懂：请写成 2027-01-05 09:00 或 2027-01-05T09:00:00+08:00", s)
}

func zoneOf(c *config.Community) *time.Location {
	if c.Reminders.Location != nil {
		return c.Reminders.Location
	}
	return c.Location
}

func previewText(comms []*config.Community, plans []reminders.Planned) string {
	byID := map[string]*config.Community{}
	for _, c := range comms {
		byID[c.ID] = c
	}
	var sb strings.Builder
	total := 0
	for _, p := range plans {
		c := byID[p.Community]
		loc := zoneOf(c)
		f := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
		fmt.Fprintf(&sb, "== %s(%s)  预览时间 %s %s\n", p.Name, p.Community, f(p.At), loc)
		switch {
		case p.LastRun.IsZero():
			fmt.Fprintf(&sb, "定时汇总：cron %q，还没有运行过(第一次启动只记下起点)；下次 %s\n", c.Reminders.Cron, f(p.NextRun))
		case p.DigestDue:
			fmt.Fprintf(&sb, "定时汇总：cron %q，上次运行 %s，此时到期(%s 的那一次)\n", c.Reminders.Cron, f(p.LastRun), f(p.NextRun))
		default:
			fmt.Fprintf(&sb, "定时汇总：cron %q，上次运行 %s，此时未到期；下次 %s\n", c.Reminders.Cron, f(p.LastRun), f(p.NextRun))
		}
		if p.Quiet {
			fmt.Fprintf(&sb, "此时在免打扰时段：以下消息都不会发出，要等到 %s 之后(会议提醒届时如已过期则不再发)\n", f(p.QuietEnds))
		}
		if len(p.Messages) == 0 {
			sb.WriteString("没有要发的提醒。\n\n")
			continue
		}
		for _, m := range p.Messages {
			total++
			fmt.Fprintf(&sb, "→ %s(%s) 私聊 —— %s\n", m.ToName, m.To, m.Why)
			for _, l := range m.Lines {
				item := ""
				if l.Item > 0 {
					item = fmt.Sprintf(" 事项#%d", l.Item)
				}
				fmt.Fprintf(&sb, "  原因：%s，议题#%s%s\n", l.Kind.Chinese(), l.Topic, item)
			}
			sb.WriteString("  " + strings.ReplaceAll(m.Text, "\n", "\n  ") + "\n")
		}
		sb.WriteString("\n")
	}
	fmt.Fprintf(&sb, "共 %d 条提醒(预览，未发送、未记录)。\n", total)
	return sb.String()
}
