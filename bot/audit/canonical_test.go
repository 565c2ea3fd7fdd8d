package audit

import (
	"bytes"
	"encoding/json"
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
