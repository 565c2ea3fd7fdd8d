// Package audit is the per-community hash-chained audit log. Every state
// change appends an Entry that carries the sha256 of the previous entry, so
// an edited, deleted or reordered entry breaks the chain and Verify reports
// where.
//
// Detail is public: anyone who may read the log (the supervision committee,
// an outside auditor) sees it. For secret ballots the engine never puts the
// choice in it.
//
// # Storage layout
//
//	audit/<community>/<seq, 20 digits zero-padded>  one entry per key
//
// Community ids must not contain "/". An entry is written for every vote,
// in the same batch as the state change it records, so it is stored
// compactly (a vote's entry is about 60 bytes, against about 280 as JSON).
// The first byte of the value names its stored form:
//
//	0x02  JCS hash form (form 2):    varint At, UTC unix seconds (encoding/binary, signed),
//	                                 uvarint nanoseconds (0 to 999999999)
//	0x01  legacy hash form (form 1): varint At, UTC unix nanoseconds (signed)
//	then, in both: uvarint length and bytes of Actor, Action, Topic, Detail, in this
//	order, and the 32-byte sha256 (Hash, raw)
//	'{'   legacy hash form as JSON: the form-1 canonical bytes with the hash filled in
//
// Seq and Community are implied by the key and Prev is the Hash of the entry
// before, so none of them is stored in the binary forms; they are still part
// of the hashed canonical form. Every stored form is read, entry by entry,
// so a chain switches form where it was upgraded. Entries written from the
// JCS form on are form 2 (any time fits it); the JSON form was written for
// a time form 1 cannot hold (before 1678 or after 2262) and by earlier
// versions for every entry. A JSON entry is read by a strict reader of
// exactly that layout, not by encoding/json.
//
// There is no head pointer: the head of a chain is its last entry, found
// with a reverse seek (bot.LastFinder). Earlier versions also wrote
// audithead/<community> ({"seq":N,"hash":"…"}) with every entry. It is left
// as it is; Verify only checks that it names no entry beyond the last one
// (which would mean entries were removed) and agrees with the entry it
// names.
//
// # Canonical forms (for an outside auditor)
//
// Hash is the lowercase hex sha256 of the UTF-8 canonical bytes of the
// entry. Both forms are fixed functions written out in canonical.go and
// pinned by test vectors; none depends on a JSON encoder (Go 1.27's
// encoding/json, for one, writes what the legacy form escapes as \ufffd
// as a raw U+FFFD).
//
// Form 2 (every entry written since the JCS form): the RFC 8785 (JCS)
// canonical JSON of the object with the members
//
//	{"action":…,"actor":…,"at":…,"community":…,"detail":…,"prev":…,"seq":N,"topic":…,"v":2}
//
// that is: members sorted by name, no whitespace, seq as an integer, each
// string with " and \ escaped, \b \t \n \f \r as such, other characters
// below U+0020 as \u00xx, every other character as it is. The texts are
// Unicode: a byte that is not UTF-8 is replaced by U+FFFD when the entry is
// sealed, so the stored, hashed and exported text are the same.
//
// Form 1 (entries written before, kept as they are so that their hashes,
// and the 审计存证 anchors printed from them, still verify): a JSON object
// with exactly these keys in this order, no whitespace:
//
//	{"seq":N,"community":"…","at":"…","actor":"…","action":"…","topic":"…","detail":"…","prev":"…","hash":""}
//
// with strings escaped as in form 2 plus U+2028/U+2029 as \u2028/\u2029
// and each byte that is not UTF-8 as \ufffd (a real U+FFFD stays as it is).
//
// In both, "at" is the time in UTC in RFC 3339 with nanoseconds and
// trailing zeros of the fraction dropped (Go's time.RFC3339Nano), e.g.
// "2026-11-28T04:15:06.1Z", and "prev" is the previous entry's hash (""
// for seq 1).
//
// An auditor does not read the stored forms: `yishi audit export COMMUNITY`
// (ExportJCS) writes the chain as one line per entry, in order, each line
// the JCS canonical JSON of the entry with its "hash" and "v" (the form its
// hash covers). Each line checks with Python's standard library (the first
// three lines rebuild JCS for an export's strings and integers; any RFC
// 8785 library does the same):
//
//	q = lambda s, x="": json.dumps(s, ensure_ascii=False).translate({ord(c): "\\u%04x" % ord(c) for c in x})
//	jcs = lambda e: "{" + ",".join(q(k) + ":" + (q(v) if isinstance(v, str) else str(v)) for k, v in sorted(e.items())) + "}"
//	old = ["seq","community","at","actor","action","topic","detail","prev","hash"]
//	e = json.loads(line); h = e.pop("hash")
//	if e["v"] == 2: body = jcs(e)
//	else: body = "{" + ",".join(q(k) + ":" + (str(e[k]) if k == "seq" else q(e.get(k, ""), "\u2028\u2029")) for k in old) + "}"
//	hashlib.sha256(body.encode()).hexdigest() == h
//
// and the lines link up: seq counts 1, 2, 3, … and each line's "prev"
// equals the previous line's "hash" ("" on the first). A form-1 line with
// "lossy":true held bytes that are not UTF-8, which JSON cannot carry: its
// hash is checked by `yishi audit verify`, which reads the stored bytes,
// and its links by the recipe. bot/audit/testdata/check_export.py is such
// a checker, run by the package's tests.
//
// A hash chain cannot by itself reveal that its last entries were removed,
// or that everything from some entry on was rewritten with fresh hashes:
// the result is just as consistent. Copies of hashes kept outside the data
// directory (Anchor) can: the engine prints one, "审计存证：第N条·<16 hex>",
// in every published result (公示), so each group's chat history holds
// them, and `yishi audit verify --anchor` (Verify's anchors) checks them.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// Entry is one audited state change. The JSON tags are the legacy stored
// form (see the package doc).
type Entry struct {
	Seq       uint64    `json:"seq"`
	Community string    `json:"community"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"`
	Topic     string    `json:"topic"`
	Detail    string    `json:"detail"` // public, see the package doc
	Prev      string    `json:"prev"`   // hex sha256 of the previous entry, "" for the first
	Hash      string    `json:"hash"`   // hex sha256 of this entry's canonical form
	// Form is the canonical form Hash covers: FormJCS for what Append
	// seals; for an entry read back, the form it was written in.
	Form Form `json:"-"`
}

