package config

import (
	"strings"
	"testing"
)

func TestParseBackup(t *testing.T) {
	c, err := Parse("t.yaml", []byte(valid+"backup: {schedule: \"30 2 * * *\", dir: /var/backups/yishi, keep: 7}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Backup; b == nil || b.Schedule != "30 2 * * *" || b.Dir != "/var/backups/yishi" || b.Keep != 7 || b.Location != c.Location {
		t.Fatalf("Backup = %+v", c.Backup)
	}
	c, err = Parse("t.yaml", []byte(valid+"backup:\n  dir: backups\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Backup; b.Schedule != "0 3 * * *" || b.Keep != DefaultBackupKeep {
		t.Errorf("defaults: %+v", b)
	}
	if c, _ := Parse("t.yaml", []byte(valid)); c.Backup != nil {
		t.Error("no backup block, yet a schedule")
	}
	for _, tc := range []struct{ yaml, field, msg string }{
		{"backup: {dir: b, schedule: \"0 3 * *\"}\n", "backup.schedule", "不是有效的 cron"},
		{"backup: {dir: b, schedule: \"0 3 30 2 *\"}\n", "backup.schedule", "永远不会到"},
		{"backup: {schedule: \"0 3 * * *\"}\n", "backup.dir", "缺少备份目录"},
		{"backup: {dir: b, keep: 0}\n", "backup.keep", "至少保留"},
		{"backup: {dir: b, keep: -1}\n", "backup.keep", "负数"},
		{"backup: {dir: b, every: day}\n", "backup.every", ""},
	} {
		_, err := Parse("t.yaml", []byte(valid+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: err = %v, want %s: %s", tc.yaml, err, tc.field, tc.msg)
		}
	}
}
