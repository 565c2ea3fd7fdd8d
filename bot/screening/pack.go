package screening

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/yishi-community/yishi/bot/textnorm"
)

// Pack is one rule pack: phrases and patterns for the 五不议 rules 1, 2, 4
// and 5, for the 六必议 categories and for notices to the reviewer. Packs
// are data (YAML, see packs/zhejiang.yaml for the format); a community adds
// its own pack beside the embedded defaults and may disable default entries
// by id.
type Pack struct {
	Name        string          `yaml:"name"`
	Description string          `yaml:"description"`
	Disable     []string        `yaml:"disable"` // entry ids of other packs to switch off
	Rules       []RuleEntry     `yaml:"rules"`
	Categories  []CategoryEntry `yaml:"categories"`
	Notices     []NoticeEntry   `yaml:"notices"`

	file string
}

// File is the file name the pack was loaded from.
func (p *Pack) File() string { return p.file }

// Signals are the matching conditions shared by every kind of entry.
// A phrase is a literal (matched after the same normalisation as the
// proposal); a phrase starting with "re:" is an RE2 regular expression.
type Signals struct {
	Any    []string   `yaml:"any"`    // any one of these fires the entry
	All    [][]string `yaml:"all"`    // fires when every group has a hit
	Unless []string   `yaml:"unless"` // any of these stops the entry
}

// RuleEntry is one 五不议 pattern.
type RuleEntry struct {
	ID      string `yaml:"id"`
	Rule    int    `yaml:"rule"`    // 1, 2, 4 or 5 (3 is the archive)
	Verdict string `yaml:"verdict"` // "excluded" (clearly applies) or "review" (default)
	Reason  string `yaml:"reason"`  // one line, Chinese, shown to proposer and reviewer
	Signals `yaml:",inline"`
	// When an unless phrase stops the entry, the proposal is steered to
	// this 六必议 category with this reason (e.g. local implementation of
	// a higher-level policy → category 3).
	ElseCategory int    `yaml:"else_category"`
	ElseReason   string `yaml:"else_reason"`

	line int
}

// CategoryEntry adds Weight to a 六必议 category for every distinct hit.
type CategoryEntry struct {
	ID       string  `yaml:"id"`
	Category int     `yaml:"category"`
	Weight   float64 `yaml:"weight"` // default 1
	Reason   string  `yaml:"reason"`
	Signals  `yaml:",inline"`

	line int
}

// NoticeEntry is a note for the reviewer that does not change the verdict
// (e.g. matters that the statutory assembly decides, 村民委员会组织法 art. 24).
type NoticeEntry struct {
	ID      string `yaml:"id"`
	Note    string `yaml:"note"`
	Signals `yaml:",inline"`

	line int
}

