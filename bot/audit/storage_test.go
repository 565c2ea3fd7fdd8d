package audit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/storage"
)

// TestOnBadger runs a chain through the real store, across a reopen: the
// head is found with storage.DB's reverse seek (bot.LastFinder).
func TestOnBadger(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var anchored string // the head hash an operator would publish
	appendN := func(db *storage.DB, n int) {
		c, err := audit.LoadChain(db, "houchen")
		if err != nil {
			t.Fatal(err)
		}
		if _, h := c.Head(); h != anchored {
			t.Fatalf("loaded head %s, want %s", h, anchored)
		}
		for range n {
			_, w := c.Append(audit.Entry{At: time.Now(), Actor: "书记", Action: "note", Detail: "公开说明"})
			if err := db.Commit(context.Background(), w); err != nil {
				t.Fatal(err)
			}
		}
		_, anchored = c.Head()
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
	if v, err := db.Get(audit.HeadKey("houchen")); err != nil || v != nil {
		t.Errorf("head pointer %q, %v; want none", v, err)
	}
	var out bytes.Buffer
	if err := audit.Export(db, "houchen", &out); err != nil || strings.Count(out.String(), "\n") != 100 {
		t.Errorf("Export: %v, %d lines", err, strings.Count(out.String(), "\n"))
	}
	// Tamper through the store's own API: same length, other text.
	v, err := db.Get(audit.Key("houchen", 30))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(v, []byte("公开说明"), []byte("公开声明"), 1)
	if bytes.Equal(bad, v) {
		t.Fatal("the detail is not stored as text")
	}
	if err := db.Commit(context.Background(), []bot.KV{{Key: audit.Key("houchen", 30), Value: bad}}); err != nil {
		t.Fatal(err)
	}
	if r, _ := audit.Verify(db, "houchen"); r.OK || r.FirstBroken != 30 || !strings.Contains(r.Problem, "hash mismatch") {
		t.Errorf("Verify after tampering = %+v", r)
	}
}

// BenchmarkLoadChain shows that loading does not depend on the chain's
// length on badger: storage.DB.Last (two seeks and a Get), a Get of the
// entry before the last and one of the legacy head pointer, and one hash.
func BenchmarkLoadChain(b *testing.B) {
	db, err := storage.Open(b.TempDir(), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c, _ := audit.LoadChain(db, "c")
	var batch []bot.KV
	for range 10000 {
		_, w := c.Append(audit.Entry{At: time.Now(), Actor: "a", Action: "x", Detail: "d"})
		batch = append(batch, w...)
	}
	if err := db.Commit(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := audit.LoadChain(db, "c"); err != nil {
			b.Fatal(err)
		}
	}
}
