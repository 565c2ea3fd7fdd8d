package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/storage/postgres"
)

// pgBase is the test database (YISHI_PG_DSN): the tests skip without one,
// except in CI, where they must run.
func pgBase(t *testing.T) string {
	t.Helper()
	base := os.Getenv("YISHI_PG_DSN")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("YISHI_PG_DSN is not set: CI must run the PostgreSQL tests")
		}
		t.Skip("set YISHI_PG_DSN (YISHI_PG_DSN=\"$(bash .ci/install-postgres.sh)\" starts a throwaway cluster)")
	}
	return base
}

// TestRunOnPostgres: the three-topic script (a secret ballot, a topic held
// twice) played by yishi run --store postgres://… leaves a log that
// replays exactly into what is stored, the same check audit verify makes
// on badger.
func TestRunOnPostgres(t *testing.T) {
	base := pgBase(t)
	ctx := context.Background()
	schema := fmt.Sprintf("run%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); conn.Close(ctx) })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	dsn := base + sep + "search_path=" + schema
	out, errOut, code := run(t, legacyScript(t), "run", "--store", dsn, "--data", filepath.Join(t.TempDir(), "d"))
	if code != 0 {
		t.Fatalf("yishi run --store: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "表决结果") {
		t.Fatalf("the script did not reach a result:\n%s", out)
	}
	st, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs, err := engine.VerifyReplay(st, []*config.Community{config.Sample()}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Failed != nil || r.Diverged != nil || r.Topics != 3 || r.Rounds != 4 {
			t.Errorf("replay on PostgreSQL: failed %v, diverged %+v, %d topics, %d rounds (want 3, 4)", r.Failed, r.Diverged, r.Topics, r.Rounds)
		}
	}
	// The secret round's choices were erased there too.
	n := 0
	st.Scan([]byte("secret/"), func(_, _ []byte) (bool, error) { n++; return true, nil })
	if n != 0 {
		t.Errorf("%d secret ballot keys left in PostgreSQL after the close", n)
	}
}

// pgSchema makes a schema of its own in the test database and returns the
// DSN that uses it.
func pgSchema(t *testing.T, base string) string {
	t.Helper()
	ctx := context.Background()
	schema := fmt.Sprintf("mig%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); conn.Close(ctx) })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// TestMigrateToPostgres: yishi migrate copies a badger directory's logs,
// verifies the chains on both sides and replays them in PostgreSQL; run
// again it refuses to overwrite, writing nothing.
func TestMigrateToPostgres(t *testing.T) {
	base := pgBase(t)
	dir := filepath.Join(t.TempDir(), "d")
	if _, e, code := run(t, legacyScript(t), "--data", dir); code != 0 {
		t.Fatalf("script: %s", e)
	}
	dsn := pgSchema(t, base)
	out, errOut, code := run(t, "", "migrate", "--from", dir, "--to", dsn)
	if code != 0 || !strings.Contains(out, "houchen：") || !strings.Contains(out, "两边一致") {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = run(t, "", "migrate", "--from", dir, "--to", dsn)
	if code == 0 || !strings.Contains(errOut, "已经有社区 houchen 的记录") {
		t.Fatalf("a second migrate: exit %d\n%s", code, errOut)
	}
	// The bot runs on the migrated database and sees the three topics.
	out, errOut, code = run(t, "[私聊] 张建国: 议题\n", "run", "--store", dsn, "--data", filepath.Join(t.TempDir(), "d2"))
	if code != 0 || !strings.Contains(out, "#3") {
		t.Fatalf("run on the migrated database: exit %d\n%s\n%s", code, out, errOut)
	}
}
