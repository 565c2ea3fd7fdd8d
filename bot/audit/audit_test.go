package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/storage/memstore"
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

// buildChain appends n entries for community to s (after those it has).
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

// stores are the two kinds LoadChain handles: memStore has no Last, so
// LoadChain scans; memstore.Store finds the last key like storage.DB.
var stores = []struct {
	name string
	new  func() bot.Store
}{
	{"scan", func() bot.Store { return memStore{} }},
	{"LastFinder", func() bot.Store { return memstore.New() }},
}

func get(t *testing.T, s bot.Store, key []byte) []byte {
	t.Helper()
	v, err := s.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// set writes (nil: deletes) one key through the store's API.
func set(t *testing.T, s bot.Store, key, value []byte) {
	t.Helper()
	if err := s.Commit(context.Background(), []bot.KV{{Key: key, Value: value}}); err != nil {
		t.Fatal(err)
	}
}

// getEntry decodes stored entry seq, with Prev set from the entry before.
func getEntry(t *testing.T, s bot.Store, c string, seq uint64) Entry {
	t.Helper()
	var prev string
	if seq > 1 {
		prev = getEntry(t, s, c, seq-1).Hash
	}
	e, err := decodeEntry(c, seq, prev, get(t, s, Key(c, seq)))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// putEntry stores e as entry seq in the binary form of its Form, with
// e.Hash (hex) as its hash, whatever the content: the tamper tests use it.
func putEntry(t *testing.T, s bot.Store, c string, seq uint64, e Entry) {
	t.Helper()
	var sum [sha256.Size]byte
	if n, err := hex.Decode(sum[:], []byte(e.Hash)); err != nil || n != len(sum) {
		t.Fatalf("hash %q is not 32 bytes of hex", e.Hash)
	}
	if e.Form == FormJCS {
		set(t, s, Key(c, seq), appendBinaryJCS(nil, e, &sum))
	} else {
		set(t, s, Key(c, seq), appendBinary(nil, e, &sum))
	}
}

// legacyValue is the stored form of versions before the binary one, built
// exactly as their Append did: the canonical form with the hash filled in.
func legacyValue(e Entry) []byte {
	canon := appendCanonical(make([]byte, 0, 256), e, "")
	return append(canon[:len(canon)-len(`"hash":""}`)], `"hash":"`+e.Hash+`"}`...)
}

// legacyHead is the head pointer those versions wrote with every entry.
func legacyHead(seq uint64, hash string) []byte {
	return fmt.Appendf(nil, `{"seq":%d,"hash":"%s"}`, seq, hash)
}

// buildLegacyChain appends n entries the way versions before the binary
// form stored them: each entry as JSON plus the head pointer, in one batch.
func buildLegacyChain(t *testing.T, s bot.Store, community string, n int) *Chain {
	t.Helper()
	c, err := LoadChain(s, community)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		// Seq and prev as Append sets them, the hash in the legacy form.
		e, _ := c.Append(Entry{At: t0.Add(time.Duration(i) * time.Minute), Actor: "书记", Action: "vote.open",
			Topic: "#1", Detail: fmt.Sprintf("旧版第%d步 <公开> & \"说明\"", i+1)})
		e.Form = FormLegacy
		e.Hash = e.Sum()
		c.hash = e.Hash
		if err := s.Commit(context.Background(), []bot.KV{
			{Key: Key(community, e.Seq), Value: legacyValue(e)},
			{Key: HeadKey(community), Value: legacyHead(e.Seq, e.Hash)},
		}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestChainVerifiesAndReloads(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.new()
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
			if e := getEntry(t, s, "houchen", 6); e != sealed || e.Sum() != sealed.Hash {
				t.Errorf("stored entry does not round-trip:\n got %+v\nwant %+v", e, sealed)
			}
			if v := get(t, s, HeadKey("houchen")); v != nil {
				t.Errorf("a head pointer was written: %s", v)
			}
		})
	}
}

// TestAppendWritesOneCompactEntry: one write, the binary form, allocated at
// its exact size.
func TestAppendWritesOneCompactEntry(t *testing.T) {
	c := &Chain{community: "houchen"}
	sealed, w := c.Append(Entry{At: t0, Actor: "r001", Action: "vote", Topic: "1", Detail: "赞成"})
	if len(w) != 1 {
		t.Fatalf("%d writes, want 1", len(w))
	}
	k, v := w[0].Key, w[0].Value
	if !bytes.Equal(k, Key("houchen", 1)) || cap(k) != len(k) {
		t.Errorf("key %q (cap %d)", k, cap(k))
	}
	if len(v) == 0 || v[0] != binaryV2 || len(v) != sealedSize(sealed) || cap(v) != len(v) {
		t.Errorf("value % x: len %d cap %d, want the binary form 2 of %d bytes", v, len(v), cap(v), sealedSize(sealed))
	}
	if got, err := decodeEntry("houchen", 1, "", v); err != nil || got != sealed {
		t.Errorf("decode = %+v, %v; want %+v", got, err, sealed)
	}
}

// TestAppendTimesOutsideTheBinaryRange: form 1 held unix nanoseconds
// (1678 to 2262), other times were written as JSON; form 2 holds any time.
func TestAppendTimesOutsideTheBinaryRange(t *testing.T) {
	tests := []struct {
		name   string
		at     time.Time
		binary bool
	}{
		{"now", t0, true},
		{"epoch", time.Unix(0, 0), true},
		{"before 1970", time.Date(1969, 7, 20, 20, 17, 40, 1, time.UTC), true},
		{"zero time", time.Time{}, true},
		{"after 2262", time.Date(2300, 1, 1, 0, 0, 0, 5, time.UTC), true},
	}
	s := memStore{}
	c, _ := LoadChain(s, "c")
	for _, tt := range tests {
		sealed, w := c.Append(Entry{At: tt.at, Actor: "a", Action: tt.name})
		if err := s.Commit(context.Background(), w); err != nil {
			t.Fatal(err)
		}
		if isLegacy(w[0].Value) == tt.binary {
			t.Errorf("%s: stored %q, binary form wanted: %v", tt.name, w[0].Value, tt.binary)
		}
		if e := getEntry(t, s, "c", sealed.Seq); !bytes.Equal(e.Canonical(), sealed.Canonical()) || e.Hash != sealed.Hash {
			t.Errorf("%s: stored entry reads back as\n%s\nwant\n%s", tt.name, e.Canonical(), sealed.Canonical())
		}
	}
	if r, err := Verify(s, "c"); err != nil || !r.OK || r.Entries != len(tests) {
		t.Errorf("Verify = %+v, %v", r, err)
	}
	if _, err := LoadChain(s, "c"); err != nil {
		t.Error(err)
	}
}

func TestEmptyChain(t *testing.T) {
	for _, st := range stores {
		s := st.new()
		c, err := LoadChain(s, "x")
		if err != nil {
			t.Fatal(err)
		}
		if seq, h := c.Head(); seq != 0 || h != "" {
			t.Errorf("%s: empty head = %d %q", st.name, seq, h)
		}
		if r, err := Verify(s, "x"); err != nil || !r.OK || r.Entries != 0 {
			t.Errorf("%s: Verify(empty) = %+v, %v", st.name, r, err)
		}
	}
}

// editValue changes the stored value of entry seq in place.
func editValue(t *testing.T, s bot.Store, c string, seq uint64, edit func(v []byte) []byte) {
	t.Helper()
	set(t, s, Key(c, seq), edit(bytes.Clone(get(t, s, Key(c, seq)))))
}

func TestVerifyFindsTampering(t *testing.T) {
	const c = "houchen"
	tests := []struct {
		name   string
		legacy bool // the chain is written as versions before the binary form did
		tamper func(t *testing.T, s bot.Store)
		seq    uint64
		want   string
	}{
		{name: "a byte of the detail edited", tamper: func(t *testing.T, s bot.Store) {
			editValue(t, s, c, 4, func(v []byte) []byte {
				i := bytes.Index(v, []byte("<公开>"))
				v[i] = '['
				return v
			})
		}, seq: 4, want: "hash mismatch"},
		{name: "time edited", tamper: func(t *testing.T, s bot.Store) {
			e := getEntry(t, s, c, 2)
			e.At = e.At.Add(time.Second)
			putEntry(t, s, c, 2, e)
		}, seq: 2, want: "hash mismatch"},
		{name: "detail edited and hash recomputed", tamper: func(t *testing.T, s bot.Store) {
			e := getEntry(t, s, c, 4)
			e.Detail = "改过的内容"
			e.Hash = e.Sum()
			putEntry(t, s, c, 4, e)
		}, seq: 5, want: "hash mismatch"}, // entry 5 was hashed with the old hash of 4
		{name: "stored hash edited", tamper: func(t *testing.T, s bot.Store) {
			editValue(t, s, c, 6, func(v []byte) []byte { v[len(v)-1] ^= 1; return v })
		}, seq: 6, want: "hash mismatch"},
		{name: "middle entry deleted", tamper: func(t *testing.T, s bot.Store) { set(t, s, Key(c, 4), nil) }, seq: 4, want: "missing"},
		{name: "first entry deleted", tamper: func(t *testing.T, s bot.Store) { set(t, s, Key(c, 1), nil) }, seq: 1, want: "missing"},
		{name: "entries swapped", tamper: func(t *testing.T, s bot.Store) {
			v3, v4 := get(t, s, Key(c, 3)), get(t, s, Key(c, 4))
			set(t, s, Key(c, 3), v4)
			set(t, s, Key(c, 4), v3)
		}, seq: 3, want: "reordered"},
		{name: "entries renumbered after a deletion", tamper: func(t *testing.T, s bot.Store) {
			for seq := uint64(4); seq < 10; seq++ {
				set(t, s, Key(c, seq), get(t, s, Key(c, seq+1)))
			}
			set(t, s, Key(c, 10), nil)
		}, seq: 4, want: "hash mismatch"},
		{name: "entry copied from another community", tamper: func(t *testing.T, s bot.Store) {
			set(t, s, Key(c, 2), get(t, s, Key("other", 2)))
		}, seq: 2, want: "hash mismatch"},
		{name: "value truncated in the hash", tamper: func(t *testing.T, s bot.Store) {
			editValue(t, s, c, 7, func(v []byte) []byte { return v[:len(v)-1] })
		}, seq: 7, want: "cannot be decoded"},
		{name: "value truncated in the detail", tamper: func(t *testing.T, s bot.Store) {
			editValue(t, s, c, 7, func(v []byte) []byte { return v[:bytes.Index(v, []byte("<公开>"))] })
		}, seq: 7, want: "cannot be decoded"},
		{name: "byte appended", tamper: func(t *testing.T, s bot.Store) {
			editValue(t, s, c, 7, func(v []byte) []byte { return append(v, 0) })
		}, seq: 7, want: "cannot be decoded"},
		{name: "garbage value", tamper: func(t *testing.T, s bot.Store) { set(t, s, Key(c, 8), []byte("\x07garbage")) }, seq: 8, want: "cannot be decoded"},
		{name: "garbage JSON value", tamper: func(t *testing.T, s bot.Store) { set(t, s, Key(c, 8), []byte("{not json")) }, seq: 8, want: "cannot be decoded"},
		{name: "empty value", tamper: func(t *testing.T, s bot.Store) { set(t, s, Key(c, 8), []byte{}) }, seq: 8, want: "cannot be decoded"},
		{name: "stray key", tamper: func(t *testing.T, s bot.Store) { set(t, s, []byte("audit/"+c+"/x"), []byte("{}")) }, seq: 11, want: "unrecognised key"},
		{name: "legacy head pointer beyond the last entry", tamper: func(t *testing.T, s bot.Store) {
			set(t, s, HeadKey(c), legacyHead(12, strings.Repeat("0", 64)))
		}, seq: 11, want: "entries from 11 on are missing"},
		{name: "legacy head pointer hash edited", tamper: func(t *testing.T, s bot.Store) {
			set(t, s, HeadKey(c), legacyHead(7, "abc"))
		}, seq: 7, want: "head pointer mismatch"},
		{name: "legacy head pointer garbage", tamper: func(t *testing.T, s bot.Store) {
			set(t, s, HeadKey(c), []byte("?"))
		}, seq: 11, want: "head pointer cannot be decoded"},

		// The JSON form stores seq, community and prev, so they are named.
		{name: "legacy: detail edited", legacy: true, tamper: func(t *testing.T, s bot.Store) {
			e := getEntry(t, s, c, 4)
			e.Detail = "改过的内容"
			set(t, s, Key(c, 4), legacyValue(e))
		}, seq: 4, want: "hash mismatch, the entry was altered"},
		{name: "legacy: detail edited and hash recomputed", legacy: true, tamper: func(t *testing.T, s bot.Store) {
			e := getEntry(t, s, c, 4)
			e.Detail = "改过的内容"
			e.Hash = e.Sum()
			set(t, s, Key(c, 4), legacyValue(e))
		}, seq: 5, want: "prev mismatch"},
		{name: "legacy: entries swapped", legacy: true, tamper: func(t *testing.T, s bot.Store) {
			v3, v4 := get(t, s, Key(c, 3)), get(t, s, Key(c, 4))
			set(t, s, Key(c, 3), v4)
			set(t, s, Key(c, 4), v3)
		}, seq: 3, want: "reordered"},
		{name: "legacy: entry from another community", legacy: true, tamper: func(t *testing.T, s bot.Store) {
			e := getEntry(t, s, c, 7)
			e.Community = "other"
			e.Hash = e.Sum()
			set(t, s, Key(c, 7), legacyValue(e))
		}, seq: 7, want: "belongs to community"},
		{name: "legacy: garbage", legacy: true, tamper: func(t *testing.T, s bot.Store) { set(t, s, Key(c, 8), []byte("{not json")) }, seq: 8, want: "cannot be decoded"},
		// Unlike in the binary form (TestLastEntryDeletedIsNotDetected), the
		// head pointer of a legacy chain still names the deleted entry.
		{name: "legacy: last entry deleted", legacy: true, tamper: func(t *testing.T, s bot.Store) { set(t, s, Key(c, 10), nil) }, seq: 10, want: "head pointer mismatch"},
		{name: "legacy: head pointer hash edited", legacy: true, tamper: func(t *testing.T, s bot.Store) {
			set(t, s, HeadKey(c), legacyHead(10, "abc"))
		}, seq: 10, want: "head pointer mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memStore{}
			if tt.legacy {
				buildLegacyChain(t, s, c, 10)
			} else {
				buildChain(t, s, c, 10)
			}
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

// TestLastEntryDeletedIsNotDetected documents the limit of a hash chain:
// without a head pointer, a chain whose last entries were deleted is a
// consistent shorter chain, so Verify passes and LoadChain continues from
// the new last entry. Only a head hash kept outside the data directory
// (Chain.Head, published with the results) shows the difference.
func TestLastEntryDeletedIsNotDetected(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.new()
			c := buildChain(t, s, "c", 5)
			anchoredSeq, anchoredHash := c.Head()
			set(t, s, Key("c", 5), nil)
			if r, err := Verify(s, "c"); err != nil || !r.OK || r.Entries != 4 {
				t.Fatalf("Verify = %+v, %v; want OK with 4 entries", r, err)
			}
			c2, err := LoadChain(s, "c")
			if err != nil {
				t.Fatal(err)
			}
			if seq, hash := c2.Head(); seq != 4 || hash != getEntry(t, s, "c", 4).Hash {
				t.Errorf("head after deletion = %d %s", seq, hash)
			} else if seq == anchoredSeq || hash == anchoredHash {
				t.Error("the anchored head should differ")
			}
		})
	}
}

// TestLegacyChainUpgrade: a chain written half by an earlier version (JSON
// entries and a head pointer) and half by this one verifies, loads, exports
// the legacy entries byte for byte, and its old head pointer is left alone.
func TestLegacyChainUpgrade(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.new()
			old := buildLegacyChain(t, s, "c", 5)
			oldSeq, oldHash := old.Head()
			oldHead := get(t, s, HeadKey("c"))
			c, err := LoadChain(s, "c")
			if err != nil {
				t.Fatal(err)
			}
			if seq, hash := c.Head(); seq != oldSeq || hash != oldHash {
				t.Fatalf("head of the legacy chain = %d %s, want %d %s", seq, hash, oldSeq, oldHash)
			}
			// The first binary entry, then a reload from it: its Prev is
			// the hash stored in the legacy entry before it.
			buildChain(t, s, "c", 1)
			buildChain(t, s, "c", 4)
			if r, err := Verify(s, "c"); err != nil || !r.OK || r.Entries != 10 {
				t.Fatalf("Verify = %+v, %v", r, err)
			}
			c, err = LoadChain(s, "c")
			if err != nil {
				t.Fatal(err)
			}
			if seq, hash := c.Head(); seq != 10 || hash != getEntry(t, s, "c", 10).Hash {
				t.Errorf("head = %d %s", seq, hash)
			}
			if !bytes.Equal(get(t, s, HeadKey("c")), oldHead) {
				t.Error("the legacy head pointer was rewritten")
			}
			var out bytes.Buffer
			if err := Export(s, "c", &out); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != 10 {
				t.Fatalf("%d lines exported, want 10", len(lines))
			}
			for seq := uint64(1); seq <= 5; seq++ {
				if e := getEntry(t, s, "c", seq); e.Form != FormLegacy || lines[seq-1] != string(appendExportLine(nil, e, FormLegacy)) {
					t.Errorf("line %d = %s\nwant the legacy entry %+v", seq, lines[seq-1], e)
				}
			}
		})
	}
}

