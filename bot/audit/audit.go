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
//	audit/<community>/<seq, 20 digits zero-padded>  the entry, JSON (the Entry tags)
//	audithead/<community>                          {"seq":N,"hash":"…"} of the last entry
//
// Community ids must not contain "/". The entry and the head pointer are
// written in the same batch, so they never disagree after a crash.
//
// # Canonical form (for an outside auditor)
//
// Hash is the lowercase hex sha256 of the canonical bytes of the entry: a
// JSON object with exactly these keys in this order, no whitespace, UTF-8
// text unescaped (no \uXXXX for non-ASCII, no HTML escaping of < > &):
//
//	{"seq":N,"community":"…","at":"…","actor":"…","action":"…","topic":"…","detail":"…","prev":"…","hash":""}
//
// "at" is the time in UTC in RFC 3339 with nanoseconds and trailing zeros
// of the fraction dropped (Go's time.RFC3339Nano), e.g.
// "2026-11-28T04:15:06.1Z"; the stored entry holds exactly that string.
// "prev" is the previous entry's hash ("" for seq 1) and "hash" is "".
// Strings follow Go's encoding/json escaping: " and \ escaped, \n \r \t as
// such, other control characters as \u00XX, U+2028/U+2029 as \u2028/\u2029.
// For text without those rare characters this equals Python's
//
//	e = json.loads(stored_value); e["hash"] = ""
//	keys = ["seq","community","at","actor","action","topic","detail","prev","hash"]
//	body = json.dumps({k: e[k] for k in keys}, ensure_ascii=False, separators=(",", ":"))
//	hashlib.sha256(body.encode()).hexdigest() == stored hash
//
// A hash chain cannot by itself reveal that its last entries were removed
// together with a rewritten head pointer: publish the head hash (Chain.Head)
// somewhere outside the data directory, e.g. with each published result, to
// anchor it.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"yishi/bot"
)

// Entry is one audited state change.
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
}

const (
	entryPrefix = "audit/"
	headPrefix  = "audithead/"
	seqDigits   = 20
)

// Key is where entry seq of community is stored.
func Key(community string, seq uint64) []byte {
	return fmt.Appendf(nil, "%s%s/%0*d", entryPrefix, community, seqDigits, seq)
}

// HeadKey is where the head pointer of community's chain is stored.
func HeadKey(community string) []byte { return []byte(headPrefix + community) }

// Canonical returns the bytes that Hash is the sha256 of (see the package
// doc).
func (e Entry) Canonical() []byte { return appendCanonical(nil, e, "") }

func (e Entry) Sum() string {
	s := sha256.Sum256(e.Canonical())
	return hex.EncodeToString(s[:])
}

// marshal is compact JSON without HTML escaping, so an auditor's JSON
// library gives the same bytes.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("audit: marshal: %v", err)) // strings and numbers always marshal
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

type head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// Chain is the head of one community's chain. It is not safe for
// concurrent use: the engine appends under its own lock.
type Chain struct {
	community string
	seq       uint64
	hash      string
}

// LoadChain reads the head of a community's chain: the head pointer and the
// last entry it names (an empty chain when there is neither). It does not
// rehash the chain (Verify does), but refuses a head pointer that does not
// match the stored last entry, since appending to it would link new entries
// to nothing.
func LoadChain(s bot.Store, community string) (*Chain, error) {
	c := &Chain{community: community}
	v, err := s.Get(HeadKey(community))
	if err != nil {
		return nil, fmt.Errorf("audit: read head of %s: %w", community, err)
	}
	if v == nil {
		// Entries without a head pointer mean the head was deleted.
		found := false
		if err := s.Scan([]byte(entryPrefix+community+"/"), func(_, _ []byte) (bool, error) {
			found = true
			return false, nil
		}); err != nil {
			return nil, fmt.Errorf("audit: look for entries of %s: %w", community, err)
		}
		if found {
			return nil, fmt.Errorf("社区 %s 的审计日志缺少链头指针，请运行 yishi audit verify 检查 / "+
				"audit log of %s has entries but no head pointer; run yishi audit verify", community, community)
		}
		return c, nil
	}
	var h head
	if err := json.Unmarshal(v, &h); err != nil {
		return nil, fmt.Errorf("audit: decode head of %s: %w", community, err)
	}
	last, err := s.Get(Key(community, h.Seq))
	if err != nil {
		return nil, fmt.Errorf("audit: read entry %d of %s: %w", h.Seq, community, err)
	}
	var e Entry
	if last == nil || json.Unmarshal(last, &e) != nil || e.Seq != h.Seq || e.Hash != h.Hash || e.Sum() != e.Hash {
		return nil, fmt.Errorf("社区 %s 的审计链头指针（第%d条）与存储的最后一条不符，请运行 yishi audit verify 检查 / "+
			"audit head pointer of %s (entry %d) does not match the stored entry; run yishi audit verify",
			community, h.Seq, community, h.Seq)
	}
	c.seq, c.hash = h.Seq, h.Hash
	return c, nil
}

// Community is the chain's community id.
func (c *Chain) Community() string { return c.community }

// Head is the last sequence number and hash (0 and "" for an empty chain).
func (c *Chain) Head() (seq uint64, hash string) { return c.seq, c.hash }

