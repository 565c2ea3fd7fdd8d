package screening

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// bayes is the second similarity signal over the labelled examples: a
// multinomial naive Bayes over the character n-grams of a proposal
// (binarised per document, so a repeated character counts once). Where
// the kNN vote needs a few close neighbours, the model pools the evidence
// of every example of a rule, so a short paraphrase that shares only
// 分红 and 外嫁 with different past proposals can still read like rule 4.
//
// Classes are admissible and rules 1, 2, 4, 5; rule 3 examples train as
// admissible (their matter is ordinary; a repeat is archive-specific). It
// is trained in memory when a bank is built (the 413 shipped examples:
// about 20 ms, most of it normalising their text) and is immutable
// afterwards.
type bayes struct {
	feat  map[uint64]int32     // n-gram key → row in logp
	logp  [][nbClasses]float32 // log P(n-gram | class)
	prior [nbClasses]float64
	p     bayesParams
}

const nbClasses = 5

// nbRule is the 五不议 rule of each class (0 = admissible).
var nbRule = [nbClasses]int{0, 1, 2, 4, 5}

func nbClass(rule int) int {
	switch rule {
	case 1:
		return 1
	case 2:
		return 2
	case 4:
		return 3
	case 5:
		return 4
	}
	return 0
}

// bayesParams are the model's settings and flag thresholds, chosen on the
// leave-one-set-out folds (TestBayesSweep), never on the shipped bank.
type bayesParams struct {
	off      bool
	alpha    float64 // Laplace smoothing
	minN     int     // shortest n-gram (1 or 2)
	maxN     int     // longest n-gram (2 or 3)
	uniform  bool    // uniform class prior instead of the bank's class shares
	minP     float64 // posterior of the rule must reach this
	margin   float64 // and beat admissible by this many nats
	minRunes int     // shorter proposals (content characters) are left alone
	minCues  int     // distinct n-grams of two or more characters that favour the rule
	minFrags int     // separate places in the proposal they come from (overlapping n-grams are one)
}

// n-gram keys: runes are 21 bits; a bigram is a<<21|b (≥ 2^21 > any
// rune), a trigram a<<42|b<<21|c (≥ 2^42 > any bigram).
func gramKey(rs []rune) uint64 {
	var k uint64
	for _, r := range rs {
		k = k<<21 | uint64(r)
	}
	return k
}

func gramLen(k uint64) int {
	switch {
	case k >= 1<<42:
		return 3
	case k >= 1<<21:
		return 2
	}
	return 1
}

func gramString(k uint64) string {
	n := gramLen(k)
	rs := make([]rune, n)
	for i := n - 1; i >= 0; i-- {
		rs[i] = rune(k & (1<<21 - 1))
		k >>= 21
	}
	return string(rs)
}

