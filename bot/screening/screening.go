// Package screening pre-screens proposals against the 五不议 (not to be
// deliberated) rules and files them under a 六必议 category (PROCESS.md,
// "What may be deliberated"). The bot pre-screens; a person decides: every
// result says which rule fired, why, and on what evidence, and nothing is
// ever declined automatically — an excluded proposal still goes to the
// party organisation, marked.
//
// Rules 1, 2, 4 and 5 and the categories come from rule packs (YAML data,
// see packs/); rule 3 (already voted through) comes from an archive of past
// decisions that grows incrementally.
package screening

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/textnorm"
)

// Verdict is the screening outcome.
type Verdict string

const (
	Admissible Verdict = "admissible" // no rule applies
	Review     Verdict = "review"     // a rule may apply: a person must look
	Excluded   Verdict = "excluded"   // a rule clearly applies (still reviewed by a person)
)

// Chinese returns the verdict's Chinese name.
func (v Verdict) Chinese() string {
	switch v {
	case Admissible:
		return "可以议事"
	case Review:
		return "需人工审核"
	case Excluded:
		return "疑似属于“五不议”"
	}
	return string(v)
}

// Match is a past decision similar to the proposal.
type Match struct {
	ID        string  `json:"id"`
	Title     string  `json:"title"`
	DecidedOn string  `json:"decided_on"`
	Score     float64 `json:"score"`
}

// Evidence is why one 五不议 rule fired: the matched phrase (rules 1, 2, 4,
// 5) or the similar past decision (rule 3).
type Evidence struct {
	Rule   int    `json:"rule"`
	Phrase string `json:"phrase,omitempty"`
	Match  *Match `json:"match,omitempty"`
	Reason string `json:"reason"`
	Entry  string `json:"entry,omitempty"` // pack entry id
	// Example is the closest labelled past proposal of the rule (the
	// similarity layer; never more than a review flag on its own).
	Example *ExampleMatch `json:"example,omitempty"`
	// Grams are the character n-grams that made the proposal read like
	// labelled proposals of the rule (the n-gram model; review only).
	Grams []string `json:"grams,omitempty"`
	// Precedent is an earlier reviewer decision of this community on a
	// similar proposal (declined with this rule).
	Precedent *Precedent `json:"precedent,omitempty"`
	// Checks are what the reviewer should verify before applying the rule
	// (rule 4's structural readings).
	Checks []string `json:"checks,omitempty"`
}

// Result is the screening of one proposal.
type Result struct {
	Verdict Verdict `json:"verdict"`
	Rules   []int   `json:"rules"` // 五不议 rules that fired, ascending
	// Category is the 六必议 category (1–6) the proposal most likely falls
	// under; 0 when the text says too little to tell.
	Category int `json:"category"`
	// TopCategories are the two most likely categories, best first, each
	// with a confidence and the words that decided it.
	TopCategories []CategoryScore `json:"top_categories,omitempty"`
	// Reasons holds one Chinese line per fired rule (in Rules order),
	// followed by CategoryReason when there is one.
	Reasons        []string   `json:"reasons"`
	Matches        []Match    `json:"matches"` // similar past decisions, best first
	Evidence       []Evidence `json:"evidence"`
	CategoryReason string     `json:"category_reason,omitempty"`
	// Notes are remarks for the reviewer that do not change the verdict
	// (e.g. the statutory assembly decides this, 村民委员会组织法 art. 24).
	Notes []string `json:"notes,omitempty"`
	// Empty is set when the text had nothing to screen (blank, emoji or
	// punctuation only).
	Empty bool `json:"empty,omitempty"`
	// Precedents are this community's earlier reviewer decisions on
	// similar proposals, best first.
	Precedents []Precedent `json:"precedents,omitempty"`
	// Lifted are rules a flag would have fired for, not marked because
	// reviewers overrode that kind of flag on similar proposals (see Notes).
	Lifted []int `json:"lifted,omitempty"`
}

// CategoryScore is one candidate 六必议 category with its confidence in
// [0, 1] and the words of the proposal that made it likely.
type CategoryScore struct {
	Category   int      `json:"category"`
	Confidence float64  `json:"confidence"`
	Words      []string `json:"words,omitempty"`
}

