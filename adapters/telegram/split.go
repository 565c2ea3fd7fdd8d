package telegram

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxText is Telegram's limit on a message's text, in UTF-16 code units
// (how Telegram counts; a Chinese character is one, most emoji two).
const MaxText = 4096

// splitText cuts s into parts of at most limit UTF-16 units, at line
// boundaries where it can (the newline between two parts is dropped), and
// at character boundaries inside a line longer than the limit. Parts that
// are only whitespace are dropped: Telegram refuses empty texts.
func splitText(s string, limit int) []string {
	if units(s) <= limit {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return []string{s}
	}
	var parts []string
	var cur strings.Builder
	curUnits, started := 0, false
	flush := func() {
		if strings.TrimSpace(cur.String()) != "" {
			parts = append(parts, cur.String())
		}
		cur.Reset()
		curUnits, started = 0, false
	}
	for _, line := range strings.Split(s, "\n") {
		lu := units(line)
		switch {
		case !started && lu <= limit:
			cur.WriteString(line)
			curUnits, started = lu, true
		case started && curUnits+1+lu <= limit:
			cur.WriteByte('\n')
			cur.WriteString(line)
			curUnits += 1 + lu
		case lu <= limit:
			flush()
			cur.WriteString(line)
			curUnits, started = lu, true
		default: // a line longer than a whole message: cut it at runes
			flush()
			for line != "" {
				n, u := 0, 0
				for n < len(line) {
					r, size := utf8.DecodeRuneInString(line[n:])
					ru := utf16.RuneLen(r)
					if ru < 0 {
						ru = 1
					}
					if u+ru > limit {
						break
					}
					u += ru
					n += size
				}
				if n == 0 { // limit below one character: never loop forever
					_, n = utf8.DecodeRuneInString(line)
				}
				cur.WriteString(line[:n])
				curUnits, started = u, true
				line = line[n:]
				if line != "" {
					flush()
				}
			}
		}
	}
	flush()
	return parts
}

// units counts UTF-16 code units.
func units(s string) int {
	n := 0
	for _, r := range s {
		if u := utf16.RuneLen(r); u > 0 {
			n += u
		} else {
			n++
		}
	}
	return n
}