func TestLoadChainRefusesABrokenHead(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, s bot.Store)
	}{
		{"last entry edited", func(t *testing.T, s bot.Store) {
			editValue(t, s, "c", 3, func(v []byte) []byte { v[len(v)-40] ^= 1; return v })
		}},
		{"last entry's hash edited", func(t *testing.T, s bot.Store) {
			editValue(t, s, "c", 3, func(v []byte) []byte { v[len(v)-1] ^= 1; return v })
		}},
		{"last entry garbage", func(t *testing.T, s bot.Store) { set(t, s, Key("c", 3), []byte("\x01\x02")) }},
		{"entry before the last deleted", func(t *testing.T, s bot.Store) { set(t, s, Key("c", 2), nil) }},
		{"entry before the last rewritten with a new hash", func(t *testing.T, s bot.Store) {
			e := getEntry(t, s, "c", 2)
			e.Detail = "改过的内容"
			e.Hash = e.Sum()
			putEntry(t, s, "c", 2, e)
		}},
		{"stray key after the last entry", func(t *testing.T, s bot.Store) { set(t, s, []byte("audit/c/x"), []byte("{}")) }},
		{"legacy head pointer beyond the last entry", func(t *testing.T, s bot.Store) {
			set(t, s, HeadKey("c"), legacyHead(4, strings.Repeat("0", 64)))
		}},
		{"legacy head pointer on the last entry, other hash", func(t *testing.T, s bot.Store) {
			set(t, s, HeadKey("c"), legacyHead(3, "abc"))
		}},
		{"legacy head pointer garbage", func(t *testing.T, s bot.Store) { set(t, s, HeadKey("c"), []byte("?")) }},
		{"every entry deleted, legacy head pointer left", func(t *testing.T, s bot.Store) {
			set(t, s, HeadKey("c"), legacyHead(3, getEntry(t, s, "c", 3).Hash))
			for seq := uint64(1); seq <= 3; seq++ {
				set(t, s, Key("c", seq), nil)
			}
		}},
	}
	for _, st := range stores {
		for _, tt := range tests {
			t.Run(st.name+"/"+tt.name, func(t *testing.T) {
				s := st.new()
				buildChain(t, s, "c", 3)
				tt.tamper(t, s)
				if _, err := LoadChain(s, "c"); err == nil {
					t.Error("LoadChain accepted a broken head")
				} else if !strings.Contains(err.Error(), "yishi audit verify") {
					t.Errorf("error does not say what to do: %v", err)
				}
			})
		}
	}
}

