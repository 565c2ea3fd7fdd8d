package textnorm

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"hello  world\n", "hello world"},
		{"村口路燈壞了，請盡快維修！", "村口路灯坏了,请尽快维修!"},
		{"ＡＢＣ１２３　全角", "ABC123 全角"},
		{"建议\t\t在\n\n广场 装灯", "建议 在 广场 装灯"},
		{"👍👍", ""},
		{"好的👍谢谢", "好的 谢谢"},
		{"同意❤️", "同意"},
		{"🇨🇳加油", "加油"},
		{"a\u200bb\ufeffc", "abc"},
		{"a\x00b\x07c", "abc"},
		{"会议。《村规民约》、“好”", "会议。《村规民约》、“好”"},
		{"沈默是金", "沉默是金"},
		{"沈先生", "沈先生"},
		{"①号楼 25℃", "①号楼 25℃"},
		{"\xff\xfe坏", "坏"},
		{"議事協商", "议事协商"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"同意！", "同意"},
		{" 同 意 ", "同意"},
		{"ＯＫ", "ok"},
		{"贊成。", "赞成"},
		{"……", ""},
		{"反对👎", "反对"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if got := Normalize("請在廣場裝燈"); got != "请在广场装灯" {
					t.Errorf("got %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNormalizeLarge(t *testing.T) {
	in := strings.Repeat("村民代表會議 ", 10000) // ~100 KB
	out := Normalize(in)
	if !strings.HasPrefix(out, "村民代表会议 村民") || strings.HasSuffix(out, " ") {
		t.Fatalf("unexpected output prefix %q", out[:40])
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "路燈", "ＡＢ　c", "👍🏽同意", "\x00\xff", "  a  b  ", "沈船"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		if strings.TrimSpace(n) != n || strings.Contains(n, "  ") || strings.ContainsAny(n, "\n\t\r") {
			t.Fatalf("whitespace not collapsed: %q → %q", s, n)
		}
		if Normalize(n) != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, Normalize(n))
		}
		fo := Fold(s)
		if strings.ContainsAny(fo, " ,.!?") {
			t.Fatalf("Fold kept punctuation: %q → %q", s, fo)
		}
	})
}

func BenchmarkNormalizeSimplified(b *testing.B) {
	s := "建议在村文化礼堂门口增设十个停车位，方便老人活动。"
	for b.Loop() {
		Normalize(s)
	}
}

func BenchmarkNormalizeTraditional(b *testing.B) {
	s := "建議在村文化禮堂門口增設十個停車位，方便老人活動。"
	for b.Loop() {
		Normalize(s)
	}
}
