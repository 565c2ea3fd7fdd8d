package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/storage"
)

// TestTamperedStateIsCaught: the attacks an outside tester ran on the data
// directory. Each edits what is stored beside the log (the topic snapshot,
// the per-member keys) without touching the hash chain; audit verify must
// name the first divergence and exit non-zero, and record must still print
// what the log says.
func TestTamperedStateIsCaught(t *testing.T) {
	base := filepath.Join(t.TempDir(), "demo")
	if _, e, code := run(t, "", "demo", "--data", base); code != 0 {
		t.Fatalf("demo: %s", e)
	}
	honest, e, code := run(t, "", "record", "1", "--data", base)
	if code != 0 {
		t.Fatalf("record: %s", e)
	}
	if !strings.Contains(honest, "赞成人数：10 人") {
		t.Fatalf("the demo's sheet does not show its tally:\n%s", honest)
	}
	editTopic := func(fn func(doc map[string]any)) func(db *storage.DB) []bot.KV {
		return func(db *storage.DB) []bot.KV {
			v, err := db.Get([]byte("topic/houchen/1"))
			if err != nil || v == nil {
				t.Fatalf("read topic: %v", err)
			}
			var doc map[string]any
			if err := json.Unmarshal(v, &doc); err != nil {
				t.Fatal(err)
			}
			fn(doc)
			b, _ := json.Marshal(doc)
			return []bot.KV{{Key: []byte("topic/houchen/1"), Value: b}}
		}
	}
	ballotKeys := func(db *storage.DB) (keys []string) {
		db.Scan([]byte("ballot/houchen/1/"), func(k, _ []byte) (bool, error) {
			keys = append(keys, string(k))
			return true, nil
		})
		return keys
	}
	cases := []struct {
		name  string
		edit  func(db *storage.DB) []bot.KV
		field string // in verify's report
	}{
		{"swap FOR and AGAINST", editTopic(func(doc map[string]any) {
			r := doc["result"].(map[string]any)
			r["for"], r["against"] = r["against"], r["for"]
		}), "result.against"},
		{"rewrite two ballots", func(db *storage.DB) []bot.KV {
			keys := ballotKeys(db)
			if len(keys) < 2 {
				t.Fatalf("ballots: %v", keys)
			}
			return []bot.KV{{Key: []byte(keys[0]), Value: []byte("against|1764554400000000000|0")},
				{Key: []byte(keys[1]), Value: []byte("against|1764554400000000000|0")}}
		}, "ballots."},
		{"ballot for a member who never voted", func(db *storage.DB) []bot.KV {
			return []bot.KV{{Key: []byte("ballot/houchen/1/wuxiaoming"), Value: []byte("for|1764554400000000000|0")}}
		}, "ballots.wuxiaoming"},
		{"deleted check-in", func(db *storage.DB) []bot.KV {
			var key []byte
			db.Scan([]byte("attend/houchen/1/"), func(k, _ []byte) (bool, error) {
				key = append([]byte(nil), k...)
				return false, nil
			})
			return []bot.KV{{Key: key}}
		}, "attendance."},
		{"injected statement", editTopic(func(doc map[string]any) {
			doc["statements"] = append(doc["statements"].([]any), map[string]any{"member": "chenxiaolong", "name": "陈小龙",
				"step": 3, "text": "我收回意见，坚决反对。", "at": "2026-12-01T02:30:00Z"})
		}), "statements["},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			copyDir(t, base, dir)
			db, err := storage.Open(dir, storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Commit(context.Background(), tc.edit(db)); err != nil {
				t.Fatal(err)
			}
			db.Close()
			out, _, code := run(t, "", "audit", "verify", "--data", dir)
			if code != 1 || !strings.Contains(out, "审计链完整") || !strings.Contains(out, "快照与审计日志不一致") ||
				!strings.Contains(out, "字段 "+tc.field) || !strings.Contains(out, "议题 #1") {
				t.Errorf("verify: code %d, want 1 naming topic #1 and field %s…:\n%s", code, tc.field, out)
			}
			printed, e, code := run(t, "", "record", "1", "--data", dir)
			if code != 0 || printed != honest {
				t.Errorf("record after tampering: code %d %s; it must print what the log says", code, e)
			}
		})
	}
}

// copyDir copies a closed data directory (flat: badger keeps no folders).
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
