package config

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// astIndex finds where a field is written in the file. Semantic checks name
// a field by its English path (roster[3].roles[0]) and ask for its line,
// which goccy/go-yaml's YAMLPath resolves on the parsed AST. Decoder errors
// carry a token instead; pathAt maps the token's position back to a path.
type astIndex struct {
	file  *ast.File
	paths map[[2]int]string // (line, column) of a key or value token → field path
	lines map[string]int    // field path → line of its key (or item), from the walk
}

// maxWalkDepth bounds the walk over hostile input; real files are 4 deep.
const maxWalkDepth = 64

func newASTIndex(f *ast.File) *astIndex {
	x := &astIndex{file: f, paths: map[[2]int]string{}, lines: map[string]int{}}
	if f != nil {
		for _, doc := range f.Docs {
			if doc != nil && doc.Body != nil {
				x.walk(doc.Body, "", 0)
			}
		}
	}
	return x
}

func (x *astIndex) record(n ast.Node, field string) {
	if n == nil {
		return
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return
	}
	k := [2]int{tk.Position.Line, tk.Position.Column}
	if _, ok := x.paths[k]; !ok {
		x.paths[k] = field
	}
	if _, ok := x.lines[field]; !ok {
		x.lines[field] = tk.Position.Line
	}
}

func (x *astIndex) walk(n ast.Node, field string, depth int) {
	if n == nil || depth > maxWalkDepth {
		return
	}
	switch n := n.(type) {
	case *ast.MappingNode:
		x.record(n, field)
		for _, v := range n.Values {
			x.walkPair(v, field, depth)
		}
	case *ast.MappingValueNode:
		x.walkPair(n, field, depth)
	case *ast.SequenceNode:
		x.record(n, field)
		for i, v := range n.Values {
			f := field + "[" + strconv.Itoa(i) + "]"
			x.record(v, f)
			x.walk(v, f, depth+1)
		}
	case *ast.AnchorNode:
		x.record(n, field)
		x.walk(n.Value, field, depth+1)
	case *ast.TagNode:
		x.record(n, field)
		x.walk(n.Value, field, depth+1)
	default:
		x.record(n, field)
	}
}

func (x *astIndex) walkPair(v *ast.MappingValueNode, field string, depth int) {
	if v == nil || v.Key == nil {
		return
	}
	f := joinField(field, keyText(v.Key))
	x.record(v.Key, f)
	x.record(v.Value, f)
	x.walk(v.Value, f, depth+1)
}

// keyText is a mapping key as the decoder sees it (quotes removed).
func keyText(k ast.Node) string {
	if mk, ok := k.(*ast.MappingKeyNode); ok && mk.Value != nil {
		k = mk.Value
	}
	tk := k.GetToken()
	if tk == nil {
		return ""
	}
	s := tk.Value
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}

// pathAt is the field path of the token at line:col, or "".
func (x *astIndex) pathAt(line, col int) string { return x.paths[[2]int{line, col}] }

// node resolves a field path with YAMLPath. It returns nil when the path is
// absent or goes through something YAMLPath cannot enter (an anchor or a
// tag); callers then fall back to the parent.
func (x *astIndex) node(field string) ast.Node {
	if x.file == nil {
		return nil
	}
	s := "$"
	switch {
	case field == "":
	case strings.HasPrefix(field, "["):
		s += field
	default:
		s += "." + field
	}
	p, err := yaml.PathString(s)
	if err != nil {
		return nil
	}
	n, err := p.FilterFile(x.file)
	if err != nil {
		return nil
	}
	return n
}

// line is the line where field is written (for a key, the key's line, so a
// block list points at "roster:" and not at its first item) or, if it is
// absent, the line of its nearest written ancestor (a missing
// roster[2].roles points at the member); 0 when nothing is written at all.
func (x *astIndex) line(field string) int {
	for f := field; ; f = parentField(f) {
		if l := x.pathLine(f); l > 0 {
			return l
		}
		// YAMLPath cannot enter anchors and tags (roster: &people …); the
		// walk recorded those lines too.
		if l, ok := x.lines[f]; ok {
			return l
		}
		if f == "" {
			return 0
		}
	}
}