// nbContent reports whether a rune takes part in n-grams: Chinese
// characters, digits and Latin letters. Gaps (frame words, punctuation)
// break n-grams.
func nbContent(r rune) bool {
	return unicode.Is(unicode.Han, r) || (r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
}

// grams appends the distinct n-gram keys of aq (archiveText form) to dst,
// sorted, and returns them with the number of content runes.
func (p bayesParams) grams(aq string, dst []uint64) ([]uint64, int) {
	dst = dst[:0]
	var win [3]rune
	n, content := 0, 0
	for _, r := range aq {
		if !nbContent(r) {
			n = 0
			continue
		}
		content++
		r = unicode.ToLower(r)
		win[0], win[1], win[2] = win[1], win[2], r
		n = min(n+1, 3)
		for l := p.minN; l <= p.maxN && l <= n; l++ {
			dst = append(dst, gramKey(win[3-l:]))
		}
	}
	slices.Sort(dst)
	return slices.Compact(dst), content
}

func newBayes(ex []Example, p bayesParams) *bayes {
	if p.off || len(ex) == 0 {
		return nil
	}
	m := &bayes{feat: map[uint64]int32{}, p: p}
	var counts [][nbClasses]float64
	var total [nbClasses]float64
	var docs [nbClasses]float64
	var buf []uint64
	for _, e := range ex {
		c := nbClass(e.Rule)
		docs[c]++
		buf, _ = p.grams(archiveText(prepare(e.Text)), buf)
		for _, k := range buf {
			i, ok := m.feat[k]
			if !ok {
				i = int32(len(counts))
				m.feat[k] = i
				counts = append(counts, [nbClasses]float64{})
			}
			counts[i][c]++
			total[c]++
		}
	}
	v := float64(len(counts))
	m.logp = make([][nbClasses]float32, len(counts))
	for i := range counts {
		for c := 0; c < nbClasses; c++ {
			m.logp[i][c] = float32(math.Log((counts[i][c] + p.alpha) / (total[c] + p.alpha*v)))
		}
	}
	for c := 0; c < nbClasses; c++ {
		if p.uniform || docs[c] == 0 {
			m.prior[c] = math.Log(1.0 / nbClasses)
		} else {
			m.prior[c] = math.Log(docs[c] / float64(len(ex)))
		}
	}
	return m
}

// bayesVote is one rule the model flags, with the n-grams that drove it.
type bayesVote struct {
	rule  int
	prob  float64
	grams []string
}

// vote returns the rules whose posterior passes the thresholds. aq is the
// proposal in archiveText form.
func (m *bayes) vote(aq string) []bayesVote {
	if m == nil {
		return nil
	}
	var arr [96]uint64
	keys, content := m.p.grams(aq, arr[:0])
	// A one- or two-word proposal carries too little for statistics: a
	// single 分红 or 占用 is not a reason to send it to review.
	if content < m.p.minRunes {
		return nil
	}
	known := 0
	score := m.prior
	for _, k := range keys {
		i, ok := m.feat[k]
		if !ok {
			continue // unseen in training: no evidence either way
		}
		known++
		for c := range score {
			score[c] += float64(m.logp[i][c])
		}
	}
	if known == 0 {
		return nil
	}
	top := slices.Max(score[:])
	var z float64
	for _, s := range score {
		z += math.Exp(s - top)
	}
	var out []bayesVote
	for c := 1; c < nbClasses; c++ {
		prob := math.Exp(score[c]-top) / z
		if prob < m.p.minP || score[c]-score[0] < m.p.margin {
			continue
		}
		grams, cues := m.cues(aq, c)
		if cues < m.p.minCues || len(grams) < m.p.minFrags {
			continue
		}
		out = append(out, bayesVote{rule: nbRule[c], prob: prob, grams: grams})
	}
	return out
}

// cues returns the fragments of the proposal that most favour class c
// over admissible, and how many distinct n-grams (two characters or more)
// favour it. A fragment joins the overlapping n-grams among the five
// strongest, so that the reviewer reads 租给书记亲戚 rather than 给书 and
// 书记 (in archiveText form: particles such as 的 are gone); at most three
// fragments, strongest first.
func (m *bayes) cues(aq string, c int) ([]string, int) {
	type span struct {
		from, to int // rune offsets in rs
		key      uint64
		llr      float32
	}
	rs := []rune(aq)
	var spans []span
	n := 0
	for i, r := range rs {
		if !nbContent(r) {
			n = 0
			continue
		}
		n = min(n+1, 3)
		for l := max(2, m.p.minN); l <= m.p.maxN && l <= n; l++ {
			win := make([]rune, l)
			for j := range win {
				win[j] = unicode.ToLower(rs[i-l+1+j])
			}
			k := gramKey(win)
			row, ok := m.feat[k]
			if !ok {
				continue
			}
			if llr := m.logp[row][c] - m.logp[row][0]; llr > 0.5 {
				spans = append(spans, span{i - l + 1, i + 1, k, llr})
			}
		}
	}
	keys := make([]uint64, 0, len(spans))
	for _, sp := range spans {
		keys = append(keys, sp.key)
	}
	slices.Sort(keys)
	distinct := len(slices.Compact(keys))

	// The five strongest distinct n-grams, every place they occur.
	byLLR := slices.Clone(spans)
	sort.SliceStable(byLLR, func(a, b int) bool { return byLLR[a].llr > byLLR[b].llr })
	var top []uint64
	for _, sp := range byLLR {
		if len(top) == 5 {
			break
		}
		if !slices.Contains(top, sp.key) {
			top = append(top, sp.key)
		}
	}
	strength := make([]float32, len(rs)) // per rune: the strongest top n-gram covering it
	for _, sp := range spans {
		if !slices.Contains(top, sp.key) {
			continue
		}
		for i := sp.from; i < sp.to; i++ {
			strength[i] = max(strength[i], sp.llr)
		}
	}
	type frag struct {
		s   string
		llr float32
	}
	var frags []frag
	for i := 0; i < len(rs); {
		if strength[i] == 0 {
			i++
			continue
		}
		j, best := i, float32(0)
		for j < len(rs) && strength[j] > 0 {
			best = max(best, strength[j])
			j++
		}
		if f := string(rs[i:j]); !slices.ContainsFunc(frags, func(x frag) bool { return x.s == f }) {
			frags = append(frags, frag{clip(f, 8), best})
		}
		i = j
	}
	sort.SliceStable(frags, func(a, b int) bool { return frags[a].llr > frags[b].llr })
	var out []string
	for _, f := range frags[:min(3, len(frags))] {
		out = append(out, f.s)
	}
	return out, distinct
}

func bayesReason(v bayesVote) string {
	return fmt.Sprintf("用词与已标注的五不议第%d条提议相近：关键片段“%s”，请人工判断。", v.rule, strings.Join(v.grams, "”“"))
}
