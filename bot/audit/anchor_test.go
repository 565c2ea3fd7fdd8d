package audit

import (
	"context"
	"strings"
	"testing"
)

// TestAnchors: a copy of an entry's hash kept outside catches what the
// chain alone cannot, the removal of its last entries, and an entry
// rewritten together with every later one.
func TestAnchors(t *testing.T) {
	s := memStore{}
	buildChain(t, s, "c", 10)
	full, err := Verify(s, "c")
	if err != nil || !full.OK || full.Head.Seq != 10 {
		t.Fatalf("Verify = %+v, %v", full, err)
	}
	head := full.Head
	good, err := ParseAnchor(FormatAnchor(head.Seq, head.HashPrefix))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := Verify(s, "c", good); !r.OK {
		t.Fatalf("matching anchor refused: %+v", r)
	}
	bad := Anchor{Seq: 10, HashPrefix: "00000000"}
	if r, _ := Verify(s, "c", bad); r.OK || r.FirstBroken != 10 {
		t.Errorf("wrong hash not caught: %+v", r)
	}
	// Remove the last two entries: the chain alone still verifies, the
	// anchor of entry 10 does not.
	delete(s, string(Key("c", 10)))
	delete(s, string(Key("c", 9)))
	if r, _ := Verify(s, "c"); !r.OK || r.Head.Seq != 8 {
		t.Fatalf("truncated chain without anchor: %+v", r)
	}
	if r, _ := Verify(s, "c", good); r.OK || r.FirstBroken != 9 {
		t.Errorf("truncation not caught by the anchor: %+v", r)
	}
}

// TestAnchorCatchesRewrittenTail: entries rewritten from 5 on, each with a
// fresh valid hash, make a chain that verifies alone; the anchor of entry
// 5 published before does not match.
func TestAnchorCatchesRewrittenTail(t *testing.T) {
	s := memStore{}
	c := buildChain(t, s, "c", 5)
	seq, hash := c.Head()
	anchor5, err := ParseAnchor(FormatAnchor(seq, hash))
	if err != nil {
		t.Fatal(err)
	}
	buildChain(t, s, "c", 5)
	for i := uint64(5); i <= 10; i++ {
		delete(s, string(Key("c", i)))
	}
	forged, err := LoadChain(s, "c")
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		_, w := forged.Append(Entry{At: t0, Actor: "某人", Action: "vote", Topic: "1", Detail: "for"})
		if err := s.Commit(context.Background(), w); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := Verify(s, "c"); !r.OK || r.Head.Seq != 10 {
		t.Fatalf("forged chain alone: %+v", r)
	}
	if r, _ := Verify(s, "c", anchor5); r.OK || r.FirstBroken != 5 {
		t.Errorf("anchor did not catch the rewrite: %+v", r)
	}
}

func TestParseAnchor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Anchor
		ok   bool
	}{
		{"第12条·1a2b3c4d5e6f7a8b", Anchor{12, "1a2b3c4d5e6f7a8b"}, true},
		{" 12:1A2B3C4D ", Anchor{12, "1a2b3c4d"}, true},
		{"第 3 条 ： abcdef0123", Anchor{3, "abcdef0123"}, true},
		{"12:1a2b", Anchor{}, false},          // too short to mean anything
		{"第0条·1a2b3c4d", Anchor{}, false},     // there is no entry 0
		{"第12条·xyz12345", Anchor{}, false},    // not hex
		{"1a2b3c4d5e6f7a8b", Anchor{}, false}, // no seq
		{"99999999999999999999999:1a2b3c4d", Anchor{}, false},
	} {
		got, err := ParseAnchor(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAnchor(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

// FuzzParseAnchor: any text gives an anchor or an error, never a panic, and
// an anchor it accepts prints back to text it accepts again unchanged.
func FuzzParseAnchor(f *testing.F) {
	for _, s := range []string{"第12条·1a2b3c4d5e6f7a8b", "12:1a2b3c4d", "第 3 条 ： ABCDEF0123", "", "第条·", "1:" + strings.Repeat("f", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAnchor(s)
		if err != nil {
			return
		}
		b, err := ParseAnchor(a.String())
		if err != nil || b != a {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, a, a.String(), b, err)
		}
	})
}
