// Package audit is the per-community hash-chained audit log. Every state
// change appends an Entry that carries the sha256 of the previous entry, so
// that an edited, deleted or reordered entry breaks the chain and Verify
// reports where.
//
// Detail is public: for secret ballots the engine never puts the choice in
// it.
//
// Canonical form, for an outside auditor: Hash is the lowercase hex sha256
// of the JSON encoding (Go encoding/json, fields in the order below, no
// extra spaces) of the entry with Hash set to "" and At in UTC formatted as
// RFC 3339 with nanoseconds.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	Detail    string    `json:"detail"`
	Prev      string    `json:"prev"`
	Hash      string    `json:"hash"`
}

// Key is where entry seq of community is stored.
func Key(community string, seq uint64) []byte {
	return fmt.Appendf(nil, "audit/%s/%020d", community, seq)
}

func headKey(community string) []byte { return []byte("audithead/" + community) }

// Sum computes the entry's canonical hash.
func (e Entry) Sum() string {
	e.Hash = ""
	e.At = e.At.UTC()
	b, err := json.Marshal(struct {
		Seq       uint64 `json:"seq"`
		Community string `json:"community"`
		At        string `json:"at"`
		Actor     string `json:"actor"`
		Action    string `json:"action"`
		Topic     string `json:"topic"`
		Detail    string `json:"detail"`
		Prev      string `json:"prev"`
		Hash      string `json:"hash"`
	}{e.Seq, e.Community, e.At.Format(time.RFC3339Nano), e.Actor, e.Action, e.Topic, e.Detail, e.Prev, ""})
	if err != nil {
		panic(err) // strings and numbers always marshal
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// Chain is the head of one community's chain.
type Chain struct {
	community string
	seq       uint64
	hash      string
}

// LoadChain reads the head pointer of a community's chain (an empty chain
// when there is none). It does not rehash the chain: Verify does that.
func LoadChain(s bot.Store, community string) (*Chain, error) {
	c := &Chain{community: community}
	v, err := s.Get(headKey(community))
	if err != nil {
		return nil, fmt.Errorf("read audit head of %s: %w", community, err)
	}
	if v != nil {
		var h head
		if err := json.Unmarshal(v, &h); err != nil {
			return nil, fmt.Errorf("decode audit head of %s: %w", community, err)
		}
		c.seq, c.hash = h.Seq, h.Hash
	}
	return c, nil
}

// Head is the last sequence number and hash.
func (c *Chain) Head() (uint64, string) { return c.seq, c.hash }

// Append seals e as the next entry (setting Seq, Prev and Hash), advances
// the head and returns the writes (the entry and the head pointer) that the
// caller commits in its batch.
func (c *Chain) Append(e Entry) (Entry, []bot.KV) {
	e.Community = c.community
	e.Seq = c.seq + 1
	e.Prev = c.hash
	e.At = e.At.UTC()
	e.Hash = e.Sum()
	c.seq, c.hash = e.Seq, e.Hash
	ev, _ := json.Marshal(e)
	hv, _ := json.Marshal(head{Seq: c.seq, Hash: c.hash})
	return e, []bot.KV{{Key: Key(c.community, e.Seq), Value: ev}, {Key: headKey(c.community), Value: hv}}
}

// Report is what Verify found.
type Report struct {
	Entries     int
	OK          bool
	FirstBroken uint64
	Problem     string
}

// Verify recomputes every hash and link of a community's chain in order.
func Verify(s bot.Store, community string) (Report, error) {
	r := Report{OK: true}
	var prev string
	var want uint64 = 1
	fail := func(seq uint64, format string, args ...any) {
		if r.OK {
			r.OK, r.FirstBroken, r.Problem = false, seq, fmt.Sprintf(format, args...)
		}
	}
	prefix := "audit/" + community + "/"
	err := s.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		r.Entries++
		seq, perr := strconv.ParseUint(strings.TrimPrefix(string(k), prefix), 10, 64)
		var e Entry
		if perr != nil || json.Unmarshal(v, &e) != nil {
			fail(want, "第%d条无法解析 (entry %d cannot be decoded)", want, want)
			return false, nil
		}
		switch {
		case seq != want:
			fail(want, "缺少第%d条，下一条是第%d条 (entry %d missing)", want, seq, want)
		case e.Seq != seq:
			fail(seq, "第%d条的序号被改为%d (sequence number altered)", seq, e.Seq)
		case e.Prev != prev:
			fail(seq, "第%d条记录的上一条哈希与第%d条不符 (prev mismatch)", seq, seq-1)
		case e.Sum() != e.Hash:
			fail(seq, "第%d条的内容与它的哈希不符，记录被改动过 (hash mismatch)", seq)
		}
		if !r.OK {
			return false, nil
		}
		prev, want = e.Hash, seq+1
		return true, nil
	})
	if err != nil {
		return r, fmt.Errorf("scan audit log of %s: %w", community, err)
	}
	if r.OK {
		c, err := LoadChain(s, community)
		if err != nil {
			return r, err
		}
		if seq, h := c.Head(); seq != want-1 || h != prev {
			fail(want, "审计链头指针(第%d条)与最后一条(第%d条)不符 (head pointer mismatch)", seq, want-1)
		}
	}
	return r, nil
}

// Communities lists the communities that have an audit chain.
func Communities(s bot.Store) ([]string, error) {
	var out []string
	err := s.Scan([]byte("audithead/"), func(k, _ []byte) (bool, error) {
		out = append(out, strings.TrimPrefix(string(k), "audithead/"))
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list audit chains: %w", err)
	}
	return out, nil
}
