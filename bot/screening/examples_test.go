package screening

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var sweep = flag.Bool("sweep", false, "print the leave-one-set-out figures over a grid of similarity-layer thresholds")

// evalSet is one labelled set with the archive its rule 3 items repeat.
// untuned is the default pack as it was in git before it was first tuned
// on the set (blind: 3f7c89c, fresh: 83ecc37): the current pack saw every
// set, so only that snapshot says how the packs do on unseen wording.
type evalSet struct {
	name, file, archive, untuned string
}

var evalSets = []evalSet{
	{"main", "testdata/eval.jsonl", "testdata/archive.jsonl", ""},
	{"holdout", "testdata/holdout.jsonl", "testdata/archive.jsonl", ""},
	{"blind", "testdata/blind.jsonl", "testdata/blind_archive.jsonl", "testdata/pack_before_blind.yaml"},
	{"fresh", "testdata/fresh.jsonl", "testdata/blind_archive.jsonl", "testdata/pack_before_fresh.yaml"},
	{"chat", "testdata/chat.jsonl", "testdata/blind_archive.jsonl", ""},
	{"p13dev", "testdata/p13dev.jsonl", "testdata/p13_archive.jsonl", ""},
	{"p14dev", "testdata/p14dev.jsonl", "testdata/p14_archive.jsonl", ""},
}

// examplesFromSets derives the shipped bank from the labelled sets.
func examplesFromSets(t testing.TB) []Example {
	var out []Example
	for _, set := range evalSets {
		for _, it := range readJSONL[evalItem](t, set.file) {
			e := Example{Text: it.Text, Rule: it.rule(), Set: set.name}
			if e.Rule == 0 {
				e.Category = it.Category
			}
			out = append(out, e)
		}
	}
	return out
}

