package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/storage/memstore"
)

func openTest(t *testing.T, dir string, opts Options) *DB {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	db, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func kv(k, v string) bot.KV { return bot.KV{Key: []byte(k), Value: []byte(v)} }
func del(k string) bot.KV   { return bot.KV{Key: []byte(k)} }

func mustCommit(t *testing.T, db *DB, batch ...bot.KV) {
	t.Helper()
	if err := db.Commit(context.Background(), batch); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func mustGet(t *testing.T, db *DB, key string) []byte {
	t.Helper()
	v, err := db.Get([]byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

// scanAll returns "key=value" pairs under prefix, in scan order.
func scanAll(t *testing.T, db *DB, prefix string) []string {
	t.Helper()
	var out []string
	err := db.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		out = append(out, string(k)+"="+string(v))
		return true, nil
	})
	if err != nil {
		t.Fatalf("Scan(%q): %v", prefix, err)
	}
	return out
}

// blockCommits makes the committer stop before its next badger commit
// until the returned release func is called. entered is closed once the
// committer is blocked.
func blockCommits(db *DB) (entered <-chan struct{}, release func()) {
	in := make(chan struct{})
	gate := make(chan struct{})
	var once sync.Once
	db.commitFault = func() error {
		once.Do(func() { close(in) })
		<-gate
		return nil
	}
	return in, sync.OnceFunc(func() { close(gate) })
}

// waitPending waits until n requests wait for the committer.
func waitPending(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		db.mu.Lock()
		got := len(db.pending)
		db.mu.Unlock()
		if got == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("pending never reached %d", n)
}

func TestGetScanDelete(t *testing.T) {
	db := openTest(t, "", Options{})
	mustCommit(t, db, kv("t/b", "2"), kv("t/a", "1"), kv("t/c", "3"), kv("u/a", "x"), kv("t/empty", ""))

	tests := []struct {
		key  string
		want []byte
	}{
		{"t/a", []byte("1")},
		{"t/empty", []byte{}},
		{"missing", nil},
	}
	for _, tt := range tests {
		got := mustGet(t, db, tt.key)
		if !bytes.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("Get(%q) = %q (nil %v), want %q (nil %v)", tt.key, got, got == nil, tt.want, tt.want == nil)
		}
	}

	if got, want := strings.Join(scanAll(t, db, "t/"), " "), "t/a=1 t/b=2 t/c=3 t/empty="; got != want {
		t.Errorf("Scan = %q, want %q", got, want)
	}

	var first []string
	if err := db.Scan([]byte("t/"), func(k, _ []byte) (bool, error) {
		first = append(first, string(k))
		return len(first) < 2, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 {
		t.Errorf("Scan did not stop when fn returned false: %v", first)
	}
	boom := errors.New("boom")
	if err := db.Scan([]byte("t/"), func(k, _ []byte) (bool, error) { return true, boom }); !errors.Is(err, boom) {
		t.Errorf("Scan error = %v, want boom", err)
	}

	mustCommit(t, db, del("t/b"), kv("t/d", "4"))
	if v := mustGet(t, db, "t/b"); v != nil {
		t.Errorf("deleted key still has %q", v)
	}
	if got, want := strings.Join(scanAll(t, db, "t/"), " "), "t/a=1 t/c=3 t/d=4 t/empty="; got != want {
		t.Errorf("Scan after delete = %q, want %q", got, want)
	}
}

// TestLast: the reverse seek finds the last key with a prefix, past
// deleted and overwritten keys and keys that go on with 0xFF bytes, and
// agrees with memstore (the bot.LastFinder of tests).
func TestLast(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, Options{})
	mem := memstore.New()
	long := "t/" + strings.Repeat("\xff", 1000)
	both := func(batch ...bot.KV) {
		t.Helper()
		mustCommit(t, db, batch...)
		if err := mem.Commit(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	both(kv("a/1", "x"), kv("t/a", "1"), kv("t/b", "2"), kv("t/c", "3"), kv("t/\xff\xff", "ff"), kv(long, "long"),
		kv("u/a", "u"), kv("v/", ""))
	// Reopened, the keys above are in a table on disk and the changes below
	// in the memtable: the seek must merge both.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, dir, Options{})
	both(del("t/c"), kv("t/b", "2b"))

	type result struct{ key, value string }
	tests := []struct {
		name   string
		prefix string
		del    []string // deleted before the lookup
		want   *result  // nil: none
	}{
		{"key going on with many 0xFF bytes", "t/", nil, &result{long, "long"}},
		{"key going on with 0xFF bytes", "t/", []string{long}, &result{"t/\xff\xff", "ff"}},
		{"past a deleted key, latest version", "t/", []string{"t/\xff\xff"}, &result{"t/b", "2b"}},
		{"prefix that is a key", "t/a", nil, &result{"t/a", "1"}},
		{"empty value", "v/", nil, &result{"v/", ""}},
		{"keys before and after, none with it", "s/", nil, nil},
		{"nothing after", "z", nil, nil},
		{"every key deleted", "u/", []string{"u/a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range tt.del {
				both(del(k))
			}
			for _, s := range []struct {
				name string
				lf   bot.LastFinder
			}{{"badger", db}, {"memstore", mem}} {
				k, v, err := s.lf.Last([]byte(tt.prefix))
				if err != nil {
					t.Fatalf("%s: Last(%q): %v", s.name, tt.prefix, err)
				}
				switch {
				case tt.want == nil && (k != nil || v != nil):
					t.Errorf("%s: Last(%q) = %.20q %q, want none", s.name, tt.prefix, k, v)
				case tt.want != nil && (string(k) != tt.want.key || string(v) != tt.want.value || v == nil):
					t.Errorf("%s: Last(%q) = %.20q %q (nil %v), want %.20q %q", s.name, tt.prefix, k, v, v == nil, tt.want.key, tt.want.value)
				}
			}
		})
	}

	db.Close()
	if _, _, err := db.Last([]byte("t/")); !errors.Is(err, ErrClosed) {
		t.Errorf("Last after Close = %v, want ErrClosed", err)
	}
}

func TestInvalidBatchDoesNotFail(t *testing.T) {
	db := openTest(t, "", Options{})
	for _, batch := range [][]bot.KV{
		{kv("ok", "1"), {Key: nil, Value: []byte("x")}},
		{kv("!badger!x", "1")},
		{{Key: bytes.Repeat([]byte("k"), maxKeySize+1), Value: []byte("x")}},
	} {
		if err := db.Commit(context.Background(), batch); !errors.Is(err, ErrInvalidBatch) {
			t.Errorf("Commit(invalid) = %v, want ErrInvalidBatch", err)
		}
	}
	if v := mustGet(t, db, "ok"); v != nil {
		t.Errorf("part of an invalid batch was written: %q", v)
	}
	mustCommit(t, db, kv("after", "1")) // not in failed state
}

func TestCommitOrderWithinGroup(t *testing.T) {
	db := openTest(t, "", Options{})
	entered, release := blockCommits(db)
	defer release()

	// The first commit blocks the committer; the next ones queue up in a
	// known order and form one group.
	errs := make(chan error, 20)
	go func() { errs <- db.Commit(context.Background(), []bot.KV{kv("first", "1")}) }()
	<-entered
	const n = 10
	for i := range n {
		go func() {
			errs <- db.Commit(context.Background(), []bot.KV{kv("k", fmt.Sprint(i)), kv(fmt.Sprintf("seen/%02d", i), "1")})
		}()
		waitPending(t, db, i+1)
	}
	// A delete then a set of the same key inside the group.
	go func() { errs <- db.Commit(context.Background(), []bot.KV{del("k")}) }()
	waitPending(t, db, n+1)
	go func() { errs <- db.Commit(context.Background(), []bot.KV{kv("k", "last")}) }()
	waitPending(t, db, n+2)
	release()
	for range n + 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if v := mustGet(t, db, "k"); string(v) != "last" {
		t.Errorf("k = %q, want the last batch's value", v)
	}
	if got := len(scanAll(t, db, "seen/")); got != n {
		t.Errorf("%d batches landed, want %d", got, n)
	}

	// Sequential commits: each overwrites the previous one.
	for i := range 5 {
		mustCommit(t, db, kv("seq", fmt.Sprint(i)))
	}
	mustCommit(t, db, del("seq"))
	if v := mustGet(t, db, "seq"); v != nil {
		t.Errorf("seq = %q after delete", v)
	}
}

func TestConcurrentCommits(t *testing.T) {
	db := openTest(t, "", Options{})
	const writers, each = 16, 30
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Every writer also overwrites its own "last" key: the value
				// must be its final i, whatever the grouping.
				err := db.Commit(context.Background(), []bot.KV{
					kv(fmt.Sprintf("w/%02d/%03d", w, i), "v"),
					kv(fmt.Sprintf("last/%02d", w), fmt.Sprint(i)),
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := len(scanAll(t, db, "w/")); got != writers*each {
		t.Errorf("%d keys, want %d", got, writers*each)
	}
	for w := range writers {
		if v := mustGet(t, db, fmt.Sprintf("last/%02d", w)); string(v) != fmt.Sprint(each-1) {
			t.Errorf("writer %d last = %q, want %d", w, v, each-1)
		}
	}
}

func TestOversizedBatchesAreSplitInOrder(t *testing.T) {
	db := openTest(t, "", Options{})
	entered, release := blockCommits(db)
	errs := make(chan error, 4)
	go func() { errs <- db.Commit(context.Background(), []bot.KV{kv("first", "1")}) }()
	<-entered

	// Values of 100 KB: a dozen exceed one transaction at MemorySmall
	// (1.2 MB), so the group and the big batch itself must be split.
	val := func(tag string) []byte { return bytes.Repeat([]byte(tag), 100<<10) }
	var big []bot.KV
	for i := range 30 {
		big = append(big, bot.KV{Key: fmt.Appendf(nil, "big/%02d", i), Value: val("b")})
	}
	small := []bot.KV{kv("small", "1"), {Key: []byte("big/00"), Value: val("s")}}
	go func() { errs <- db.Commit(context.Background(), small) }()
	waitPending(t, db, 1)
	go func() { errs <- db.Commit(context.Background(), big) }()
	waitPending(t, db, 2)
	go func() {
		errs <- db.Commit(context.Background(), []bot.KV{kv("after", "1"), {Key: []byte("big/29"), Value: val("a")}})
	}()
	waitPending(t, db, 3)
	release()
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := len(scanAll(t, db, "big/")); got != 30 {
		t.Errorf("%d big keys, want 30", got)
	}
	for key, tag := range map[string]string{"big/00": "b", "big/29": "a", "big/15": "b"} {
		if v := mustGet(t, db, key); !bytes.Equal(v, val(tag)) {
			t.Errorf("%s has the wrong value (order lost in split)", key)
		}
	}
	if mustGet(t, db, "small") == nil || mustGet(t, db, "after") == nil {
		t.Error("small batches around the big one were lost")
	}
}

func TestFailedState(t *testing.T) {
	db := openTest(t, "", Options{})
	mustCommit(t, db, kv("before", "1"))
	disk := errors.New("disk on fire")
	db.commitFault = func() error { return disk }

	err := db.Commit(context.Background(), []bot.KV{kv("x", "1")})
	if !errors.Is(err, ErrFailed) || !errors.Is(err, disk) {
		t.Fatalf("Commit = %v, want ErrFailed wrapping the cause", err)
	}
	db.commitFault = nil // the disk recovers, but the DB must stay failed
	if err := db.Commit(context.Background(), []bot.KV{kv("y", "1")}); !errors.Is(err, ErrFailed) {
		t.Fatalf("Commit after failure = %v, want ErrFailed", err)
	}
	if v := mustGet(t, db, "y"); v != nil {
		t.Error("a write landed after the failure")
	}
	if v := mustGet(t, db, "before"); string(v) != "1" {
		t.Errorf("reads broken in failed state: %q", v)
	}
}

func TestFailedGroupFailsEveryBatch(t *testing.T) {
	db := openTest(t, "", Options{})
	in := make(chan struct{})
	gate := make(chan struct{})
	calls := 0
	db.commitFault = func() error {
		calls++
		if calls == 1 {
			close(in)
			<-gate
			return nil
		}
		return errors.New("io error")
	}
	errs := make(chan error, 5)
	go func() { errs <- db.Commit(context.Background(), []bot.KV{kv("first", "1")}) }()
	<-in
	for i := range 4 {
		go func() { errs <- db.Commit(context.Background(), []bot.KV{kv(fmt.Sprint(i), "1")}) }()
		waitPending(t, db, i+1)
	}
	close(gate)
	var failed int
	for range 5 {
		if err := <-errs; errors.Is(err, ErrFailed) {
			failed++
		}
	}
	if failed != 4 {
		t.Errorf("%d of the 4 batches in the failed group got ErrFailed", failed)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, kv("a", "1"), kv("b", "2"))
	mustCommit(t, db, del("a"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, dir, Options{})
	if got, want := strings.Join(scanAll(t, db, ""), " "), "b=2 meta/schema=1"; got != want {
		t.Errorf("after reopen: %q, want %q", got, want)
	}
}

func TestCloseDrainsPendingCommits(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	entered, release := blockCommits(db)
	const n = 8
	errs := make(chan error, n+1)
	go func() { errs <- db.Commit(context.Background(), []bot.KV{kv("k/first", "1")}) }()
	<-entered
	for i := range n {
		go func() { errs <- db.Commit(context.Background(), []bot.KV{kv(fmt.Sprintf("k/%d", i), "1")}) }()
	}
	waitPending(t, db, n)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	// Close must wait for the committer; new commits are refused at once.
	deadline := time.Now().Add(10 * time.Second)
	for {
		db.mu.Lock()
		closing := db.closing
		db.mu.Unlock()
		if closing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Close never started")
		}
		time.Sleep(time.Millisecond)
	}
	if err := db.Commit(context.Background(), []bot.KV{kv("late", "1")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit during Close = %v, want ErrClosed", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) before pending commits were written", err)
	default:
	}
	release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for range n + 1 {
		if err := <-errs; err != nil {
			t.Fatalf("pending commit: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := db.Get([]byte("k/1")); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	db = openTest(t, dir, Options{})
	if got := len(scanAll(t, db, "k/")); got != n+1 {
		t.Errorf("%d keys after reopen, want %d", got, n+1)
	}
	if mustGet(t, db, "late") != nil {
		t.Error("a commit refused during Close landed")
	}
}

func TestCommitContext(t *testing.T) {
	db := openTest(t, "", Options{})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Commit(ctx, []bot.KV{kv("pre", "1")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit(cancelled ctx) = %v", err)
	}

	entered, release := blockCommits(db)
	defer release()
	blocked := make(chan error, 1)
	go func() { blocked <- db.Commit(context.Background(), []bot.KV{kv("blocker", "1")}) }()
	<-entered

	// Still queued when ctx ends: withdrawn, never written.
	ctx, cancel = context.WithCancel(context.Background())
	queued := make(chan error, 1)
	go func() { queued <- db.Commit(ctx, []bot.KV{kv("withdrawn", "1")}) }()
	waitPending(t, db, 1)
	cancel()
	if err := <-queued; !errors.Is(err, context.Canceled) || errors.Is(err, ErrMaybeCommitted) {
		t.Errorf("queued Commit = %v, want plain context.Canceled", err)
	}
	release()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	if mustGet(t, db, "withdrawn") != nil {
		t.Error("a withdrawn batch landed")
	}
	if mustGet(t, db, "pre") != nil {
		t.Error("a batch with an ended ctx landed")
	}

	// Taken by the committer when ctx ends: may land (and does).
	entered, release2 := blockCommits(db)
	ctx, cancel = context.WithCancel(context.Background())
	taken := make(chan error, 1)
	go func() { taken <- db.Commit(ctx, []bot.KV{kv("taken", "1")}) }()
	<-entered
	cancel()
	if err := <-taken; !errors.Is(err, ErrMaybeCommitted) || !errors.Is(err, context.Canceled) {
		t.Errorf("taken Commit = %v, want ErrMaybeCommitted", err)
	}
	release2()
	mustCommit(t, db, kv("barrier", "1"))
	if mustGet(t, db, "taken") == nil {
		t.Error("the batch handed to the committer did not land")
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	openTest(t, dir, Options{})
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	for _, want := range []string{dir, "另一个 yishi 进程", "another yishi process"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestBadgerLogger(t *testing.T) {
	tests := []struct {
		name string
		opts func(l *slog.Logger) Options
		want string // levels that got through
	}{
		{"default errors only", func(l *slog.Logger) Options { return Options{Logger: nil} }, "ERROR"},
		{"logger gets warnings", func(l *slog.Logger) Options { return Options{Logger: l} }, "WARN ERROR"},
		{"verbose", func(l *slog.Logger) Options { return Options{Logger: l, BadgerVerbose: true} }, "DEBUG INFO WARN ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			o := tt.opts(l)
			bl := newBadgerLogger(o)
			if o.Logger == nil { // default goes to slog.Default: capture it
				bl.l = l.With("component", "badger")
			}
			bl.Debugf("d %d\n", 1)
			bl.Infof("i %d\n", 2)
			bl.Warningf("w %d\n", 3)
			bl.Errorf("e %d\n", 4)
			var got []string
			for line := range strings.Lines(buf.String()) {
				for _, lv := range []string{"DEBUG", "INFO", "WARN", "ERROR"} {
					if strings.Contains(line, "level="+lv) {
						got = append(got, lv)
					}
				}
				if !strings.Contains(line, "component=badger") || strings.Contains(line, `\n`) {
					t.Errorf("bad line %q", line)
				}
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("forwarded %v, want %s", got, tt.want)
			}
		})
	}
}

func TestCloseWaitsForReads(t *testing.T) {
	db, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, kv("a", "1"), kv("b", "2"))
	inScan := make(chan struct{})
	closed := make(chan error, 1)
	scanned := make(chan error, 1)
	var getErr error
	go func() {
		scanned <- db.Scan([]byte("a"), func(k, _ []byte) (bool, error) {
			close(inScan)
			for { // wait until Close has begun
				db.readMu.Lock()
				c := db.closed
				db.readMu.Unlock()
				if c {
					break
				}
				time.Sleep(time.Millisecond)
			}
			// A read inside the callback neither blocks nor touches a
			// closed badger.
			_, getErr = db.Get(k)
			select {
			case err := <-closed:
				t.Errorf("Close returned (%v) while a Scan was running", err)
			default:
			}
			return true, nil
		})
	}()
	<-inScan
	go func() { closed <- db.Close() }()
	if err := <-scanned; err != nil {
		t.Fatal(err)
	}
	if !errors.Is(getErr, ErrClosed) {
		t.Errorf("Get during Close = %v, want ErrClosed", getErr)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}
