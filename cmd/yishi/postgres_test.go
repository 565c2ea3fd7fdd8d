package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/storage/postgres"
	"github.com/yishi-community/yishi/storage/postgres/pgtest"
)

// pgBase is the test database (YISHI_PG_DSN): the tests skip without one,
// except in CI, where they must run.
func pgBase(t *testing.T) string { return pgtest.Base(t) }

// TestRunOnPostgres: the three-topic script (a secret ballot, a topic held
// twice) played by yishi run --store postgres://… leaves a log that
// replays exactly into what is stored, the same check audit verify makes
// on badger.
func TestRunOnPostgres(t *testing.T) {
	dsn := pgSchema(t, pgBase(t))
	out, errOut, code := run(t, legacyScript(t), "run", "--store", dsn, "--data", filepath.Join(t.TempDir(), "d"))
	if code != 0 {
		t.Fatalf("yishi run --store: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "表决结果") {
		t.Fatalf("the script did not reach a result:\n%s", out)
	}
	st, err := postgres.Open(context.Background(), dsn, nil)
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
	// The reading tools read the database directly with --store (no
	// process is running; on a shared database one would serve only its
	// share) and write nothing.
	var before int
	st.Scan(nil, func(_, _ []byte) (bool, error) { before++; return true, nil })
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"record", "1", "--store", dsn}, "议事协商记录"},
		{[]string{"audit", "verify", "--store", dsn}, "审计链完整"},
		{[]string{"stats", "--store", dsn}, "议题"},
		{[]string{"reminders", "--store", dsn}, ""},
	} {
		out, errOut, code := run(t, "", c.args...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("yishi %s: exit %d, want %q in\n%s\n%s", strings.Join(c.args[:2], " "), code, c.want, out, errOut)
		}
	}
	var after int
	st.Scan(nil, func(_, _ []byte) (bool, error) { after++; return true, nil })
	if after != before {
		t.Errorf("the reading tools changed the database: %d keys before, %d after", before, after)
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
// pgSchema is a fresh schema of the test database (base is pgBase's, which
// has already skipped where there is none).
func pgSchema(t *testing.T, _ string) string { return pgtest.Fresh(t) }

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
