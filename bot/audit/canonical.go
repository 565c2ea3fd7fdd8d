package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
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

// The binary stored form (see the package doc). An entry is written for
// every vote, so the form is compact and cheap to build: Seq, Community and
// Prev are implied by the key and the chain, the hash is raw.
const binaryV1 = 0x01

// isLegacy tells a JSON entry written by earlier versions from a binary one.
func isLegacy(v []byte) bool { return len(v) > 0 && v[0] == '{' }

// binaryTimeOK reports whether the binary form holds t (in UTC) exactly,
// so that the decoded entry has the same canonical "at": unix nanoseconds
// fit an int64 from 1678 to 2262.
func binaryTimeOK(t time.Time) bool { return time.Unix(0, t.UnixNano()).Equal(t) }

// binarySize is the exact length of e's binary form.
func binarySize(e Entry) int {
	n := 1 + varintLen(e.At.UnixNano()) + sha256.Size
	for _, s := range [...]string{e.Actor, e.Action, e.Topic, e.Detail} {
		n += uvarintLen(uint64(len(s))) + len(s)
	}
	return n
}

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// varintLen is the length of binary.AppendVarint's zig-zag encoding.
func varintLen(x int64) int {
	ux := uint64(x) << 1
	if x < 0 {
		ux = ^ux
	}
	return uvarintLen(ux)
}

// appendBinary appends e's binary form, with sum as its hash. The caller
// has checked binaryTimeOK(e.At).
func appendBinary(dst []byte, e Entry, sum *[sha256.Size]byte) []byte {
	dst = append(dst, binaryV1)
	dst = binary.AppendVarint(dst, e.At.UnixNano())
	for _, s := range [...]string{e.Actor, e.Action, e.Topic, e.Detail} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return append(dst, sum[:]...)
}

var binaryFields = [...]string{"actor", "action", "topic", "detail"}

// decodeEntry decodes the stored value v of entry seq of community, in
// either form. A binary entry takes Seq and Community from its place and
// Prev from prev (the previous entry's stored hash); a JSON entry has its
// own, which Verify compares with its place.
func decodeEntry(community string, seq uint64, prev string, v []byte) (Entry, error) {
	switch {
	case len(v) == 0:
		return Entry{}, errors.New("empty value")
	case isLegacy(v):
		var e Entry
		if err := json.Unmarshal(v, &e); err != nil {
			return Entry{}, fmt.Errorf("JSON entry: %w", err)
		}
		return e, nil
	case v[0] != binaryV1:
		return Entry{}, fmt.Errorf("unknown format byte 0x%02x", v[0])
	}
	e := Entry{Seq: seq, Community: community, Prev: prev}
	p := v[1:]
	nanos, n := binary.Varint(p)
	if n <= 0 {
		return Entry{}, errors.New("time: truncated or overflowing varint")
	}
	e.At = time.Unix(0, nanos).UTC()
	p = p[n:]
	fields := [...]*string{&e.Actor, &e.Action, &e.Topic, &e.Detail}
	for i, f := range fields {
		l, n := binary.Uvarint(p)
		if n <= 0 {
			return Entry{}, fmt.Errorf("%s: truncated or overflowing length", binaryFields[i])
		}
		if l > uint64(len(p)-n) {
			return Entry{}, fmt.Errorf("%s: length %d runs past the end (%d bytes left)", binaryFields[i], l, len(p)-n)
		}
		*f = string(p[n : n+int(l)])
		p = p[n+int(l):]
	}
	if len(p) != sha256.Size {
		return Entry{}, fmt.Errorf("%d bytes left for the %d-byte hash", len(p), sha256.Size)
	}
	e.Hash = hex.EncodeToString(p)
	return e, nil
}
