package audit

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// An Anchor is a copy of one entry's position and hash kept outside the
// data directory: the engine prints one in every published result (公示),
// so the group's chat history holds it. A chain cannot show by itself that
// its last entries were removed; an anchor naming an entry that is gone,
// or a different hash, does (Verify).
type Anchor struct {
	Seq        uint64
	HashPrefix string // lowercase hex, at least anchorMinHex characters
}

// anchorHex is how much of the hash a published anchor shows: 64 bits,
// short enough for a chat message, far too many to forge a matching chain.
const (
	anchorHex    = 16
	anchorMinHex = 8
)

// FormatAnchor is the anchor text printed in chats: "第12条·1a2b3c4d5e6f7a8b".
func FormatAnchor(seq uint64, hash string) string {
	return Anchor{Seq: seq, HashPrefix: hash[:min(len(hash), anchorHex)]}.String()
}

var anchorRE = regexp.MustCompile(`^(?:第)?\s*(\d+)\s*(?:条)?\s*[·:：.\s]\s*([0-9a-fA-F]+)$`)

// ParseAnchor reads an anchor as FormatAnchor writes it, or as "12:1a2b3c4d".
func ParseAnchor(s string) (Anchor, error) {
	m := anchorRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Anchor{}, fmt.Errorf("无法识别的存证 %q，应写成「第12条·1a2b3c4d5e6f7a8b」或「12:1a2b3c4d5e6f7a8b」", s)
	}
	seq, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil || seq == 0 {
		return Anchor{}, fmt.Errorf("存证 %q 的条目序号无效", s)
	}
	if len(m[2]) < anchorMinHex || len(m[2]) > 64 {
		return Anchor{}, fmt.Errorf("存证 %q 的哈希应有 %d 到 64 位十六进制数字", s, anchorMinHex)
	}
	return Anchor{Seq: seq, HashPrefix: strings.ToLower(m[2])}, nil
}

// String prints the anchor with all of its hash prefix (FormatAnchor
// shortens a whole hash).
func (a Anchor) String() string { return fmt.Sprintf("第%d条·%s", a.Seq, a.HashPrefix) }
