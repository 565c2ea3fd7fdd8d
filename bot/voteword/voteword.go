// Package voteword turns a chat reply into a vote (赞成/反对/弃权).
//
// A vote counts only when the whole reply is a vote word, possibly dressed
// in punctuation, emoji, full-width characters, traditional characters or a
// short frame such as 我投…票. A sentence that merely contains a vote word
// ("我不太同意这个方案的第二条") is not a vote: a vote must be unambiguous,
// so anything doubtful is refused and Explain tells the person what to send.
package voteword

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/yishi-community/yishi/bot"
)

// words are the accepted vote words, in display order. Longer words that
// contain shorter ones (不同意 ⊃ 同意) are matched whole, never by substring.
var words = []struct {
	text   string
	choice bot.Choice
}{
	{"赞成", bot.ChoiceFor},
	{"同意", bot.ChoiceFor},
	{"支持", bot.ChoiceFor},
	{"赞同", bot.ChoiceFor},
	{"反对", bot.ChoiceAgainst},
	{"不同意", bot.ChoiceAgainst},
	{"不赞成", bot.ChoiceAgainst},
	{"不支持", bot.ChoiceAgainst},
	{"不赞同", bot.ChoiceAgainst},
	{"弃权", bot.ChoiceAbstain},
}

// digits are the numbered answers of the vote prompt (回复 1/2/3).
var digits = []struct {
	text   string
	choice bot.Choice
}{
	{"1", bot.ChoiceFor},
	{"2", bot.ChoiceAgainst},
	{"3", bot.ChoiceAbstain},
}

// Frame words around a vote word, tried in this order: 我 也 完全 投 赞成 票.
var (
	subjects   = []string{"我"}
	particles  = []string{"也", "都", "还是"}
	adverbs    = []string{"完全", "非常", "十分", "坚决"}
	verbs      = []string{"投", "选"}
	suffixes   = []string{"票"}
	ambiguous  = []string{"不反对", "不弃权"} // double negatives: for or abstain?
	toSimpFold = map[rune]rune{
		// Traditional → simplified, only for the characters of the vocabulary.
		'贊': '赞', '讚': '赞', '對': '对', '棄': '弃', '權': '权', '選': '选',
		'堅': '坚', '決': '决', '還': '还',
		// Circled and keycap-like digits people pick from the emoji keyboard.
		'①': '1', '②': '2', '③': '3', '❶': '1', '❷': '2', '❸': '3',
		'⑴': '1', '⑵': '2', '⑶': '3', '⒈': '1', '⒉': '2', '⒊': '3',
	}
)

// trimmable reports whether r may surround a vote without changing it:
// spaces, closing/opening punctuation and brackets, and emoji. Signs and
// marks that change the meaning are kept so the reply is refused: "?" asks
// a question, "-1"/"+1" are reactions, "#3" names topic 3, "3%" is a number.
func trimmable(r rune) bool {
	if unicode.IsSpace(r) || r == '~' { // 同意～
		return true
	}
	switch r {
	case '?', '#', '%', '@', '+', '-', '=', '*', '/', '\\', '&', '$', '^', '|':
		return false
	}
	if unicode.Is(unicode.Pd, r) || unicode.Is(unicode.Sm, r) || unicode.Is(unicode.Sc, r) {
		return false
	}
	return unicode.IsPunct(r) || unicode.In(r, unicode.So, unicode.Sk, unicode.Mn, unicode.Me, unicode.Cf)
}

// Normalize folds width and the traditional characters of the vocabulary,
// drops whitespace and invisible characters and trims surrounding
// punctuation and emoji. Normalize(Normalize(s)) == Normalize(s).
func Normalize(text string) string {
	core, _ := split(text)
	return core
}

// split is Normalize that also returns the emoji and marks it trimmed, so
// Parse can refuse a reply whose emoji contradicts its word.
func split(text string) (core string, trimmed []rune) {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(text, "\uFFFD") {
		if f := width.LookupRune(r).Folded(); f != 0 {
			r = f
		}
		if s, ok := toSimpFold[r]; ok {
			r = s
		}
		// Whitespace and zero-width characters anywhere are noise ("赞 成").
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(r)
	}
	s := b.String()
	for s != "" {
		r, n := utf8.DecodeRuneInString(s)
		if !trimmable(r) {
			break
		}
		trimmed = append(trimmed, r)
		s = s[n:]
	}
	for s != "" {
		r, n := utf8.DecodeLastRuneInString(s)
		if !trimmable(r) {
			break
		}
		trimmed = append(trimmed, r)
		s = s[:len(s)-n]
	}
	return s, trimmed
}

// cutAny removes the first of prefixes that s starts with.
func cutAny(s string, prefixes []string) string {
	for _, p := range prefixes {
		if r, ok := strings.CutPrefix(s, p); ok {
			return r
		}
	}
	return s
}

// unframe strips the frame 我/也/完全/投…票 around a vote word.
func unframe(s string) string {
	s = cutAny(s, subjects)
	s = cutAny(s, particles)
	s = cutAny(s, adverbs)
	s = cutAny(s, verbs)
	for _, suf := range suffixes {
		if r, ok := strings.CutSuffix(s, suf); ok {
			s = r
			break
		}
	}
	return s
}

// parseCore reads a normalised reply.
func parseCore(core string) (bot.Choice, bool) {
	// Digits stand alone or after 投/选 (我选1), never with 票: "投1票"
	// means "cast one vote", and "我1" is not a sentence.
	d, subject := strings.CutPrefix(core, "我")
	if v := cutAny(d, verbs); v != d || !subject {
		for _, w := range digits {
			if v == w.text {
				return w.choice, true
			}
		}
	}
	rest := unframe(core)
	for _, w := range words {
		if rest == w.text {
			return w.choice, true
		}
	}
	return "", false
}

