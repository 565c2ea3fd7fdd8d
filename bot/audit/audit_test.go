package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"yishi/bot"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// memStore is a minimal in-memory bot.Store.
type memStore map[string][]byte

func (m memStore) Commit(_ context.Context, batch []bot.KV) error {
	for _, kv := range batch {
		if kv.Value == nil {
			delete(m, string(kv.Key))
		} else {
			m[string(kv.Key)] = bytes.Clone(kv.Value)
		}
	}
	return nil
}

func (m memStore) Get(key []byte) ([]byte, error) { return m[string(key)], nil }

func (m memStore) Scan(prefix []byte, fn func(k, v []byte) (bool, error)) error {
	var keys []string
	for k := range m {
		if strings.HasPrefix(k, string(prefix)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if more, err := fn([]byte(k), m[k]); err != nil || !more {
			return err
		}
	}
	return nil
}

func (m memStore) Close() error { return nil }

var t0 = time.Date(2026, 11, 28, 19, 30, 0, 120_000_000, time.FixedZone("CST", 8*3600))

// buildChain appends n entries for community to s.
func buildChain(t *testing.T, s bot.Store, community string, n int) *Chain {
	t.Helper()
	c, err := LoadChain(s, community)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		_, w := c.Append(Entry{At: t0.Add(time.Duration(i) * time.Minute), Actor: "书记", Action: "vote.open",
			Topic: "#1", Detail: fmt.Sprintf("第%d步 <公开> & \"说明\"", i+1)})
		if err := s.Commit(context.Background(), w); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func getEntry(t *testing.T, s memStore, c string, seq uint64) Entry {
	t.Helper()
	var e Entry
	if err := json.Unmarshal(s[string(Key(c, seq))], &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func putEntry(s memStore, c string, seq uint64, e Entry) { s[string(Key(c, seq))] = marshal(e) }

func TestChainVerifiesAndReloads(t *testing.T) {
	s := memStore{}
	c := buildChain(t, s, "houchen", 5)
	r, err := Verify(s, "houchen")
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Entries != 5 || r.FirstBroken != 0 || r.Problem != "" {
		t.Fatalf("Verify = %+v", r)
	}

	c2, err := LoadChain(s, "houchen")
	if err != nil {
		t.Fatal(err)
	}
	if s1, h1 := c.Head(); true {
		if s2, h2 := c2.Head(); s1 != s2 || h1 != h2 || s1 != 5 {
			t.Fatalf("reloaded head %d %s, want %d %s", s2, h2, s1, h1)
		}
	}
	sealed, w := c2.Append(Entry{At: t0, Actor: "监委", Action: "note", Community: "ignored", Seq: 99, Prev: "x", Hash: "y"})
	if sealed.Seq != 6 || sealed.Community != "houchen" || sealed.Hash != sealed.Sum() || sealed.At.Location() != time.UTC {
		t.Errorf("sealed = %+v", sealed)
	}
	if _, h5 := c.Head(); sealed.Prev != h5 {
		t.Error("Prev is not the previous entry's hash")
	}
	if err := s.Commit(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	if r, _ := Verify(s, "houchen"); !r.OK || r.Entries != 6 {
		t.Errorf("after reload and append: %+v", r)
	}
	// The stored entry decodes to the sealed one and hashes the same.
	if e := getEntry(t, s, "houchen", 6); e.Sum() != sealed.Hash || e.Hash != sealed.Hash {
		t.Error("stored entry does not round-trip to its hash")
	}
}

func TestEmptyChain(t *testing.T) {
	s := memStore{}
	c, err := LoadChain(s, "x")
	if err != nil {
		t.Fatal(err)
	}
	if seq, h := c.Head(); seq != 0 || h != "" {
		t.Errorf("empty head = %d %q", seq, h)
	}
	if r, err := Verify(s, "x"); err != nil || !r.OK || r.Entries != 0 {
		t.Errorf("Verify(empty) = %+v, %v", r, err)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	const c = "houchen"
	tests := []struct {
		name   string
		tamper func(t *testing.T, s memStore)
		seq    uint64
		want   string
	}{
		{"detail edited", func(t *testing.T, s memStore) {
			e := getEntry(t, s, c, 4)
			e.Detail = "改过的内容"
			putEntry(s, c, 4, e)
		}, 4, "hash mismatch"},
		{"time edited", func(t *testing.T, s memStore) {
			e := getEntry(t, s, c, 2)
			e.At = e.At.Add(time.Second)
			putEntry(s, c, 2, e)
		}, 2, "hash mismatch"},
		{"detail edited and hash recomputed", func(t *testing.T, s memStore) {
			e := getEntry(t, s, c, 4)
			e.Detail = "改过的内容"
			e.Hash = e.Sum()
			putEntry(s, c, 4, e)
		}, 5, "prev mismatch"},
		{"hash edited", func(t *testing.T, s memStore) {
			e := getEntry(t, s, c, 6)
			e.Hash = strings.Repeat("0", 64)
			putEntry(s, c, 6, e)
		}, 6, "hash mismatch"},
		{"entry deleted", func(t *testing.T, s memStore) { delete(s, string(Key(c, 4))) }, 4, "missing"},
		{"first entry deleted", func(t *testing.T, s memStore) { delete(s, string(Key(c, 1))) }, 1, "missing"},
		{"entries swapped", func(t *testing.T, s memStore) {
			k3, k4 := string(Key(c, 3)), string(Key(c, 4))
			s[k3], s[k4] = s[k4], s[k3]
		}, 3, "reordered"},
		{"entries renumbered after a deletion", func(t *testing.T, s memStore) {
			for seq := uint64(4); seq < 10; seq++ {
				e := getEntry(t, s, c, seq+1)
				e.Seq = seq
				putEntry(s, c, seq, e)
			}
			delete(s, string(Key(c, 10)))
		}, 4, "prev mismatch"},
		{"entry from another community", func(t *testing.T, s memStore) {
			e := getEntry(t, s, c, 7)
			e.Community = "other"
			e.Hash = e.Sum()
			putEntry(s, c, 7, e)
		}, 7, "belongs to community"},
		{"garbage entry", func(t *testing.T, s memStore) { s[string(Key(c, 8))] = []byte("{not json") }, 8, "cannot be decoded"},
		{"stray key", func(t *testing.T, s memStore) { s["audit/"+c+"/x"] = []byte("{}") }, 11, "unrecognised key"},
		{"last entry deleted", func(t *testing.T, s memStore) { delete(s, string(Key(c, 10))) }, 10, "head pointer mismatch"},
		{"head pointer deleted", func(t *testing.T, s memStore) { delete(s, string(HeadKey(c))) }, 10, "head pointer missing"},
		{"head pointer rewound", func(t *testing.T, s memStore) {
			e := getEntry(t, s, c, 8)
			s[string(HeadKey(c))] = marshal(head{Seq: 8, Hash: e.Hash})
		}, 9, "head pointer mismatch"},
		{"head pointer hash edited", func(t *testing.T, s memStore) {
			s[string(HeadKey(c))] = marshal(head{Seq: 10, Hash: "abc"})
		}, 10, "head pointer mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memStore{}
			buildChain(t, s, c, 10)
			buildChain(t, s, "other", 3) // a neighbour chain must not interfere
			tt.tamper(t, s)
			r, err := Verify(s, c)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || r.FirstBroken != tt.seq || !strings.Contains(r.Problem, tt.want) {
				t.Errorf("Verify = %+v, want broken at %d with %q", r, tt.seq, tt.want)
			}
			if zh, en, ok := strings.Cut(r.Problem, " / "); !ok || !strings.Contains(zh, "第") || !strings.Contains(en, fmt.Sprint(tt.seq)) {
				t.Errorf("problem %q is not Chinese / English naming entry %d", r.Problem, tt.seq)
			}
			if r2, _ := Verify(s, "other"); !r2.OK {
				t.Errorf("neighbour chain reported broken: %+v", r2)
			}
		})
	}
}

func TestLoadChainRefusesInconsistentHead(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(s memStore)
	}{
		{"head deleted", func(s memStore) { delete(s, string(HeadKey("c"))) }},
		{"last entry deleted", func(s memStore) { delete(s, string(Key("c", 3))) }},
		{"head hash edited", func(s memStore) { s[string(HeadKey("c"))] = marshal(head{Seq: 3, Hash: "abc"}) }},
		{"head garbage", func(s memStore) { s[string(HeadKey("c"))] = []byte("?") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memStore{}
			buildChain(t, s, "c", 3)
			tt.tamper(s)
			if _, err := LoadChain(s, "c"); err == nil {
				t.Error("LoadChain accepted an inconsistent head")
			}
		})
	}
}

func TestKeyOrderAndLayout(t *testing.T) {
	if got := string(Key("houchen", 42)); got != "audit/houchen/00000000000000000042" {
		t.Errorf("Key = %q", got)
	}
	if string(HeadKey("houchen")) != "audithead/houchen" {
		t.Errorf("HeadKey = %q", HeadKey("houchen"))
	}
	if bytes.Compare(Key("c", 9), Key("c", 10)) >= 0 || bytes.Compare(Key("c", 1<<40), Key("c", 1<<41)) >= 0 {
		t.Error("keys do not sort by seq")
	}
}

func TestCommunities(t *testing.T) {
	s := memStore{}
	buildChain(t, s, "b-village", 2)
	buildChain(t, s, "a-village", 1)
	buildChain(t, s, "headless", 2)
	delete(s, string(HeadKey("headless"))) // must still be listed
	s["topic/x"] = []byte("{}")
	got, err := Communities(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a-village", "b-village", "headless"}; !slices.Equal(got, want) {
		t.Errorf("Communities = %v, want %v", got, want)
	}
}

func TestTimeZoneDoesNotChangeHash(t *testing.T) {
	a := Entry{Seq: 1, Community: "c", At: t0, Actor: "x"}
	b := a
	b.At = t0.UTC()
	if a.Sum() != b.Sum() {
		t.Error("the same instant in two zones hashes differently")
	}
}

// TestCanonicalGolden pins the canonical form and hash of a fixed entry, so
// a change that would break outside auditors' recomputation shows up.
// Regenerate with: go test ./bot/audit -run Golden -update
func TestCanonicalGolden(t *testing.T) {
	e := Entry{Seq: 7, Community: "houchen", At: t0, Actor: "张书记", Action: "vote.close", Topic: "#12",
		Detail: "赞成 5 / 反对 1 <公开> & \"引号\"\n第二行\t\\", Prev: strings.Repeat("ab", 32)}
	got := fmt.Sprintf("%s\n%s\n", e.Canonical(), e.Sum())
	path := filepath.Join("testdata", "canonical.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("canonical form changed:\n got %s\nwant %s", got, want)
	}
}

// BenchmarkLoadChain shows that loading does not depend on the chain's
// length (two Gets and one hash).
func BenchmarkLoadChain(b *testing.B) {
	s := memStore{}
	c, _ := LoadChain(s, "c")
	for range 10000 {
		_, w := c.Append(Entry{At: t0, Actor: "a", Action: "x", Detail: "d"})
		_ = s.Commit(context.Background(), w)
	}
	for b.Loop() {
		if _, err := LoadChain(s, "c"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify10k(b *testing.B) {
	s := memStore{}
	c, _ := LoadChain(s, "c")
	for range 10000 {
		_, w := c.Append(Entry{At: t0, Actor: "a", Action: "x", Detail: "一条公开的说明"})
		_ = s.Commit(context.Background(), w)
	}
	for b.Loop() {
		if r, err := Verify(s, "c"); err != nil || !r.OK {
			b.Fatal(r, err)
		}
	}
}
