package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// refQuote is a slow reference for both forms' string quoting, written
// rune by rune from the package doc; legacy selects the form-1 rules.
func refQuote(s string, legacy bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r == utf8.RuneError && size == 1 && legacy:
			b.WriteString(`\ufffd`)
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20, legacy && (r == '\u2028' || r == '\u2029'):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// vectorEntry is the entry of the form vectors, with detail d.
func vectorEntry(d string) Entry {
	return Entry{Seq: 7, Community: "houchen", At: time.Date(2026, 12, 1, 10, 0, 0, 123000000, time.FixedZone("CST", 8*3600)),
		Actor: "张三", Action: "vote", Topic: "1", Detail: d, Prev: "ab"}
}

// TestFormVectors pins both canonical forms byte for byte, written out by
// hand from their definitions: no encoder is the reference (Go 1.27's
// encoding/json writes the legacy form's \ufffd as a raw U+FFFD).
func TestFormVectors(t *testing.T) {
	const legacyHead = `{"seq":7,"community":"houchen","at":"2026-12-01T02:00:00.123Z","actor":"张三","action":"vote","topic":"1","detail":`
	const jcsHead = `{"action":"vote","actor":"张三","at":"2026-12-01T02:00:00.123Z","community":"houchen","detail":`
	tests := []struct{ detail, legacy, jcs string }{
		{"", `""`, `""`},
		{"普通文字", `"普通文字"`, `"普通文字"`},
		{"<b>&amp;</b>", `"<b>&amp;</b>"`, `"<b>&amp;</b>"`},
		{"引号\"反斜杠\\斜杠/", `"引号\"反斜杠\\斜杠/"`, `"引号\"反斜杠\\斜杠/"`},
		{"控制\x00\x01\b\f\n\r\t\x0b\x1f", `"控制\u0000\u0001\b\f\n\r\t\u000b\u001f"`, `"控制\u0000\u0001\b\f\n\r\t\u000b\u001f"`},
		{"坏\xff\xfe字节", `"坏\ufffd\ufffd字节"`, "\"坏\ufffd\ufffd字节\""},
		{"截断\xe4\xb8", `"截断\ufffd\ufffd"`, "\"截断\ufffd\ufffd\""},
		{"真替换符\ufffd", "\"真替换符\ufffd\"", "\"真替换符\ufffd\""},
		{"行\u2028段\u2029", `"行\u2028段\u2029"`, "\"行\u2028段\u2029\""},
		{"emoji 😀", `"emoji 😀"`, `"emoji 😀"`},
		{"\x7f \u0085 \ufeff", "\"\x7f \u0085 \ufeff\"", "\"\x7f \u0085 \ufeff\""},
	}
	for _, tt := range tests {
		e := vectorEntry(tt.detail)
		if got, want := string(appendCanonical(nil, e, "h")), legacyHead+tt.legacy+`,"prev":"ab","hash":"h"}`; got != want {
			t.Errorf("legacy form of %q:\n got %s\nwant %s", tt.detail, got, want)
		}
		if got, want := string(FormJCS.canonical(nil, e)), jcsHead+tt.jcs+`,"prev":"ab","seq":7,"topic":"1","v":2}`; got != want {
			t.Errorf("JCS form of %q:\n got %s\nwant %s", tt.detail, got, want)
		}
		h := "h"
		if got, want := string(appendJCSEntry(nil, e, &h, FormLegacy, true)), jcsHead+tt.jcs+`,"hash":"h","lossy":true,"prev":"ab","seq":7,"topic":"1","v":1}`; got != want {
			t.Errorf("export line of %q:\n got %s\nwant %s", tt.detail, got, want)
		}
	}
	// RFC 8785 section 3.2.3's string example.
	if got, want := string(appendJCSString(nil, "€$\x0f\nA'B\"\\\\\"/")), `"€$\u000f\nA'B\"\\\\\"/"`; got != want {
		t.Errorf("RFC 8785 string: got %s, want %s", got, want)
	}
}

func FuzzCanonical(f *testing.F) {
	f.Add("张三", "detail <x> \"q\"", int64(0))
	f.Add("\xff", "\u2028\x00", int64(1700000000123456789))
	f.Add("\ufffd", "\xe4\xb8\ufffd\\u", int64(-1))
	f.Fuzz(func(t *testing.T, actor, detail string, nanos int64) {
		e := Entry{Seq: 1, Community: "c", At: time.Unix(0, nanos), Actor: actor, Action: "a", Topic: "t", Detail: detail}
		for _, s := range []string{actor, detail} {
			if got, want := string(appendJSONString(nil, s)), refQuote(s, true); got != want {
				t.Fatalf("legacy %q: got %s, want %s", s, got, want)
			}
			got := appendJCSString(nil, s)
			if want := refQuote(s, false); string(got) != want {
				t.Fatalf("JCS %q: got %s, want %s", s, got, want)
			}
			// Any JSON reader gets the text back, made Unicode.
			var back string
			if err := json.Unmarshal(got, &back); err != nil || back != toUnicode(s) {
				t.Fatalf("JCS %q reads back as %q, %v", s, back, err)
			}
		}
		// A JSON entry of earlier versions reads back to an entry that
		// hashes what it was written with.
		e.Hash = FormLegacy.sum(e)
		got, err := parseLegacy(appendCanonical(nil, e, e.Hash))
		if err != nil || got.Hash != e.Hash || FormLegacy.sum(got) != e.Hash {
			t.Fatalf("legacy JSON of %+v reads back as %+v, %v", e, got, err)
		}
	})
}

func TestParseLegacyRejects(t *testing.T) {
	good := string(appendCanonical(nil, vectorEntry("x"), "h"))
	tests := []struct{ name, value, want string }{
		{"other member order", strings.Replace(good, `"seq":7,"community":"houchen"`, `"community":"houchen","seq":7`, 1), `member "seq"`},
		{"space", strings.Replace(good, `"seq":7`, `"seq": 7`, 1), "seq"},
		{"seq not a number", strings.Replace(good, `"seq":7`, `"seq":"7"`, 1), "seq"},
		{"seq with a leading zero", strings.Replace(good, `"seq":7`, `"seq":07`, 1), "seq"},
		{"seq overflows", strings.Replace(good, `"seq":7`, `"seq":18446744073709551616`, 1), "seq"},
		{"bad time", strings.Replace(good, `2026-12-01T02:00:00.123Z`, `yesterday`, 1), "at"},
		{"raw newline", strings.Replace(good, `"x"`, "\"a\nb\"", 1), "raw control byte"},
		{"bad escape", strings.Replace(good, `"x"`, `"\x"`, 1), `bad escape`},
		{"short unicode escape", strings.Replace(good, `"x"`, `"\u12"`, 1), `\u`},
		{"lone surrogate", strings.Replace(good, `"x"`, `"\ud800"`, 1), "surrogate"},
		{"unterminated", good[:len(good)-3], "unterminated string"},
		{"trailing bytes", good + " ", "unexpected bytes"},
		{"extra member", strings.Replace(good, `}`, `,"v":1}`, 1), "unexpected bytes"},
	}
	for _, tt := range tests {
		if _, err := parseLegacy([]byte(tt.value)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: parseLegacy(%s) = %v, want an error with %q", tt.name, tt.value, err, tt.want)
		}
	}
	// Every escape JSON has reads as what it stands for.
	e, err := parseLegacy([]byte(strings.Replace(good, `"x"`, `"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00\u2028"`, 1)))
	if want := "\"\\/\b\f\n\r\tAé😀\u2028"; err != nil || e.Detail != want {
		t.Errorf("escapes read as %q, %v; want %q", e.Detail, err, want)
	}
}

func TestSealedRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
	}{
		{"vote", Entry{At: time.Date(2026, 11, 28, 12, 15, 6, 123456789, time.FixedZone("CST", 8*3600)), Actor: "r001", Action: "vote", Topic: "1", Detail: "赞成"}},
		{"empty", Entry{}},
		{"event JSON", Entry{At: time.Unix(1, 0), Action: "vote.cast", Detail: `{"kind":"vote.cast","choice":"for"}`}},
		{"long", Entry{At: time.Unix(0, 0), Detail: strings.Repeat("长", 300)}},
		{"before 1678", Entry{At: time.Date(1600, 1, 2, 3, 4, 5, 6, time.UTC), Detail: "行\u2028段"}},
		{"after 2262", Entry{At: time.Date(2300, 1, 2, 3, 4, 5, 999999999, time.UTC), Actor: "\x00\x1f\x7f"}},
	}
	for _, tt := range tests {
		in := tt.e
		in.Seq, in.Community, in.Prev = 9, "houchen", strings.Repeat("cd", 32)
		sealed, v := appendSealed(nil, in)
		if len(v) != sealedSize(in) || v[0] != binaryV2 {
			t.Errorf("%s: % x: %d bytes, sealedSize says %d", tt.name, v, len(v), sealedSize(in))
		}
		if !sealed.At.Equal(in.At) || sealed.At.Location() != time.UTC || sealed.Hash != FormJCS.sum(sealed) {
			t.Errorf("%s: sealed %+v", tt.name, sealed)
		}
		got, f, err := decodeStored("houchen", 9, in.Prev, v)
		if err != nil || f != FormJCS || got != sealed {
			t.Errorf("%s: decoded %+v, form %d, %v; want %+v", tt.name, got, f, err, sealed)
		}
	}
	// Text that is not UTF-8 is stored, hashed and exported as JCS has it.
	sealed, v := appendSealed(nil, Entry{Seq: 1, Community: "c", Actor: "坏\xff\xfe", Detail: "\xe4\xb8"})
	if sealed.Actor != "坏\ufffd\ufffd" || sealed.Detail != "\ufffd\ufffd" {
		t.Errorf("sealed texts %q %q", sealed.Actor, sealed.Detail)
	}
	if got, _, err := decodeStored("c", 1, "", v); err != nil || got != sealed {
		t.Errorf("decoded %+v, %v; want %+v", got, err, sealed)
	}
}