const (
	entryPrefix = "audit/"
	headPrefix  = "audithead/"
	seqDigits   = 20 // enough for every uint64
)

// Key is where entry seq of community is stored.
func Key(community string, seq uint64) []byte {
	return appendKey(make([]byte, 0, keyLen(community)), community, seq)
}

func keyLen(community string) int { return len(entryPrefix) + len(community) + 1 + seqDigits }

// appendKey is Key without fmt: it runs once per vote.
func appendKey(dst []byte, community string, seq uint64) []byte {
	dst = append(dst, entryPrefix...)
	dst = append(dst, community...)
	dst = append(dst, '/')
	var digits [seqDigits]byte
	n := strconv.AppendUint(digits[:0], seq, 10)
	for range seqDigits - len(n) {
		dst = append(dst, '0')
	}
	return append(dst, n...)
}

// parseSeq returns the seq of an entry key under prefix (entryPrefix +
// community + "/"); false for any other key under it.
func parseSeq(k []byte, prefix string) (uint64, bool) {
	if len(k) != len(prefix)+seqDigits || string(k[:len(prefix)]) != prefix {
		return 0, false
	}
	var seq uint64
	for _, b := range k[len(prefix):] {
		d := uint64(b - '0')
		if b < '0' || b > '9' || seq > (math.MaxUint64-d)/10 {
			return 0, false
		}
		seq = seq*10 + d
	}
	return seq, seq > 0
}

// HeadKey is where versions before the binary form kept a head pointer to
// community's last entry. Append no longer writes it; Verify still checks
// one that is there (see the package doc).
func HeadKey(community string) []byte { return []byte(headPrefix + community) }

// head is the legacy head pointer's value.
type head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// readHead reads the legacy head pointer; ok is false when there is none.
// A pointer that does not decode is a decodeErr, a failed read is err.
func readHead(s bot.Store, community string) (h head, ok bool, decodeErr, err error) {
	v, err := s.Get(HeadKey(community))
	if err != nil {
		return h, false, nil, fmt.Errorf("audit: read head pointer of %s: %w", community, err)
	}
	if v == nil {
		return h, false, nil, nil
	}
	return h, true, json.Unmarshal(v, &h), nil
}