// Parse reads a chat reply as a vote. It reports false for anything that is
// not unambiguously one vote word; Explain then says what to send.
func Parse(text string) (bot.Choice, bool) {
	core, trimmed := split(text)
	c, ok := parseCore(core)
	if !ok {
		return "", false
	}
	if contradicts(c, trimmed) {
		return "", false
	}
	return c, true
}

// contradicts reports a thumbs emoji opposite to the word ("赞成👎").
func contradicts(c bot.Choice, trimmed []rune) bool {
	for _, r := range trimmed {
		switch {
		case r == '👎' && c != bot.ChoiceAgainst:
			return true
		case r == '👍' && c != bot.ChoiceFor:
			return true
		}
	}
	return false
}

// ask lists what to send; every explanation ends with it.
const ask = "请回复：赞成(或 同意、1)、反对(或 不同意、2)、弃权(或 3)。"

// Hint is the standard answer to a reply that is not a vote.
const Hint = "没看懂您的表决。" + ask

// digitOf is the number that stands for c in the vote prompt.
func digitOf(c bot.Choice) string {
	for _, d := range digits {
		if d.choice == c {
			return d.text
		}
	}
	return ""
}

// Explain tells the person why text was not counted as a vote, in Chinese.
// It returns "" when Parse accepts text. A likely typo gets a question
// ("您是想投「赞成」吗？") but is never counted: the person must send the
// word again.
func Explain(text string) string {
	if _, ok := Parse(text); ok {
		return ""
	}
	core, trimmed := split(text)
	if core == "" {
		return "这条消息里没有表决内容。" + ask
	}
	if c, ok := parseCore(core); ok && contradicts(c, trimmed) {
		return "您的文字和表情意思相反，这条没有计票。" + ask
	}
	if q := strings.TrimRight(core, "?"); q != core {
		if _, ok := parseCore(Normalize(q)); ok {
			return "您的消息带问号，像是在提问，这条没有计票。如要表决，请不带问号" + strings.TrimPrefix(ask, "请")
		}
	}
	rest := unframe(core)
	for _, a := range ambiguous {
		if rest == a {
			return "「" + a + "」是双重否定，说不清您是赞成、反对还是弃权，这条没有计票。请明确" + strings.TrimPrefix(ask, "请")
		}
	}
	if c, ok := guess(rest); ok {
		w := c.Chinese()
		return "您是想投「" + w + "」吗？请再发一次「" + w + "」或「" + digitOf(c) + "」确认。这条没有计票。"
	}
	if w, ok := mentions(core); ok {
		return "您的消息里提到了「" + w + "」，但表决需要单独回复一个词，这条没有计票。如要表决，请回复：赞成(或 同意、1)、反对(或 不同意、2)、弃权(或 3)。"
	}
	return Hint
}

// homophones are characters an input method offers for the same sound as a
// vocabulary character; one of them in place of the right one is a typo.
var homophones = map[rune]string{
	'赞': "攒暂咱站占战展斩盏",
	'成': "城诚承呈程乘盛丞澄橙陈晨",
	'同': "通铜童桐筒彤统痛",
	'意': "义已以易议亿艺异忆亦毅益谊一衣医依",
	'支': "之知只指纸枝汁芝织直职",
	'持': "池迟吃尺齿驰",
	'反': "返饭凡翻犯范贩泛烦",
	'对': "队兑怼堆",
	'弃': "气汽器期起奇七其齐旗企契",
	'权': "全泉拳劝券犬圈",
}

// romanised are pinyin and English replies with an obvious intent.
var romanised = map[string]bot.Choice{
	"zancheng": bot.ChoiceFor, "tongyi": bot.ChoiceFor, "zhichi": bot.ChoiceFor,
	"yes": bot.ChoiceFor, "agree": bot.ChoiceFor,
	"fandui": bot.ChoiceAgainst, "butongyi": bot.ChoiceAgainst,
	"no": bot.ChoiceAgainst, "disagree": bot.ChoiceAgainst,
	"qiquan": bot.ChoiceAbstain, "abstain": bot.ChoiceAbstain,
}

// guess finds the vote word s most likely meant: one character replaced by
// a homophone, a lone first character of 赞成/反对/弃权, or pinyin/English.
func guess(s string) (bot.Choice, bool) {
	if c, ok := romanised[strings.ToLower(s)]; ok {
		return c, true
	}
	got := []rune(s)
	for _, w := range words {
		want := []rune(w.text)
		if len(got) == 1 && len(want) == 2 && w.text == w.choice.Chinese() && got[0] == want[0] {
			return w.choice, true
		}
		if len(got) != len(want) {
			continue
		}
		diff := 0
		homophone := true
		for i := range want {
			if got[i] != want[i] {
				diff++
				homophone = homophone && strings.ContainsRune(homophones[want[i]], got[i])
			}
		}
		if diff == 1 && homophone {
			return w.choice, true
		}
	}
	return "", false
}

// mentions finds a vote word inside a longer reply, longest first, so that
// "我不太同意" names 同意 but "他们不同意吧" names 不同意.
func mentions(s string) (string, bool) {
	best := ""
	for _, w := range words {
		if strings.Contains(s, w.text) && len(w.text) > len(best) {
			best = w.text
		}
	}
	return best, best != ""
}
