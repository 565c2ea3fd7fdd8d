package config

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LoadFile reads and parses one community file.
func LoadFile(path string) (*Community, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read community file: %w", err)
	}
	return Parse(path, data)
}

// LoadDir reads every *.yaml and *.yml file in dir (not its subdirectories;
// hidden files such as editor backups are skipped), in name order. Two files
// with the same community id, or two communities claiming the same platform
// chat, are errors naming both files.
func LoadDir(dir string) ([]*Community, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read community directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		ext := strings.ToLower(filepath.Ext(n))
		if e.IsDir() || strings.HasPrefix(n, ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, &Error{File: dir, Msg: "目录里没有社区配置文件（*.yaml 或 *.yml）"}
	}
	sort.Strings(names)
	var out []*Community
	ids := map[string]*Community{}
	type claim struct {
		c *Community
		i int
	}
	chats := map[[2]string]claim{}
	for _, n := range names {
		c, err := LoadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		if prev, dup := ids[c.ID]; dup {
			return nil, &Error{File: c.File, Line: c.idLine, Field: "id",
				Msg: fmt.Sprintf("社区 id %q 已在 %s:%d 使用；每个社区的 id 必须不同", c.ID, prev.File, prev.idLine)}
		}
		ids[c.ID] = c
		for i, g := range c.Groups {
			k := [2]string{g.Platform, g.Chat}
			if prev, dup := chats[k]; dup {
				return nil, &Error{File: c.File, Line: c.chatLines[i], Field: indexField("groups", i) + ".chat",
					Msg: fmt.Sprintf("群 %s:%s 已由 %s:%d（社区 %s）使用；一个群只能属于一个社区", g.Platform, g.Chat, prev.c.File, prev.c.chatLines[prev.i], prev.c.ID)}
			}
			chats[k] = claim{c, i}
		}
		out = append(out, c)
	}
	return out, nil
}

//go:embed sample/houchen.yaml
var sampleYAML []byte

// SampleFile is the name the embedded sample reports in errors and in
// Community.File.
const SampleFile = "sample/houchen.yaml"

// SampleYAML returns a copy of the embedded sample village file, a starting
// point for a real one.
func SampleYAML() []byte { return append([]byte(nil), sampleYAML...) }

// Sample returns the embedded sample village 后陈村, used when no config
// directory is given. Each call returns a fresh copy that the caller may
// change.
func Sample() *Community {
	c, err := Parse(SampleFile, sampleYAML)
	if err != nil {
		panic("config: embedded sample is invalid: " + err.Error()) // caught by TestSample
	}
	return c
}
