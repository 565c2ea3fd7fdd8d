// Package pgtest gives tests a PostgreSQL database of their own: the one
// YISHI_PG_DSN names (.ci/install-postgres.sh starts a throwaway cluster
// and prints it), in a fresh schema per call. Without YISHI_PG_DSN a test
// skips, saying how to get one — except under CI, where it fails, so CI
// can never pass without running the PostgreSQL tests.
package pgtest

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
)

// Base returns YISHI_PG_DSN, or skips (fails under CI).
func Base(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("YISHI_PG_DSN"); d != "" {
		return d
	}
	if os.Getenv("CI") != "" {
		t.Fatal("YISHI_PG_DSN is not set: CI must run the PostgreSQL tests (.ci/install-postgres.sh starts a cluster)")
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if _, err := exec.LookPath("postgres"); len(bins) == 0 && err != nil {
		t.Skip("no postgres binary here: install Debian's postgresql and run YISHI_PG_DSN=\"$(bash .ci/install-postgres.sh)\"")
	}
	t.Skip("set YISHI_PG_DSN (YISHI_PG_DSN=\"$(bash .ci/install-postgres.sh)\" starts a throwaway cluster)")
	return ""
}

var schemas atomic.Int64

// Fresh makes a new schema, dropped when the test ends, and returns the
// DSN whose search_path is that schema: the test sees no other's keys.
func Fresh(t testing.TB) string {
	t.Helper()
	base := Base(t)
	ctx := context.Background()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), schemas.Add(1))
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
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