// pathLine resolves field with YAMLPath: a key through its parent mapping,
// an item or the root directly.
func (x *astIndex) pathLine(field string) int {
	parent := parentField(field)
	if key, ok := strings.CutPrefix(field[len(parent):], "."); ok || (parent == "" && field != "" && field[0] != '[') {
		if !ok {
			key = field
		}
		for _, v := range x.mappingPairs(parent) {
			if v.Key != nil && keyText(v.Key) == key {
				return tokenLine(v.Key)
			}
		}
		return 0
	}
	return tokenLine(x.node(field))
}

func tokenLine(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// mappingPairs lists the key/value pairs of the mapping at field.
func (x *astIndex) mappingPairs(field string) []*ast.MappingValueNode {
	switch n := x.node(field).(type) {
	case *ast.MappingNode:
		return n.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}
	}
	return nil
}

// firstUnknown returns the first key, in file order, of the mapping that
// holds field which is not a known field there.
func (x *astIndex) firstUnknown(field string) (string, int) {
	parent := parentField(field)
	known := fieldsAt(parent)
	if known == nil {
		return "", 0
	}
	for _, v := range x.mappingPairs(parent) {
		if v.Key == nil {
			continue
		}
		k := keyText(v.Key)
		if !contains(known, k) {
			if tk := v.Key.GetToken(); tk != nil && tk.Position != nil {
				return k, tk.Position.Line
			}
		}
	}
	return "", 0
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func joinField(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func indexField(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

// parentField drops the last step of a field path: roster[3].roles[0] →
// roster[3].roles → roster[3] → roster → "".
func parentField(f string) string {
	if strings.HasSuffix(f, "]") {
		if i := strings.LastIndex(f, "["); i >= 0 {
			return f[:i]
		}
	}
	if i := strings.LastIndex(f, "."); i >= 0 {
		return f[:i]
	}
	return ""
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// fieldsAt lists the field names allowed in the mapping at path, read from
// the yaml tags of the raw types so the list cannot drift from the decoder.
func fieldsAt(path string) []string {
	var t reflect.Type
	switch indexRE.ReplaceAllString(path, "[]") {
	case "":
		t = reflect.TypeOf(rawCommunity{})
	case "groups[]":
		t = reflect.TypeOf(rawGroup{})
	case "roster[]":
		t = reflect.TypeOf(rawMember{})
	case "reminders":
		t = reflect.TypeOf(rawReminders{})
	default:
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" {
			out = append(out, tag)
		}
	}
	return out
}

// maxExpanded bounds the nodes the decoder would build once aliases are
// expanded: a few nested aliases ("billion laughs") otherwise make the
// decoder run for minutes. A 10,000-member roster is about 100,000 nodes.
const maxExpanded = 1_000_000

// expandedSize counts the nodes of n with every alias expanded, stopping
// early (returning a value > maxExpanded) once the bound is passed.
func expandedSize(n ast.Node, anchors map[string]int, depth int) int {
	if n == nil {
		return 0
	}
	if depth > 10*maxWalkDepth {
		return 1
	}
	add := func(total, more int) int { return min(total+more, maxExpanded+1) }
	total := 1
	switch n := n.(type) {
	case *ast.AliasNode:
		if n.Value != nil && n.Value.GetToken() != nil {
			return max(anchors[n.Value.GetToken().Value], 1)
		}
	case *ast.AnchorNode:
		total = add(total, expandedSize(n.Value, anchors, depth+1))
		if n.Name != nil && n.Name.GetToken() != nil {
			anchors[n.Name.GetToken().Value] = total
		}
	case *ast.TagNode:
		total = add(total, expandedSize(n.Value, anchors, depth+1))
	case *ast.MappingNode:
		for _, v := range n.Values {
			total = add(total, expandedSize(v, anchors, depth+1))
		}
	case *ast.MappingValueNode:
		total = add(total, expandedSize(n.Key, anchors, depth+1))
		total = add(total, expandedSize(n.Value, anchors, depth+1))
	case *ast.MappingKeyNode:
		total = add(total, expandedSize(n.Value, anchors, depth+1))
	case *ast.SequenceNode:
		for _, v := range n.Values {
			total = add(total, expandedSize(v, anchors, depth+1))
		}
	}
	return total
}
