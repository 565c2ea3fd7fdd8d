package postgres_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/storage/postgres"
	"github.com/yishi-community/yishi/storage/storetest"
)

// dsn is the test database (YISHI_PG_DSN, which .ci/install-postgres.sh
// prints). Without one the tests skip, saying how to get one — except in
// CI, where they must run.
func dsn(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("YISHI_PG_DSN"); d != "" {
		return d
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	_, onPath := exec.LookPath("postgres")
	if os.Getenv("CI") != "" {
		t.Fatal("YISHI_PG_DSN is not set: CI must run the PostgreSQL tests (.ci/install-postgres.sh starts a cluster)")
	}
	if len(bins) == 0 && onPath != nil {
		t.Skip("no postgres binary here: install Debian's postgresql and run YISHI_PG_DSN=\"$(bash .ci/install-postgres.sh)\"")
	}
	t.Skip("set YISHI_PG_DSN (YISHI_PG_DSN=\"$(bash .ci/install-postgres.sh)\" starts a throwaway cluster)")
	return ""
}

var schemas atomic.Int64

// fresh opens a store in a schema of its own (search_path), so the tests
// of one database do not see each other's keys.
func fresh(t *testing.T) bot.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), freshDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// freshDSN makes a new schema and returns the DSN that uses it.
func freshDSN(t *testing.T) string {
	t.Helper()
	base := dsn(t)
	ctx := context.Background()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), schemas.Add(1))
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			c.Exec(ctx, "DROP SCHEMA "+name+" CASCADE")
			c.Close(ctx)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + name
}

func TestConformance(t *testing.T) { storetest.Run(t, fresh) }

// TestReopen: what was committed is there after a new Open, and the schema
// is migrated once.
func TestReopen(t *testing.T) {
	s := fresh(t).(*postgres.Store)
	ctx := context.Background()
	if err := s.Commit(ctx, []bot.KV{{Key: []byte("audit/c/1"), Value: []byte("entry")}}); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get([]byte("audit/c/1")); err != nil || string(v) != "entry" {
		t.Fatalf("Get = %q %v", v, err)
	}
	s.Close()
	if err := s.Commit(ctx, []bot.KV{{Key: []byte("x"), Value: []byte("y")}}); err == nil {
		t.Error("Commit after Close succeeded")
	}
}
