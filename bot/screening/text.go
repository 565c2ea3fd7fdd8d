package screening

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/yishi-community/yishi/bot"
)

func isPunctOrSymbol(r rune) bool {
	return unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
}

// ProposerText is one polite Chinese paragraph for the proposer. It never
// says the proposal is declined: a person reviews every proposal.
func (r Result) ProposerText() string {
	var b strings.Builder
	switch {
	case r.Empty:
		b.WriteString("您的提议内容为空或只有表情、标点，暂时无法受理，请用文字写明希望商议的具体事项。")
		return b.String()
	case r.Verdict == Admissible:
		b.WriteString("您的提议已收到，初步筛查可以进入议事协商")
		if r.Category > 0 {
			fmt.Fprintf(&b, "（六必议第%d类：%s）", r.Category, bot.Categories[r.Category])
		}
		b.WriteString("，已提交党组织审定，审定结果会及时告诉您。")
		return b.String()
	}
	b.WriteString("您的提议已收到，已提交党组织审定。初步筛查提示：")
	for i, ev := range r.firstPerRule() {
		if i > 0 {
			b.WriteString("；")
		}
		fmt.Fprintf(&b, "可能属于“五不议”第%d条（%s）", ev.Rule, bot.ExclusionRules[ev.Rule])
		switch {
		case ev.Example != nil:
			// The proposer is not shown another resident's proposal.
			b.WriteString("，与以往属于这一条的提议相似，需人工判断")
		case len(ev.Grams) > 0:
			b.WriteString("，用词与以往属于这一条的提议相近，需人工判断")
		case ev.Precedent != nil:
			// Nor another resident's proposal that was declined.
			b.WriteString("，与本村（社区）以往经审定不予受理的提议相似，需人工判断")
		case ev.Reason != "":
			b.WriteString("，")
			b.WriteString(strings.TrimRight(ev.Reason, "。"))
		}
	}
	b.WriteString("。这只是机器初筛，最终由工作人员审核决定，审核期间您可以补充说明情况。")
	if contains(r.Rules, 5) {
		b.WriteString("如属个人之间的纠纷，也可直接向村（社区）人民调解委员会申请调解。")
	}
	return b.String()
}

// ReviewerText is the detailed multi-line Chinese text for the reviewer:
// every flag with its evidence, the category, notes, and how to answer.
func (r Result) ReviewerText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "初筛结论：%s\n", r.Verdict.Chinese())
	if r.Empty {
		b.WriteString("· 提议没有可筛查的文字内容。\n")
	}
	for _, ev := range r.Evidence {
		fmt.Fprintf(&b, "· 五不议第%d条（%s）\n", ev.Rule, bot.ExclusionRules[ev.Rule])
		if ev.Match != nil {
			fmt.Fprintf(&b, "  依据：相近决议 %s「%s」，决议日期 %s，相似度 %.2f\n", ev.Match.ID, ev.Match.Title, orDash(ev.Match.DecidedOn), ev.Match.Score)
		} else if ev.Precedent != nil {
			fmt.Fprintf(&b, "  依据：本社区先例「%s」\n", clip(ev.Precedent.Text, 40))
		} else if ev.Example != nil {
			fmt.Fprintf(&b, "  依据：相似的已标注提议「%s」，相似度 %.2f（仅供参考，请人工判断）\n", ev.Example.Text, ev.Example.Score)
		} else if len(ev.Grams) > 0 {
			fmt.Fprintf(&b, "  依据：关键片段“%s”与已标注的这一条提议用词相近（统计判断，仅供参考，请人工判断）\n", strings.Join(ev.Grams, "”“"))
		} else if ev.Phrase != "" {
			fmt.Fprintf(&b, "  依据：命中“%s”\n", ev.Phrase)
		}
		fmt.Fprintf(&b, "  理由：%s\n", ev.Reason)
		if len(ev.Checks) > 0 {
			fmt.Fprintf(&b, "  请核对：%s\n", strings.Join(ev.Checks, "；"))
		}
	}
	if len(r.Matches) > 1 {
		b.WriteString("· 其他相近决议：\n")
		for _, m := range r.Matches[1:] {
			fmt.Fprintf(&b, "  %s「%s」%s 相似度 %.2f\n", m.ID, m.Title, orDash(m.DecidedOn), m.Score)
		}
	}
	if r.Category > 0 {
		fmt.Fprintf(&b, "· 建议归类：%s\n", r.CategoryReason)
	}
	if len(r.TopCategories) > 0 {
		fmt.Fprintf(&b, "  可能的类别：%s\n", r.CategoryLine())
	}
	if len(r.Precedents) > 0 {
		b.WriteString("· 本社区相似提议的审定先例：\n")
		for _, p := range r.Precedents {
			fmt.Fprintf(&b, "  %s：「%s」\n", p.Line(), clip(p.Text, 40))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "· 提示：%s\n", n)
	}
	if r.Verdict == Admissible {
		b.WriteString("请回复“同意”审定通过，或回复“不同意 理由”。")
	} else {
		b.WriteString("请回复“同意”按初筛处理，或回复“改判 理由”推翻初筛。")
	}
	return b.String()
}

func (r Result) firstPerRule() []Evidence {
	var out []Evidence
	seen := map[int]bool{}
	for _, ev := range r.Evidence {
		if !seen[ev.Rule] {
			seen[ev.Rule] = true
			out = append(out, ev)
		}
	}
	return out
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
