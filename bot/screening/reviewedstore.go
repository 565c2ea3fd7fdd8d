package screening

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/yishi-community/yishi/bot"
)

// ReviewKey is the store key of a reviewed example:
// reviewed/<community>/<id>.
func ReviewKey(community, id string) []byte {
	return []byte("reviewed/" + community + "/" + id)
}

// ReviewWrites returns the batch that stores ex for community (JSON
// value). The app puts it in the same batch as the review action, so that
// the example survives exactly when the decision does.
func ReviewWrites(community string, ex ReviewedExample) []bot.KV {
	ex.Community = ""
	v, err := json.Marshal(ex)
	if err != nil {
		// Strings, ints and a slice of ints always marshal.
		panic(err)
	}
	return []bot.KV{{Key: ReviewKey(community, ex.ID), Value: v}}
}

// LoadReviewed learns every stored reviewed example of community into sc
// and returns how many. A malformed or invalid value is an error naming
// its key.
func LoadReviewed(s bot.Store, community string, sc *Screener) (int, error) {
	n := 0
	err := s.Scan([]byte("reviewed/"+community+"/"), func(key, value []byte) (bool, error) {
		var ex ReviewedExample
		if err := json.Unmarshal(value, &ex); err != nil {
			return false, fmt.Errorf("decode %s: %w", key, err)
		}
		if err := sc.Learn(community, ex); err != nil {
			return false, fmt.Errorf("%s: %w", key, err)
		}
		n++
		return true, nil
	})
	if err != nil {
		return n, fmt.Errorf("load reviewed examples: %w", err)
	}
	return n, nil
}

// StoredReviewed reads community's reviewed examples from the store
// (for export), in key order.
func StoredReviewed(s bot.Store, community string) ([]ReviewedExample, error) {
	var out []ReviewedExample
	err := s.Scan([]byte("reviewed/"+community+"/"), func(key, value []byte) (bool, error) {
		var ex ReviewedExample
		if err := json.Unmarshal(value, &ex); err != nil {
			return false, fmt.Errorf("decode %s: %w", key, err)
		}
		out = append(out, ex)
		return true, nil
	})
	return out, err
}

// WriteReviewedJSONL writes examples as JSONL, one object per line, each
// stamped with community so that a shared file says where it was decided.
func WriteReviewedJSONL(w io.Writer, community string, exs []ReviewedExample) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, ex := range exs {
		ex.Community = community
		if err := enc.Encode(ex); err != nil {
			return fmt.Errorf("write reviewed examples: %w", err)
		}
	}
	return nil
}

// IsReviewedJSONL reports whether data is a file of reviewed examples
// (its first object has a "kind"), not of past resolutions.
func IsReviewedJSONL(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var probe map[string]json.RawMessage
		if json.Unmarshal(line, &probe) != nil {
			return false
		}
		_, ok := probe["kind"]
		return ok
	}
	return false
}

// ParseReviewed reads reviewed examples from JSONL. It returns the good
// rows and every bad row with its line number; err is for unreadable
// input only.
func ParseReviewed(name string, r io.Reader) ([]ReviewedExample, []RowError, error) {
	data, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var good []ReviewedExample
	var bad []RowError
	seen := map[string]int{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		row := i + 1
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var ex ReviewedExample
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ex); err != nil {
			bad = append(bad, RowError{row, "不是有效的审定记录 JSON 对象：" + err.Error()})
			continue
		}
		if err := ex.Validate(); err != nil {
			bad = append(bad, RowError{row, err.Error()})
			continue
		}
		key := ex.Community + "\x00" + ex.ID
		if prev, dup := seen[key]; dup {
			bad = append(bad, RowError{row, fmt.Sprintf("编号 %q 与第 %d 行重复", ex.ID, prev)})
			continue
		}
		seen[key] = row
		good = append(good, ex)
	}
	return good, bad, nil
}

// ImportedID is the ID an example from another community gets when it is
// merged into community: prefixed with its origin, so that it never
// replaces one of community's own decisions.
func ImportedID(community string, ex ReviewedExample) string {
	if ex.Community == "" || ex.Community == community {
		return ex.ID
	}
	return ex.Community + ":" + ex.ID
}
