package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/storage"
)

// TestMigrateLegacyData: a data directory written by main 9b65499, before
// the event log (testdata/legacy-9b65499: the demo, a closed secret ballot,
// a failed topic held again), is migrated on the first start: a backup copy
// first, then the log; every figure the old `yishi record` printed
// survives, the old 审计存证 still verify, and the closed secret ballot's
// choices are gone.
func TestMigrateLegacyData(t *testing.T) {
	fixture := filepath.Join("testdata", "legacy-9b65499")
	dir := filepath.Join(t.TempDir(), "d")
	copyDir(t, filepath.Join(fixture, "data"), dir)

	// The read-only tools see the migrated state without writing it.
	if out, _, code := run(t, "", "audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, "尚未迁移") {
		t.Errorf("verify before migration: code %d\n%s", code, out)
	}
	for n := 1; n <= 3; n++ {
		want, _ := os.ReadFile(filepath.Join(fixture, "record-"+strconv.Itoa(n)+".md"))
		got, e, code := run(t, "", "record", strconv.Itoa(n), "--data", dir)
		if code != 0 || got != string(want) {
			t.Errorf("record %d before migration (in memory): code %d %s\n%s", n, code, e, lineDiff(string(want), got))
		}
	}

	// The first start migrates.
	if _, e, code := run(t, "", "--data", dir); code != 0 {
		t.Fatalf("first start: %s", e)
	}
	backups, _ := filepath.Glob(filepath.Join(dir, "before-event-log-*.backup"))
	if len(backups) != 1 {
		t.Errorf("want one backup copy before the migration, found %v", backups)
	}
	out, e, code := run(t, "", "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "与存储的快照完全一致") || !strings.Contains(out, "共166条记录") {
		t.Fatalf("verify after migration: code %d\n%s%s", code, out, e)
	}
	for n := 1; n <= 3; n++ {
		want, _ := os.ReadFile(filepath.Join(fixture, "record-"+strconv.Itoa(n)+".md"))
		got, e, code := run(t, "", "record", strconv.Itoa(n), "--data", dir)
		if code != 0 || got != string(want) {
			t.Errorf("record %d after migration: code %d %s\n%s", n, code, e, lineDiff(string(want), got))
		}
	}
	// The anchors the old version printed with each 公示 still verify.
	export, _ := os.ReadFile(filepath.Join(fixture, "audit-export.jsonl"))
	var anchors []string
	for _, line := range strings.Split(strings.TrimSpace(string(export)), "\n") {
		var e audit.Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Action == "stage:published" {
			anchors = append(anchors, audit.FormatAnchor(e.Seq, e.Hash))
		}
	}
	if len(anchors) != 4 {
		t.Fatalf("fixture has %d publications, want 4", len(anchors))
	}
	for _, a := range anchors {
		if out, _, code := run(t, "", "audit", "verify", "--data", dir, "--anchor", a); code != 0 {
			t.Errorf("old anchor %s: code %d\n%s", a, code, out)
		}
	}
	// The closed secret ballot (#2) is erased, every version.
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.EveryVersion(func(k, v []byte) error {
		if strings.HasPrefix(string(k), "ballot/houchen/2/") {
			t.Errorf("a ballot of the closed secret round survived the migration: %s", k)
		}
		return nil
	})
}

// lineDiff shows the first differing line of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + a + "\n  got  " + b
		}
	}
	return ""
}
