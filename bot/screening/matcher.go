package screening

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/coregx/ahocorasick"
)

// The compiled form of a set of packs. Every literal phrase of every entry
// goes into one Aho-Corasick automaton; a phrase used by several entries is
// one pattern with several slots. Regular expressions are kept aside.
// A matcher is immutable once built.
type matcher struct {
	ac       *ahocorasick.Automaton // nil when there is no literal phrase
	slots    [][]slot               // per pattern ID
	phrases  []string               // per pattern ID (normalised)
	regexes  []compiledRE
	gates    [][]int32 // per pattern ID: the regexes that need it to run
	entries  []entry
	packs    []*Pack
	nPhrases int
}

type entryKind uint8

const (
	kindRule entryKind = iota
	kindCategory
	kindNotice
)

// entry is a rule, category or notice entry in compiled form.
type entry struct {
	kind     entryKind
	id       string
	rule     int
	category int
	weight   float64
	excluded bool
	reason   string
	elseCat  int
	elseWhy  string
	groups   int // len(All)
	hasAny   bool
}

// group: -1 any, -2 unless, >= 0 the index into All.
type slot struct {
	entry int32
	group int32
}

const (
	groupAny    = -1
	groupUnless = -2
)

type compiledRE struct {
	re *regexp.Regexp
	slot
	gated bool // runs only when the automaton found one of its literals
}

// requiredLiterals returns strings one of which every match of re contains,
// or nil when it cannot tell. They let the automaton decide which regexes
// are worth running on a text.
func requiredLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(re.Rune) == 0 {
			return nil
		}
		return []string{string(re.Rune)}
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] >= 64 || len(out) > 64 {
				return nil
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				out = append(out, string(r))
			}
		}
		return out
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		// Any one part that must match will do: take the one with the
		// fewest alternatives, the longest on a tie.
		var best []string
		for _, sub := range re.Sub {
			lits := requiredLiterals(sub)
			if lits != nil && (best == nil || len(lits) < len(best) ||
				len(lits) == len(best) && len(lits[0]) > len(best[0])) {
				best = lits
			}
		}
		return best
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			lits := requiredLiterals(sub)
			if lits == nil {
				return nil
			}
			out = append(out, lits...)
		}
		return out
	}
	return nil
}

func compile(packs []*Pack) (*matcher, error) {
	disabled := map[string]bool{}
	for _, p := range packs {
		if p == nil {
			return nil, fmt.Errorf("nil pack")
		}
		for _, id := range p.Disable {
			disabled[id] = true
		}
	}
	m := &matcher{packs: packs}
	patID := map[string]int{}
	add := func(e int, group int32, phrases []string) error {
		for _, ph := range phrases {
			if re, ok := strings.CutPrefix(ph, "re:"); ok {
				c, err := regexp.Compile(re)
				if err != nil {
					return err
				}
				m.addRegex(c, re, slot{int32(e), group}, patID)
				continue
			}
			n := normPhrase(ph)
			if n == "" {
				continue
			}
			id := m.pattern(n, patID)
			m.slots[id] = append(m.slots[id], slot{int32(e), group})
			m.nPhrases++
		}
		return nil
	}
	addSignals := func(p *Pack, line int, e entry, s Signals) error {
		idx := len(m.entries)
		e.groups = len(s.All)
		e.hasAny = len(s.Any) > 0
		m.entries = append(m.entries, e)
		if err := add(idx, groupAny, s.Any); err != nil {
			return p.errAt(line, "%s: %v", e.id, err)
		}
		if err := add(idx, groupUnless, s.Unless); err != nil {
			return p.errAt(line, "%s: %v", e.id, err)
		}
		for gi, g := range s.All {
			if err := add(idx, int32(gi), g); err != nil {
				return p.errAt(line, "%s: %v", e.id, err)
			}
		}
		return nil
	}
	for _, p := range packs {
		for _, r := range p.Rules {
			if disabled[r.ID] {
				continue
			}
			e := entry{kind: kindRule, id: r.ID, rule: r.Rule, excluded: r.Verdict == string(Excluded),
				reason: strings.TrimSpace(r.Reason), elseCat: r.ElseCategory, elseWhy: strings.TrimSpace(r.ElseReason)}
			if err := addSignals(p, r.line, e, r.Signals); err != nil {
				return nil, err
			}
		}
		for _, c := range p.Categories {
			if disabled[c.ID] {
				continue
			}
			w := c.Weight
			if w == 0 {
				w = 1
			}
			e := entry{kind: kindCategory, id: c.ID, category: c.Category, weight: w, reason: strings.TrimSpace(c.Reason)}
			if err := addSignals(p, c.line, e, c.Signals); err != nil {
				return nil, err
			}
		}
		for _, n := range p.Notices {
			if disabled[n.ID] {
				continue
			}
			e := entry{kind: kindNotice, id: n.ID, reason: strings.TrimSpace(n.Note)}
			if err := addSignals(p, n.line, e, n.Signals); err != nil {
				return nil, err
			}
		}
	}
	if len(m.phrases) > 0 {
		ac, err := ahocorasick.NewBuilder().AddStrings(m.phrases).Build()
		if err != nil {
			return nil, fmt.Errorf("build phrase automaton: %w", err)
		}
		m.ac = ac
	}
	return m, nil
}

// gatedRE is an expression run only on texts holding one of the literals
// every match of it contains: most proposals hold none, and an expression
// that may start anywhere would otherwise be tried at every position.
type gatedRE struct {
	re   *regexp.Regexp
	need []string // nil: always run
}