// TestOldHeadPointerIsAccepted: a legacy head pointer behind the last
// entry is what an upgraded chain has.
func TestOldHeadPointerIsAccepted(t *testing.T) {
	s := memStore{}
	buildChain(t, s, "c", 3)
	set(t, s, HeadKey("c"), legacyHead(2, getEntry(t, s, "c", 2).Hash))
	if r, err := Verify(s, "c"); err != nil || !r.OK || r.Entries != 3 {
		t.Errorf("Verify = %+v, %v", r, err)
	}
	c, err := LoadChain(s, "c")
	if err != nil {
		t.Fatal(err)
	}
	if seq, _ := c.Head(); seq != 3 {
		t.Errorf("head = %d, want 3", seq)
	}
}

func TestKeyOrderAndLayout(t *testing.T) {
	tests := []struct {
		seq  uint64
		want string
	}{
		{1, "audit/houchen/00000000000000000001"},
		{42, "audit/houchen/00000000000000000042"},
		{math.MaxUint64, "audit/houchen/18446744073709551615"},
	}
	for _, tt := range tests {
		k := Key("houchen", tt.seq)
		if string(k) != tt.want {
			t.Errorf("Key(%d) = %q, want %q", tt.seq, k, tt.want)
		}
		if seq, ok := parseSeq(k, "audit/houchen/"); !ok || seq != tt.seq {
			t.Errorf("parseSeq(%q) = %d, %v", k, seq, ok)
		}
	}
	for _, bad := range []string{"audit/houchen/x", "audit/houchen/00000000000000000000", "audit/houchen/0000000000000000001",
		"audit/houchen/99999999999999999999", "audit/houchen/0000000000000000000+", "audit/houche/000000000000000000001"} {
		if seq, ok := parseSeq([]byte(bad), "audit/houchen/"); ok {
			t.Errorf("parseSeq(%q) = %d, want not an entry key", bad, seq)
		}
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
	buildLegacyChain(t, s, "legacy", 2)
	buildLegacyChain(t, s, "emptied", 2)
	delete(s, string(Key("emptied", 1))) // only the head pointer left: must still be listed
	delete(s, string(Key("emptied", 2)))
	s["topic/x"] = []byte("{}")
	got, err := Communities(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a-village", "b-village", "emptied", "legacy"}; !slices.Equal(got, want) {
		t.Errorf("Communities = %v, want %v", got, want)
	}
	if r, _ := Verify(s, "emptied"); r.OK || r.FirstBroken != 1 {
		t.Errorf("Verify(emptied) = %+v, want broken at 1", r)
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

// BenchmarkAppend is the per-vote cost: sealing one entry and building its
// writes. bytes/append counts keys and values handed to the store.
func BenchmarkAppend(b *testing.B) {
	c := &Chain{community: "houchen"}
	at := time.Date(2026, 11, 28, 4, 15, 6, 123456789, time.UTC)
	var written, writes int
	for b.Loop() {
		_, w := c.Append(Entry{At: at, Actor: "r001", Action: "vote", Topic: "1", Detail: "赞成"})
		for _, kv := range w {
			written += len(kv.Key) + len(kv.Value)
		}
		writes += len(w)
	}
	b.ReportMetric(float64(written)/float64(b.N), "bytes/append")
	b.ReportMetric(float64(writes)/float64(b.N), "writes/append")
}
