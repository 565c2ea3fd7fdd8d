package screening

import (
	"reflect"
	"regexp/syntax"
	"slices"
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
