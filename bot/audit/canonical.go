package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// This file defines the bytes an entry's hash covers, in each of the two
// canonical forms, and the stored forms that carry them. None of it calls
// encoding/json: the hashes must not change when the toolchain's JSON
// encoder does (Go 1.27 writes a byte that is not UTF-8 as a raw U+FFFD
// where Go 1.26 wrote the escape \ufffd, so an encoder-defined form would
// have broken every chain holding such a byte).

// Form is the canonical form an entry's hash covers (see the package doc).
// The zero Form is the legacy one, so an Entry built without one hashes as
// entries always did.
type Form uint8

const (
	// FormLegacy ("v":1 in an export): the fixed-order JSON of
	// appendCanonical, which every entry written before the JCS form
	// hashes.
	FormLegacy Form = 0
	// FormJCS ("v":2): the RFC 8785 (JCS) canonical JSON of the entry with
	// "v":2, which appendSealed writes.
	FormJCS Form = 2
)

// Version is the form's number, the "v" of an export line.
func (f Form) Version() uint64 {
	if f == FormJCS {
		return 2
	}
	return 1
}

// canonical appends the bytes an entry of form f hashes.
func (f Form) canonical(dst []byte, e Entry) []byte {
	if f == FormJCS {
		return appendJCSEntry(dst, e, nil, FormJCS, false)
	}
	return appendCanonical(dst, e, "")
}

// sum is the hex sha256 of e's canonical bytes in form f.
func (f Form) sum(e Entry) string {
	var scratch [512]byte
	s := sha256.Sum256(f.canonical(scratch[:0], e))
	return hex.EncodeToString(s[:])
}

// appendCanonical writes the entry in the legacy canonical form (form 1)
// with hash as the "hash" value: the keys seq, community, at, actor,
// action, topic, detail, prev, hash in this order, no whitespace, "at" in
// UTC as Go's time.RFC3339Nano, strings as appendJSONString writes them.
// This is what Go 1.26's encoding/json produced for it with HTML escaping
// off; it is now pinned by its definition here and by testdata goldens,
// not by any encoder. It runs once per vote, so it avoids reflection.
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

// appendJSONString quotes s for the legacy form: " and \ escaped, \b \f
// \n \r \t as such, other bytes below 0x20 as \u00XX (lowercase hex),
// U+2028 and U+2029 as \u2028 and \u2029, each byte that is not part of
// valid UTF-8 as \ufffd, everything else (< > & and DEL included) as it is.
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
			dst = appendASCIIEscape(dst, b)
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

