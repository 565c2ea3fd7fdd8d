package audit

import (
	"fmt"

	"github.com/yishi-community/yishi/bot"
)

// Walk calls fn with every entry of community's chain from seq from on, in
// order, each checked against its own hash and linked to the one before
// (an entry that does not is an error naming it: replaying a broken chain
// would rebuild a record nobody can vouch for). It stops at fn's first
// error.
func Walk(s bot.Store, community string, from uint64, fn func(Entry) error) error {
	prefix := entryPrefix + community + "/"
	var prev string
	var want uint64 = 1
	return s.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		seq, ok := parseSeq(k, prefix)
		if !ok {
			return false, fmt.Errorf("社区 %s 的审计日志里有无法识别的键 %q / unrecognised key %q in the audit log of %s", community, k, k, community)
		}
		if seq != want {
			return false, fmt.Errorf("社区 %s 的审计日志缺少第%d条 / audit log of %s: entry %d is missing", community, want, community, want)
		}
		want++
		e, err := decodeEntry(community, seq, prev, v)
		if err != nil || e.Sum() != e.Hash || e.Prev != prev {
			return false, fmt.Errorf("社区 %s 的审计日志第%d条与它的哈希或前一条不符，请运行 yishi audit verify / "+
				"audit log of %s: entry %d does not match its hash or the entry before; run yishi audit verify", community, seq, community, seq)
		}
		prev = e.Hash
		if seq < from {
			return true, nil
		}
		return true, fn(e)
	})
}

// Rewind moves the head back to seq and hash, which must be an earlier head
// of this chain: an action whose events could not all be applied takes its
// entries back before anything was written.
func (c *Chain) Rewind(seq uint64, hash string) { c.seq, c.hash = seq, hash }
