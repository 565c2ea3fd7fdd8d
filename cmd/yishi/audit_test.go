package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAuditExport: audit export writes the chain that audit verify checked,
// one line per entry, each hashing to its hash and linked to the line
// before, as the recipe in bot/audit's package doc checks it.
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
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, line)
		}
		body := strings.Replace(line, `"hash":"`+entry.Hash+`"}`, `"hash":""}`, 1)
		if sum := sha256.Sum256([]byte(body)); hex.EncodeToString(sum[:]) != entry.Hash {
			t.Errorf("line %d does not hash to its hash: %s", i+1, line)
		}
		if entry.Seq != i+1 || entry.Community != "houchen" || entry.Prev != prev {
			t.Errorf("line %d: seq %d, community %q, prev %q; want %d, houchen, %q", i+1, entry.Seq, entry.Community, entry.Prev, i+1, prev)
		}
		prev = entry.Hash
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
