package voteword

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yishi-community/yishi/bot"
)

var update = flag.Bool("update", false, "rewrite WORDS.md from the parser")

const (
	yes = bot.ChoiceFor
	no  = bot.ChoiceAgainst
	abs = bot.ChoiceAbstain
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		in   string
		want bot.Choice
	}{
		{"赞成", yes}, {"同意", yes}, {"支持", yes}, {"赞同", yes}, {"1", yes},
		{"反对", no}, {"不同意", no}, {"不赞成", no}, {"不支持", no}, {"不赞同", no}, {"2", no},
		{"弃权", abs}, {"3", abs},
		// width
		{"１", yes}, {"２", no}, {"３", abs}, {"　３　", abs},
		// traditional characters
		{"贊成", yes}, {"讚成", yes}, {"同意", yes}, {"反對", no}, {"不同意", no}, {"棄權", abs},
		{"不贊成", no}, {"我投棄權票", abs}, {"堅決反對", no},
		// surrounding punctuation, spaces and emoji
		{"赞成！", yes}, {" 1。", yes}, {"【赞成】", yes}, {"赞成👍", yes}, {"👍赞成", yes},
		{"「反对」", no}, {"反对!!!", no}, {"弃权。", abs}, {"1.", yes}, {"(2)", no},
		{"3、", abs}, {"“同意”", yes}, {"同意～", yes}, {"赞 成", yes}, {"\t反对\n", no},
		{"1️⃣", yes}, {"②", no}, {"赞成\u200b", yes}, {"🙏同意🙏", yes}, {"反对👎", no},
		// frames
		{"我赞成", yes}, {"我投反对", no}, {"我投反对票", no}, {"投赞成票", yes}, {"赞成票", yes},
		{"我也同意", yes}, {"我完全同意", yes}, {"坚决反对", no}, {"我不同意", no},
		{"我投弃权票", abs}, {"弃权票", abs}, {"选3", abs}, {"我选1", yes}, {"投2", no},
		{"我还是反对", no}, {"我们都同意", ""}, // "我们" is not the frame
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("Parse(%q) = %q, true; want not a vote", tt.in, got)
			}
			continue
		}
		if !ok || got != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q, true", tt.in, got, ok, tt.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		"", " ", "。", "👍", "我", "票", "投票",
		"我不太同意这个方案的第二条", "同意第二条", "基本同意", "原则上同意，但是要改",
		"不反对", "我不反对", "不弃权",
		"赞成？", "同意?", "1?", // questions
		"-1", "+1", "#3", "3%", "1.5", "12", "11", "0", "4", "第1", "1号", "投1票", "我1",
		"赞成反对", "同意 不同意", "赞成赞成",
		"赞城", "反队", "弃全", // typos are never counted
		"赞成👎", "反对👍", // emoji contradicts the word
		"ok", "好", "好的", "可以", "yes", "zancheng",
		"\xff\xfe", "赞\xff成",
	} {
		if c, ok := Parse(in); ok {
			t.Errorf("Parse(%q) = %q, true; want not a vote", in, c)
		}
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		in, want string // want: a substring of the explanation
	}{
		{"赞成", ""},
		{"", "没有表决内容"},
		{"👍", "没有表决内容"},
		{"随便", Hint},
		{"赞城", "您是想投「赞成」吗？请再发一次「赞成」或「1」确认。"},
		{"反队", "您是想投「反对」吗？请再发一次「反对」或「2」确认。"},
		{"弃全", "您是想投「弃权」吗？请再发一次「弃权」或「3」确认。"},
		{"我投反队票", "您是想投「反对」吗"},
		{"同义", "您是想投「赞成」吗"},
		{"不铜意", "您是想投「反对」吗"},
		{"赞", "您是想投「赞成」吗"},
		{"fandui", "您是想投「反对」吗"},
		{"QiQuan", "您是想投「弃权」吗"},
		{"不反对", "「不反对」是双重否定"},
		{"我不反对！", "「不反对」是双重否定"},
		{"赞成？", "像是在提问"},
		{"同意吗?", "提到了「同意」"},
		{"我不太同意这个方案的第二条", "提到了「同意」"},
		{"他们不同意吧", "提到了「不同意」"},
		{"赞成👎", "意思相反"},
		{"+1", Hint},
	}
	for _, tt := range tests {
		got := Explain(tt.in)
		if tt.want == "" {
			if got != "" {
				t.Errorf("Explain(%q) = %q; want empty for a vote", tt.in, got)
			}
			continue
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("Explain(%q) = %q; want it to contain %q", tt.in, got, tt.want)
		}
		if !strings.Contains(got, "没有计票") && got != Hint && !strings.Contains(got, "没有表决内容") {
			t.Errorf("Explain(%q) = %q; a refusal must say the reply was not counted", tt.in, got)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"【贊成】！", "赞成"},
		{" １。", "1"},
		{"赞 成👍", "赞成"},
		{"赞成？", "赞成?"},
		{"-1", "-1"},
		{"#3", "#3"},
		{"我不太同意这个方案的第二条。", "我不太同意这个方案的第二条"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// Every accepted word and every frame combination parses to its choice, so
// the vocabulary tables and the grammar cannot drift apart.
func TestEveryFrameCombination(t *testing.T) {
	opt := func(xs []string) []string { return append([]string{""}, xs...) }
	n := 0
	for _, w := range words {
		for _, s := range opt(subjects) {
			for _, p := range opt(particles) {
				for _, a := range opt(adverbs) {
					for _, v := range opt(verbs) {
						for _, suf := range opt(suffixes) {
							in := s + p + a + v + w.text + suf
							if got, ok := Parse(in); !ok || got != w.choice {
								t.Errorf("Parse(%q) = %q, %v; want %q", in, got, ok, w.choice)
							}
							n++
						}
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no combinations tested")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"赞成", "１", "【反對】", "我投棄權票", "不反对", "赞城", "赞成👍", "-1", "我不太同意这个方案的第二条"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, ok := Parse(in)
		norm := Normalize(in)
		if again := Normalize(norm); again != norm {
			t.Fatalf("Normalize not idempotent: %q → %q → %q", in, norm, again)
		}
		if !utf8.ValidString(norm) {
			t.Fatalf("Normalize(%q) = %q is not valid UTF-8", in, norm)
		}
		why := Explain(in)
		if !ok {
			if c != "" {
				t.Fatalf("Parse(%q) = %q, false; a refusal must return no choice", in, c)
			}
			if why == "" {
				t.Fatalf("Explain(%q) is empty for a refused reply", in)
			}
			return
		}
		if c != bot.ChoiceFor && c != bot.ChoiceAgainst && c != bot.ChoiceAbstain {
			t.Fatalf("Parse(%q) = %q: not a valid choice", in, c)
		}
		if why != "" {
			t.Fatalf("Explain(%q) = %q for an accepted vote", in, why)
		}
		if c2, ok2 := Parse(norm); !ok2 || c2 != c {
			t.Fatalf("Parse(Normalize(%q)) = %q, %v; want %q", in, c2, ok2, c)
		}
		if c2, ok2 := Parse(c.Chinese()); !ok2 || c2 != c {
			t.Fatalf("Parse(%q) = %q, %v: the canonical word must parse to itself", c.Chinese(), c2, ok2)
		}
	})
}

// examples shown in WORDS.md with what the bot does with them.
var examples = []string{
	"赞成", "1", "１", "贊成", "赞成！", " 1。", "【赞成】", "赞成👍", "我赞成", "我也同意", "投赞成票",
	"赞成票", "我选1", "反對", "我投反对票", "坚决反对", "不同意", "棄權", "我投弃权票", "3",
	"赞城", "反队", "弃全", "不反对", "赞成？", "我不太同意这个方案的第二条", "+1", "投1票", "好的",
}

func wordsMarkdown() string {
	var b strings.Builder
	b.WriteString("# 表决用语\n\n")
	b.WriteString("由 `go test ./bot/voteword -update` 根据解析器生成，请勿手工修改。\n\n")
	b.WriteString("一条回复只有**整条**是表决用语时才计票；句子里顺带提到的词不计票。\n\n")
	b.WriteString("| 表决 | 单独回复以下任一词 | 或回复数字 |\n|---|---|---|\n")
	for _, c := range []bot.Choice{bot.ChoiceFor, bot.ChoiceAgainst, bot.ChoiceAbstain} {
		var ws []string
		for _, w := range words {
			if w.choice == c {
				ws = append(ws, w.text)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Chinese(), strings.Join(ws, "、"), digitOf(c))
	}
	b.WriteString("\n可以加的前后缀(按此顺序，均可省略)：\n\n")
	fmt.Fprintf(&b, "`[%s][%s][%s][%s]表决用语[%s]`，例如「我也坚决投反对票」。数字只能单独回复，或前面加「%s」(如「我选1」)。\n\n",
		strings.Join(subjects, "|"), strings.Join(particles, "|"), strings.Join(adverbs, "|"),
		strings.Join(verbs, "|"), strings.Join(suffixes, "|"), strings.Join(verbs, "」「"))
	b.WriteString("先做的规范化：全角字母数字转半角(１→1)；繁体转简体(贊成、反對、棄權)；去掉空格和首尾的标点、括号、表情(「赞成！」「【赞成】」「赞成👍」)。")
	b.WriteString("问号、正负号、#、% 不去掉，所以「赞成？」「+1」「#3」「3%」都不计票。\n\n")
	fmt.Fprintf(&b, "不计票：%s(双重否定)；错别字(只提示，不计票)；表情与文字相反(「赞成👎」)。\n\n", strings.Join(ambiguous, "、"))
	b.WriteString("| 回复 | 结果 | 机器人的回答 |\n|---|---|---|\n")
	for _, ex := range examples {
		res, why := "不计票", Explain(ex)
		if c, ok := Parse(ex); ok {
			res, why = "**"+c.Chinese()+"**", "—"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", ex, res, why)
	}
	return b.String()
}

func TestWordsMarkdown(t *testing.T) {
	got := wordsMarkdown()
	if *update {
		if err := os.WriteFile("WORDS.md", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("WORDS.md")
	if err != nil {
		t.Fatalf("read WORDS.md (run go test -update): %v", err)
	}
	if string(want) != got {
		t.Errorf("WORDS.md is out of date with the parser; run go test ./bot/voteword -update\n--- got\n%s", got)
	}
}

func BenchmarkParse(b *testing.B) {
	in := []string{"赞成", "【反對】！", "我投棄權票", "我不太同意这个方案的第二条", "赞城"}
	for i := 0; b.Loop(); i++ {
		Parse(in[i%len(in)])
	}
}
