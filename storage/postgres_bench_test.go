package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yishi-community/yishi/storage/postgres"
)

// pgBench is a schema of its own in YISHI_PG_DSN's database for one
// benchmark (skipped without a DSN: benchmarks are not part of CI).
func pgBench(b *testing.B) string {
	b.Helper()
	base := os.Getenv("YISHI_PG_DSN")
	if base == "" {
		b.Skip("set YISHI_PG_DSN (YISHI_PG_DSN=\"$(bash .ci/install-postgres.sh)\")")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("bench%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); conn.Close(ctx) })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// BenchmarkPostgresPlainTx is the baseline of BenchmarkVoteDurablePostgres:
// 128 writers in flight, each vote one transaction of one ballot upsert
// and one audit row, committed (synchronous_commit on) before the next.
func BenchmarkPostgresPlainTx(b *testing.B) {
	dsn := pgBench(b)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	for _, q := range []string{`CREATE TABLE ballot (voter text PRIMARY KEY, choice text)`, `CREATE TABLE audit (seq bigserial PRIMARY KEY, detail bytea)`} {
		if _, err := pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	pool.Config().MaxConns = 128
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(max(1, 128/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			n := next.Add(1)
			t0 := time.Now()
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO ballot VALUES ($1, $2) ON CONFLICT (voter) DO UPDATE SET choice = excluded.choice`, fmt.Sprintf("v%04d", n%1000), "for"); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO audit (detail) VALUES ($1)`, []byte(`{"kind":"vote_cast"}`))
				return err
			})
			mine = append(mine, time.Since(t0))
			if err != nil {
				b.Error(err)
				return
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "votes/s")
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkVoteDurablePostgres is BenchmarkVoteDurable at 128 in flight with
// the store in PostgreSQL: every vote acknowledged only once committed.
func BenchmarkVoteDurablePostgres(b *testing.B) {
	dsn := pgBench(b)
	st, err := postgres.Open(context.Background(), dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	const voters = 1000
	a, stop := openVotingOn(b, filepath.Join(b.TempDir(), "data"), voters, st)
	defer stop()
	benchVotesOn(b, a, 128, voters)
}
