package audit

import (
	"bufio"
	"fmt"
	"io"

	"github.com/yishi-community/yishi/bot"
)

// ExportJCS writes community's chain to w for an outside auditor: one line
// per entry, in order, each the RFC 8785 (JCS) canonical JSON of the entry
// with its hash and the number "v" of the form that hash covers (the
// package doc has the recipe to check both). Like Export it does not
// verify the chain, so that an auditor sees what is stored, but stops at a
// value it cannot turn into a line (an unrecognised key, an entry that
// does not decode), after writing the lines before it.
func ExportJCS(s bot.Store, community string, w io.Writer) error {
	bw := bufio.NewWriter(w)
	prefix := entryPrefix + community + "/"
	var prev string
	var line []byte
	err := s.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		seq, ok := parseSeq(k, prefix)
		if !ok {
			return false, fmt.Errorf("审计日志里有无法识别的键 %q，请运行 yishi audit verify 检查 / "+
				"unrecognised key %q in the audit log; run yishi audit verify", k, k)
		}
		e, f, err := decodeStored(community, seq, prev, v)
		if err != nil {
			return false, fmt.Errorf("第%d条无法解析，请运行 yishi audit verify 检查 / entry %d cannot be decoded: %w; run yishi audit verify",
				seq, seq, err)
		}
		line = append(appendExportLine(line[:0], e, f), '\n')
		if _, err := bw.Write(line); err != nil {
			return false, err
		}
		prev = e.Hash
		return true, nil
	})
	// Flush what was written either way: the lines before a bad entry
	// still help the auditor.
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("audit: export %s: %w", community, err)
	}
	return nil
}
