package screening

import (
	"reflect"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		re   string
		want []string // nil: cannot tell, always run
	}{
		{`罚\d+(元|块)`, []string{"罚"}},
		{`\d+(元|块)`, []string{"元", "块"}},
		{`\p{Han}某某?`, []string{"某"}},
		{`[3-9]\d桌|\d{3,}桌`, []string{"桌", "桌"}},
		{`(老|小|阿)(王|张|李)`, []string{"小", "老", "阿"}}, // a class, in code-point order
		{`欠了?\p{Han}{0,4}(房租|租金|钱|款)`, []string{"欠"}},
		{`\p{Han}+`, nil},
		{`.*`, nil},
		{`(?i)abc`, nil},
		{`a|.`, nil},
	}
	for _, tt := range tests {
		re, err := syntax.Parse(tt.re, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		got := requiredLiterals(re.Simplify())
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("requiredLiterals(%q) = %q, want %q", tt.re, got, tt.want)
		}
	}
}

// TestGatedRegexesMatchAsBefore screens every labelled text with the
// regexes gated by their literals and with every regex run, and wants the
// same hits.
func TestGatedRegexesMatchAsBefore(t *testing.T) {
	m, err := compile(DefaultPacks())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(m.regexes, func(c compiledRE) bool { return c.gated }) {
		t.Fatal("no regex of the default packs is gated")
	}
	ungated := *m
	ungated.regexes = slices.Clone(m.regexes)
	for i := range ungated.regexes {
		ungated.regexes[i].gated = false
	}
	var texts []string
	for _, f := range []string{"eval", "holdout", "blind", "fresh", "chat", "p11"} {
		for _, it := range readJSONL[evalItem](t, "testdata/"+f+".jsonl") {
			texts = append(texts, it.Text)
		}
	}
	texts = append(texts, "罚100元", "老王家的狗", "张某某欠了他房租", "每桌30桌", "3号楼的住户")
	for _, text := range texts {
		p := prepare(text)
		if got, want := m.match(p), ungated.match(p); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: gated hits differ", text)
		}
	}
}

// TestGatedExpressions: a gated expression finds what the expression finds.
func TestGatedExpressions(t *testing.T) {
	texts := []string{"县里全面推行河长制", "乡里布置了排查", "按规定要由村民会议讨论决定", "分配方案", "路灯坏了", "", "推进"}
	for _, f := range []string{"eval", "blind", "chat", "p13dev"} {
		for _, it := range readJSONL[evalItem](t, "testdata/"+f+".jsonl") {
			texts = append(texts, it.Text)
		}
	}
	for _, g := range []gatedRE{directiveRE, statutoryRE, fewRE, plannedRE, privateUserRE, liquidateRE, protectedRE, harmfulRE} {
		if g.need == nil && g.re != fewRE.re {
			t.Errorf("%s is not gated", g.re)
		}
		for _, text := range texts {
			p := prepare(text)
			if got, want := g.FindString(p), g.re.FindString(p); got != want {
				t.Errorf("%s on %q: gated %q, plain %q", g.re, text, got, want)
			}
		}
	}
}

// FuzzRequiredLiterals: whatever text an expression matches holds one of
// its required literals (go test -fuzz FuzzRequiredLiterals ./bot/screening).
func FuzzRequiredLiterals(f *testing.F) {
	exprs := []string{directiveRE.re.String(), statutoryRE.re.String(), plannedRE.re.String(), privateUserRE.re.String(),
		liquidateRE.re.String(), protectedRE.re.String(), harmfulRE.re.String(),
		`罚\d+(元|块)`, `[3-9]\d桌|\d{3,}桌`, `\p{Han}某某?`, `欠了?\p{Han}{0,4}(房租|租金|钱|款)`, `是[^，。？]{1,20}还是`}
	type compiled struct {
		re   *regexp.Regexp
		lits []string
	}
	var cs []compiled
	for _, e := range exprs {
		cs = append(cs, compiled{regexp.MustCompile(e), literalsOf(e)})
	}
	for _, s := range []string{"县里推行", "罚100元", "按规定要由村民代表会议讨论决定", "在水库边建养猪场", "是包给各组还是请专人", "张某欠了他房租", "30桌"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range cs {
			if c.lits == nil || !c.re.MatchString(s) {
				continue
			}
			if !slices.ContainsFunc(c.lits, func(l string) bool { return strings.Contains(s, l) }) {
				t.Fatalf("%s matches %q, which holds none of %q", c.re, s, c.lits)
			}
		}
	})
}
