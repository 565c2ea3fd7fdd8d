package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// jsonCanonical is the reference: encoding/json without HTML escaping.
func jsonCanonical(e Entry, hash string) []byte {
	type ce struct {
		Seq       uint64 `json:"seq"`
		Community string `json:"community"`
		At        string `json:"at"`
		Actor     string `json:"actor"`
		Action    string `json:"action"`
		Topic     string `json:"topic"`
		Detail    string `json:"detail"`
		Prev      string `json:"prev"`
		Hash      string `json:"hash"`
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(ce{e.Seq, e.Community, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Topic, e.Detail, e.Prev, hash})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestCanonicalMatchesEncodingJSON(t *testing.T) {
	for _, d := range []string{"", "普通文字", "<b>&amp;</b>", "引号\"反斜杠\\", "控制\x00\x01\b\f\n\r\t\x1f", "坏\xff\xfe字节", "行\u2028段\u2029", "emoji 😀", "\x7f"} {
		e := Entry{Seq: 7, Community: "houchen", At: time.Date(2026, 12, 1, 10, 0, 0, 123000000, time.FixedZone("CST", 8*3600)), Actor: "张三", Action: "vote", Topic: "1", Detail: d, Prev: "ab"}
		if got, want := appendCanonical(nil, e, "h"), jsonCanonical(e, "h"); !bytes.Equal(got, want) {
			t.Errorf("detail %q:\n got %s\nwant %s", d, got, want)
		}
	}
}

func FuzzCanonical(f *testing.F) {
	f.Add("张三", "detail <x> \"q\"", int64(0))
	f.Add("\xff", "\u2028\x00", int64(1700000000123456789))
	f.Fuzz(func(t *testing.T, actor, detail string, nanos int64) {
		e := Entry{Seq: 1, Community: "c", At: time.Unix(0, nanos), Actor: actor, Action: "a", Topic: "t", Detail: detail}
		if got, want := appendCanonical(nil, e, ""), jsonCanonical(e, ""); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
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
		{"unknown version byte", append([]byte{2}, v[1:]...), "unknown format byte 0x02"},
		{"JSON-like but broken", []byte(`{"seq":`), "JSON entry"},
		{"time varint cut", []byte{1, 0x80}, "time"},
		{"time varint too long", append([]byte{1}, bytes.Repeat([]byte{0xff}, 11)...), "time"},
		{"length varint cut", []byte{1, 2, 0x80}, "actor"},
		{"length past the end", []byte{1, 2, 5, 'a'}, "actor: length 5 runs past the end"},
		{"huge length", append([]byte{1, 2}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), "actor: length"},
		{"cut in the detail", v[:13], "detail: length 3 runs past the end (1 bytes left)"},
		{"hash cut", v[:len(v)-1], "31 bytes left"},
		{"trailing byte", append(bytes.Clone(v), 0), "33 bytes left"},
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
	f.Add([]byte{1, 0x80}, "\xff", "\u2028", "\x00", strings.Repeat("长", 100), int64(-1))
	f.Add([]byte(`{"seq":1,"community":"c","at":"2026-11-28T04:15:06Z","hash":"ab"}`), "a", "b", "c", "d", int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, value []byte, actor, action, topic, detail string, nanos int64) {
		// Arbitrary bytes: an error, never a panic; what decodes re-encodes
		// to an entry with the same canonical form.
		if got, err := decodeEntry("c", 1, "", value); err == nil && !isLegacy(value) {
			var raw [sha256.Size]byte
			hex.Decode(raw[:], []byte(got.Hash))
			again, err := decodeEntry("c", 1, "", appendBinary(nil, got, &raw))
			if err != nil || again != got {
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