// TestExamplesInSync checks that packs/examples.jsonl is the labelled sets
// (go test -update rewrites it).
func TestExamplesInSync(t *testing.T) {
	var b bytes.Buffer
	for _, e := range examplesFromSets(t) {
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	const name = "packs/examples.jsonl"
	if *update {
		if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("%s is not derived from the current testdata sets (%v); run go test -update", name, err)
	}
	if n := len(DefaultExamples()); n != len(examplesFromSets(t)) {
		t.Fatalf("embedded bank has %d examples, want %d (rebuild after -update)", n, len(examplesFromSets(t)))
	}
}

func TestParseExamplesErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"text":"a","rule":1}` + "\n" + `{"text":`, "x.jsonl:2"},
		{`{"text":"a","rule":7}`, "x.jsonl:1: 规则编号 7"},
		{"\n" + `{"text":"  ","rule":1}`, "x.jsonl:2: 示例文本为空"},
	} {
		_, err := ParseExamples("x.jsonl", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseExamples(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

// TestExampleLayer checks the layer on a tiny bank: it flags review (never
// excluded) with the closest example as evidence, and admissible
// neighbours outvote it.
func TestExampleLayer(t *testing.T) {
	bank := []Example{
		{Text: "隔壁老王家的鸡天天跑到我家菜园里吃菜，村里评评理", Rule: 5},
		{Text: "老王家的鸭子跑到我家院子里拉屎，请村里管一管", Rule: 5},
		{Text: "村里的公共菜园旁边建议修一条排水沟", Rule: 0},
		{Text: "公共菜园旁的排水沟堵了，建议组织清理", Rule: 0},
		{Text: "公共菜园的排水沟建议加盖板，防止小孩掉下去", Rule: 0},
	}
	s := layerOnly(t, bank)
	r := s.Screen("老王家的鸡鸭天天跑进我家菜园院子里，请村里管管")
	if r.Verdict != Review || !contains(r.Rules, 5) {
		t.Fatalf("got %s %v, want review with rule 5", r.Verdict, r.Rules)
	}
	var ev *Evidence
	for i := range r.Evidence {
		if r.Evidence[i].Example != nil {
			ev = &r.Evidence[i]
		}
	}
	if ev == nil || ev.Rule != 5 || ev.Example.Score <= 0 || !strings.Contains(ev.Reason, "五不议第5条") {
		t.Fatalf("evidence %+v, want the closest rule-5 example with its score", r.Evidence)
	}
	if txt := r.ReviewerText(); !strings.Contains(txt, "相似的已标注提议") {
		t.Errorf("reviewer text lacks the example:\n%s", txt)
	}
	if txt := r.ProposerText(); strings.Contains(txt, ev.Example.Text) {
		t.Errorf("proposer text shows another proposal: %s", txt)
	}

	// Admissible neighbours count against the rule.
	if r := s.Screen("公共菜园旁边的排水沟建议修一修"); r.Verdict != Admissible {
		t.Errorf("got %s %v for an ordinary matter near admissible examples", r.Verdict, r.Rules)
	}

	s.SetExamples(nil)
	if r := s.Screen("老王家的鸡鸭天天跑进我家菜园院子里，请村里管管"); r.Verdict != Admissible {
		t.Errorf("layer off: got %s %v", r.Verdict, r.Rules)
	}
}

// TestExampleLayerNeverExcludes: a proposal identical to a labelled
// example is flagged review, not excluded, when only the layer fires.
func TestExampleLayerNeverExcludes(t *testing.T) {
	text := "小区东边那棵大树的叶子老落到我家阳台上"
	s := layerOnly(t, []Example{{Text: text, Rule: 4}})
	r := s.Screen(text)
	if r.Verdict != Review || len(r.Rules) != 1 || r.Rules[0] != 4 || r.Evidence[0].Example == nil {
		t.Fatalf("got %s %v %+v, want review by example only", r.Verdict, r.Rules, r.Evidence)
	}
}

// cvFold is one leave-one-set-out fold: the set's figures with the packs
// alone and with the layer whose bank holds every other set; the same with
// the untuned pack snapshot (hasOld); and the layer with no pack at all.
type cvFold struct {
	set               string
	pack, layer       evalMetrics
	hasOld            bool
	oldPack, oldLayer evalMetrics
	oldKNN            evalMetrics // untuned pack + the kNN vote without the n-gram model
	layerAlone        evalMetrics
}

func crossValidate(t testing.TB, bank []Example, p exampleParams) []cvFold {
	emptyPack := emptyPackOf(t)
	var out []cvFold
	for _, set := range evalSets {
		items := readJSONL[evalItem](t, set.file)
		var train []Example
		for _, e := range bank {
			if e.Set != set.name {
				train = append(train, e)
			}
		}
		f := cvFold{set: set.name}
		knnOnly := p
		knnOnly.nb = bayesParams{off: true}
		runWith := func(packs []*Pack, withLayer bool, p exampleParams) evalMetrics {
			s := evalScreenerWith(t, set.archive)
			if err := s.SetPacks(packs...); err != nil {
				t.Fatal(err)
			}
			if withLayer {
				s.setExamplesWith(train, p)
			} else {
				s.setExamplesWith(nil, p)
			}
			m, _, _ := measure(s, items)
			return m
		}
		run := func(packs []*Pack, withLayer bool) evalMetrics { return runWith(packs, withLayer, p) }
		f.pack, f.layer = run(DefaultPacks(), false), run(DefaultPacks(), true)
		f.layerAlone = run([]*Pack{emptyPack}, true)
		if set.untuned != "" {
			data, err := os.ReadFile(set.untuned)
			if err != nil {
				t.Fatal(err)
			}
			old, err := LoadPack(set.untuned, data)
			if err != nil {
				t.Fatal(err)
			}
			f.hasOld = true
			f.oldPack, f.oldLayer = run([]*Pack{old}, false), run([]*Pack{old}, true)
			f.oldKNN = runWith([]*Pack{old}, true, knnOnly)
		}
		out = append(out, f)
	}
	return out
}

// TestExamplesCrossValidated is the honest estimate of the similarity
// layer (kNN vote + n-gram model): each set is screened with a bank, and a
// model trained on a bank, that does not contain it. The
// packs were tuned on every set, so the pack-only figures are optimistic
// (the fresh set scored 0.53 recall before the packs were tuned on it).
// It fails when the layer flags more than 10% of a fold's admissible
// proposals, or lowers a fold's recall or right-rule share.
func TestExamplesCrossValidated(t *testing.T) {
	folds := crossValidate(t, examplesFromSets(t), defaultExampleParams)
	t.Logf("%-8s %-7s %6s %6s %6s %6s %6s   r1   r2   r4   r5  top2", "set", "", "recall", "right", "false", "rule3", "categ")
	for _, f := range folds {
		rows := []struct {
			name string
			m    evalMetrics
		}{{"pack", f.pack}, {"+layer", f.layer}, {"layer", f.layerAlone}}
		if f.hasOld {
			rows = append(rows, struct {
				name string
				m    evalMetrics
			}{"untuned", f.oldPack}, struct {
				name string
				m    evalMetrics
			}{"+kNN", f.oldKNN}, struct {
				name string
				m    evalMetrics
			}{"+layer", f.oldLayer})
		}
		for _, row := range rows {
			m := row.m
			t.Logf("%-8s %-7s %6.2f %6.2f %6.2f %6.2f %6.2f %5.2f %4.2f %4.2f %4.2f %5.2f", f.set, row.name,
				m.Recall, m.RightRule, m.FalseFlag, m.Rule3Recall, m.Category,
				m.ruleRecall(1), m.ruleRecall(2), m.ruleRecall(4), m.ruleRecall(5), m.Top2)
		}
		for _, m := range []evalMetrics{f.layer, f.oldLayer} {
			if m.FalseFlag > 0.10 {
				t.Errorf("%s: admissible wrongly flagged %.2f with the layer, want ≤ 0.10", f.set, m.FalseFlag)
			}
		}
		if f.layer.Recall < f.pack.Recall || f.oldLayer.Recall < f.oldPack.Recall {
			t.Errorf("%s: the layer lowers recall", f.set)
		}
		// Regression floor on unseen wording: 0.93 blind, 0.83 fresh with
		// kNN + n-gram model when its thresholds were chosen (0.79 / 0.77
		// with kNN alone, 0.61 / 0.53 with the untuned pack alone).
		if f.hasOld && f.oldLayer.Recall < 0.80 {
			t.Errorf("%s: untuned pack + layer recall %.2f, want ≥ 0.80", f.set, f.oldLayer.Recall)
		}
		if f.hasOld && f.oldLayer.Recall < f.oldKNN.Recall {
			t.Errorf("%s: the n-gram model lowers recall (%.2f with kNN alone, %.2f with both)", f.set, f.oldKNN.Recall, f.oldLayer.Recall)
		}
	}
}

// TestExampleSweep prints the leave-one-set-out figures over a grid of
// thresholds (go test -run ExampleSweep -sweep -v). Thresholds are chosen
// here, never on the shipped bank.
func TestExampleSweep(t *testing.T) {
	if !*sweep {
		t.Skip("run with -sweep")
	}
	bank := examplesFromSets(t)
	for _, k := range []int{3, 5} {
		for _, floor := range []float64{0.08, 0.1, 0.12, 0.15} {
			for _, minSim := range []float64{0.12, 0.15, 0.2, 0.25} {
				for _, share := range []float64{0.5, 0.6, 0.67, 0.8} {
					for _, r3 := range []bool{true} {
						if minSim < floor {
							continue
						}
						p := exampleParams{k: k, floor: floor, minSim: minSim, share: share, rule3Adm: r3}
						folds := crossValidate(t, bank, p)
						var b strings.Builder
						worstFF, pooledV, pooledHit := 0.0, 0.0, 0.0
						for _, f := range folds {
							m := f.layer
							if f.hasOld {
								m = f.oldLayer
							}
							fmt.Fprintf(&b, " %s %.2f/%.2f/%.2f alone %.2f/%.2f", f.set, m.Recall, m.RightRule, m.FalseFlag, f.layerAlone.Recall, f.layerAlone.FalseFlag)
							worstFF = max(worstFF, m.FalseFlag, f.layerAlone.FalseFlag)
							pooledV += float64(m.Viol)
							pooledHit += m.Recall * float64(m.Viol)
						}
						t.Logf("SWEEP k=%d floor=%.2f min=%.2f share=%.2f r3adm=%v pooled %.3f worstFF %.2f |%s", k, floor, minSim, share, r3, pooledHit/pooledV, worstFF, b.String())
					}
				}
			}
		}
	}
}

// TestLayerRule5NeedsTwoParties: a harm several households share reads
// like a neighbours' quarrel to the similarity layer, but is not one.
func TestLayerRule5NeedsTwoParties(t *testing.T) {
	bank := []Example{
		{Text: "我们两家共用的排水沟被他家填了，一下雨我家就淹，请村里评评理", Rule: 5},
		{Text: "隔壁把排水沟填了，雨水全往我家院子里灌，请村里给个说法", Rule: 5},
		{Text: "他家把我家门口的排水沟堵了，一下雨就淹，请村里管管", Rule: 5},
	}
	s := layerOnly(t, bank)
	if r := s.Screen("他家把排水沟填了，一下雨我家院子就淹，请村里评评理"); !contains(r.Rules, 5) {
		t.Fatalf("two parties: rules %v, want 5 from the layer", r.Rules)
	}
	if r := s.Screen("排水沟被几户人家填了，一下雨村里好多田就淹，请村里组织挖开"); contains(r.Rules, 5) {
		t.Errorf("several households: rules %v %+v, want no rule 5", r.Rules, r.Evidence)
	}
}

// layerOnly is a Screener with an empty pack: only the similarity layer,
// on bank, can flag.
func layerOnly(t *testing.T, bank []Example) *Screener {
	t.Helper()
	s, err := New(emptyPackOf(t))
	if err != nil {
		t.Fatal(err)
	}
	s.SetExamples(bank)
	return s
}

// emptyPackOf is a pack with no entry: with it only the layer can flag.
func emptyPackOf(t testing.TB) *Pack {
	t.Helper()
	p, err := LoadPack("empty.yaml", []byte("name: empty\n"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