// Canonical returns the bytes that Hash is the sha256 of (see the package
// doc).
func (e Entry) Canonical() []byte { return e.Form.canonical(nil, e) }

func (e Entry) Sum() string {
	s := sha256.Sum256(e.Canonical())
	return hex.EncodeToString(s[:])
}

// Chain is the head of one community's chain. It is not safe for
// concurrent use: the engine appends under its own lock.
type Chain struct {
	community string
	seq       uint64
	hash      string
}

// lastEntry finds the last key under prefix and its value (nil when there
// is none): with one reverse seek when the store can, else by scanning.
func lastEntry(s bot.Store, prefix []byte) (key, value []byte, err error) {
	if lf, ok := s.(bot.LastFinder); ok {
		return lf.Last(prefix)
	}
	err = s.Scan(prefix, func(k, v []byte) (bool, error) {
		// Copied into reused buffers: the store may reuse its own.
		key, value = append(key[:0], k...), append(value[:0], v...)
		return true, nil
	})
	return key, value, err
}

// LoadChain reads the head of a community's chain: its last entry (an
// empty chain when there is none). It does not rehash the chain (Verify
// does), but refuses a last entry that does not check out against its own
// hash and the hash of the entry before it, since appending to it would
// link new entries to a broken chain; and, for data written by earlier
// versions, a head pointer that names an entry beyond the last one.
func LoadChain(s bot.Store, community string) (*Chain, error) {
	c := &Chain{community: community}
	prefix := entryPrefix + community + "/"
	k, v, err := lastEntry(s, []byte(prefix))
	if err != nil {
		return nil, fmt.Errorf("audit: find the last entry of %s: %w", community, err)
	}
	var last Entry
	if k != nil {
		seq, ok := parseSeq(k, prefix)
		if !ok {
			return nil, fmt.Errorf("社区 %s 的审计日志里有无法识别的键 %q，请运行 yishi audit verify 检查 / "+
				"audit log of %s has an unrecognised key %q; run yishi audit verify", community, k, community, k)
		}
		if last, err = loadLast(s, community, seq, v); err != nil {
			return nil, err
		}
	}
	h, ok, decodeErr, err := readHead(s, community)
	if err != nil {
		return nil, err
	}
	if ok && decodeErr != nil {
		return nil, fmt.Errorf("社区 %s 的审计链头指针无法解析，请运行 yishi audit verify 检查 / "+
			"audit head pointer of %s cannot be decoded (%v); run yishi audit verify", community, community, decodeErr)
	}
	// The head pointer of earlier versions can be behind the last entry
	// (Append no longer updates it) but never beyond it.
	if ok && (h.Seq > last.Seq || h.Seq == last.Seq && h.Hash != last.Hash) {
		return nil, fmt.Errorf("社区 %s 的审计链头指针（第%d条）与存储的最后一条（第%d条）不符，请运行 yishi audit verify 检查 / "+
			"audit head pointer of %s (entry %d) does not match the last stored entry (%d); run yishi audit verify",
			community, h.Seq, last.Seq, community, h.Seq, last.Seq)
	}
	c.seq, c.hash = last.Seq, last.Hash
	return c, nil
}

// loadLast decodes entry seq (value v), the last of community's chain, and
// checks its hash. A binary entry does not store Prev, so the entry before
// it is read for its hash.
func loadLast(s bot.Store, community string, seq uint64, v []byte) (Entry, error) {
	var prev string
	if !isLegacy(v) && seq > 1 {
		pv, err := s.Get(Key(community, seq-1))
		if err != nil {
			return Entry{}, fmt.Errorf("audit: read entry %d of %s: %w", seq-1, community, err)
		}
		pe, err := decodeEntry(community, seq-1, "", pv)
		if pv == nil || err != nil {
			return Entry{}, fmt.Errorf("社区 %s 的审计日志第%d条缺失或无法解析，请运行 yishi audit verify 检查 / "+
				"audit log of %s: entry %d is missing or cannot be decoded; run yishi audit verify",
				community, seq-1, community, seq-1)
		}
		prev = pe.Hash
	}
	e, err := decodeEntry(community, seq, prev, v)
	if err != nil || e.Seq != seq || e.Community != community || e.Sum() != e.Hash {
		return Entry{}, fmt.Errorf("社区 %s 的审计日志最后一条（第%d条）与它的哈希不符，请运行 yishi audit verify 检查 / "+
			"the last audit entry of %s (entry %d) does not match its hash; run yishi audit verify",
			community, seq, community, seq)
	}
	return e, nil
}

