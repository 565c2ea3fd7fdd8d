package storage

import (
	"errors"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

func TestSchemaWrittenOnEmptyDir(t *testing.T) {
	db := openTest(t, "", Options{})
	if v := mustGet(t, db, SchemaKey); string(v) != "1" || SchemaVersion() != 1 {
		t.Errorf("schema = %q (SchemaVersion %d), want 1", v, SchemaVersion())
	}
}

func TestSchemaNewerOnDiskIsRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, kv(SchemaKey, "7"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	if err == nil {
		t.Fatal("Open accepted a newer schema")
	}
	for _, want := range []string{dir, "7", "升级", "upgrade"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// The failed Open must have released the directory lock.
	if _, err := Open(dir, Options{}); errors.Is(err, ErrLocked) {
		t.Error("a failed Open left the directory locked")
	}
}

func TestSchemaMissingWithDataIsRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, kv("topic/1", "x"), del(SchemaKey))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("Open = %v, want a missing-schema error", err)
	}
}

func TestMigrationsRunOnceInOrder(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{}) // version 1 on disk
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, kv("old/a", "1"), kv("old/b", "2"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	var ran []string
	migs := []migration{
		{name: "rename old→new", apply: func(s bot.Store) ([]bot.KV, error) {
			ran = append(ran, "1→2")
			var w []bot.KV
			err := s.Scan([]byte("old/"), func(k, v []byte) (bool, error) {
				w = append(w, bot.KV{Key: k}, bot.KV{Key: append([]byte("new/"), k[4:]...), Value: v})
				return true, nil
			})
			return w, err
		}},
		{name: "mark", apply: func(s bot.Store) ([]bot.KV, error) {
			ran = append(ran, "2→3")
			if v, _ := s.Get([]byte("new/a")); string(v) != "1" {
				return nil, errors.New("previous migration not applied first")
			}
			return []bot.KV{kv("marked", "yes")}, nil
		}},
	}
	db = openTest(t, dir, Options{migrations: migs})
	if strings.Join(ran, ",") != "1→2,2→3" {
		t.Errorf("ran %v", ran)
	}
	if got, want := strings.Join(scanAll(t, db, ""), " "), "marked=yes meta/schema=3 new/a=1 new/b=2"; got != want {
		t.Errorf("after migration: %q, want %q", got, want)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ran = nil
	openTest(t, dir, Options{migrations: migs})
	if len(ran) != 0 {
		t.Errorf("migrations ran again: %v", ran)
	}
}

func TestFailingMigrationLeavesOldVersion(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	migs := []migration{{name: "broken", apply: func(bot.Store) ([]bot.KV, error) { return nil, boom }}}
	if _, err := Open(dir, Options{migrations: migs}); !errors.Is(err, boom) {
		t.Fatalf("Open = %v, want the migration's error", err)
	}
	db = openTest(t, dir, Options{})
	if v := mustGet(t, db, SchemaKey); string(v) != "1" {
		t.Errorf("schema = %q after a failed migration, want 1", v)
	}
}