// PackError is a problem in a pack file, with the line it is on.
type PackError struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (e *PackError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// LoadPack parses and validates a YAML pack. Errors are *PackError naming
// filename and the line.
func LoadPack(filename string, data []byte) (*Pack, error) {
	var p Pack
	if err := yaml.UnmarshalWithOptions(data, &p, yaml.DisallowUnknownField()); err != nil {
		line := 0
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			line = ye.GetToken().Position.Line
		}
		msg := err.Error()
		if ye != nil {
			msg = ye.GetMessage()
		}
		return nil, &PackError{File: filename, Line: line, Msg: msg}
	}
	p.file = filename
	lines := entryLines(data)
	for i := range p.Rules {
		p.Rules[i].line = lines[fmt.Sprintf("rules[%d]", i)]
	}
	for i := range p.Categories {
		p.Categories[i].line = lines[fmt.Sprintf("categories[%d]", i)]
	}
	for i := range p.Notices {
		p.Notices[i].line = lines[fmt.Sprintf("notices[%d]", i)]
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// entryLines maps "rules[3]" etc. to the line the entry starts on.
func entryLines(data []byte) map[string]int {
	out := map[string]int{}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return out
	}
	for _, sect := range []string{"rules", "categories", "notices"} {
		for i := 0; ; i++ {
			path, err := yaml.PathString(fmt.Sprintf("$.%s[%d]", sect, i))
			if err != nil {
				break
			}
			n, err := path.FilterFile(f)
			if err != nil || n == nil || n.GetToken() == nil {
				break
			}
			out[fmt.Sprintf("%s[%d]", sect, i)] = n.GetToken().Position.Line
		}
	}
	return out
}

func (p *Pack) errAt(line int, format string, args ...any) error {
	return &PackError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *Pack) validate() error {
	ids := map[string]bool{}
	checkID := func(line int, id string) error {
		if id == "" {
			return p.errAt(line, "条目缺少 id")
		}
		if ids[id] {
			return p.errAt(line, "id %q 重复", id)
		}
		ids[id] = true
		return nil
	}
	for _, r := range p.Rules {
		if err := checkID(r.line, r.ID); err != nil {
			return err
		}
		if r.Rule != 1 && r.Rule != 2 && r.Rule != 4 && r.Rule != 5 {
			return p.errAt(r.line, "%s: rule 只能是 1、2、4 或 5（第 3 条由决议档案判断），而不是 %d", r.ID, r.Rule)
		}
		if r.Verdict != "" && r.Verdict != string(Review) && r.Verdict != string(Excluded) {
			return p.errAt(r.line, "%s: verdict 只能是 review 或 excluded，而不是 %q", r.ID, r.Verdict)
		}
		if strings.TrimSpace(r.Reason) == "" {
			return p.errAt(r.line, "%s: 缺少 reason（给提议人和审核人看的理由）", r.ID)
		}
		if r.ElseCategory < 0 || r.ElseCategory > 6 {
			return p.errAt(r.line, "%s: else_category 须在 1–6 之间", r.ID)
		}
		if err := p.checkSignals(r.line, r.ID, r.Signals); err != nil {
			return err
		}
	}
	for _, c := range p.Categories {
		if err := checkID(c.line, c.ID); err != nil {
			return err
		}
		if c.Category < 1 || c.Category > 6 {
			return p.errAt(c.line, "%s: category 须在 1–6 之间，而不是 %d", c.ID, c.Category)
		}
		if c.Weight < 0 {
			return p.errAt(c.line, "%s: weight 不能为负", c.ID)
		}
		if err := p.checkSignals(c.line, c.ID, c.Signals); err != nil {
			return err
		}
	}
	for _, n := range p.Notices {
		if err := checkID(n.line, n.ID); err != nil {
			return err
		}
		if strings.TrimSpace(n.Note) == "" {
			return p.errAt(n.line, "%s: 缺少 note", n.ID)
		}
		if err := p.checkSignals(n.line, n.ID, n.Signals); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pack) checkSignals(line int, id string, s Signals) error {
	if len(s.Any) == 0 && len(s.All) == 0 {
		return p.errAt(line, "%s: 至少需要 any 或 all", id)
	}
	check := func(ph string) error {
		if re, ok := strings.CutPrefix(ph, "re:"); ok {
			if _, err := regexp.Compile(re); err != nil {
				return p.errAt(line, "%s: 正则 %q 有误: %v", id, re, err)
			}
			return nil
		}
		if normPhrase(ph) == "" {
			return p.errAt(line, "%s: 空短语 %q", id, ph)
		}
		return nil
	}
	for _, ph := range s.Any {
		if err := check(ph); err != nil {
			return err
		}
	}
	for gi, g := range s.All {
		if len(g) == 0 {
			return p.errAt(line, "%s: all 的第 %d 组为空", id, gi+1)
		}
		for _, ph := range g {
			if err := check(ph); err != nil {
				return err
			}
		}
	}
	for _, ph := range s.Unless {
		if err := check(ph); err != nil {
			return err
		}
	}
	return nil
}

// normPhrase puts a pack phrase through the same pipeline as proposals.
func normPhrase(s string) string { return canonNumbers(textnorm.Normalize(s)) }

//go:embed packs/*.yaml
var packFS embed.FS

// DefaultPacks returns the embedded default packs (Zhejiang villages and
// urban communities). They are validated by the tests, so a failure here is
// a build defect and panics.
func DefaultPacks() []*Pack {
	defaultOnce.Do(loadDefaults)
	return slices.Clone(defaultPacks)
}

// The embedded packs are parsed once; packs are never modified after
// loading, so sharing them is safe.
var (
	defaultOnce  sync.Once
	defaultPacks []*Pack
)

func loadDefaults() {
	names, err := packFS.ReadDir("packs")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		data, err := packFS.ReadFile("packs/" + n.Name())
		if err != nil {
			panic(err)
		}
		p, err := LoadPack("packs/"+n.Name(), data)
		if err != nil {
			panic(fmt.Sprintf("embedded pack: %v", err))
		}
		defaultPacks = append(defaultPacks, p)
	}
}

// LoadPackDir loads every *.yaml / *.yml file of dir in name order. A
// missing dir is no error (no community packs).
func LoadPackDir(dir string) ([]*Pack, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read pack dir: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []*Pack
	for _, n := range names {
		fn := filepath.Join(dir, n)
		data, err := os.ReadFile(fn)
		if err != nil {
			return nil, fmt.Errorf("read pack: %w", err)
		}
		p, err := LoadPack(fn, data)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