// Community is the chain's community id.
func (c *Chain) Community() string { return c.community }

// Head is the last sequence number and hash (0 and "" for an empty chain).
func (c *Chain) Head() (seq uint64, hash string) { return c.seq, c.hash }

// Append seals e as the next entry in the JCS form (setting Community,
// Seq, Prev, Hash and Form, At to UTC, texts to valid UTF-8), advances the
// head in memory and returns the sealed entry and the one write (the entry) that the caller must commit with the state
// change it records. If that commit fails the in-memory head is ahead of
// the disk: reload the chain with LoadChain (the engine stops instead).
//
// It runs once per vote under the engine lock: no reflection, one buffer
// for the key and the value.
func (c *Chain) Append(e Entry) (sealed Entry, writes []bot.KV) {
	e.Community = c.community
	e.Seq = c.seq + 1
	e.Prev = c.hash
	kn := keyLen(c.community)
	e, buf := appendSealed(appendKey(make([]byte, 0, kn+sealedSize(e)), c.community, e.Seq), e)
	c.seq, c.hash = e.Seq, e.Hash
	// The key is capped so that appending to it cannot overwrite the value.
	return e, []bot.KV{{Key: buf[:kn:kn], Value: buf[kn:]}}
}

// Report is what Verify found.
type Report struct {
	Entries     int    // entries stored for the community
	OK          bool   // every hash, link, anchor and the legacy head pointer check out
	FirstBroken uint64 // seq of the first problem (0 when OK)
	Problem     string // Chinese and English: which seq, what is wrong
	Head        Anchor // the last entry (zero for an empty chain), to compare with copies kept outside
}

// Verify recomputes every hash and link of a community's chain in order and
// checks a legacy head pointer if there is one. A broken chain is a Report
// with OK false, not an error; the error is for failing to read the store.
//
// Removing the last entries of a chain is not a break by itself (see the
// package doc): anchors, copies of entries' hashes kept outside (Anchor),
// are checked too, and one naming an entry that is gone or a different
// hash is a break.
func Verify(s bot.Store, community string, anchors ...Anchor) (Report, error) {
	r := Report{OK: true}
	fail := func(seq uint64, zh, en string) {
		if r.OK {
			r.OK, r.FirstBroken, r.Problem = false, seq, zh+" / "+en
		}
	}
	// Read first, so the scan can note the hash of the entry it names.
	h, hasHead, headErr, err := readHead(s, community)
	if err != nil {
		return r, err
	}
	var headEntryHash string
	var prev string
	var want uint64 = 1 // next expected seq
	prefix := entryPrefix + community + "/"
	err = s.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		r.Entries++
		if !r.OK {
			return true, nil // only count the rest
		}
		seq, ok := parseSeq(k, prefix)
		if !ok {
			fail(want, fmt.Sprintf("第%d条的位置上是无法识别的键 %q", want, k),
				fmt.Sprintf("entry %d: unrecognised key %q", want, k))
			return true, nil
		}
		if seq != want {
			fail(want, fmt.Sprintf("缺少第%d条（下一条是第%d条）", want, seq),
				fmt.Sprintf("entry %d is missing (next stored is %d)", want, seq))
			return true, nil
		}
		e, err := decodeEntry(community, seq, prev, v)
		if err != nil {
			fail(seq, fmt.Sprintf("第%d条无法解析", seq), fmt.Sprintf("entry %d cannot be decoded: %v", seq, err))
			return true, nil
		}
		// A binary entry takes Seq, Community and Prev from its place, so
		// only the hash can show that it was moved.
		switch legacy := isLegacy(v); {
		case e.Seq != seq:
			fail(seq, fmt.Sprintf("第%d条位置上存的是序号为%d的记录，记录被移动或调换过", seq, e.Seq),
				fmt.Sprintf("entry %d: stored entry says seq %d (moved or reordered)", seq, e.Seq))
		case e.Community != community:
			fail(seq, fmt.Sprintf("第%d条属于社区 %q", seq, e.Community),
				fmt.Sprintf("entry %d belongs to community %q", seq, e.Community))
		case e.Prev != prev:
			fail(seq, fmt.Sprintf("第%d条记下的上一条哈希与第%d条的哈希不符", seq, seq-1),
				fmt.Sprintf("entry %d: prev mismatch with the hash of entry %d", seq, seq-1))
		case e.Sum() != e.Hash && legacy:
			fail(seq, fmt.Sprintf("第%d条的内容与它的哈希不符，记录被改动过", seq),
				fmt.Sprintf("entry %d: hash mismatch, the entry was altered", seq))
		case e.Sum() != e.Hash:
			fail(seq, fmt.Sprintf("第%d条的内容与它的哈希不符，记录被改动、移动或调换过，或者上一条被替换过", seq),
				fmt.Sprintf("entry %d: hash mismatch, the entry was altered, moved or reordered, or the entry before it replaced", seq))
		}
		if hasHead && seq == h.Seq {
			headEntryHash = e.Hash
		}
		for _, a := range anchors {
			if a.Seq == seq && r.OK && !strings.HasPrefix(e.Hash, a.HashPrefix) {
				fail(seq, fmt.Sprintf("第%d条的哈希与存证 %s 不符，这一条或它之前的记录被改动过", seq, a),
					fmt.Sprintf("entry %d: hash differs from the anchor %s kept outside; it or an entry before it was altered", seq, a.HashPrefix))
			}
		}
		prev, want = e.Hash, seq+1
		return true, nil
	})
	if err != nil {
		return r, fmt.Errorf("audit: scan log of %s: %w", community, err)
	}
	if r.OK && hasHead {
		checkHead(h, headErr, want-1, headEntryHash, fail)
	}
	for _, a := range anchors {
		if r.OK && a.Seq >= want {
			fail(want, fmt.Sprintf("存证 %s 指向的第%d条不在日志里：第%d条起的记录被删除过", a, a.Seq, want),
				fmt.Sprintf("anchor %d:%s names an entry past the last one: entries from %d on were removed", a.Seq, a.HashPrefix, want))
		}
	}
	if r.OK && want > 1 {
		r.Head = Anchor{Seq: want - 1, HashPrefix: prev}
	}
	return r, nil
}

