package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
)

// Error is one problem in a community file. Its message is Chinese, for the
// operator who edits the file; Field is the English path of the field
// (roster[3].roles[0]) so the file can be searched for it.
type Error struct {
	File  string
	Line  int    // 1-based; 0 when unknown
	Field string // "" for the file as a whole
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// decodeError turns an error of the YAML parser or decoder into an *Error
// with the line of the offending token and, when the index knows it, the
// field path.
func decodeError(file string, idx *astIndex, err error) *Error {
	e := &Error{File: file}
	if errors.Is(err, yaml.ErrExceededMaxDepth) {
		e.Msg = "嵌套层次太深，请检查缩进"
		return e
	}
	var ye yaml.Error
	if !errors.As(err, &ye) {
		e.Msg = "无法读取 YAML：" + err.Error()
		return e
	}
	if tk := ye.GetToken(); tk != nil && tk.Position != nil {
		e.Line = tk.Position.Line
		e.Field = idx.pathAt(tk.Position.Line, tk.Position.Column)
	}
	var (
		unknown    *yaml.UnknownFieldError
		typ        *yaml.TypeError
		overflow   *yaml.OverflowError
		dup        *yaml.DuplicateKeyError
		unexpected *yaml.UnexpectedNodeTypeError
	)
	switch {
	case errors.As(err, &unknown):
		key := strings.TrimSuffix(strings.TrimPrefix(unknown.Message, `unknown field "`), `"`)
		// The decoder picks one unknown key at random from a map; report the
		// first one in the file instead, so the error is stable.
		if first, line := idx.firstUnknown(e.Field); first != "" {
			key, e.Line = first, line
			e.Field = joinField(parentField(e.Field), key)
		}
		e.Msg = fmt.Sprintf("未知的字段 %q（可用：%s）", key, strings.Join(fieldsAt(parentField(e.Field)), ", "))
	case errors.As(err, &typ):
		e.Msg = "类型不对，这里应填" + kindName(typ.DstType.Kind().String())
	case errors.As(err, &overflow):
		e.Msg = "数字太大"
	case errors.As(err, &dup):
		e.Msg = "字段重复：" + strings.TrimPrefix(dup.Message, "duplicate key ")
	case errors.As(err, &unexpected):
		e.Msg = fmt.Sprintf("这里应写成%s，而不是%s", nodeKindName(unexpected.Expected.YAMLName()), nodeKindName(unexpected.Actual.YAMLName()))
	default:
		msg := ye.GetMessage()
		if m := duplicateKeyRE.FindStringSubmatch(msg); m != nil {
			e.Msg = fmt.Sprintf("字段 %q 重复（第 %s 行已经写过）", m[1], m[2])
		} else {
			e.Msg = "YAML 格式有误：" + msg
		}
	}
	return e
}

// duplicateKeyRE matches the parser's message for a key written twice.
var duplicateKeyRE = regexp.MustCompile(`mapping key "(.*)" already defined at \[(\d+):\d+\]`)

func kindName(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "整数"
	case k == "string":
		return "文字"
	case k == "slice":
		return "列表"
	case k == "map", k == "struct", k == "ptr":
		return "键值对（key: value）"
	}
	return k
}

func nodeKindName(n string) string {
	switch n {
	case "mapping":
		return "键值对（key: value）"
	case "sequence":
		return "列表（- 项目 或 [a, b]）"
	case "string", "integer", "float", "boolean", "null":
		return "单个值"
	}
	return n
}
