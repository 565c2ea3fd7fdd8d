package screening

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// DecisionKey is the store key of a decision: decision/<community>/<id>.
func DecisionKey(community, id string) []byte {
	return []byte("decision/" + community + "/" + id)
}

// DecisionWrites returns the batch that stores d for community (JSON value).
func DecisionWrites(community string, d Decision) []bot.KV {
	v, err := json.Marshal(d)
	if err != nil {
		// A struct of four strings always marshals.
		panic(err)
	}
	return []bot.KV{{Key: DecisionKey(community, d.ID), Value: v}}
}

// LoadArchive adds every stored decision of community to sc and returns
// how many it added. A malformed value is an error naming its key.
func LoadArchive(s bot.Store, community string, sc *Screener) (int, error) {
	n := 0
	prefix := []byte("decision/" + community + "/")
	err := s.Scan(prefix, func(key, value []byte) (bool, error) {
		var d Decision
		if err := json.Unmarshal(value, &d); err != nil {
			return false, fmt.Errorf("decode %s: %w", key, err)
		}
		sc.AddDecision(d)
		n++
		return true, nil
	})
	if err != nil {
		return n, fmt.Errorf("load decision archive: %w", err)
	}
	return n, nil
}

// RowError is a bad row of an import file.
type RowError struct {
	Row int // 1-based line (JSONL) or record number counting the header (CSV)
	Msg string
}

func (e RowError) Error() string { return fmt.Sprintf("第 %d 行：%s", e.Row, e.Msg) }

// ParseDecisions reads decisions from JSONL (one object per line with id,
// title, text, decided_on) or CSV (a header row naming those columns; the
// Chinese names 编号, 标题, 内容, 日期 are accepted too). The format is
// taken from the name's extension, else sniffed from the first byte. It
// returns the good rows and every bad row with its row number; err is for
// unreadable input only.
func ParseDecisions(name string, r io.Reader) ([]Decision, []RowError, error) {
	data, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // BOM from spreadsheet exports
	lower := strings.ToLower(name)
	isCSV := strings.HasSuffix(lower, ".csv")
	if !isCSV && !strings.HasSuffix(lower, ".jsonl") && !strings.HasSuffix(lower, ".json") {
		isCSV = len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] != '{'
	}
	var good []Decision
	var bad []RowError
	seen := map[string]int{}
	accept := func(row int, d Decision) {
		d.ID, d.Title, d.Text, d.DecidedOn = strings.TrimSpace(d.ID), strings.TrimSpace(d.Title), strings.TrimSpace(d.Text), strings.TrimSpace(d.DecidedOn)
		if msg := validateDecision(d); msg != "" {
			bad = append(bad, RowError{row, msg})
			return
		}
		if prev, dup := seen[d.ID]; dup {
			bad = append(bad, RowError{row, fmt.Sprintf("编号 %q 与第 %d 行重复", d.ID, prev)})
			return
		}
		seen[d.ID] = row
		good = append(good, d)
	}
	if isCSV {
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		header, err := cr.Read()
		if err != nil {
			return nil, []RowError{{1, "缺少表头（需要 id,title,text,decided_on 列）"}}, nil
		}
		cols := map[string]int{}
		for i, h := range header {
			cols[csvColumn(h)] = i
		}
		for _, c := range []string{"id", "title", "decided_on"} {
			if _, ok := cols[c]; !ok {
				return nil, []RowError{{1, fmt.Sprintf("表头缺少 %s 列", c)}}, nil
			}
		}
		get := func(rec []string, c string) string {
			if i, ok := cols[c]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		for row := 2; ; row++ {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					bad = append(bad, RowError{pe.StartLine, "CSV 格式错误：" + pe.Err.Error()})
					row = pe.StartLine
					continue
				}
				return nil, nil, fmt.Errorf("read %s: %w", name, err)
			}
			line, _ := cr.FieldPos(0)
			accept(line, Decision{ID: get(rec, "id"), Title: get(rec, "title"), Text: get(rec, "text"), DecidedOn: get(rec, "decided_on")})
		}
		return good, bad, nil
	}
	for i, line := range bytes.Split(data, []byte("\n")) {
		row := i + 1
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var d Decision
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			bad = append(bad, RowError{row, "不是有效的 JSON 对象（需要 id,title,text,decided_on）：" + err.Error()})
			continue
		}
		accept(row, d)
	}
	return good, bad, nil
}

func csvColumn(h string) string {
	switch strings.ToLower(strings.TrimSpace(h)) {
	case "id", "编号", "序号":
		return "id"
	case "title", "标题", "议题", "事项":
		return "title"
	case "text", "内容", "决议内容", "正文":
		return "text"
	case "decided_on", "date", "日期", "表决日期", "通过日期":
		return "decided_on"
	}
	return strings.ToLower(strings.TrimSpace(h))
}

func validateDecision(d Decision) string {
	switch {
	case d.ID == "":
		return "缺少编号 id"
	case strings.ContainsAny(d.ID, "/\n"):
		return fmt.Sprintf("编号 %q 不能含有 / 或换行", d.ID)
	case d.Title == "":
		return "缺少标题 title"
	case d.DecidedOn == "":
		return "缺少表决日期 decided_on"
	}
	if _, err := time.Parse("2006-01-02", d.DecidedOn); err != nil {
		return fmt.Sprintf("日期 %q 格式不对，应为 YYYY-MM-DD", d.DecidedOn)
	}
	if len(d.Title)+len(d.Text) > 64<<10 {
		return "内容过长（超过 64 KB）"
	}
	return ""
}
