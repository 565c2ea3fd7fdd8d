package screening

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/yishi-community/yishi/bot"
)

// Reviewer decisions are labelled examples. Every 审定 of the party
// organisation (approve with a category, return, decline with a rule) and
// every override of a screening flag is one ReviewedExample of its
// community. Learn indexes it at once (incrementally, like the archive of
// decisions): a later proposal close to it shows that decision as evidence
// with its similarity, a close decline flags its rule, close approvals
// vote for their category, and close overrides of a rule stop the screen
// from raising the same kind of flag again. A person still decides every
// proposal; the precedent is shown either way.

// ReviewKind is what the reviewer decided.
type ReviewKind string

const (
	ReviewApproved ReviewKind = "approved" // 同意, with a 六必议 category
	ReviewReturned ReviewKind = "returned" // 退回修改
	ReviewDeclined ReviewKind = "declined" // 不予受理, with a 五不议 rule
	ReviewOverride ReviewKind = "override" // a screening flag judged not to apply
)

// Chinese returns the kind's Chinese name.
func (k ReviewKind) Chinese() string {
	switch k {
	case ReviewApproved:
		return "审定同意"
	case ReviewReturned:
		return "退回修改"
	case ReviewDeclined:
		return "不予受理"
	case ReviewOverride:
		return "推翻初筛"
	}
	return string(k)
}

// ReviewedExample is one reviewer decision on one proposal.
type ReviewedExample struct {
	// ID identifies the decision (e.g. the audit entry or topic and step);
	// learning the same ID again replaces the earlier one.
	ID   string     `json:"id"`
	Kind ReviewKind `json:"kind"`
	// Text is the proposal as reviewed (title and content).
	Text string `json:"text"`
	// Category is the 六必议 category the reviewer chose (approved).
	Category int `json:"category,omitempty"`
	// Rule is the 五不议 rule the reviewer applied (declined).
	Rule int `json:"rule,omitempty"`
	// Flagged are the rules the screening had flagged; for an override,
	// the rules the reviewer judged not to apply.
	Flagged []int `json:"flagged,omitempty"`
	// ScreenCategory is the category the screening had proposed (for the
	// agreement statistics); 0 when unknown.
	ScreenCategory int    `json:"screen_category,omitempty"`
	Reason         string `json:"reason,omitempty"`
	DecidedOn      string `json:"decided_on"` // YYYY-MM-DD
	// Community is filled in by export, so that a shared file says where
	// each decision was taken.
	Community string `json:"community,omitempty"`
}

// Validate reports what is wrong with the example, in Chinese.
func (e ReviewedExample) Validate() error {
	var problems []string
	if strings.TrimSpace(e.ID) == "" {
		problems = append(problems, "缺少 id")
	}
	if strings.ContainsAny(e.ID, "\n") {
		problems = append(problems, "id 不能含换行")
	}
	if !hasContent(textnormOrEmpty(e.Text)) {
		problems = append(problems, "提议内容（text）为空")
	}
	switch e.Kind {
	case ReviewApproved:
		if e.Category < 1 || e.Category > 6 {
			problems = append(problems, fmt.Sprintf("审定同意须注明六必议类别 1-6（category 为 %d）", e.Category))
		}
	case ReviewDeclined:
		if e.Rule < 1 || e.Rule > 5 {
			problems = append(problems, fmt.Sprintf("不予受理须注明五不议条目 1-5（rule 为 %d）", e.Rule))
		}
	case ReviewOverride:
		if len(e.Flagged) == 0 {
			problems = append(problems, "推翻初筛须注明被推翻的五不议条目（flagged）")
		}
		if strings.TrimSpace(e.Reason) == "" {
			problems = append(problems, "推翻初筛须写明理由（reason）")
		}
	case ReviewReturned:
	default:
		problems = append(problems, fmt.Sprintf("kind 为 %q，应为 approved、returned、declined 或 override", e.Kind))
	}
	for _, r := range e.Flagged {
		if r < 1 || r > 5 {
			problems = append(problems, fmt.Sprintf("flagged 中的条目 %d 不在 1-5 之间", r))
		}
	}
	if e.ScreenCategory < 0 || e.ScreenCategory > 6 {
		problems = append(problems, fmt.Sprintf("screen_category %d 不在 0-6 之间", e.ScreenCategory))
	}
	if _, err := time.Parse("2006-01-02", e.DecidedOn); err != nil {
		problems = append(problems, fmt.Sprintf("decided_on %q 不是 YYYY-MM-DD 格式的日期", e.DecidedOn))
	}
	if len(problems) > 0 {
		return fmt.Errorf("审定记录 %q 有误：%s", e.ID, strings.Join(problems, "；"))
	}
	return nil
}