// Append seals e as the next entry (setting Community, Seq, Prev and Hash,
// and At to UTC), advances the head in memory and returns the sealed entry
// and the writes (the entry and the head pointer) that the caller must
// commit in one batch. If that commit fails the in-memory head is ahead of
// the disk: reload the chain with LoadChain (the engine stops instead).
func (c *Chain) Append(e Entry) (sealed Entry, writes []bot.KV) {
	e.Community = c.community
	e.Seq = c.seq + 1
	e.Prev = c.hash
	e.At = e.At.UTC()
	canon := appendCanonical(make([]byte, 0, 256), e, "")
	sum := sha256.Sum256(canon)
	e.Hash = hex.EncodeToString(sum[:])
	c.seq, c.hash = e.Seq, e.Hash
	// The stored entry is its canonical form with the hash filled in.
	value := append(canon[:len(canon)-len(`"hash":""}`)], `"hash":"`+e.Hash+`"}`...)
	return e, []bot.KV{
		{Key: Key(c.community, e.Seq), Value: value},
		{Key: HeadKey(c.community), Value: marshal(head{Seq: e.Seq, Hash: e.Hash})},
	}
}

// Report is what Verify found.
type Report struct {
	Entries     int    // entries stored for the community
	OK          bool   // every hash, link and the head pointer check out
	FirstBroken uint64 // seq of the first problem (0 when OK)
	Problem     string // Chinese and English: which seq, what is wrong
}

// Verify recomputes every hash and link of a community's chain in order and
// checks the head pointer. A broken chain is a Report with OK false, not an
// error; the error is for failing to read the store.
func Verify(s bot.Store, community string) (Report, error) {
	r := Report{OK: true}
	fail := func(seq uint64, zh, en string) {
		if r.OK {
			r.OK, r.FirstBroken, r.Problem = false, seq, zh+" / "+en
		}
	}
	var prev string
	var want uint64 = 1 // next expected seq
	prefix := entryPrefix + community + "/"
	err := s.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		r.Entries++
		if !r.OK {
			return true, nil // only count the rest
		}
		rest := strings.TrimPrefix(string(k), prefix)
		seq, perr := strconv.ParseUint(rest, 10, 64)
		if perr != nil || len(rest) != seqDigits {
			fail(want, fmt.Sprintf("第%d条的位置上是无法识别的键 %q", want, k),
				fmt.Sprintf("entry %d: unrecognised key %q", want, k))
			return true, nil
		}
		if seq != want {
			fail(want, fmt.Sprintf("缺少第%d条（下一条是第%d条）", want, seq),
				fmt.Sprintf("entry %d is missing (next stored is %d)", want, seq))
			return true, nil
		}
		var e Entry
		if err := json.Unmarshal(v, &e); err != nil {
			fail(seq, fmt.Sprintf("第%d条无法解析", seq), fmt.Sprintf("entry %d cannot be decoded: %v", seq, err))
			return true, nil
		}
		switch {
		case e.Seq != seq:
			fail(seq, fmt.Sprintf("第%d条位置上存的是序号为%d的记录，记录被移动或调换过", seq, e.Seq),
				fmt.Sprintf("entry %d: stored entry says seq %d (moved or reordered)", seq, e.Seq))
		case e.Community != community:
			fail(seq, fmt.Sprintf("第%d条属于社区 %q", seq, e.Community),
				fmt.Sprintf("entry %d belongs to community %q", seq, e.Community))
		case e.Prev != prev:
			fail(seq, fmt.Sprintf("第%d条记下的上一条哈希与第%d条的哈希不符", seq, seq-1),
				fmt.Sprintf("entry %d: prev mismatch with the hash of entry %d", seq, seq-1))
		case e.Sum() != e.Hash:
			fail(seq, fmt.Sprintf("第%d条的内容与它的哈希不符，记录被改动过", seq),
				fmt.Sprintf("entry %d: hash mismatch, the entry was altered", seq))
		}
		prev, want = e.Hash, seq+1
		return true, nil
	})
	if err != nil {
		return r, fmt.Errorf("audit: scan log of %s: %w", community, err)
	}
	if r.OK {
		if err := checkHead(s, community, want-1, prev, fail); err != nil {
			return r, err
		}
	}
	return r, nil
}

// checkHead compares the head pointer with the last entry (seq last, hash
// lastHash; 0 and "" for none).
func checkHead(s bot.Store, community string, last uint64, lastHash string, fail func(seq uint64, zh, en string)) error {
	v, err := s.Get(HeadKey(community))
	if err != nil {
		return fmt.Errorf("audit: read head of %s: %w", community, err)
	}
	if v == nil {
		if last > 0 {
			fail(last, fmt.Sprintf("缺少链头指针（最后一条是第%d条）", last),
				fmt.Sprintf("head pointer missing (last entry is %d)", last))
		}
		return nil
	}
	var h head
	if err := json.Unmarshal(v, &h); err != nil {
		fail(last+1, "链头指针无法解析", fmt.Sprintf("head pointer cannot be decoded: %v", err))
		return nil
	}
	switch {
	case h.Seq > last:
		fail(last+1, fmt.Sprintf("链头指针指向第%d条，但第%d条起的记录缺失", h.Seq, last+1),
			fmt.Sprintf("head pointer mismatch: it names entry %d but entries from %d on are missing", h.Seq, last+1))
	case h.Seq < last:
		fail(h.Seq+1, fmt.Sprintf("链头指针指向第%d条，但其后还有第%d至%d条", h.Seq, h.Seq+1, last),
			fmt.Sprintf("head pointer mismatch: it names entry %d but entries %d to %d follow it", h.Seq, h.Seq+1, last))
	case h.Hash != lastHash:
		fail(last, fmt.Sprintf("链头指针记下的哈希与第%d条不符", last),
			fmt.Sprintf("head pointer mismatch: its hash differs from entry %d", last))
	}
	return nil
}

// Communities lists, sorted, the communities that have an audit chain:
// entries or a head pointer (so deleting either one does not hide a chain
// from verification).
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
