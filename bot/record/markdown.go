package record

import (
	"fmt"
	"strings"
)

// Markdown renders the record sheet as GitHub-flavoured Markdown. User text
// is escaped, so a title containing "*" or "<script>" prints literally.
func Markdown(s Sheet) string { return render(build(s), style{}) }

// Text renders the same sheet as plain text for a chat message: no markup
// and so no escapes (a phone shows user text as typed), no tables.
func Text(s Sheet) string { return render(build(s), style{plain: true}) }

// style is what differs between the Markdown and the plain-text sheet.
type style struct{ plain bool }

func (st style) inline(s string) string {
	if st.plain {
		return strings.Join(strings.Fields(strings.ReplaceAll(s, "\r", "")), " ")
	}
	return inline(s)
}

func (st style) inlineAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = st.inline(s)
	}
	return out
}

func (st style) block(s, indent string) string {
	if st.plain {
		return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+indent)
	}
	return block(s, indent)
}

func (st style) heading(level int, s string) string {
	if st.plain {
		if level == 1 {
			return "【" + s + "】"
		}
		return "〔" + s + "〕"
	}
	return strings.Repeat("#", level) + " " + s
}

func (st style) bold(s string) string {
	if st.plain {
		return s
	}
	return "**" + s + "**"
}

func render(v view, st style) string {
	var w mdWriter
	w.line(st.heading(1, "城乡社区议事协商记录表"))
	w.line("")
	w.line(fmt.Sprintf("社区：%s　议题编号：#%s　当前阶段：%s", st.inline(v.Community), st.inline(v.ID), st.inline(v.Stage)))
	if v.Rounds != "" {
		w.line("")
		w.line(st.inline(v.Rounds))
	}
	w.line("")
	if !st.plain {
		w.line("| 项目 | 内容 |")
		w.line("|---|---|")
	}
	for _, row := range [][2]string{
		{"协商议题", v.Title},
		{"议题来源", v.Source},
		{"议题类别", v.Category},
		{"审查情况", v.Screening + "；" + v.Review},
		{"协商主体", v.Participants},
		{"利益相关方", v.Stakeholders},
		{"应到/实到", v.Attendance},
		{"协商时间", v.Time},
		{"协商地点", v.Place},
		{"协商方式", v.Form + "；表决方式：" + v.Ballot},
		{"议事规则", v.Rule},
		{"协商主持人", v.Chair},
		{"协商记录员", v.Recorder},
		{"协商监督员", v.Supervisor},
	} {
		if st.plain {
			w.line(row[0] + "：" + st.inline(row[1]))
		} else {
			w.line("| " + row[0] + " | " + st.inline(row[1]) + " |")
		}
	}
	w.line("")

	w.line(st.heading(2, "议题内容"))
	w.line("")
	w.line(st.block(v.Content, ""))
	w.line("")
	w.line("涉及对象/范围：" + st.block(v.Affected, ""))
	w.line("")

	w.line(st.heading(2, "签到情况"))
	w.line("")
	w.line(fmt.Sprintf("- 已签到(%d人)：%s", len(v.PresentList), list(st.inlineAll(v.PresentList))))
	w.line(fmt.Sprintf("- 未签到(%d人)：%s", len(v.AbsentList), list(st.inlineAll(v.AbsentList))))
	w.line("")

	w.line(st.heading(2, "协商过程"))
	w.line("")
	for _, step := range v.Steps {
		w.line(st.heading(3, step.Title))
		w.line("")
		if len(step.Lines) == 0 {
			w.line("(本步骤无记录)")
		}
		for _, l := range step.Lines {
			w.line(fmt.Sprintf("- %s %s：%s", l.At, st.inline(l.Name), st.block(l.Text, "  ")))
		}
		w.line("")
	}
	w.line(st.heading(3, "提交表决的协商意见(达成的共识)"))
	w.line("")
	w.line(st.block(v.Opinion, ""))
	w.line("")
	w.line(st.heading(3, "异议"))
	w.line("")
	w.line(st.inline(v.Dissent))
	w.line("")
	if len(v.Room) > 0 {
		w.line(st.heading(3, "现场情况(代录)"))
		w.line("")
		for _, l := range v.Room {
			w.line("- " + st.inline(l))
		}
		w.line("")
	}
	w.line(st.heading(3, "流程记录"))
	w.line("")
	if len(v.Flow) == 0 {
		w.line("(无)")
	}
	for _, f := range v.Flow {
		w.line("- " + st.block(f, "  "))
	}
	w.line("")

	w.line(st.heading(2, "协商表决"))
	w.line("")
	if v.Voted {
		w.line(fmt.Sprintf("表决人数：%d 人；赞成人数：%d 人；反对人数：%d 人；弃权人数：%d 人。", v.Voters, v.For, v.Against, v.Abstain))
		w.line("")
		w.line(fmt.Sprintf("赞成人数比例：%s%%；反对人数比例：%s%%；弃权人数比例：%s%%。", v.PctFor, v.PctAgainst, v.PctAbstain))
	} else {
		w.line(notVoted)
		w.line("")
		w.line("表决人数：— 人；赞成人数：— 人；反对人数：— 人；弃权人数：— 人。")
		w.line("")
		w.line("赞成人数比例：—%；反对人数比例：—%；弃权人数比例：—%。")
	}
	w.line("")
	w.line(v.VoteNote)
	if len(v.OpenGroups) > 0 {
		w.line("")
	}
	for _, g := range v.OpenGroups {
		w.line(fmt.Sprintf("- %s(%d人)：%s", g.Choice, len(g.Names), list(st.inlineAll(g.Names))))
	}
	if v.OpenNote != "" {
		w.line("")
		w.line(st.inline(v.OpenNote))
	}
	if v.VoteWindow != "" {
		w.line("")
		w.line(st.inline(v.VoteWindow))
	}
	if v.Deadline != "" {
		w.line("")
		w.line(st.inline(v.Deadline))
	}
	w.line("")

	w.line(st.heading(2, "协商结果"))
	w.line("")
	w.line("(1) 确认协商结果：" + st.bold(st.inline(v.Verdict)))
	w.line("")
	w.line("- 适用规则：" + st.inline(v.RuleApplied))
	w.line("- 应到：" + v.Expected + "；实到：" + v.Present)
	w.line("- 计算：" + st.inline(v.Arithmetic))
	w.line("")
	switch {
	case !v.Voted:
		w.line("(2) 可落实的协商意见及监督落实，或再次协商的时机、要求：" + notVoted)
	case v.Agreed:
		w.line("(2) 可落实的协商意见及如何监督落实：")
		w.line("")
		if len(v.FollowUps) == 0 {
			w.line(v.NoFollowUps)
		} else {
			if !st.plain {
				w.line("| 编号 | 落实事项 | 责任人 | 完成时限 | 如何监督落实 | 状态 |")
				w.line("|---|---|---|---|---|---|")
			}
			for _, f := range v.FollowUps {
				if st.plain {
					w.line(fmt.Sprintf("- %s %s；责任人：%s；完成时限：%s；监督落实：%s；状态：%s", f.No, st.inline(f.What), st.inline(f.Who), f.Due, st.inline(f.Supervision), st.inline(f.Status)))
					continue
				}
				w.line(fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", f.No, st.inline(f.What), st.inline(f.Who), f.Due, st.inline(f.Supervision), st.inline(f.Status)))
			}
		}
	case v.NoQuorum:
		w.line("(2) 到会人数不足，表决不产生决定。再次协商的时机、要求：" + st.block(v.Redeliberation, ""))
	default:
		w.line("(2) 表决未通过，终止议事协商或者待时机成熟后再次组织开展议事协商。再次协商的时机、要求：" + st.block(v.Redeliberation, ""))
	}
	w.line("")
	w.line("公示、备案：" + st.inline(v.Filed))
	w.line("")
	for _, l := range v.Publicity {
		w.line("- " + st.inline(l))
	}
	if len(v.Publicity) > 0 {
		w.line("")
	}

	w.line(st.heading(2, "协商记录员签字"))
	w.line("")
	w.line("协商记录员签字：" + st.inline(v.Signature))
	w.line("")
	w.line("村(居)务监督委员会审核：" + st.inline(v.Audit))
	return w.String()
}

type mdWriter struct{ strings.Builder }

func (w *mdWriter) line(s string) {
	w.WriteString(s)
	w.WriteByte('\n')
}

// mdEscaper backslash-escapes the characters that would make user text
// bold, italic, code, a link, a table cell break or raw HTML.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, "|", `\|`, "~", `\~`, "&", `\&`, "$", `\$`,
)

// lines splits user text into escaped lines; a line that would start a
// heading, list or quote has its first character escaped too.
func lines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		l = mdEscaper.Replace(strings.TrimRight(l, " \t"))
		t := strings.TrimLeft(l, " ")
		if t != "" && strings.ContainsRune("#+-=>", rune(t[0])) {
			l = l[:len(l)-len(t)] + `\` + t
		} else if k := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' }); k > 0 && (t[k] == '.' || t[k] == ')') {
			l = l[:len(l)-len(t)] + t[:k] + `\` + t[k:]
		}
		ls[i] = l
	}
	return ls
}

// inline is user text for one table cell or line: escaped, with line
// breaks as <br>.
func inline(s string) string { return strings.Join(lines(s), "<br>") }

// block is user text that may span lines: escaped, with hard line breaks
// and continuation lines indented so they stay in the same list item.
func block(s, indent string) string { return strings.Join(lines(s), "\\\n"+indent) }

func list(ss []string) string {
	if len(ss) == 0 {
		return "(无)"
	}
	return strings.Join(ss, "、")
}
