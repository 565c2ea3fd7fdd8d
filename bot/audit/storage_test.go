package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"yishi/bot"
	"yishi/bot/audit"
	"yishi/storage"
)

// TestOnBadger runs a chain through the real store, across a reopen.
func TestOnBadger(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendN := func(db *storage.DB, n int) {
		c, err := audit.LoadChain(db, "houchen")
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			_, w := c.Append(audit.Entry{At: time.Now(), Actor: "书记", Action: "note", Detail: "公开说明"})
			if err := db.Commit(context.Background(), w); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendN(db, 50)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	appendN(db, 50)
	r, err := audit.Verify(db, "houchen")
	if err != nil || !r.OK || r.Entries != 100 {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
	// Tamper through the store's own API.
	v, err := db.Get(audit.Key("houchen", 30))
	if err != nil {
		t.Fatal(err)
	}
	bad := []byte(strings.Replace(string(v), "公开说明", "改过", 1))
	if err := db.Commit(context.Background(), []bot.KV{{Key: audit.Key("houchen", 30), Value: bad}}); err != nil {
		t.Fatal(err)
	}
	if r, _ := audit.Verify(db, "houchen"); r.OK || r.FirstBroken != 30 {
		t.Errorf("Verify after tampering = %+v", r)
	}
}
