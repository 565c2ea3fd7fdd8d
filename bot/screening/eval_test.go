package screening

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

type evalItem struct {
	Text     string `json:"text"`
	Want     any    `json:"want"` // "admissible" or the 五不议 rule number
	Category int    `json:"category"`
	Source   string `json:"source"`
	Note     string `json:"note"`
}

func (it evalItem) rule() int {
	if f, ok := it.Want.(float64); ok {
		return int(f)
	}
	return 0
}

func readJSONL[T any](t testing.TB, name string) []T {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s:%d: %v", name, line, err)
		}
		out = append(out, v)
	}
	return out
}

// evalClock pins "now" for the evaluation (the archive's decisions are
// dated 2023-2025).
func evalClock() time.Time { return time.Date(2025, 6, 1, 9, 0, 0, 0, time.Local) }

func evalScreener(t testing.TB) *Screener { return evalScreenerWith(t, "testdata/archive.jsonl") }

func evalScreenerWith(t testing.TB, archiveFile string) *Screener {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(evalClock)
	for _, d := range readJSONL[Decision](t, archiveFile) {
		s.AddDecision(d)
	}
	return s
}

// TestEvaluation screens the labelled set and fails below the targets of
// the issue. It prints per-rule precision and recall.
func TestEvaluation(t *testing.T) {
	items := readJSONL[evalItem](t, "testdata/eval.jsonl")
	if len(items) < 150 {
		t.Fatalf("evaluation set has %d items, want at least 150", len(items))
	}
	evaluate(t, items, "testdata/eval.golden", true)
}

// TestHoldout runs a smaller set written after the pack was tuned on
// eval.jsonl and never tuned on since: its figures are the honest estimate.
// It reports but only fails on gross regressions.
func TestHoldout(t *testing.T) {
	evaluate(t, readJSONL[evalItem](t, "testdata/holdout.jsonl"), "testdata/holdout.golden", false)
}

// TestBlind runs a set written before its author read the pack or the
// other sets, with its own archive of past decisions (blind_archive.jsonl).
// It reports; it does not fail on the targets.
func TestBlind(t *testing.T) {
	items := readJSONL[evalItem](t, "testdata/blind.jsonl")
	evaluateWith(t, evalScreenerWith(t, "testdata/blind_archive.jsonl"), items, "testdata/blind.golden", false)
}

// TestFresh runs a small set written after the engine was tuned on the
// blind set and scored once before any further change (same archive as the
// blind set). It reports; it does not fail on the targets.
func TestFresh(t *testing.T) {
	items := readJSONL[evalItem](t, "testdata/fresh.jsonl")
	evaluateWith(t, evalScreenerWith(t, "testdata/blind_archive.jsonl"), items, "testdata/fresh.golden", false)
}

// TestChat runs a set the team wrote in the way residents type in chat
// (dialect, traditional characters, no punctuation discipline) while
// working on issue 16, and tuned on: a regression check, not an estimate.
func TestChat(t *testing.T) {
	items := readJSONL[evalItem](t, "testdata/chat.jsonl")
	evaluateWith(t, evalScreenerWith(t, "testdata/blind_archive.jsonl"), items, "testdata/chat.golden", false)
}

// TestP11 runs the set written for issue 16 from public reports before any
// change to packs or models (p11.jsonl, its own archive p11_archive.jsonl).
// Nothing was ever tuned on it. It reports; it does not fail on the targets.
func TestP11(t *testing.T) {
	items := readJSONL[evalItem](t, "testdata/p11.jsonl")
	if len(items) < 120 {
		t.Fatalf("p11 set has %d items, want at least 120", len(items))
	}
	for i, it := range items {
		if it.Source == "" {
			t.Errorf("p11.jsonl:%d has no source", i+1)
		}
	}
	// Figures only: the failures are not printed, so that nobody tunes on
	// them by reading the log (the golden still records every output).
	quiet = true
	defer func() { quiet = false }()
	evaluateWith(t, evalScreenerWith(t, "testdata/p11_archive.jsonl"), items, "testdata/p11.golden", false)
}

var quiet bool

// inTopTwo reports whether the wanted category is the first or the second
// category the screen shows.
func inTopTwo(r Result, want int) bool {
	if r.Category == want {
		return true
	}
	for i, c := range r.TopCategories {
		if i < 2 && c.Category == want {
			return true
		}
	}
	return false
}

func evaluate(t *testing.T, items []evalItem, goldenFile string, strict bool) {
	evaluateWith(t, evalScreener(t), items, goldenFile, strict)
}

// evalMetrics are the target figures on one set.
type evalMetrics struct {
	Items, Adm, Viol             int
	Recall, RightRule, FalseFlag float64
	Rule3Recall, Category        float64
	Rule4Recall, Top2            float64
	tp, fp, fn                   [6]int
}

