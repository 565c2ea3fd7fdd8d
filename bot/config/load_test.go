package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// community returns a valid file for community id with one console group.
func community(id, group string) string {
	return "id: " + id + "\nname: " + id + "村\ngroups:\n  - platform: console\n    chat: " + group + "\n" + members
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadDir(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"b-shangchen.yml":   community("shangchen", "上陈村议事群"),
		"a-houchen.yaml":    string(SampleYAML()),
		"README.md":         "不是配置",
		".#a-houchen.yaml":  "编辑器的锁文件",
		"old/skipped.yaml":  "子目录不读",
		"c-houchen-bak.txt": string(SampleYAML()),
	})
	cs, err := LoadDir(dir)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if len(cs) != 2 || cs[0].ID != "houchen" || cs[1].ID != "shangchen" {
		t.Fatalf("got %d communities: %v", len(cs), ids(cs))
	}
	if want := filepath.Join(dir, "b-shangchen.yml"); cs[1].File != want {
		t.Errorf("File = %q, want %q", cs[1].File, want)
	}
}

func ids(cs []*Community) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestLoadDirErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error, with {dir} for the directory
	}{
		{"duplicate id", map[string]string{
			"a.yaml": community("houchen", "群甲"),
			"b.yaml": community("houchen", "群乙"),
		}, []string{"{dir}/b.yaml:1: id: ", `"houchen"`, "{dir}/a.yaml:1"}},
		{"same chat in two communities", map[string]string{
			"a.yaml": community("houchen", "议事群"),
			"b.yaml": community("shangchen", "议事群"),
		}, []string{"{dir}/b.yaml:5: groups[0].chat: ", "console:议事群", "{dir}/a.yaml:5", "houchen"}},
		{"invalid file named", map[string]string{
			"a.yaml": community("houchen", "群甲"),
			"b.yaml": "id: shangchen\nname: 上陈村\nkind: town\n",
		}, []string{"{dir}/b.yaml:3: kind: "}},
		{"no files", map[string]string{"README.md": "x"}, []string{"{dir}: ", "没有社区配置文件"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := LoadDir(dir)
			if err == nil {
				t.Fatal("LoadDir succeeded, want an error")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error %T is not *Error", err)
			}
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "{dir}/", dir+string(filepath.Separator))
				w = strings.ReplaceAll(w, "{dir}", dir)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadDir(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadDir(missing) = %v, want ErrNotExist", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "nope.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want ErrNotExist", err)
	}
}
