package screening

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// foldBase is one leave-one-set-out fold screened without the n-gram
// model, so that a sweep only has to train the model and add its votes.
type foldBase struct {
	set   string
	items []evalItem
	train []Example
	// rules flagged per item by the packs (untuned snapshot where there is
	// one) + kNN layer, and by the kNN layer alone (empty pack).
	withPack, alone [][]int
	empty           []bool
}

func foldBases(t testing.TB, bank []Example, p exampleParams) []foldBase {
	p.nb = bayesParams{off: true}
	emptyPack := emptyPackOf(t)
	var out []foldBase
	for _, set := range evalSets {
		fb := foldBase{set: set.name, items: readJSONL[evalItem](t, set.file)}
		for _, e := range bank {
			if e.Set != set.name {
				fb.train = append(fb.train, e)
			}
		}
		packs := DefaultPacks()
		if set.untuned != "" {
			data, err := os.ReadFile(set.untuned)
			if err != nil {
				t.Fatal(err)
			}
			old, err := LoadPack(set.untuned, data)
			if err != nil {
				t.Fatal(err)
			}
			packs = []*Pack{old}
		}
		run := func(packs []*Pack) ([][]int, []bool) {
			s := evalScreenerWith(t, set.archive)
			if err := s.SetPacks(packs...); err != nil {
				t.Fatal(err)
			}
			s.setExamplesWith(fb.train, p)
			var rules [][]int
			var empty []bool
			for _, it := range fb.items {
				r := s.Screen(it.Text)
				rules = append(rules, r.Rules)
				empty = append(empty, r.Empty)
			}
			return rules, empty
		}
		fb.withPack, fb.empty = run(packs)
		fb.alone, _ = run([]*Pack{emptyPack})
		out = append(out, fb)
	}
	return out
}

// foldScore is a fold's figures with the model's votes added.
type foldScore struct {
	recall, right, ff float64
	viol, hits        int
	ruleRecall        [6]float64
}

func scoreWith(fb foldBase, base [][]int, nb *bayes) foldScore {
	var s foldScore
	var adm, admFlag, flagged, right int
	var tp, pos [6]int
	for i, it := range fb.items {
		rules := slices.Clone(base[i])
		for _, v := range nb.vote(archiveText(prepare(it.Text))) {
			if !slices.Contains(rules, v.rule) {
				rules = append(rules, v.rule)
			}
		}
		flag := len(rules) > 0 || fb.empty[i]
		want := it.rule()
		if want == 0 {
			adm++
			if flag {
				admFlag++
			}
			continue
		}
		s.viol++
		pos[want]++
		if slices.Contains(rules, want) {
			tp[want]++
		}
		if flag {
			flagged++
			if slices.Contains(rules, want) {
				right++
			}
		}
	}
	s.hits = flagged
	s.recall, s.right, s.ff = ratio(flagged, s.viol), ratio(right, flagged), ratio(admFlag, adm)
	for r := 1; r <= 5; r++ {
		s.ruleRecall[r] = ratio(tp[r], pos[r])
	}
	return s
}

// TestBayesSweep prints the leave-one-set-out figures of the packs + kNN
// layer + n-gram model over a grid of the model's settings (go test -run
// BayesSweep -sweep -v). The score is the pooled recall of the folds with
// an untuned pack (blind, fresh); a setting qualifies only if no fold, with
// the pack or with the layers alone, flags more than 10% of admissible
// proposals.
func TestBayesSweep(t *testing.T) {
	if !*sweep {
		t.Skip("run with -sweep")
	}
	bases := foldBases(t, examplesFromSets(t), defaultExampleParams)
	type row struct {
		line   string
		pooled float64
		ff     float64 // worst fold
		pff    float64 // pooled over the folds, with the pack
	}
	var rows []row
	for _, ng := range [][2]int{{1, 2}, {1, 3}, {2, 3}, {2, 2}} {
		for _, alpha := range []float64{0.05, 0.1, 0.3, 1} {
			for _, uniform := range []bool{false, true} {
				models := make([]*bayes, len(bases))
				for _, minP := range []float64{0.5, 0.7, 0.9, 0.97} {
					for _, margin := range []float64{0, 1, 2, 3, 4} {
						for _, minCues := range []int{1, 2, 3} {
							for _, minRunes := range []int{6, 8, 10} {
								nbp := bayesParams{alpha: alpha, minN: ng[0], maxN: ng[1], uniform: uniform, minP: minP, margin: margin, minCues: minCues, minRunes: minRunes}
								var b strings.Builder
								worst, hits, viol, ffSum, admN := 0.0, 0, 0, 0.0, 0.0
								for i, fb := range bases {
									if models[i] == nil {
										models[i] = newBayes(fb.train, nbp)
									}
									m := models[i]
									m.p = nbp
									w := scoreWith(fb, fb.withPack, m)
									a := scoreWith(fb, fb.alone, m)
									worst = max(worst, w.ff, a.ff)
									nAdm := float64(len(fb.items) - w.viol)
									ffSum += w.ff * nAdm
									admN += nAdm
									fmt.Fprintf(&b, " %s %.2f/%.2f/%.2f r4 %.2f alone %.2f/%.2f", fb.set, w.recall, w.right, w.ff, w.ruleRecall[4], a.recall, a.ff)
									if fb.set == "blind" || fb.set == "fresh" {
										hits += w.hits
										viol += w.viol
									}
								}
								pooled := ratio(hits, viol)
								rows = append(rows, row{fmt.Sprintf("n=%d-%d a=%.2f uni=%v P=%.2f m=%.0f cues=%d runes=%d pooled %.3f worstFF %.2f pooledFF %.3f |%s", ng[0], ng[1], alpha, uniform, minP, margin, minCues, minRunes, pooled, worst, ffSum/admN, b.String()), pooled, worst, ffSum / admN})
							}
						}
					}
				}
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].pooled != rows[j].pooled {
			return rows[i].pooled > rows[j].pooled
		}
		return rows[i].pff < rows[j].pff
	})
	if f := os.Getenv("SWEEP_GREP"); f != "" {
		for _, r := range rows {
			if strings.Contains(r.line, f) {
				t.Log("ROW " + r.line)
			}
		}
	}
	for _, limit := range []float64{0.05, 0.07, 0.09, 0.10} {
		n := 0
		for _, r := range rows {
			if r.ff <= limit+1e-9 && n < 8 {
				t.Logf("SWEEP worst≤%.2f %s", limit, r.line)
				n++
			}
		}
	}
}