func mustGated(expr string) gatedRE {
	return gatedRE{re: regexp.MustCompile(expr), need: literalsOf(expr)}
}

// mayMatch reports whether s holds one of the literals (always, ungated).
func (g gatedRE) mayMatch(s string) bool {
	return g.need == nil || slices.ContainsFunc(g.need, func(l string) bool { return strings.Contains(s, l) })
}

func (g gatedRE) FindString(s string) string {
	if !g.mayMatch(s) {
		return ""
	}
	return g.re.FindString(s)
}

func (g gatedRE) FindStringIndex(s string) []int {
	if !g.mayMatch(s) {
		return nil
	}
	return g.re.FindStringIndex(s)
}

// pattern returns the automaton pattern ID of a normalised phrase, adding it
// when new (a phrase several entries or regexes use is one pattern).
func (m *matcher) pattern(phrase string, patID map[string]int) int {
	id, ok := patID[phrase]
	if !ok {
		id = len(m.phrases)
		patID[phrase] = id
		m.phrases = append(m.phrases, phrase)
		m.slots = append(m.slots, nil)
	}
	return id
}

// literalsOf is requiredLiterals of an expression's source (nil: unknown).
func literalsOf(expr string) []string {
	parsed, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return requiredLiterals(parsed.Simplify())
}

// addRegex keeps a compiled regex and, when its required literals are
// known, registers them as automaton patterns that gate it.
func (m *matcher) addRegex(c *regexp.Regexp, src string, sl slot, patID map[string]int) {
	ri := int32(len(m.regexes))
	cr := compiledRE{re: c, slot: sl}
	lits := literalsOf(src)
	for _, l := range lits {
		if normPhrase(l) != l {
			lits = nil // the automaton holds normalised phrases only
			break
		}
	}
	if lits != nil {
		cr.gated = true
		for _, l := range lits {
			id := m.pattern(l, patID)
			for len(m.gates) <= id {
				m.gates = append(m.gates, nil)
			}
			m.gates[id] = append(m.gates[id], ri)
		}
	}
	m.regexes = append(m.regexes, cr)
}

// entryHits is what matched for one entry in one text.
type entryHits struct {
	any     string   // first matched any-phrase
	groups  []string // first matched phrase per All group
	unless  string
	matched int      // distinct any-phrases matched
	anys    []string // the matched any-phrases (for maximal())
}

// maximal counts the matched any-phrases that are not part of another
// matched one: 老年食堂 is one hit, not two with 食堂, so a proposal does not
// weigh more for a category because the pack lists a word and its compounds.
func (h *entryHits) maximal() int {
	n := 0
	for i, p := range h.anys {
		inside := false
		for j, q := range h.anys {
			if i != j && len(q) > len(p) && strings.Contains(q, p) {
				inside = true
				break
			}
		}
		if !inside {
			n++
		}
	}
	return n
}

// match runs the automaton and the regexes over the prepared text and
// returns per-entry hits (nil entries did not match at all).
func (m *matcher) match(text string) []*entryHits {
	hits := make([]*entryHits, len(m.entries))
	get := func(e int32) *entryHits {
		h := hits[e]
		if h == nil {
			h = &entryHits{}
			if g := m.entries[e].groups; g > 0 {
				h.groups = make([]string, g)
			}
			hits[e] = h
		}
		return h
	}
	record := func(s slot, phrase string) {
		h := get(s.entry)
		switch s.group {
		case groupAny:
			if h.any == "" {
				h.any = phrase
			}
			h.matched++
			h.anys = append(h.anys, phrase)
		case groupUnless:
			if h.unless == "" {
				h.unless = phrase
			}
		default:
			if h.groups[s.group] == "" {
				h.groups[s.group] = phrase
			}
		}
	}
	open := make([]bool, len(m.regexes))
	if m.ac != nil {
		seen := map[int]bool{}
		for _, mt := range m.ac.FindAllOverlapping([]byte(text)) {
			if seen[mt.PatternID] {
				continue
			}
			seen[mt.PatternID] = true
			for _, s := range m.slots[mt.PatternID] {
				record(s, m.phrases[mt.PatternID])
			}
			if mt.PatternID < len(m.gates) {
				for _, ri := range m.gates[mt.PatternID] {
					open[ri] = true
				}
			}
		}
	}
	for i, c := range m.regexes {
		if c.gated && !open[i] {
			continue
		}
		if loc := c.re.FindStringIndex(text); loc != nil {
			record(c.slot, text[loc[0]:loc[1]])
		}
	}
	return hits
}

// fired reports whether the entry's conditions hold, and the evidence.
func (h *entryHits) fired(e *entry) (bool, string) {
	if h == nil || h.unless != "" {
		return false, ""
	}
	if h.any != "" {
		return true, h.any
	}
	if e.groups == 0 {
		return false, ""
	}
	for _, g := range h.groups {
		if g == "" {
			return false, ""
		}
	}
	return true, strings.Join(h.groups, " + ")
}

// stoppedBy reports whether an unless phrase stopped an entry that would
// otherwise have fired.
func (h *entryHits) stoppedBy(e *entry) string {
	if h == nil || h.unless == "" {
		return ""
	}
	saved := h.unless
	h.unless = ""
	ok, _ := h.fired(e)
	h.unless = saved
	if ok {
		return saved
	}
	return ""
}