func textnormOrEmpty(s string) string { return prepare(s) }

// Precedent is an earlier reviewer decision similar to the proposal.
type Precedent struct {
	ID        string     `json:"id"`
	Kind      ReviewKind `json:"kind"`
	Category  int        `json:"category,omitempty"`
	Rule      int        `json:"rule,omitempty"`
	Flagged   []int      `json:"flagged,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	DecidedOn string     `json:"decided_on"`
	Text      string     `json:"text"`
	Score     float64    `json:"score"`
}

// Line is the precedent in one Chinese sentence, e.g. "2026-10 同类提议经
// 党组织审定为六必议第2类（相似度0.82）".
func (p Precedent) Line() string {
	when := p.DecidedOn
	if len(when) >= 7 {
		when = when[:7]
	}
	var what string
	switch p.Kind {
	case ReviewApproved:
		what = fmt.Sprintf("同类提议经党组织审定为六必议第%d类", p.Category)
	case ReviewReturned:
		what = "同类提议曾被退回修改"
	case ReviewDeclined:
		what = fmt.Sprintf("同类提议曾以五不议第%d条不予受理", p.Rule)
	case ReviewOverride:
		what = fmt.Sprintf("同类提议的五不议第%s条初筛提示曾被党组织推翻", joinInts(p.Flagged, "、"))
	}
	s := fmt.Sprintf("%s %s（相似度%.2f）", when, what, p.Score)
	if p.Reason != "" {
		s += "，理由：" + clip(p.Reason, 40)
	}
	return s
}

func joinInts(xs []int, sep string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, sep)
}

// Thresholds of the precedent layer on the similarity score in [0, 1].
// They were set on the learning test (TestLearnOverridesLowerFalseFlags)
// and TestPrecedentSafety, never on an evaluation set.
const (
	precedentK       = 8    // neighbours consulted
	precedentFloor   = 0.40 // a neighbour below this does not count
	precedentShow    = 0.40 // shown to the reviewer from here
	maxPrecedents    = 3
	declineFlag      = 0.55 // a decline this close flags its rule
	overrideBest     = 0.45 // the closest override must be this close to lift anything
	habitMin         = 10   // overrides of a rule that make them a habit of the community
	habitFloor       = 0.25 // ... then neighbours from this similarity count
	habitBest        = 0.30 // ... and the closest override must be this close
	overrideSupport  = 0.6  // summed similarity of overrides that lifts a review flag
	overrideStrong   = 1.2  // ... and an excluded-level flag (with 2 precedents or more)
	approvalCatWight = 6.0  // weight of an approval of similarity 1 in the category vote
)

// reviewBank is one community's reviewed examples: the archive's index
// over their text, and the examples by doc number.
type reviewBank struct {
	mu    sync.RWMutex
	idx   *archive
	byDoc []ReviewedExample
	live  map[string]int // ID -> doc
	// overridden and confirmed count, per rule, the live examples that
	// overrode a flag of the rule and that declined with it.
	overridden, confirmed [6]int
}

func (b *reviewBank) count(ex ReviewedExample, d int) {
	switch ex.Kind {
	case ReviewOverride, ReviewApproved:
		for _, r := range ex.Flagged {
			b.overridden[r] += d
		}
	case ReviewDeclined:
		b.confirmed[ex.Rule] += d
	}
}

// habitual reports whether reviewers of this community override flags of
// rule r as a habit: at least habitMin overrides and at most one
// confirmation in ten. Such a rule is lifted on wider similarity.
func (b *reviewBank) habitual(r int) bool {
	if b == nil {
		return false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.overridden[r] >= habitMin && b.confirmed[r]*10 <= b.overridden[r]
}

// newReviewBank: a word in more than 2% of a community's reviewed
// proposals says little about which decision a new one resembles, and
// skipping it keeps the search over 10,000 examples cheap.
func newReviewBank() *reviewBank {
	idx := newArchive()
	idx.maxDFShare = 50
	return &reviewBank{idx: idx, live: map[string]int{}}
}

func (b *reviewBank) add(ex ReviewedExample) {
	text := archiveText(prepare(ex.Text))
	b.mu.Lock()
	defer b.mu.Unlock()
	// The archive numbers docs in order of addition; adding under b.mu
	// keeps byDoc aligned with it.
	b.idx.add(Decision{ID: ex.ID}, text, "", 0)
	if old, ok := b.live[ex.ID]; ok {
		b.count(b.byDoc[old], -1)
	}
	b.count(ex, +1)
	b.live[ex.ID] = len(b.byDoc)
	b.byDoc = append(b.byDoc, ex)
}

func (b *reviewBank) examples() []ReviewedExample {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]ReviewedExample, 0, len(b.live))
	for _, doc := range b.live {
		out = append(out, b.byDoc[doc])
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DecidedOn != out[j].DecidedOn {
			return out[i].DecidedOn < out[j].DecidedOn
		}
		return out[i].ID < out[j].ID
	})
	return out
}

type precedentHit struct {
	ex    ReviewedExample
	score float64
}

func (b *reviewBank) near(aq string, floor float64) []precedentHit {
	if b == nil || utf8.RuneCountInString(aq) < 4 {
		return nil
	}
	cands, _ := b.idx.search(aq, precedentK, floor)
	if len(cands) == 0 {
		return nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]precedentHit, 0, len(cands))
	for _, c := range cands {
		if int(c.doc) < len(b.byDoc) {
			out = append(out, precedentHit{ex: b.byDoc[c.doc], score: c.score})
		}
	}
	return out
}

// Learn adds one reviewer decision to comm's labelled examples. It takes
// effect for the next Screen of that community; adding is incremental (no
// rebuild), and an example with an ID already learnt replaces it.
func (s *Screener) Learn(comm string, ex ReviewedExample) error {
	if err := ex.Validate(); err != nil {
		return err
	}
	ex.Flagged = slices.Clone(ex.Flagged)
	slices.Sort(ex.Flagged)
	ex.Flagged = slices.Compact(ex.Flagged)
	ex.Community = ""
	s.bank(comm, true).add(ex)
	return nil
}

// Reviewed returns comm's reviewed examples (the latest per ID), oldest
// first.
func (s *Screener) Reviewed(comm string) []ReviewedExample {
	b := s.bank(comm, false)
	if b == nil {
		return nil
	}
	return b.examples()
}

// ReviewedCount is the number of comm's reviewed examples.
func (s *Screener) ReviewedCount(comm string) int {
	b := s.bank(comm, false)
	if b == nil {
		return 0
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.live)
}

func (s *Screener) bank(comm string, create bool) *reviewBank {
	s.revMu.RLock()
	b := s.rev[comm]
	s.revMu.RUnlock()
	if b != nil || !create {
		return b
	}
	s.revMu.Lock()
	defer s.revMu.Unlock()
	if s.rev == nil {
		s.rev = map[string]*reviewBank{}
	}
	if b = s.rev[comm]; b == nil {
		b = newReviewBank()
		s.rev[comm] = b
	}
	return b
}

// applyPrecedents lets comm's reviewed examples speak: it fills
// res.Precedents, adds flags of close declines, lifts flags that close
// overrides contradict, and votes for the categories of close approvals.
// excluded says per rule whether its flag is excluded-level.
func applyPrecedents(hits []precedentHit, habit [6]bool, res *Result, ruleEv map[int][]Evidence, excluded map[int]bool, cats *catScores) {
	if len(hits) == 0 {
		return
	}
	var support, against [6]float64
	var supporters [6]int
	var bestOverride [6]*precedentHit
	var bestDecline [6]*precedentHit
	for i := range hits {
		h := &hits[i]
		p := h.ex
		if h.score < precedentFloor && !slices.ContainsFunc(p.Flagged, func(r int) bool { return habit[r] }) {
			continue // below the floor: counts only as a habitual override
		}
		if h.score >= precedentShow && len(res.Precedents) < maxPrecedents {
			res.Precedents = append(res.Precedents, Precedent{ID: p.ID, Kind: p.Kind, Category: p.Category, Rule: p.Rule,
				Flagged: slices.Clone(p.Flagged), Reason: p.Reason, DecidedOn: p.DecidedOn, Text: p.Text, Score: round2(h.score)})
		}
		switch p.Kind {
		case ReviewDeclined:
			against[p.Rule] += h.score
			if bestDecline[p.Rule] == nil {
				bestDecline[p.Rule] = h
			}
		case ReviewOverride, ReviewApproved:
			// An approval of a flagged proposal overrides its flags too.
			for _, r := range p.Flagged {
				support[r] += h.score
				supporters[r]++
				if bestOverride[r] == nil {
					bestOverride[r] = h
				}
			}
			if p.Kind == ReviewApproved {
				cats.late = append(cats.late, lateVote{p.Category, approvalCatWight * h.score, fmt.Sprintf("本社区同类提议曾经党组织审定为第%d类（%s，相似度%.2f）。", p.Category, p.DecidedOn, h.score), "先例" + p.DecidedOn})
			}
		}
	}
	for r := 1; r <= 5; r++ {
		if d := bestDecline[r]; d != nil && d.score >= declineFlag && len(ruleEv[r]) == 0 && against[r] > support[r] {
			p := precedentOf(*d)
			ruleEv[r] = []Evidence{{Rule: r, Precedent: &p, Reason: fmt.Sprintf("%s，请人工判断是否同样适用。", p.Line())}}
			continue
		}
		o := bestOverride[r]
		best := overrideBest
		if habit[r] {
			best = habitBest
		}
		if o == nil || o.score < best || len(ruleEv[r]) == 0 || support[r] <= 2*against[r] {
			continue
		}
		p := precedentOf(*o)
		switch {
		case excluded[r] && support[r] >= overrideStrong && supporters[r] >= 2, !excluded[r] && support[r] >= overrideSupport:
			delete(ruleEv, r)
			delete(excluded, r)
			res.Lifted = append(res.Lifted, r)
			res.Notes = append(res.Notes, fmt.Sprintf("五不议第%d条的初筛提示未予标记：%s。如情况不同，请审核人判断。", r, p.Line()))
		case excluded[r] && support[r] >= overrideSupport:
			excluded[r] = false
			res.Notes = append(res.Notes, fmt.Sprintf("五不议第%d条由“疑似属于”降为“需人工审核”：%s。", r, p.Line()))
		}
	}
}

// precedentsFor finds comm's precedents for a proposal whose flags are in
// ruleEv: on wider similarity when reviewers habitually override one of
// the flagged rules.
func (s *Screener) precedentsFor(comm, aq string, ruleEv map[int][]Evidence) ([]precedentHit, [6]bool) {
	b := s.bank(comm, false)
	if b == nil {
		return nil, [6]bool{}
	}
	var habit [6]bool
	floor := precedentFloor
	for r := 1; r <= 5; r++ {
		if len(ruleEv[r]) > 0 && b.habitual(r) {
			habit[r] = true
			floor = habitFloor
		}
	}
	return b.near(aq, floor), habit
}

func precedentOf(h precedentHit) Precedent {
	p := h.ex
	return Precedent{ID: p.ID, Kind: p.Kind, Category: p.Category, Rule: p.Rule, Flagged: slices.Clone(p.Flagged),
		Reason: p.Reason, DecidedOn: p.DecidedOn, Text: p.Text, Score: round2(h.score)}
}

// RuleAgreement counts, for one 五不议 rule, how reviewers met the
// screening's flags.
type RuleAgreement struct {
	Flagged    int `json:"flagged"`    // reviewed proposals the screening had flagged with the rule
	Confirmed  int `json:"confirmed"`  // ... declined by the reviewer with this rule
	Overridden int `json:"overridden"` // ... overridden, approved or returned anyway
	Missed     int `json:"missed"`     // declined with this rule although the screening had not flagged it
}

// CategoryAgreement counts, for one 六必议 category the screening proposed,
// how often the reviewer approved the proposal under it.
type CategoryAgreement struct {
	Proposed int `json:"proposed"` // approvals whose screening had proposed this category
	Agreed   int `json:"agreed"`   // ... approved under the same category
}

// Agreement is how often reviewers agreed with the screening, per rule
// and per category (index 1-5 and 1-6; index 0 unused).
type Agreement struct {
	Rules      [6]RuleAgreement     `json:"rules"`
	Categories [7]CategoryAgreement `json:"categories"`
}

// AgreementOf computes the statistics over reviewed examples.
func AgreementOf(exs []ReviewedExample) Agreement {
	var a Agreement
	for _, e := range exs {
		for _, r := range e.Flagged {
			if r < 1 || r > 5 {
				continue
			}
			a.Rules[r].Flagged++
			if e.Kind == ReviewDeclined && e.Rule == r {
				a.Rules[r].Confirmed++
			} else {
				a.Rules[r].Overridden++
			}
		}
		if e.Kind == ReviewDeclined && e.Rule >= 1 && e.Rule <= 5 && !slices.Contains(e.Flagged, e.Rule) {
			a.Rules[e.Rule].Missed++
		}
		if e.Kind == ReviewApproved && e.ScreenCategory >= 1 && e.ScreenCategory <= 6 {
			a.Categories[e.ScreenCategory].Proposed++
			if e.Category == e.ScreenCategory {
				a.Categories[e.ScreenCategory].Agreed++
			}
		}
	}
	return a
}

// Agreement is AgreementOf comm's reviewed examples.
func (s *Screener) Agreement(comm string) Agreement { return AgreementOf(s.Reviewed(comm)) }

// Text renders the statistics as Chinese lines for `yishi stats`.
func (a Agreement) Text() string {
	var b strings.Builder
	b.WriteString("审定与初筛的一致情况：\n")
	for r := 1; r <= 5; r++ {
		ra := a.Rules[r]
		if ra.Flagged == 0 && ra.Missed == 0 {
			continue
		}
		fmt.Fprintf(&b, "· 五不议第%d条（%s）：初筛标记 %d 次，审定认可 %d 次，推翻 %d 次", r, bot.ExclusionRules[r], ra.Flagged, ra.Confirmed, ra.Overridden)
		if ra.Flagged > 0 {
			fmt.Fprintf(&b, "（认可率 %d%%）", ra.Confirmed*100/ra.Flagged)
		}
		if ra.Missed > 0 {
			fmt.Fprintf(&b, "；初筛未标记而审定适用 %d 次", ra.Missed)
		}
		b.WriteString("\n")
	}
	for c := 1; c <= 6; c++ {
		ca := a.Categories[c]
		if ca.Proposed == 0 {
			continue
		}
		fmt.Fprintf(&b, "· 六必议第%d类（%s）：初筛建议 %d 次，审定采纳 %d 次（%d%%）\n", c, bot.Categories[c], ca.Proposed, ca.Agreed, ca.Agreed*100/ca.Proposed)
	}
	return b.String()
}
