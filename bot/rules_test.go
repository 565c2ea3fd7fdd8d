package bot

import (
	"fmt"
	"math/big"
	"strings"
	"testing"
)

func preset(t *testing.T, key string) *Preset {
	t.Helper()
	p, ok := Presets[key]
	if !ok {
		t.Fatalf("no preset %q", key)
	}
	return p
}

func TestPresetBoundaries(t *testing.T) {
	tests := []struct {
		name           string
		preset         string
		tally          Tally
		quorum, agreed bool
		needFor        int
	}{
		// The guideline's rule: FOR > 2/3 of those present.
		{"2 of 3 is not more than 2/3", DefaultPreset, Tally{Expected: 3, Present: 3, For: 2, Against: 1}, true, false, 1},
		{"3 of 3", DefaultPreset, Tally{Expected: 3, Present: 3, For: 3}, true, true, 0},
		{"6 of 9 is not enough", DefaultPreset, Tally{Expected: 9, Present: 9, For: 6, Against: 3}, true, false, 1},
		{"7 of 9 agrees", DefaultPreset, Tally{Expected: 9, Present: 9, For: 7, Against: 2}, true, true, 0},
		{"nobody present", DefaultPreset, Tally{Expected: 9}, true, false, 1},
		{"1 of 1", DefaultPreset, Tally{Expected: 1, Present: 1, For: 1}, true, true, 0},
		{"0 of 1", DefaultPreset, Tally{Expected: 1, Present: 1, Against: 1}, true, false, 1},
		{"abstentions count as present: 6 for 3 abstain", DefaultPreset, Tally{Expected: 9, Present: 9, For: 6, Abstain: 3}, true, false, 1},
		{"abstentions count as present: 7 for 2 abstain", DefaultPreset, Tally{Expected: 9, Present: 9, For: 7, Abstain: 2}, true, true, 0},
		{"present who did not vote count against passing", DefaultPreset, Tally{Expected: 9, Present: 9, For: 6}, true, false, 1},
		{"absentees do not count", DefaultPreset, Tally{Expected: 12, Present: 9, For: 7}, true, true, 0},
		{"over-voted is still decided by the rule", DefaultPreset, Tally{Expected: 9, Present: 9, For: 9}, true, true, 0},
		{"needs three more", DefaultPreset, Tally{Expected: 10, Present: 10, For: 4, Against: 6}, true, false, 3},

		// 村民代表会议: quorum at least 2/3 of the members, FOR > 1/2 of present.
		{"representatives: exactly 2/3 present", "representatives", Tally{Expected: 9, Present: 6, For: 4, Against: 2}, true, true, 0},
		{"representatives: one short of 2/3", "representatives", Tally{Expected: 9, Present: 5, For: 5}, false, false, 0},
		{"representatives: 10 members, 7 present", "representatives", Tally{Expected: 10, Present: 7, For: 4, Against: 3}, true, true, 0},
		{"representatives: 10 members, 6 present", "representatives", Tally{Expected: 10, Present: 6, For: 6}, false, false, 0},
		{"representatives: half is not a majority", "representatives", Tally{Expected: 9, Present: 8, For: 4, Against: 4}, true, false, 1},
		{"representatives: Eligible is the base", "representatives", Tally{Expected: 6, Eligible: 30, Present: 6, For: 6}, false, false, 0},
		{"representatives: nobody present", "representatives", Tally{Expected: 9}, false, false, 1},

		// 村民会议 / 居民会议: more than half of the base present.
		{"villagers: more than half present", "villagers", Tally{Expected: 100, Present: 51, For: 26, Against: 25}, true, true, 0},
		{"villagers: exactly half is not a quorum", "villagers", Tally{Expected: 100, Present: 50, For: 50}, false, false, 0},
		{"villagers: Eligible adults are the base", "villagers", Tally{Expected: 40, Eligible: 120, Present: 40, For: 40}, false, false, 0},
		{"villagers: Eligible adults, quorum met", "villagers", Tally{Expected: 80, Eligible: 120, Present: 61, For: 31, Abstain: 30}, true, true, 0},
		{"villagers: half for is not more than half", "villagers", Tally{Expected: 100, Present: 60, For: 30, Abstain: 30}, true, false, 1},
		{"residents: odd base", "residents", Tally{Expected: 7, Present: 4, For: 3, Abstain: 1}, true, true, 0},
		{"residents: odd base, short", "residents", Tally{Expected: 7, Present: 3, For: 3}, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := preset(t, tt.preset).Decide(tt.tally)
			if o.QuorumMet != tt.quorum || o.Agreed != tt.agreed || o.NeedFor != tt.needFor {
				t.Errorf("Decide(%+v) = quorum %v agreed %v need %d; want %v %v %d\n%s",
					tt.tally, o.QuorumMet, o.Agreed, o.NeedFor, tt.quorum, tt.agreed, tt.needFor, o.Arithmetic)
			}
			checkArithmetic(t, preset(t, tt.preset), tt.tally, o)
		})
	}
}

// checkArithmetic: the Chinese explanation names the rule, the figures and
// the verdict that was actually decided.
func checkArithmetic(t *testing.T, p *Preset, tl Tally, o Outcome) {
	t.Helper()
	for _, want := range []string{p.Name, p.Source, fmt.Sprintf("实到%d人", tl.Present),
		fmt.Sprintf("赞成%d人", tl.For), fmt.Sprintf("反对%d人", tl.Against), fmt.Sprintf("弃权%d人", tl.Abstain)} {
		if !strings.Contains(o.Arithmetic, want) {
			t.Errorf("arithmetic %q lacks %q", o.Arithmetic, want)
		}
	}
	verdict := "结果：未通过。"
	switch {
	case !o.QuorumMet:
		verdict = "表决不产生决定"
	case o.Agreed:
		verdict = "结果：通过。"
	}
	if !strings.Contains(o.Arithmetic, verdict) {
		t.Errorf("arithmetic %q lacks the verdict %q", o.Arithmetic, verdict)
	}
}