// sealed is e as Append would seal it, without a chain.
func sealed(e Entry) (Entry, [sha256.Size]byte) {
	sum := sha256.Sum256(appendCanonical(nil, e, ""))
	e.Hash = hex.EncodeToString(sum[:])
	return e, sum
}

func TestBinaryRoundTrip(t *testing.T) {
	tests := []Entry{
		{At: time.Date(2026, 11, 28, 4, 15, 6, 123456789, time.UTC), Actor: "r001", Action: "vote", Topic: "1", Detail: "赞成"},
		{At: time.Date(2026, 11, 28, 4, 15, 6, 100000000, time.UTC)},  // every text empty, ".1Z"
		{At: time.Unix(0, 0).UTC(), Detail: strings.Repeat("长", 300)}, // multi-byte length
		{At: time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), Actor: "\x00\xff", Detail: "行\u2028段"},
		{At: time.Unix(0, math.MaxInt64).UTC(), Action: "last nanosecond of 2262"},
		{At: time.Unix(0, math.MinInt64).UTC(), Action: "first nanosecond of 1677"},
	}
	for _, want := range tests {
		want.Seq, want.Community, want.Prev = 9, "houchen", strings.Repeat("cd", 32)
		want, sum := sealed(want)
		v := appendBinary(nil, want, &sum)
		if len(v) != binarySize(want) {
			t.Errorf("%+v: %d bytes, binarySize says %d", want, len(v), binarySize(want))
		}
		got, err := decodeEntry(want.Community, want.Seq, want.Prev, v)
		if err != nil {
			t.Fatalf("%+v: %v", want, err)
		}
		if got != want || !bytes.Equal(got.Canonical(), want.Canonical()) || got.Sum() != want.Hash {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestDecodeEntryRejects(t *testing.T) {
	good, sum := sealed(Entry{Seq: 1, Community: "c", At: time.Unix(1, 0), Actor: "ab", Detail: "xyz"})
	v := appendBinary(nil, good, &sum) // 01 | 5-byte time | 02 a b | 00 | 00 | 03 x y z | 32-byte hash
	tests := []struct {
		name  string
		value []byte
		want  string
	}{
		{"empty", []byte{}, "empty"},
		{"unknown version byte", append([]byte{3}, v[1:]...), "unknown format byte 0x03"},
		{"JSON-like but broken", []byte(`{"seq":`), "JSON entry"},
		{"time varint cut", []byte{1, 0x80}, "time"},
		{"time varint too long", append([]byte{1}, bytes.Repeat([]byte{0xff}, 11)...), "time"},
		{"length varint cut", []byte{1, 2, 0x80}, "actor"},
		{"length past the end", []byte{1, 2, 5, 'a'}, "actor: length 5 runs past the end"},
		{"huge length", append([]byte{1, 2}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), "actor: length"},
		{"cut in the detail", v[:13], "detail: length 3 runs past the end (1 bytes left)"},
		{"hash cut", v[:len(v)-1], "31 bytes left"},
		{"trailing byte", append(bytes.Clone(v), 0), "33 bytes left"},
		{"JCS form: nanoseconds out of range", []byte{2, 2, 0x80, 0x94, 0xeb, 0xdc, 0x03}, "nanoseconds"},
		{"JCS form: nanoseconds cut", []byte{2, 2}, "nanoseconds"},
		{"JCS form: text not UTF-8", append([]byte{2, 2, 0, 1, 0xff}, make([]byte, 3+sha256.Size)...), "actor: not valid UTF-8"},
	}
	for _, tt := range tests {
		_, err := decodeEntry("c", 1, "", tt.value)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: decodeEntry(% x) = %v, want an error with %q", tt.name, tt.value, err, tt.want)
		}
	}
}

func FuzzDecodeEntry(f *testing.F) {
	e, sum := sealed(Entry{Seq: 3, Community: "houchen", At: time.Date(2026, 11, 28, 4, 15, 6, 1, time.UTC),
		Actor: "张三", Action: "vote", Topic: "12", Detail: "赞成"})
	valid := appendBinary(nil, e, &sum)
	f.Add(valid, "张三", "vote", "12", "赞成", int64(1764303306000000001))
	f.Add(valid[:len(valid)-3], "", "", "", "", int64(0))
	_, sv := appendSealed(nil, e)
	f.Add(sv, "张三", "vote", "12", "赞成", int64(-1))
	f.Add([]byte{1, 0x80}, "\xff", "\u2028", "\x00", strings.Repeat("长", 100), int64(-1))
	f.Add([]byte(`{"seq":1,"community":"c","at":"2026-11-28T04:15:06Z","hash":"ab"}`), "a", "b", "c", "d", int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, value []byte, actor, action, topic, detail string, nanos int64) {
		// Arbitrary bytes: an error, never a panic; what decodes re-encodes
		// to an entry with the same canonical form.
		if got, f, err := decodeStored("c", 1, "", value); err == nil && !isLegacy(value) {
			var raw [sha256.Size]byte
			hex.Decode(raw[:], []byte(got.Hash))
			var v []byte
			if f == FormLegacy {
				v = appendBinary(nil, got, &raw)
			} else {
				v = appendBinaryJCS(nil, got, &raw)
				if resealed, sv := appendSealed(nil, got); FormJCS.sum(resealed) != resealed.Hash || len(sv) != sealedSize(got) {
					t.Fatalf("resealing %+v: %+v, %d bytes", got, resealed, len(sv))
				}
			}
			again, f2, err := decodeStored("c", 1, "", v)
			if err != nil || again != got || f2 != f {
				t.Fatalf("re-encoding %+v: %+v, %v", got, again, err)
			}
		}
		want, sum := sealed(Entry{Seq: 5, Community: "c", At: time.Unix(0, nanos).UTC(), Actor: actor, Action: action,
			Topic: topic, Detail: detail, Prev: "ab"})
		v := appendBinary(make([]byte, 0, binarySize(want)), want, &sum)
		got, err := decodeEntry("c", 5, "ab", v)
		if err != nil || got != want || !bytes.Equal(got.Canonical(), want.Canonical()) || len(v) != binarySize(want) {
			t.Fatalf("round trip of %+v: %+v, %v", want, got, err)
		}
	})
}