// measure screens items and computes the figures, the golden text and the
// list of failures (for the log).
func measure(s *Screener, items []evalItem) (m evalMetrics, golden string, failures []string) {
	var (
		violFlagged, violRight int
		admFlagged, catRight   int
		catTop2                int
		rule3, rule3Hit        int
		g                      strings.Builder
	)
	for _, it := range items {
		r := s.Screen(it.Text)
		want := it.rule()
		fmt.Fprintf(&g, "%s\t%v\t%v\t%d\t%s\n", r.Verdict, r.Rules, it.Want, r.Category, it.Text)
		for rule := 1; rule <= 5; rule++ {
			has := slices.Contains(r.Rules, rule)
			switch {
			case has && want == rule:
				m.tp[rule]++
			case has:
				m.fp[rule]++
			case want == rule:
				m.fn[rule]++
			}
		}
		if want == 0 {
			m.Adm++
			if r.Verdict != Admissible {
				admFlagged++
				failures = append(failures, fmt.Sprintf("false flag %v: %s", r.Rules, it.Text))
			}
			if inTopTwo(r, it.Category) {
				catTop2++
			}
			if r.Category == it.Category {
				catRight++
			} else {
				failures = append(failures, fmt.Sprintf("category %d want %d: %s", r.Category, it.Category, it.Text))
			}
			continue
		}
		m.Viol++
		if want == 3 {
			rule3++
			if slices.Contains(r.Rules, 3) {
				rule3Hit++
			}
		}
		if r.Verdict != Admissible {
			violFlagged++
			if slices.Contains(r.Rules, want) {
				violRight++
			} else {
				failures = append(failures, fmt.Sprintf("rule %v want %d: %s", r.Rules, want, it.Text))
			}
		} else {
			failures = append(failures, fmt.Sprintf("missed rule %d: %s", want, it.Text))
		}
	}
	m.Items = len(items)
	m.Recall = ratio(violFlagged, m.Viol)
	m.RightRule = ratio(violRight, violFlagged)
	m.FalseFlag = ratio(admFlagged, m.Adm)
	m.Rule3Recall = ratio(rule3Hit, rule3)
	m.Category = ratio(catRight, m.Adm)
	m.Top2 = ratio(catTop2, m.Adm)
	m.Rule4Recall = m.ruleRecall(4)
	return m, g.String(), failures
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func (m evalMetrics) ruleRecall(rule int) float64 { return ratio(m.tp[rule], m.tp[rule]+m.fn[rule]) }

func evaluateWith(t *testing.T, s *Screener, items []evalItem, goldenFile string, strict bool) {
	m, golden, failures := measure(s, items)
	for _, f := range failures {
		if !quiet {
			t.Log(f)
		}
	}
	t.Logf("items %d (admissible %d, violating %d)", m.Items, m.Adm, m.Viol)
	for rule := 1; rule <= 5; rule++ {
		t.Logf("rule %d: precision %.2f recall %.2f (tp %d fp %d fn %d)", rule,
			ratio(m.tp[rule], m.tp[rule]+m.fp[rule]), m.ruleRecall(rule), m.tp[rule], m.fp[rule], m.fn[rule])
	}
	metrics := []struct {
		name    string
		v, want float64
		atMost  bool
	}{
		{"五不议 recall (flagged review/excluded)", m.Recall, 0.90, false},
		{"right rule among flagged", m.RightRule, 0.90, false},
		{"admissible wrongly flagged", m.FalseFlag, 0.10, true},
		{"rule 3 recall on paraphrases", m.Rule3Recall, 0.90, false},
		{"category accuracy", m.Category, 0.70, false},
		{"rule 4 recall", m.Rule4Recall, 0.80, false},
		{"category in top two", m.Top2, 0.90, false},
	}
	for _, m := range metrics {
		bad := m.v < m.want
		if m.atMost {
			bad = m.v > m.want
		}
		mark := "ok"
		if bad {
			mark = "BELOW TARGET"
		}
		if bad && strict {
			t.Errorf("%s = %.2f, target %s %.2f", m.name, m.v, map[bool]string{true: "≤", false: "≥"}[m.atMost], m.want)
		}
		t.Logf("%-40s %.2f (target %.2f) %s", m.name, m.v, m.want, mark)
	}
	checkGolden(t, goldenFile, golden)
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the current output; review the change and run go test -update", name)
	}
}

// TestP13 runs two sets a helper wrote for issue 16 from public reports and
// in chat style without reading the screener (p13dev.jsonl, p13held.jsonl,
// one archive p13_archive.jsonl), committed before any change they led
// to. The dev half is tuned on and its failures are printed; the held half
// is never tuned on, and only its figures are printed.
func TestP13(t *testing.T) { devAndHeld(t, "p13") }

// TestP14 runs a second pair written the same way (an urban 街道 community
// and a Sichuan village, 44% chat), committed while this stop's changes
// went on but before any change it led to.
func TestP14(t *testing.T) { devAndHeld(t, "p14") }

func devAndHeld(t *testing.T, set string) {
	for _, half := range []string{"dev", "held"} {
		t.Run(half, func(t *testing.T) {
			items := readJSONL[evalItem](t, "testdata/"+set+half+".jsonl")
			for i, it := range items {
				if it.Source == "" {
					t.Errorf("%s%s.jsonl:%d has no source", set, half, i+1)
				}
			}
			quiet = half == "held"
			defer func() { quiet = false }()
			evaluateWith(t, evalScreenerWith(t, "testdata/"+set+"_archive.jsonl"), items, "testdata/"+set+half+".golden", false)
		})
	}
}