var (
	twoThirds = big.NewRat(2, 3)
	half      = big.NewRat(1, 2)
)

func ratGreater(n, d int, than *big.Rat) bool {
	return d > 0 && big.NewRat(int64(n), int64(d)).Cmp(than) > 0
}

func ratAtLeast(n, d int, than *big.Rat) bool {
	return d > 0 && big.NewRat(int64(n), int64(d)).Cmp(than) >= 0
}

// The integer rules equal the exact fractions of the statutes for every
// small meeting, and NeedFor is the smallest number of extra FOR votes that
// makes the same tally pass.
func TestRulesAgainstExactFractions(t *testing.T) {
	const maxN = 60
	type rule struct {
		key    string
		agreed func(f, p int) bool
		quorum func(p, base int) bool
	}
	rules := []rule{
		{DefaultPreset, func(f, p int) bool { return ratGreater(f, p, twoThirds) }, func(int, int) bool { return true }},
		{"representatives", func(f, p int) bool { return ratGreater(f, p, half) }, func(p, b int) bool { return p > 0 && (b == 0 || ratAtLeast(p, b, twoThirds)) }},
		{"villagers", func(f, p int) bool { return ratGreater(f, p, half) }, func(p, b int) bool { return p > 0 && (b == 0 || ratGreater(p, b, half)) }},
		{"villagers_households", func(f, p int) bool { return ratGreater(f, p, half) }, func(p, b int) bool { return p > 0 && (b == 0 || ratAtLeast(p, b, twoThirds)) }},
		{"residents", func(f, p int) bool { return ratGreater(f, p, half) }, func(p, b int) bool { return p > 0 && (b == 0 || ratGreater(p, b, half)) }},
	}
	if len(rules) != len(Presets) {
		t.Fatalf("%d presets, %d reference rules: add the new preset here", len(Presets), len(rules))
	}
	for _, r := range rules {
		p := preset(t, r.key)
		for expected := 0; expected <= maxN; expected++ {
			for present := 0; present <= expected; present++ {
				q := r.quorum(present, expected)
				minFor := -1
				for f := 0; f <= present; f++ {
					if r.agreed(f, present) && minFor < 0 {
						minFor = f
					}
				}
				for f := 0; f <= present; f++ {
					tl := Tally{Expected: expected, Present: present, For: f, Against: present - f}
					o := p.Decide(tl)
					if o.QuorumMet != q {
						t.Fatalf("%s %+v: quorum %v, exact %v", r.key, tl, o.QuorumMet, q)
					}
					if want := q && r.agreed(f, present); o.Agreed != want {
						t.Fatalf("%s %+v: agreed %v, exact %v", r.key, tl, o.Agreed, want)
					}
					need := 0
					if minFor > f {
						need = minFor - f
					}
					if present == 0 {
						need = 1 // nobody present: one FOR would be needed first
					}
					if o.NeedFor != need {
						t.Fatalf("%s %+v: NeedFor %d, exact %d", r.key, tl, o.NeedFor, need)
					}
				}
			}
		}
	}
}

func TestPresetByName(t *testing.T) {
	for key, p := range Presets {
		if got, ok := PresetByName(key); !ok || got != p {
			t.Errorf("PresetByName(%q) = %v, %v", key, got, ok)
		}
		if got, ok := PresetByName(p.Name); !ok || got != p {
			t.Errorf("PresetByName(%q) = %v, %v", p.Name, got, ok)
		}
		if p.Key != key || p.Name == "" || p.Source == "" || p.QuorumDoc == "" || p.RuleDoc == "" {
			t.Errorf("preset %q is incomplete: %+v", key, p)
		}
	}
	if _, ok := PresetByName("业主大会"); ok {
		t.Errorf("unknown preset found")
	}
	if _, ok := Presets[DefaultPreset]; !ok {
		t.Errorf("default preset %q missing", DefaultPreset)
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		n, d int
		want string
	}{
		{1, 3, "33.3"}, {2, 3, "66.7"}, {0, 0, "0.0"}, {5, 0, "0.0"}, {0, 9, "0.0"},
		{3, 3, "100.0"}, {7, 9, "77.8"}, {6, 9, "66.7"}, {1, 8, "12.5"}, {1, 16, "6.3"},
		{1, 6, "16.7"}, {1, 7, "14.3"}, {1, 2000, "0.1"}, {1, 2001, "0.0"},
	}
	for _, tt := range tests {
		if got := Percent(tt.n, tt.d); got != tt.want {
			t.Errorf("Percent(%d, %d) = %q, want %q", tt.n, tt.d, got, tt.want)
		}
	}
}

// Percent rounds half up exactly, checked against big.Rat for small counts.
func TestPercentAgainstExact(t *testing.T) {
	for d := 1; d <= 60; d++ {
		for n := 0; n <= d; n++ {
			// tenths = floor(n*1000/d + 1/2)
			r := new(big.Rat).SetFrac64(int64(n)*1000, int64(d))
			r.Add(r, big.NewRat(1, 2))
			tenths := new(big.Int).Quo(r.Num(), r.Denom()).Int64()
			want := fmt.Sprintf("%d.%d", tenths/10, tenths%10)
			if got := Percent(n, d); got != want {
				t.Fatalf("Percent(%d, %d) = %q, exact %q", n, d, got, want)
			}
		}
	}
}

func TestTallyVoted(t *testing.T) {
	if got := (Tally{For: 3, Against: 2, Abstain: 1}).Voted(); got != 6 {
		t.Errorf("Voted = %d, want 6", got)
	}
}
