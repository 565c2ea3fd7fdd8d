package telegram

import (
	"strings"
	"testing"
)

func TestSplitText(t *testing.T) {
	long := strings.Repeat("议", 10)
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"short", "你好", 10, []string{"你好"}},
		{"exact", long, 10, []string{long}},
		{"empty", "  \n ", 10, nil},
		{"lines", "一二三\n四五六\n七八", 7, []string{"一二三\n四五六", "七八"}},
		{"long line cut", "一二三四五六七", 3, []string{"一二三", "四五六", "七"}},
		{"long line among short", "ab\n一二三四五\ncd", 3, []string{"ab", "一二三", "四五", "cd"}},
		{"blank lines kept inside", "a\n\nb", 10, []string{"a\n\nb"}},
		{"blank part dropped", "abc\n\n\ndef", 3, []string{"abc", "def"}},
		{"emoji counts two", "😀😀😀", 4, []string{"😀😀", "😀"}},
		{"limit below a character", "😀", 1, []string{"😀"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitText(tt.in, tt.limit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("splitText(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}

func TestSplitTextLimitAndContent(t *testing.T) {
	var b strings.Builder
	for i := range 800 {
		b.WriteString(strings.Repeat("议事协商", i%13))
		b.WriteString("*_<b>\n")
	}
	s := strings.TrimSuffix(b.String(), "\n")
	parts := splitText(s, MaxText)
	if len(parts) < 2 {
		t.Fatalf("expected several parts, got %d", len(parts))
	}
	for i, p := range parts {
		if units(p) > MaxText {
			t.Errorf("part %d has %d units", i, units(p))
		}
	}
	if strings.Join(parts, "\n") != s {
		t.Error("parts joined at the cut newlines do not give the text back")
	}
}