// checkHead checks a legacy head pointer h against a chain whose last entry
// is last; headEntryHash is the hash of the entry h names. A pointer behind
// the last entry is normal: Append stopped updating it.
func checkHead(h head, decodeErr error, last uint64, headEntryHash string, fail func(seq uint64, zh, en string)) {
	switch {
	case decodeErr != nil:
		fail(last+1, fmt.Sprintf("链头指针无法解析，无法确认第%d条起的记录是否缺失", last+1),
			fmt.Sprintf("head pointer cannot be decoded, entries from %d on may be missing: %v", last+1, decodeErr))
	case h.Seq > last:
		fail(last+1, fmt.Sprintf("链头指针指向第%d条，但第%d条起的记录缺失", h.Seq, last+1),
			fmt.Sprintf("head pointer mismatch: it names entry %d but entries from %d on are missing", h.Seq, last+1))
	case h.Seq > 0 && h.Hash != headEntryHash:
		fail(h.Seq, fmt.Sprintf("链头指针记下的哈希与第%d条不符", h.Seq),
			fmt.Sprintf("head pointer mismatch: its hash differs from entry %d", h.Seq))
	}
}

// Export is ExportJCS.
func Export(s bot.Store, community string, w io.Writer) error { return ExportJCS(s, community, w) }

// Communities lists, sorted, the communities that have an audit chain:
// entries or a legacy head pointer (so deleting every entry does not hide a
// chain from verification).
func Communities(s bot.Store) ([]string, error) {
	seen := map[string]bool{}
	err := s.Scan([]byte(headPrefix), func(k, _ []byte) (bool, error) {
		seen[strings.TrimPrefix(string(k), headPrefix)] = true
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit: list chains: %w", err)
	}
	err = s.Scan([]byte(entryPrefix), func(k, _ []byte) (bool, error) {
		rest := strings.TrimPrefix(string(k), entryPrefix)
		if i := strings.LastIndexByte(rest, '/'); i > 0 {
			seen[rest[:i]] = true
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit: list chains: %w", err)
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out, nil
}