func TestGramKeyRoundTrip(t *testing.T) {
	for _, s := range []string{"村", "分红", "外嫁女", "a1", "𠮷村"} {
		rs := []rune(s)
		if len(rs) > 3 {
			continue
		}
		k := gramKey(rs)
		if gramLen(k) != len(rs) || gramString(k) != s {
			t.Errorf("%q: key %x decodes to %q (len %d)", s, k, gramString(k), gramLen(k))
		}
	}
}

// bayesOnly is a Screener with an empty pack and only the n-gram model
// (the kNN vote is switched off by an unreachable share).
func bayesOnly(t *testing.T, bank []Example) *Screener {
	t.Helper()
	s := layerOnly(t, nil)
	p := defaultExampleParams
	p.share = 2
	s.setExamplesWith(bank, p)
	s.noRule4Structure = true // the model alone
	return s
}

var bayesBank = []Example{
	{Text: "外嫁女户口还在村里的，今年开始不给分红了", Rule: 4},
	{Text: "嫁出去的女儿不能再分集体分红", Rule: 4},
	{Text: "入赘女婿不算本村人，集体分红不分给他", Rule: 4},
	{Text: "新来的租户不准分集体收益", Rule: 4},
	{Text: "村口安装路灯，晚上走路安全一点", Rule: 0},
	{Text: "老年食堂每周开放几天，方便老人吃饭", Rule: 0},
	{Text: "村里道路坑坑洼洼，建议硬化一下", Rule: 0},
	{Text: "文化礼堂周末开放给孩子看书", Rule: 0},
	{Text: "垃圾分类督导员轮流值班", Rule: 0},
	{Text: "集体分红的方案请大家讨论，按人口平均分配", Rule: 0},
}

// TestBayesLayer: the model flags review (never excluded) with the
// n-grams that drove it, and a reason that names the rule.
func TestBayesLayer(t *testing.T) {
	s := bayesOnly(t, bayesBank)
	r := s.Screen("外嫁女的分红今年开始不分给她们了，户口在也不算")
	if r.Verdict != Review || !slices.Equal(r.Rules, []int{4}) {
		t.Fatalf("got %s %v, want review with rule 4", r.Verdict, r.Rules)
	}
	ev := r.Evidence[0]
	if len(ev.Grams) == 0 || ev.Example != nil || !strings.Contains(ev.Reason, "用词与已标注的五不议第4条提议相近：关键片段“") {
		t.Fatalf("evidence %+v, want n-grams and a reason naming rule 4", ev)
	}
	for _, g := range ev.Grams {
		if !strings.Contains(archiveText(prepare("外嫁女的分红今年开始不分给她们了，户口在也不算")), g) {
			t.Errorf("evidence n-gram %q is not in the proposal", g)
		}
	}
	if txt := r.ReviewerText(); !strings.Contains(txt, "关键片段") {
		t.Errorf("reviewer text lacks the n-grams:\n%s", txt)
	}
	if txt := r.ProposerText(); !strings.Contains(txt, "用词与以往属于这一条的提议相近") {
		t.Errorf("proposer text: %s", txt)
	}
	// Ordinary matters near the admissible examples stay admissible.
	for _, txt := range []string{"村口那段路晚上太黑，建议安装几盏路灯", "老年食堂能不能周末也开放，老人吃饭方便"} {
		if r := s.Screen(txt); r.Verdict != Admissible {
			t.Errorf("%s: got %s %v", txt, r.Verdict, r.Rules)
		}
	}
}

// TestBayesShortText: statistics alone never flag a one- or two-word
// proposal, however strongly its words lean to a rule.
func TestBayesShortText(t *testing.T) {
	s := bayesOnly(t, bayesBank)
	for _, txt := range []string{"外嫁女分红", "外嫁女不给分红", "集体分红", "分红"} {
		if r := s.Screen(txt); r.Verdict != Admissible {
			t.Errorf("%s: got %s %v, want admissible (too short for the model)", txt, r.Verdict, r.Rules)
		}
	}
	// The default model on ordinary short proposals.
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, txt := range []string{"修路 路坏了要修 村里", "村口安装路灯", "老年食堂每周开放几天"} {
		if r := d.Screen(txt); r.Verdict != Admissible {
			t.Errorf("%s: got %s %v %v", txt, r.Verdict, r.Rules, r.Reasons)
		}
	}
}

// TestBayesOff: no examples, no model.
func TestBayesOff(t *testing.T) {
	if newBayes(nil, defaultBayesParams) != nil || newBayes(bayesBank, bayesParams{off: true}) != nil {
		t.Fatal("want no model")
	}
	var m *bayes
	if v := m.vote("外嫁女户口还在村里的不给分红"); v != nil {
		t.Fatalf("nil model voted %v", v)
	}
}