// Screening converts the result into the core's record of it.
func (r Result) Screening() bot.Screening {
	return bot.Screening{Verdict: string(r.Verdict), Rules: slices.Clone(r.Rules), Category: r.Category, Reasons: slices.Clone(r.Reasons)}
}

// Decision is a past resolution (voted through) for rule 3.
type Decision struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	DecidedOn string `json:"decided_on"` // YYYY-MM-DD
}

// Thresholds of rule 3 on the similarity score in [0, 1].
const (
	RepeatReview   = 0.42 // a person should compare
	RepeatExcluded = 0.75 // essentially the same matter
	maxMatches     = 3
	maxInput       = 4000 // runes screened; proposals are short, the rest is ignored
)

// Screener screens proposals. It is safe for concurrent use; packs can be
// swapped and decisions added while screening runs.
type Screener struct {
	m    atomic.Pointer[matcher]
	ex   atomic.Pointer[exampleBank]
	arch *archive
	// noRule4Structure turns the structural rule-4 readings off (tests of
	// the other layers alone).
	noRule4Structure bool
	revMu            sync.RWMutex
	rev              map[string]*reviewBank // per community
	nowMu            sync.RWMutex
	nowFunc          func() time.Time
}

// New compiles the packs (none: the default packs) into a Screener with an
// empty archive.
func New(packs ...*Pack) (*Screener, error) {
	if len(packs) == 0 {
		packs = DefaultPacks()
	}
	m, err := compileShared(packs)
	if err != nil {
		return nil, err
	}
	s := &Screener{arch: newArchive(), nowFunc: time.Now}
	s.m.Store(m)
	s.ex.Store(defaultBank())
	return s, nil
}

// compileShared compiles packs, sharing one compiled form of the default
// packs among all screeners: a matcher is immutable, and a process serving
// 1,000 communities otherwise built the same automaton 1,000 times.
func compileShared(packs []*Pack) (*matcher, error) {
	if slices.Equal(packs, DefaultPacks()) {
		return defaultMatcher()
	}
	return compile(packs)
}

var defaultMatcher = sync.OnceValues(func() (*matcher, error) { return compile(DefaultPacks()) })

// SetPacks replaces the packs. On error the previous packs stay in force.
func (s *Screener) SetPacks(packs ...*Pack) error {
	m, err := compile(packs)
	if err != nil {
		return fmt.Errorf("screening packs not changed: %w", err)
	}
	s.m.Store(m)
	return nil
}

// Packs returns the packs in force.
func (s *Screener) Packs() []*Pack { return slices.Clone(s.m.Load().packs) }

// PhraseCount is the number of literal phrases in the packs in force.
func (s *Screener) PhraseCount() int { return s.m.Load().nPhrases }

// SetClock sets the clock used for "this year" and for the age of past
// decisions (tests and evaluation pin it).
func (s *Screener) SetClock(now func() time.Time) {
	s.nowMu.Lock()
	s.nowFunc = now
	s.nowMu.Unlock()
}

func (s *Screener) now() time.Time {
	s.nowMu.RLock()
	defer s.nowMu.RUnlock()
	return s.nowFunc()
}

// ArchiveSize is the number of decisions in the archive.
func (s *Screener) ArchiveSize() int { return s.arch.size() }

// AddDecision adds a passed decision to the archive (incremental; a
// decision with the same ID replaces the earlier one).
func (s *Screener) AddDecision(d Decision) {
	text := archiveText(prepare(d.Title + "。" + d.Text))
	years := yearsIn(text, 0)
	if y := yearOf(d.DecidedOn); y >= 2000 && y < 2064 {
		years |= 1 << uint(y-2000)
	}
	s.arch.add(d, text, strings.Join(extractPlaces(text), "|"), years)
}

// prepare is the pipeline every text goes through before matching.
func prepare(text string) string {
	if len(text) > maxInput*4 {
		// Cut on a rune boundary well before normalising 100 KB of input.
		text = strings.ToValidUTF8(text[:maxInput*4], "")
	}
	n := textnorm.Normalize(text)
	if r := []rune(n); len(r) > maxInput {
		n = string(r[:maxInput])
	}
	return canonNumbers(n)
}

