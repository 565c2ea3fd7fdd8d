// Package textnorm normalises chat text before anything matches on it:
// traditional → simplified Chinese, full-width → half-width, whitespace
// collapsed, emoji and control characters removed.
//
// The output is for matching and comparison, not for display: show people
// what they typed. Choices, so that callers can rely on them:
//   - Full-width ASCII forms (U+FF01–FF5E, e.g. ，！？：；（）０-９Ａ-Ｚ) become
//     their ASCII twins, and the ideographic space becomes a space. Chinese
//     punctuation without an ASCII twin (。、《》「」“”…—) is kept: it carries
//     sentence and quotation boundaries that matchers may use.
//   - Every run of whitespace (including newlines) becomes one space; the
//     result is trimmed. Case is preserved (Fold lower-cases).
//   - Emoji, variation selectors, zero-width and bidi marks and control
//     characters are removed; an emoji between two words leaves a space.
//   - Traditional characters are converted with OpenCC's t2s tables, loaded
//     once on first need. Text with no convertible character (the common
//     case) never touches OpenCC, so Normalize is cheap on every message.
package textnorm

import (
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
)

// Normalize returns s normalised as described in the package comment.
// It is safe for concurrent use.
func Normalize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	if isPlainASCII(s) {
		return collapseASCII(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false   // a space is pending
	started := false // something was written
	needT2S := false
	for _, r := range s {
		r = fold(r)
		switch {
		case r < 0:
			continue // dropped without trace (zero-width, selectors)
		case unicode.IsSpace(r) || isEmoji(r):
			space = started
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if !needT2S && r >= 0x3400 && convertible(r) {
			needT2S = true
		}
		b.WriteRune(r)
		started = true
	}
	out := b.String()
	if needT2S {
		out = toSimplified(out)
	}
	return out
}

// Fold is Normalize followed by lower-casing and the removal of every
// space, punctuation mark and symbol, for matching short command words
// ("同意！", " 同 意 ", "ＯＫ" → "同意", "同意", "ok").
func Fold(s string) string {
	n := Normalize(s)
	var b strings.Builder
	b.Grow(len(n))
	for _, r := range n {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x7f || (c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') {
			return false
		}
	}
	return true
}

func collapseASCII(s string) string {
	if !strings.ContainsAny(s, "\t\n\r\v\f") && !strings.Contains(s, "  ") && strings.TrimSpace(s) == s {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// fold maps one rune to its normal form; -1 means drop it silently.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return r - 0xFF01 + 0x21
	case r == 0x3000: // ideographic space
		return ' '
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return -1
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF: // zero-width
		return -1
	case r >= 0xE0000 && r <= 0xE007F: // tag characters (flag sequences)
		return -1
	}
	return r
}

// isEmoji reports pictographs and other emoji-only code points. Symbols
// with a textual use (①, ℃, ￥, arrows, box drawing) are not emoji.
func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF: // mahjong … symbols & pictographs ext-A (incl. regional indicators, skin tones)
		return true
	case r >= 0x2600 && r <= 0x27BF: // misc symbols, dingbats
		return true
	case r >= 0x1FC00 && r <= 0x1FFFF:
		return true
	case r == 0x2B50 || r == 0x2B55 || r == 0x2B1B || r == 0x2B1C || r == 0x231A || r == 0x231B || r == 0x23F0 || r == 0x23F3:
		return true
	case r == 0x20E3: // combining enclosing keycap
		return true
	}
	return false
}

// The t2s converter and a per-rune cache of "does OpenCC change this
// character". OpenCC's Convert allocates per rune, so it only runs on text
// that holds at least one convertible character.
var (
	ccOnce sync.Once
	cc     *opencc.OpenCC
	// runeState caches, for U+3400..U+FAFF, 0 unknown, 1 unchanged, 2 converts.
	runeState [0xFAFF - 0x3400 + 1]atomic.Uint32
	// highState is the same for supplementary-plane characters.
	highState sync.Map // rune → bool
)

func converter() *opencc.OpenCC {
	ccOnce.Do(func() {
		c, err := opencc.New("t2s")
		if err != nil {
			// Embedded dictionaries cannot be missing in a built binary; if
			// they are, degrade to no conversion rather than fail chat input.
			slog.Error("textnorm: opencc t2s unavailable", "err", err)
			return
		}
		cc = c
	})
	return cc
}

func convertible(r rune) bool {
	if r <= 0xFAFF {
		st := &runeState[r-0x3400]
		switch st.Load() {
		case 1:
			return false
		case 2:
			return true
		}
		ch := changes(r)
		if ch {
			st.Store(2)
		} else {
			st.Store(1)
		}
		return ch
	}
	if r < 0x20000 {
		return false
	}
	if v, ok := highState.Load(r); ok {
		return v.(bool)
	}
	ch := changes(r)
	highState.Store(r, ch)
	return ch
}

// changes reports whether t2s maps r alone to something else. A character
// that is unchanged alone can still take part in a phrase entry; all such
// entries but two (沈船, 沈默) also hold a convertible character, so 沈 is
// listed here to send those through OpenCC too.
func changes(r rune) bool {
	if r == '沈' {
		return true
	}
	c := converter()
	if c == nil {
		return false
	}
	s := string(r)
	out, err := c.Convert(s)
	return err == nil && out != s
}

func toSimplified(s string) string {
	c := converter()
	if c == nil {
		return s
	}
	out, err := c.Convert(s)
	if err != nil {
		slog.Warn("textnorm: t2s conversion failed", "err", err)
		return s
	}
	return out
}
