package audit

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendCanonical writes the entry as the compact JSON that encoding/json
// produces for it (keys in field order, HTML characters not escaped, time
// in UTC RFC 3339 with nanoseconds) with hash as the "hash" value. It is
// the audit log's hot path: one entry per vote, under the engine lock, so
// it avoids reflection. TestCanonicalMatchesEncodingJSON keeps it equal to
// encoding/json byte for byte.
func appendCanonical(dst []byte, e Entry, hash string) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = append(dst, `,"community":`...)
	dst = appendJSONString(dst, e.Community)
	dst = append(dst, `,"at":"`...)
	dst = e.At.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","actor":`...)
	dst = appendJSONString(dst, e.Actor)
	dst = append(dst, `,"action":`...)
	dst = appendJSONString(dst, e.Action)
	dst = append(dst, `,"topic":`...)
	dst = appendJSONString(dst, e.Topic)
	dst = append(dst, `,"detail":`...)
	dst = appendJSONString(dst, e.Detail)
	dst = append(dst, `,"prev":`...)
	dst = appendJSONString(dst, e.Prev)
	dst = append(dst, `,"hash":`...)
	dst = appendJSONString(dst, hash)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s exactly as encoding/json does with HTML
// escaping off.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
