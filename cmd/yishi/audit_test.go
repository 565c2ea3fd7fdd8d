package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/storage"
)

// TestAuditExport: audit export writes the chain that audit verify checked,
// one RFC 8785 (JCS) line per entry, linked to the line before, and the
// independent checker kept with bot/audit (the recipe of its package doc,
// standard-library Python) finds every hash and link correct.
func TestAuditExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if _, e, code := run(t, "", "demo", "--data", dir); code != 0 {
		t.Fatalf("demo: %s", e)
	}
	verified, e, code := run(t, "", "audit", "verify", "--data", dir)
	if code != 0 {
		t.Fatalf("audit verify: code %d\n%s", code, e)
	}
	out, e, code := run(t, "", "audit", "export", "houchen", "--data", dir)
	if code != 0 || e != "" {
		t.Fatalf("audit export: code %d\n%s", code, e)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if want := "共" + strconv.Itoa(len(lines)) + "条记录"; !strings.Contains(verified, want) {
		t.Errorf("exported %d lines, verify said %q", len(lines), verified)
	}
	var prev string
	for i, line := range lines {
		var entry struct {
			Seq       int    `json:"seq"`
			Community string `json:"community"`
			Prev      string `json:"prev"`
			Hash      string `json:"hash"`
			V         int    `json:"v"`
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, line)
		}
		if entry.Seq != i+1 || entry.Community != "houchen" || entry.Prev != prev || entry.V == 0 || !strings.HasPrefix(line, `{"action":`) {
			t.Errorf("line %d: seq %d, community %q, prev %q, v %d; want %d, houchen, %q, a form\n%s", i+1, entry.Seq, entry.Community, entry.Prev, entry.V, i+1, prev, line)
		}
		prev = entry.Hash
	}
	if python, err := exec.LookPath("python3"); err != nil {
		t.Log("python3 is not installed: the export is not checked independently")
	} else {
		cmd := exec.Command(python, filepath.Join("..", "..", "bot", "audit", "testdata", "check_export.py"))
		cmd.Stdin = strings.NewReader(out)
		msg, err := cmd.CombinedOutput()
		if want := "links OK; head " + audit.FormatAnchor(uint64(len(lines)), prev); err != nil || !strings.Contains(string(msg), want) {
			t.Errorf("the independent checker says %s(%v); want %q", msg, err, want)
		}
	}
	// The community may also follow the flags.
	if again, _, code := run(t, "", "audit", "export", "--data", dir, "houchen"); code != 0 || again != out {
		t.Errorf("community after the flags: code %d, same output %v", code, again == out)
	}

	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no community", []string{"audit", "export", "--data", dir}, 2, "用法: yishi audit export"},
		{"unknown community", []string{"audit", "export", "nosuch", "--data", dir}, 1, "没有社区 nosuch 的审计日志(现有：houchen)"},
		{"missing data directory", []string{"audit", "export", "houchen", "--data", filepath.Join(dir, "none")}, 1, "不存在"},
		{"unknown subcommand", []string{"audit", "frobnicate"}, 2, "yishi audit export"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, e, code := run(t, "", tt.args...)
			if code != tt.code || out != "" || !strings.Contains(e, tt.want) {
				t.Errorf("code %d, stdout %q, stderr %q; want code %d and %q", code, out, e, tt.code, tt.want)
			}
		})
	}
}

// TestAuditVerifyAnchor: the anchor printed in a published result checks
// the log; one from a log whose last entries were removed does not.
func TestAuditVerifyAnchor(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	demo, e, code := run(t, "", "demo", "--data", dir)
	if code != 0 {
		t.Fatalf("demo: %s", e)
	}
	m := regexp.MustCompile(`审计存证：(第\d+条·[0-9a-f]+)`).FindStringSubmatch(demo)
	if m == nil {
		t.Fatal("the published result carries no anchor")
	}
	anchor := m[1]
	out, e, code := run(t, "", "audit", "verify", "--data", dir, "--anchor", anchor)
	if code != 0 || !strings.Contains(out, "与1个存证一致") {
		t.Fatalf("verify with the published anchor: code %d\n%s%s", code, out, e)
	}
	// An anchor that does not match.
	wrong := regexp.MustCompile(`·[0-9a-f]`).ReplaceAllString(anchor, "·0")
	if wrong == anchor {
		wrong = regexp.MustCompile(`·[0-9a-f]`).ReplaceAllString(anchor, "·1")
	}
	if out, _, code := run(t, "", "audit", "verify", "--data", dir, "--anchor", wrong); code != 1 || !strings.Contains(out, "存证") {
		t.Errorf("wrong anchor: code %d\n%s", code, out)
	}
	if _, e, code := run(t, "", "audit", "verify", "--data", dir, "--anchor", "某条"); code != 2 || !strings.Contains(e, "无法识别的存证") {
		t.Errorf("unreadable anchor: code %d\n%s", code, e)
	}
	// Remove every entry from the anchored one on: the chain alone still
	// verifies, the anchor does not.
	seq, _ := strconv.ParseUint(regexp.MustCompile(`\d+`).FindString(anchor), 10, 64)
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var cut []bot.KV
	for s := seq; ; s++ {
		if v, _ := db.Get(audit.Key("houchen", s)); v == nil {
			break
		}
		cut = append(cut, bot.KV{Key: audit.Key("houchen", s)})
	}
	if err := db.Commit(context.Background(), cut); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The chain alone cannot show that its last entries were removed, but
	// the snapshots record the log position they cover.
	if out, e, code := run(t, "", "audit", "verify", "--data", dir); code != 1 || !strings.Contains(out, "snapshot position") {
		t.Fatalf("truncated chain without anchor: code %d\n%s%s", code, out, e)
	}
	out, _, code = run(t, "", "audit", "verify", "--data", dir, "--anchor", anchor)
	if code != 1 || !strings.Contains(out, "被删除过") {
		t.Errorf("truncation with anchor: code %d\n%s", code, out)
	}
}