// cues prepares a list of cue words the way every text is prepared, so
// that a cue holding a numeral still matches (建一个 is 建1个 by then).
func cues(words ...string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		if p := normPhrase(w); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// maintenance words: a repair or clean-up decided in an earlier year does
// not cover the same need arising again. Whole words only: a bare 补 or 修
// would also match 补贴, 补偿, 修建 and 修订, which are what decisions are
// about, not signs that a need came back.
var recurringCues = cues("又", "再次", "重新", "今年", "坏", "维修", "修理", "修好", "修一下", "修修", "修补", "补修", "补种", "补装", "补漏", "更换", "换新", "清理", "疏通", "老化", "破损", "松动", "不亮")

// malfunctionCues mark a complaint about how something works (丢件, 老是坏),
// whenever the thing was decided.
var malfunctionCues = cues("老是", "总是", "经常", "丢件", "坏了", "不好用", "没人管", "管管")

// supervisionCues ask whether and how a decided matter was carried out or
// its money spent (账目公开, 发了没): supervision of the decision, not a
// second vote on it.
var supervisionCues = cues("账目", "收支", "明细", "花在哪", "花到哪", "用在哪", "用到哪", "去向", "发了没", "发没发", "发到位",
	"落实了没", "落实没", "落实得怎么样", "执行得怎么样", "执行情况", "兑现", "到位了没", "还没落实", "没落实", "怎么还没")

// layerLifted reports whether what a proposal says rules out a similarity
// layer's vote for rule, however much its words read like that rule's
// examples. It runs only for a vote, off the common path.
func layerLifted(prepared string, rule int) bool {
	switch rule {
	case 2:
		// A higher level's requirement named is not one contested: rule 2
		// needs a sign of setting it aside (投票, 取消, 提前, 行不行…).
		return !containsAny(prepared, contestCues)
	case 4:
		// A matter the law gives to the assembly, brought to it (分红方案请
		// 村民代表大会讨论), reads like the unfair proposals of its subject;
		// rule 4 needs the unfairness named.
		return statutoryRE.FindString(prepared) != "" && unfairTermRE.FindString(prepared) == "" &&
			depriveRE.FindString(prepared) == "" && fewRE.FindString(prepared) == "" && groupRE.FindString(prepared) == "" &&
			customRE.FindString(prepared) == "" && coerceRE.FindString(prepared) == ""
	case 5:
		// A harm several households share is not a quarrel of two parties
		// (排水沟被几户人家填了).
		return containsAny(prepared, collectiveCues)
	}
	return false
}

// collectiveCues name many households or residents as those affected.
var collectiveCues = cues("几户", "多户", "好多户", "好几户", "几十户", "很多户", "不少户", "几家人", "附近居民", "周边居民", "居民们",
	"村民们", "大家都", "大伙都", "全村", "全组", "整栋", "整幢", "全楼", "家家户户", "每家每户", "好多人", "很多人", "不少人")

// contestCues ask to set a requirement aside, change it or vote on it.
var contestCues = cues("投票", "表决", "投个票", "举手", "不分了", "不搞", "不执行", "暂停", "降低", "降到", "提前", "推迟", "延后", "缓一缓", "缓缓",
	"行不行", "行吗", "可以吗", "中不中", "成不成", "自己定", "我们定", "村里定", "太麻烦", "太烦", "不想", "不愿意", "取消", "不用了", "别搞",
	"别管", "放宽", "松一点", "少罚", "不罚", "罚得太重", "通融", "照旧", "恢复", "允许", "放开", "能不能不", "可不可以不", "不要搞", "反对",
	"不迁", "不搬", "不拆", "不交", "照样", "继续", "同意", "往上提", "提高", "改成")

// anotherCues mark a proposal asking for the same thing somewhere else.
var anotherCues = cues("也", "同样", "另外", "另一", "再建", "再装", "再设", "再加", "再开")

// Screen screens one proposal without any community's reviewed examples
// (those learnt under the community "").
func (s *Screener) Screen(text string) Result { return s.ScreenFor("", text) }

// ScreenFor screens one proposal of comm: with comm's reviewed examples as
// precedents.
func (s *Screener) ScreenFor(comm, text string) Result {
	prepared := prepare(text)
	res := Result{Verdict: Admissible, Rules: []int{}, Reasons: []string{}, Matches: []Match{}, Evidence: []Evidence{}}
	if !hasContent(prepared) {
		res.Empty = true
		res.Verdict = Review
		res.Reasons = append(res.Reasons, "提议内容为空或只有表情、标点，无法判断，请补充具体事项。")
		return res
	}
	m := s.m.Load()
	hits := m.match(prepared)

	ruleEv := map[int][]Evidence{}
	excluded := map[int]bool{}
	var cats catScores
	enforce := enforcementFrame(prepared)
	if enforce {
		res.Notes = append(res.Notes, enforcementNote)
		// What residents report is a concrete problem they want solved.
		cats.add(2, 3, enforcementCategory, firstOf(prepared, violationCues))
	}
	for i := range m.entries {
		e := &m.entries[i]
		h := hits[i]
		if h == nil {
			continue
		}
		switch e.kind {
		case kindRule:
			if enforce && e.rule != 3 && e.rule != 5 {
				continue // the violation's words, asking for the law to be applied
			}
			if ok, ev := h.fired(e); ok {
				ruleEv[e.rule] = append(ruleEv[e.rule], Evidence{Rule: e.rule, Phrase: ev, Reason: e.reason, Entry: e.id})
				excluded[e.rule] = excluded[e.rule] || e.excluded
			} else if stop := h.stoppedBy(e); stop != "" && e.elseCat > 0 {
				cats.add(e.elseCat, 3, e.elseWhy, stop)
			}
		case kindCategory:
			if ok, ev := h.fired(e); ok {
				n := max(h.maximal(), 1)
				words := h.anys
				if len(words) == 0 {
					words = []string{ev}
				}
				cats.add(e.category, e.weight*float64(n), e.reason, words...)
			}
		case kindNotice:
			if ok, _ := h.fired(e); ok && !slices.Contains(res.Notes, e.reason) {
				res.Notes = append(res.Notes, e.reason)
			}
		}
	}

	// Rule 4 from the structure of the proposal: a flag of its own when no
	// phrase fired, otherwise more evidence with what to check.
	for _, f := range rule4Structure(prepared) {
		if s.noRule4Structure || enforce {
			break
		}
		ruleEv[4] = append(ruleEv[4], Evidence{Rule: 4, Phrase: strings.Join(f.parts, "；"), Reason: f.reason, Entry: f.kind, Checks: f.checks})
	}

	// Rule 3: the archive.
	now := s.now()
	aq := archiveText(prepared)
	cands, metas := s.arch.search(aq, 10, RepeatReview) // adjustments below only lower scores
	if len(cands) > 0 {
		qPlaces := extractPlaces(aq)
		qYears := yearsIn(aq, now.Year())
		another := slices.ContainsFunc(anotherCues, func(c string) bool { return strings.Contains(prepared, c) })
		malfunction := containsAny(prepared, malfunctionCues)
		supervision := containsAny(prepared, supervisionCues)
		recurring := false
		for _, c := range recurringCues {
			if strings.Contains(prepared, c) {
				recurring = true
				break
			}
		}
		for i := range cands {
			md := &metas[i]
			f := 1.0
			if conflict, same := comparePlaces(qPlaces, splitPlaces(md.places)); conflict && (!same || another) {
				// Same kind of place, a different one; or the decided place
				// named as the model for another ("中心广场装好了，文化广场也装").
				f *= 0.5
			}
			if qYears != 0 && qYears&md.years == 0 {
				f *= 0.5 // the proposal is about another year
			}
			if y := yearOf(md.decidedOn); recurring && y > 0 && y < now.Year() {
				f *= 0.7 // decided in an earlier year; the need came back
			} else if malfunction {
				f *= 0.7 // a complaint about how a decided thing works is a new matter
			}
			if supervision {
				f *= 0.5 // so is asking how it was carried out, however close the words
			}
			cands[i].score *= f
		}
		order := make([]int, len(cands))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return cands[order[a]].score > cands[order[b]].score })
		for _, i := range order {
			c := cands[i]
			if c.score < RepeatReview || len(res.Matches) >= maxMatches {
				continue
			}
			md := metas[i]
			mt := Match{ID: md.id, Title: md.title, DecidedOn: md.decidedOn, Score: round2(c.score)}
			res.Matches = append(res.Matches, mt)
			if c.score >= RepeatExcluded {
				excluded[3] = true
			}
		}
		if len(res.Matches) > 0 {
			top := res.Matches[0]
			ruleEv[3] = []Evidence{{Rule: 3, Match: &top, Reason: repeatReason(top)}}
		}
	}

	// The similarity layer: wording the packs missed that reads like past
	// proposals of a rule. It only adds review flags (excluded stays as the
	// packs and the archive set it) and only for rules nothing else fired.
	bank := s.ex.Load()
	near := bank.neighbours(aq)
	if !howFrame(prepared) && !enforce {
		for _, v := range bank.vote(aq, near) {
			if len(ruleEv[v.rule]) == 0 && !layerLifted(prepared, v.rule) {
				best := v.best
				ruleEv[v.rule] = []Evidence{{Rule: v.rule, Example: &best, Reason: exampleReason(v)}}
			}
		}
		for _, v := range bank.bayesVote(aq) {
			if len(ruleEv[v.rule]) == 0 && !layerLifted(prepared, v.rule) {
				ruleEv[v.rule] = []Evidence{{Rule: v.rule, Grams: v.grams, Reason: bayesReason(v)}}
			}
		}
	}

	// The community's own reviewer decisions on similar proposals.
	prec, habit := s.precedentsFor(comm, aq, ruleEv)
	applyPrecedents(prec, habit, &res, ruleEv, excluded, &cats)

	for r := 1; r <= 5; r++ {
		evs := ruleEv[r]
		if len(evs) == 0 {
			continue
		}
		res.Rules = append(res.Rules, r)
		res.Evidence = append(res.Evidence, evs...)
		res.Reasons = append(res.Reasons, evs[0].Reason)
		if excluded[r] {
			res.Verdict = Excluded
		} else if res.Verdict != Excluded {
			res.Verdict = Review
		}
	}

	structureCategories(prepared, &cats)
	cats.applyFrame(frameOf(prepared))
	bank.catVote(aq, near, &cats)
	cats.rank(&res)
	return res
}