// appendASCIIEscape escapes b (", \ or a byte below 0x20) the way both
// forms do.
func appendASCIIEscape(dst []byte, b byte) []byte {
	switch b {
	case '\\', '"':
		return append(dst, '\\', b)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
}

// appendJCSString quotes s as RFC 8785 (ECMAScript's JSON.stringify) does:
// " and \ escaped, \b \t \n \f \r as such, other characters below U+0020
// as \u00XX (lowercase hex), everything else as it is, U+2028, U+2029 and
// DEL included. JCS text is Unicode: a byte that is not part of valid
// UTF-8 is written as U+FFFD (only a legacy entry can hold one, see
// appendJCSEntry).
func appendJCSString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendASCIIEscape(dst, b)
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			start = i + 1
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJCSEntry appends the JCS form of e: the members action, actor, at,
// community, detail, [hash,] [lossy,] prev, seq, topic, v, which is their
// order by UTF-16 code units as RFC 8785 sorts them; no whitespace; seq as
// an integer; "at" as in the legacy form; v the form number. Without a
// hash it is what a form-2 entry hashes; with one it is an export line.
// lossy marks a legacy entry whose text held bytes that are not UTF-8.
func appendJCSEntry(dst []byte, e Entry, hash *string, f Form, lossy bool) []byte {
	dst = append(dst, `{"action":`...)
	dst = appendJCSString(dst, e.Action)
	dst = append(dst, `,"actor":`...)
	dst = appendJCSString(dst, e.Actor)
	dst = append(dst, `,"at":"`...)
	dst = e.At.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","community":`...)
	dst = appendJCSString(dst, e.Community)
	dst = append(dst, `,"detail":`...)
	dst = appendJCSString(dst, e.Detail)
	if hash != nil {
		dst = append(dst, `,"hash":`...)
		dst = appendJCSString(dst, *hash)
	}
	if lossy {
		dst = append(dst, `,"lossy":true`...)
	}
	dst = append(dst, `,"prev":`...)
	dst = appendJCSString(dst, e.Prev)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = append(dst, `,"topic":`...)
	dst = appendJCSString(dst, e.Topic)
	dst = append(dst, `,"v":`...)
	dst = strconv.AppendUint(dst, f.Version(), 10)
	return append(dst, '}')
}

// appendExportLine appends e's line of an export (without the newline):
// its JCS form with its hash, the form its hash covers, and for a legacy
// entry with text that is not UTF-8 "lossy":true (JCS cannot carry such
// bytes, so only Verify, which reads them, can check that entry's hash).
func appendExportLine(dst []byte, e Entry, f Form) []byte {
	lossy := f != FormJCS && !validText(e)
	return appendJCSEntry(dst, e, &e.Hash, f, lossy)
}

// validText reports whether every text of e is valid UTF-8.
func validText(e Entry) bool {
	return utf8.ValidString(e.Community) && utf8.ValidString(e.Actor) && utf8.ValidString(e.Action) &&
		utf8.ValidString(e.Topic) && utf8.ValidString(e.Detail)
}

// The stored forms (see the package doc). An entry is written for every
// vote, so they are compact and cheap to build: Seq, Community and Prev
// are implied by the key and the chain, the hash is raw.
const (
	binaryV1 = 0x01 // legacy hash form, At as unix nanoseconds
	binaryV2 = 0x02 // JCS hash form, At as unix seconds and nanoseconds
)

// isLegacy tells a JSON entry written by earlier versions from a binary one.
func isLegacy(v []byte) bool { return len(v) > 0 && v[0] == '{' }

// binarySize is the exact length of e's binary form 1.
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

// appendBinary appends e's binary form 1, with sum as its hash. The caller
// has checked binaryTimeOK(e.At).
func appendBinary(dst []byte, e Entry, sum *[sha256.Size]byte) []byte {
	dst = append(dst, binaryV1)
	dst = binary.AppendVarint(dst, e.At.UnixNano())
	return appendTexts(dst, e, sum)
}

func appendTexts(dst []byte, e Entry, sum *[sha256.Size]byte) []byte {
	for _, s := range [...]string{e.Actor, e.Action, e.Topic, e.Detail} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return append(dst, sum[:]...)
}

// sealedSize is the exact length of the value appendSealed appends for e
// (whose texts are valid UTF-8).
func sealedSize(e Entry) int {
	n := 1 + varintLen(e.At.Unix()) + uvarintLen(uint64(e.At.Nanosecond())) + sha256.Size
	for _, s := range [...]string{e.Actor, e.Action, e.Topic, e.Detail} {
		n += uvarintLen(uint64(len(s))) + len(s)
	}
	return n
}

// appendSealed seals e in the JCS form and appends its stored value (form
// 2) to dst. e carries its Seq, Community, Prev and At; the sealed entry
// has At in UTC, each byte of its stored texts that is not UTF-8
// replaced by U+FFFD (JCS is Unicode text; so what is stored is what is
// hashed and exported) and Hash set. Unlike form 1 the stored time holds
// any instant, so there is no JSON fallback.
func appendSealed(dst []byte, e Entry) (Entry, []byte) {
	for _, s := range [...]*string{&e.Actor, &e.Action, &e.Topic, &e.Detail} {
		*s = toUnicode(*s)
	}
	e.At = e.At.UTC()
	var scratch [512]byte // the canonical form of a usual entry fits: no allocation
	sum := sha256.Sum256(appendJCSEntry(scratch[:0], e, nil, FormJCS, false))
	var hexSum [2 * sha256.Size]byte
	hex.Encode(hexSum[:], sum[:])
	e.Hash, e.Form = string(hexSum[:]), FormJCS
	return e, appendBinaryJCS(dst, e, &sum)
}

// appendBinaryJCS appends e's binary form 2 with sum as its hash; the
// caller has made e's texts valid UTF-8 (appendSealed does).
func appendBinaryJCS(dst []byte, e Entry, sum *[sha256.Size]byte) []byte {
	dst = append(dst, binaryV2)
	dst = binary.AppendVarint(dst, e.At.Unix())
	dst = binary.AppendUvarint(dst, uint64(e.At.Nanosecond()))
	return appendTexts(dst, e, sum)
}

// toUnicode replaces each byte of s that is not part of valid UTF-8 by
// U+FFFD, as appendJCSString writes it (strings.ToValidUTF8 would replace
// a run of them by one).
func toUnicode(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

var binaryFields = [...]string{"actor", "action", "topic", "detail"}

// decodeEntry decodes the stored value v of entry seq of community, in any
// stored form, without its form; see decodeStored.
func decodeEntry(community string, seq uint64, prev string, v []byte) (Entry, error) {
	e, _, err := decodeStored(community, seq, prev, v)
	return e, err
}

// decodeStored decodes the stored value v of entry seq of community and
// says which canonical form its hash covers. A binary entry takes Seq and
// Community from its place and Prev from prev (the previous entry's stored
// hash); a JSON entry has its own, which Verify compares with its place.
func decodeStored(community string, seq uint64, prev string, v []byte) (Entry, Form, error) {
	switch {
	case len(v) == 0:
		return Entry{}, 0, errors.New("empty value")
	case isLegacy(v):
		e, err := parseLegacy(v)
		if err != nil {
			return Entry{}, 0, fmt.Errorf("JSON entry: %w", err)
		}
		return e, FormLegacy, nil
	case v[0] != binaryV1 && v[0] != binaryV2:
		return Entry{}, 0, fmt.Errorf("unknown format byte 0x%02x", v[0])
	}
	e := Entry{Seq: seq, Community: community, Prev: prev}
	f, p := FormLegacy, v[1:]
	if v[0] == binaryV2 {
		f = FormJCS
	}
	if f == FormLegacy {
		nanos, n := binary.Varint(p)
		if n <= 0 {
			return Entry{}, 0, errors.New("time: truncated or overflowing varint")
		}
		e.At, p = time.Unix(0, nanos).UTC(), p[n:]
	} else {
		secs, n := binary.Varint(p)
		if n <= 0 {
			return Entry{}, 0, errors.New("time: truncated or overflowing varint")
		}
		nanos, m := binary.Uvarint(p[n:])
		if m <= 0 || nanos >= 1e9 {
			return Entry{}, 0, errors.New("time: nanoseconds truncated or out of range")
		}
		e.At, p = time.Unix(secs, int64(nanos)).UTC(), p[n+m:]
	}
	fields := [...]*string{&e.Actor, &e.Action, &e.Topic, &e.Detail}
	for i, s := range fields {
		l, n := binary.Uvarint(p)
		if n <= 0 {
			return Entry{}, 0, fmt.Errorf("%s: truncated or overflowing length", binaryFields[i])
		}
		if l > uint64(len(p)-n) {
			return Entry{}, 0, fmt.Errorf("%s: length %d runs past the end (%d bytes left)", binaryFields[i], l, len(p)-n)
		}
		*s = string(p[n : n+int(l)])
		p = p[n+int(l):]
		// appendSealed never stores such text; JCS could not hash it.
		if f == FormJCS && !utf8.ValidString(*s) {
			return Entry{}, 0, fmt.Errorf("%s: not valid UTF-8", binaryFields[i])
		}
	}
	if len(p) != sha256.Size {
		return Entry{}, 0, fmt.Errorf("%d bytes left for the %d-byte hash", len(p), sha256.Size)
	}
	e.Hash, e.Form = hex.EncodeToString(p), f
	return e, f, nil
}

// legacyKeys are the members of a JSON entry, in the order appendCanonical
// writes them.
var legacyKeys = [...]string{"seq", "community", "at", "actor", "action", "topic", "detail", "prev", "hash"}

// parseLegacy reads a JSON entry of earlier versions: appendCanonical's
// output with the hash filled in, exactly those members in that order, no
// whitespace. Strings take every JSON escape, with one rule of the legacy
// form: \ufffd stands for a byte that was not UTF-8 (a real U+FFFD was
// written as itself), so it decodes to the byte 0xFF, which
// appendJSONString writes back as \ufffd and the entry hashes what it did
// when it was written.
func parseLegacy(v []byte) (Entry, error) {
	var e Entry
	p := v
	for i, key := range legacyKeys {
		sep := `,"`
		if i == 0 {
			sep = `{"`
		}
		want := sep + key + `":`
		if len(p) < len(want) || string(p[:len(want)]) != want {
			return Entry{}, fmt.Errorf("member %q expected at byte %d", key, len(v)-len(p))
		}
		p = p[len(want):]
		if key == "seq" {
			n := 0
			for n < len(p) && p[n] >= '0' && p[n] <= '9' {
				n++
			}
			seq, err := strconv.ParseUint(string(p[:n]), 10, 64)
			if err != nil || n > 1 && p[0] == '0' {
				return Entry{}, fmt.Errorf("seq %q is not a number", p[:n])
			}
			e.Seq, p = seq, p[n:]
			continue
		}
		s, rest, err := parseString(p)
		if err != nil {
			return Entry{}, fmt.Errorf("%s: %w", key, err)
		}
		p = rest
		switch key {
		case "community":
			e.Community = s
		case "at":
			at, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return Entry{}, fmt.Errorf("at: %w", err)
			}
			e.At = at.UTC()
		case "actor":
			e.Actor = s
		case "action":
			e.Action = s
		case "topic":
			e.Topic = s
		case "detail":
			e.Detail = s
		case "prev":
			e.Prev = s
		case "hash":
			e.Hash = s
		}
	}
	if string(p) != "}" {
		return Entry{}, fmt.Errorf("%d unexpected bytes after the last member", len(p))
	}
	return e, nil
}

// parseString reads a JSON string at the start of p and returns it and
// what follows it.
func parseString(p []byte) (string, []byte, error) {
	if len(p) == 0 || p[0] != '"' {
		return "", nil, errors.New("string expected")
	}
	var b []byte
	for i := 1; i < len(p); {
		c := p[i]
		switch {
		case c == '"':
			return string(b), p[i+1:], nil
		case c < 0x20:
			return "", nil, fmt.Errorf("raw control byte 0x%02x in a string", c)
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(p) {
			break
		}
		switch esc := p[i+1]; esc {
		case '"', '\\', '/':
			b = append(b, esc)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(p[i+2:])
			if !ok {
				return "", nil, errors.New(`bad \u escape`)
			}
			i += 4
			switch {
			case r == utf8.RuneError:
				b = append(b, 0xFF) // see parseLegacy
			case utf16.IsSurrogate(r):
				r2, ok := rune(0), false
				if len(p) >= i+8 && p[i+2] == '\\' && p[i+3] == 'u' {
					r2, ok = hex4(p[i+4:])
				}
				if r = utf16.DecodeRune(r, r2); !ok || r == utf8.RuneError {
					return "", nil, errors.New("lone surrogate escape")
				}
				i += 6
				b = utf8.AppendRune(b, r)
			default:
				b = utf8.AppendRune(b, r)
			}
		default:
			return "", nil, fmt.Errorf("bad escape \\%c", esc)
		}
		i += 2
	}
	return "", nil, errors.New("unterminated string")
}

// hex4 reads four hex digits.
func hex4(p []byte) (rune, bool) {
	if len(p) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p[:4]), 16, 16)
	return rune(v), err == nil && v <= math.MaxUint16
}
