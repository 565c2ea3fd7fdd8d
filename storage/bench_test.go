package storage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/yishi-community/yishi/bot"
)

// benchWriters is how many goroutines write at once in the commit
// benchmarks, whatever GOMAXPROCS is.
const benchWriters = 32

func setWriters(b *testing.B) {
	p := (benchWriters + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	b.SetParallelism(p)
}

func reportOps(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkBadgerSyncedCommit is the baseline: raw badger with the same
// options as Open, one small key per synced transaction, 32 writers.
func BenchmarkBadgerSyncedCommit(b *testing.B) {
	bdb, err := badger.Open(badgerOptions(b.TempDir(), Options{}))
	if err != nil {
		b.Fatal(err)
	}
	defer bdb.Close()
	var n atomic.Int64
	setWriters(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Appendf(nil, "vote/%012d", n.Add(1))
			if err := bdb.Update(func(txn *badger.Txn) error { return txn.Set(key, []byte("赞成")) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportOps(b)
}

// BenchmarkStoreCommit is the same writes through DB.Commit (group commit).
func BenchmarkStoreCommit(b *testing.B) {
	db, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var groups atomic.Int64
	db.commitFault = func() error { groups.Add(1); return nil } // counts badger commits
	var n atomic.Int64
	ctx := context.Background()
	setWriters(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Appendf(nil, "vote/%012d", n.Add(1))
			if err := db.Commit(ctx, []bot.KV{{Key: key, Value: []byte("赞成")}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportOps(b)
	b.ReportMetric(float64(b.N)/float64(max(groups.Load(), 1)), "batches/sync")
}

// BenchmarkRSS1000Topics100kVotes loads 1,000 topics (2 KB each) and
// 100,000 votes with an audit-sized record each (about 40 MB of data), then
// reopens the directory in a fresh process (this test binary, see
// TestRSSChild) that reads everything back, as the bot does on restart.
// It reports the loading process's peak RSS (a bulk load, far denser than
// real use) and the fresh process's peak and final RSS, split into anonymous
// memory (Go heap, memtables) and file-backed pages (mmapped tables, which
// the kernel can drop). Run it alone, since RSS is per process:
//
//	go test ./storage -run XXX -bench RSS -benchtime 1x
func BenchmarkRSS1000Topics100kVotes(b *testing.B) {
	for range b.N {
		dir := b.TempDir()
		loadVotes(b, dir)
		b.ReportMetric(procStatusMB(b, string(mustRead(b, "/proc/self/status")), "VmHWM"), "MB-peak-rss-load")

		cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$")
		cmd.Env = append(os.Environ(), rssEnv+"="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		status, ok := strings.CutPrefix(string(out), "status\n")
		if !ok {
			b.Fatalf("child said: %s", out)
		}
		b.ReportMetric(procStatusMB(b, status, "VmHWM"), "MB-peak-rss-reopen")
		b.ReportMetric(procStatusMB(b, status, "RssAnon"), "MB-anon-reopen")
		b.ReportMetric(procStatusMB(b, status, "RssFile"), "MB-file-reopen")
	}
}

const rssEnv = "YISHI_STORAGE_RSS_DIR"

// TestRSSChild is the fresh process of BenchmarkRSS1000Topics100kVotes: it
// opens the directory, reads every key and prints /proc/self/status.
func TestRSSChild(t *testing.T) {
	dir := os.Getenv(rssEnv)
	if dir == "" {
		t.Skip("child process of BenchmarkRSS1000Topics100kVotes")
	}
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := 0
	if err := db.Scan(nil, func(_, _ []byte) (bool, error) { count++; return true, nil }); err != nil {
		t.Fatal(err)
	}
	if count != 1000+200000+1 {
		t.Fatalf("read back %d keys", count)
	}
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	fmt.Printf("status\n%s", raw)
	os.Exit(0) // keep "PASS" out of the output
}

func loadVotes(b *testing.B, dir string) {
	db, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	topic := []byte(strings.Repeat("议", 700)) // ~2 KB of JSON
	var batch []bot.KV
	flush := func() {
		if err := db.Commit(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for t := range 1000 {
		batch = append(batch, bot.KV{Key: fmt.Appendf(nil, "topic/c/%06d", t), Value: topic})
		if len(batch) == 100 {
			flush()
		}
	}
	flush()
	for v := range 100000 {
		batch = append(batch,
			bot.KV{Key: fmt.Appendf(nil, "vote/c/%06d/r%06d", v%1000, v), Value: []byte(`{"choice":"赞成","at":"2026-11-28T19:30:00Z"}`)},
			bot.KV{Key: fmt.Appendf(nil, "audit/c/%020d", v), Value: []byte(strings.Repeat("x", 300))})
		if len(batch) == 200 {
			flush()
		}
	}
	flush()
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

func mustRead(b *testing.B, path string) []byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Skip("no", path, err)
	}
	return raw
}

// procStatusMB reads a kB field of a /proc/PID/status text in MB.
func procStatusMB(b *testing.B, status, field string) float64 {
	for line := range strings.Lines(status) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}