// howCues ask how to carry something out, who pays, what to use instead:
// the question of a deliberation (categories 3 and 4), not a request to
// set a rule aside.
var howCues = cues("怎么", "如何", "谁来", "用什么", "什么办法", "哪几", "租给谁", "细则", "实施方案", "具体办法", "结合实际", "在哪", "放哪", "哪里合适")

// bypassCues ask to set a rule aside, whatever the frame.
var bypassCues = cues("能不能不", "可不可以不", "允许", "放开", "照旧", "不用执行", "表决同意", "投票同意", "投个票", "表决一下")

// howFrame reports whether a proposal asks how to do something, without
// asking to set a rule aside. Wording that only resembles labelled
// violations (the similarity layer) does not flag such a proposal; the
// packs and the archive still do.
func howFrame(prepared string) bool {
	has := func(cues []string) bool {
		return slices.ContainsFunc(cues, func(c string) bool { return strings.Contains(prepared, c) })
	}
	return has(howCues) && !has(bypassCues)
}

func repeatReason(m Match) string {
	when := m.DecidedOn
	if when == "" {
		when = "此前"
	}
	return fmt.Sprintf("与%s已表决通过的决议“%s”相近（相似度%.2f），已决事项不再重复议事；如情况有变化，请说明新情况。", when, m.Title, m.Score)
}

func splitPlaces(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// hasContent reports whether text holds a letter or digit (a proposal of
// only punctuation or symbols has nothing to screen).
func hasContent(s string) bool {
	for _, r := range s {
		if r > 0x7f || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			if r > 0x7f && (isPunctOrSymbol(r)) {
				continue
			}
			return true
		}
	}
	return false
}
