package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/dgraph-io/badger/v4"

	"github.com/yishi-community/yishi/bot"
)

var (
	// ErrLocked: another process (or another Open in this one) holds the
	// data directory.
	ErrLocked = errors.New("storage: data directory in use")
	// ErrClosed: the DB was closed.
	ErrClosed = errors.New("storage: closed")
	// ErrFailed: a commit failed earlier; the DB accepts no more writes.
	ErrFailed = errors.New("storage: failed state after a commit error")
	// ErrMaybeCommitted: ctx ended after the batch was handed to the
	// committer; the batch may still be (or already be) on disk.
	ErrMaybeCommitted = errors.New("storage: commit outcome unknown, the batch may still land")
	// ErrReadOnly: the DB was opened with OpenReadOnly.
	ErrReadOnly = errors.New("storage: opened read-only")
	// ErrInvalidBatch: a key or value badger cannot store. Nothing of the
	// batch was written and the DB is not put in the failed state.
	ErrInvalidBatch = errors.New("storage: invalid batch")
)

const (
	maxKeySize = 65000 // badger's limit
	// reservedPrefix is badger's own key space.
	reservedPrefix = "!badger!"
)

// DB is a bot.Store on badger. It is safe for concurrent use.
type DB struct {
	dir      string
	bdb      *badger.DB
	log      *slog.Logger
	maxValue int64 // badger refuses larger values

	mu      sync.Mutex
	cond    *sync.Cond // signals the committer: pending work or closing
	pending []*request
	closing bool
	failErr error // set once by the committer; sticky

	// Reads register in readers so Close waits for them before closing
	// badger. Not an RWMutex: a Get inside a Scan callback must not block
	// behind a waiting Close.
	readMu    sync.Mutex
	readIdle  *sync.Cond // signalled when readers drops to 0
	readers   int
	closed    bool
	done      chan struct{} // closed when the committer exits
	closeOnce sync.Once
	closeErr  error

	// dropMu keeps group commits and DropPrefix apart (drop.go).
	dropMu sync.Mutex

	// commitFault, when set (tests only), runs before every badger commit
	// and fails it if it returns an error.
	commitFault func() error

	readOnly bool
	copyOf   string // temporary copy read instead of dir (OpenReadOnly), removed by Close
	space    *space
}

var _ bot.Store = (*DB)(nil)

type request struct {
	batch []bot.KV
	done  chan error // buffered: the committer never blocks on it
}

// Open opens (creating if needed) the database in dir. A directory held by
// another process gives an error wrapping ErrLocked; a damaged one a
// *DamageError (wrapping ErrDamaged), with nothing in it changed.
func Open(dir string, opts Options) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: create data directory %q: %w", dir, err)
	}
	// The lock first: a running bot's files are in motion.
	if err := lockFree(dir, false); err != nil {
		return nil, err
	}
	st, err := checkDirUnless(dir, opts)
	if err != nil {
		return nil, err
	}
	if len(st.orphans) > 0 {
		if err := setAside(dir, st.orphans, opts); err != nil {
			return nil, err
		}
	}
	return openBadger(dir, dir, opts, false)
}

// OpenReadOnly opens an existing database without changing any byte in
// dir: badger in read-only mode (a shared lock, so it fails while a
// writer holds the directory). When the directory was not closed cleanly
// (a log tail to cut, or tables left by an interrupted compaction), which
// badger can only fix by writing, it reads from a private copy instead,
// removed again by Close; ReadCopy says so.
func OpenReadOnly(dir string, opts Options) (*DB, error) {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("数据目录 %s 不存在或不是目录 / data directory %s does not exist: %w", dir, dir, errors.Join(err, ErrNotFound))
	}
	if err := lockFree(dir, true); err != nil {
		return nil, err
	}
	st, err := checkDirUnless(dir, opts)
	if err != nil {
		return nil, err
	}
	if st.empty {
		return nil, fmt.Errorf("数据目录 %s 里没有 yishi 的数据 / data directory %s holds no yishi data: %w", dir, dir, ErrNotFound)
	}
	if len(st.orphans) == 0 && len(st.dirtyLogs) == 0 {
		return openBadger(dir, dir, opts, true)
	}
	tmp, err := os.MkdirTemp("", "yishi-readcopy-")
	if err != nil {
		return nil, fmt.Errorf("storage: temporary copy for reading: %w", err)
	}
	if err := copyDir(dir, tmp); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("storage: copy %s for reading: %w", dir, err)
	}
	db, err := openBadger(tmp, dir, opts, false)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	db.copyOf = tmp
	db.log.Debug("data directory was not closed cleanly; reading a temporary copy, the directory itself is left as it is",
		"dir", dir, "logs", st.dirtyLogs, "orphans", st.orphans)
	return db, nil
}

// checkDirUnless is checkDir, skipped for the benchmarks that measure
// what the checks cost.
func checkDirUnless(dir string, opts Options) (dirState, error) {
	if opts.noIntegrity {
		return dirState{}, nil
	}
	return checkDir(dir)
}

// ErrNotFound: the data directory does not exist or holds no data.
var ErrNotFound = errors.New("storage: no data directory")

// ReadCopy reports whether a read-only DB reads a temporary copy of its
// directory (see OpenReadOnly).
func (db *DB) ReadCopy() bool { return db.copyOf != "" }

// openBadger opens badger on path (dir, or a copy of it) and the schema.
func openBadger(path, dir string, opts Options, readOnly bool) (db *DB, err error) {
	bo := badgerOptions(path, opts).WithReadOnly(readOnly)
	bdb, err := guardedOpen(bo)
	if err != nil {
		if isLockErr(err) {
			return nil, lockedErr(dir, err)
		}
		var de *DamageError
		if errors.As(err, &de) {
			de.Dir = dir
			return nil, de
		}
		return nil, &DamageError{Dir: dir, File: fileInErr(err), What: "badger 无法打开", Eng: "cannot be opened by badger", Err: err}
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	db = &DB{dir: dir, bdb: bdb, log: log.With("component", "storage"), maxValue: bo.ValueLogFileSize, done: make(chan struct{}),
		readOnly: readOnly}
	db.cond = sync.NewCond(&db.mu)
	db.readIdle = sync.NewCond(&db.readMu)
	db.space = newSpace(path, bo, opts)
	go db.committer()

	migs := migrations
	if opts.migrations != nil {
		migs = opts.migrations
	}
	if err := db.ensureSchema(migs); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

var badgerFileRE = regexp.MustCompile(`\b\d+\.(sst|vlog|mem)\b|MANIFEST|KEYREGISTRY|DISCARD`)

// fileInErr names the file a badger error is about, as far as its text
// tells ("" when it does not).
func fileInErr(err error) string {
	s := err.Error()
	if strings.Contains(strings.ToLower(s), "key registry") {
		return "KEYREGISTRY"
	}
	return badgerFileRE.FindString(s)
}

// guardedOpen is badger.Open with its panics (on data checkDir did not
// foresee) turned into a *DamageError.
func guardedOpen(bo badger.Options) (bdb *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			bdb, err = nil, &DamageError{What: "读取时出错(数据不一致)", Eng: "made badger fail while reading", Err: fmt.Errorf("panic: %v", r)}
		}
	}()
	return badger.Open(bo)
}

func lockedErr(dir string, err error) error {
	return fmt.Errorf("数据目录 %q 正被另一个 yishi 进程使用，同一目录只能由一个进程打开，请先停止那个进程 / "+
		"data directory %q is in use by another yishi process; stop it first: %w: %w", dir, dir, ErrLocked, err)
}

// lockFree fails with ErrLocked when another process holds dir, before
// anything in it is moved or copied (badger's own lock comes later).
func lockFree(dir string, shared bool) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("storage: open %s: %w", dir, err)
	}
	defer f.Close()
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		return lockedErr(dir, err)
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// setAside moves tables the MANIFEST does not reference into a
// subdirectory instead of letting badger delete them: after a crash in a
// compaction they are redundant, but if the MANIFEST lost entries they are
// the only copy.
func setAside(dir string, orphans []string, opts Options) error {
	aside := filepath.Join(dir, "orphaned-tables")
	if err := os.MkdirAll(aside, 0o700); err != nil {
		return fmt.Errorf("storage: set aside unreferenced tables: %w", err)
	}
	for _, n := range orphans {
		if err := os.Rename(filepath.Join(dir, n), filepath.Join(aside, n)); err != nil {
			return fmt.Errorf("storage: set aside unreferenced table %s: %w", n, err)
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log.Warn("tables not listed in MANIFEST (an interrupted compaction) moved aside, not deleted", "dir", aside, "tables", orphans)
	return syncDirectory(dir)
}

func syncDirectory(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// isLockErr recognises badger's directory-lock failure. Badger formats the
// flock error into text (no %w outside its debug mode), so match the text.
func isLockErr(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Another process is using this Badger database") ||
		strings.Contains(s, "Cannot acquire directory lock")
}

// Dir is the data directory.
func (db *DB) Dir() string { return db.dir }

// Commit writes batch atomically and durably (synced) and returns once it is
// on disk. A nil Value deletes the key; an empty non-nil Value stores an
// empty value. Concurrent Commits share one disk sync and land in the order
// they were called.
//
// If ctx ends while the batch still waits for the committer, the batch is
// withdrawn and ctx.Err() is returned: nothing was written. If ctx ends
// after the committer took the batch, Commit returns an error wrapping
// ErrMaybeCommitted and ctx.Err(): the write may still land (and will, unless
// the commit fails). A failed commit wraps ErrFailed, as does every Commit
// after it.
//
// A batch larger than badger's transaction limit (about 15% of the memtable,
// 1.2 MB with MemorySmall) is written in several transactions, in order:
// a crash in between can leave a prefix of it on disk.
func (db *DB) Commit(ctx context.Context, batch []bot.KV) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := db.enqueue(batch)
	if err != nil || r == nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
	}
	db.mu.Lock()
	for i, p := range db.pending {
		if p == r {
			db.pending = append(db.pending[:i], db.pending[i+1:]...)
			db.mu.Unlock()
			return ctx.Err()
		}
	}
	db.mu.Unlock()
	select {
	case err := <-r.done: // acknowledged meanwhile: the outcome is known
		return err
	default:
	}
	return fmt.Errorf("storage: commit: %w: %w", ErrMaybeCommitted, ctx.Err())
}

// enqueue validates batch and appends it to the pending queue, fixing its
// place in the commit order. A nil request with a nil error means an empty
// batch: nothing to write.
func (db *DB) enqueue(batch []bot.KV) (*request, error) {
	if err := validate(batch, db.maxValue); err != nil {
		return nil, err
	}
	r := &request{batch: cloneBatch(batch), done: make(chan error, 1)}
	db.mu.Lock()
	defer db.mu.Unlock()
	switch {
	case db.readOnly:
		return nil, ErrReadOnly
	case db.closing:
		return nil, ErrClosed
	case db.failErr != nil:
		return nil, fmt.Errorf("storage: commit refused: %w", db.failErr)
	case len(batch) == 0:
		return nil, nil
	}
	db.pending = append(db.pending, r)
	db.cond.Signal()
	return r, nil
}

func validate(batch []bot.KV, maxValue int64) error {
	for i, kv := range batch {
		switch {
		case len(kv.Key) == 0:
			return fmt.Errorf("%w: write %d has an empty key", ErrInvalidBatch, i)
		case len(kv.Key) > maxKeySize:
			return fmt.Errorf("%w: write %d: key of %d bytes exceeds %d", ErrInvalidBatch, i, len(kv.Key), maxKeySize)
		case bytes.HasPrefix(kv.Key, []byte(reservedPrefix)):
			return fmt.Errorf("%w: write %d: key prefix %q is reserved", ErrInvalidBatch, i, reservedPrefix)
		case int64(len(kv.Value)) > maxValue:
			return fmt.Errorf("%w: write %d: value of %d bytes exceeds %d", ErrInvalidBatch, i, len(kv.Value), maxValue)
		}
	}
	return nil
}

// cloneBatch copies the caller's slices: a caller whose ctx ended may reuse
// them while the committer still reads them.
func cloneBatch(batch []bot.KV) []bot.KV {
	out := make([]bot.KV, len(batch))
	for i, kv := range batch {
		out[i].Key = bytes.Clone(kv.Key)
		if kv.Value != nil {
			out[i].Value = append(make([]byte, 0, len(kv.Value)), kv.Value...)
		}
	}
	return out
}

// committer is the single writer: it takes every pending batch, writes the
// group and acknowledges each caller with the group's result.
func (db *DB) committer() {
	defer close(db.done)
	for {
		db.mu.Lock()
		for len(db.pending) == 0 && !db.closing {
			db.cond.Wait()
		}
		if len(db.pending) == 0 { // closing and drained
			db.mu.Unlock()
			return
		}
		// Writers acknowledged a moment ago are often about to enqueue
		// their next batch: let them run while the group still grows, since
		// a bigger group costs the same sync. Costs microseconds.
		for range 4 {
			n := len(db.pending)
			db.mu.Unlock()
			runtime.Gosched()
			db.mu.Lock()
			if len(db.pending) == n {
				break
			}
		}
		group := db.pending
		db.pending = nil
		err := db.failErr
		db.mu.Unlock()

		if err == nil {
			db.dropMu.Lock() // badger refuses writes while DropPrefix runs
			werr := db.writeGroup(group)
			db.dropMu.Unlock()
			if werr != nil {
				err = fmt.Errorf("storage: commit of a group of %d batches failed: %w: %w", len(group), ErrFailed, werr)
				db.log.Error("commit failed; the store refuses further writes, restart yishi", "err", werr)
				db.mu.Lock()
				db.failErr = err
				db.mu.Unlock()
			}
		} else {
			err = fmt.Errorf("storage: commit refused: %w", err)
		}
		for _, r := range group {
			r.done <- err
		}
	}
}

// writeGroup writes the batches in order in as few transactions as badger
// allows. It splits between batches where possible so each batch stays
// atomic; only a batch too big on its own is split inside.
func (db *DB) writeGroup(group []*request) error {
	start := 0 // first batch in txn
	txn := db.bdb.NewTransaction(true)
	defer func() { txn.Discard() }()
	for i := 0; i < len(group); i++ {
		err := addBatch(txn, group[i].batch)
		if err == nil {
			continue
		}
		if !errors.Is(err, badger.ErrTxnTooBig) {
			return err
		}
		txn.Discard()
		if i > start {
			// group[start:i] fitted together with part of batch i, so it
			// fits alone; then retry batch i in a fresh transaction.
			if err := db.commitBatches(group[start:i]); err != nil {
				return err
			}
			start, i = i, i-1
		} else {
			if err := db.commitSplit(group[i].batch); err != nil {
				return err
			}
			start = i + 1
		}
		txn = db.bdb.NewTransaction(true)
	}
	return db.commitTxn(txn)
}

func addBatch(txn *badger.Txn, batch []bot.KV) error {
	for _, kv := range batch {
		var err error
		if kv.Value == nil {
			err = txn.Delete(kv.Key)
		} else {
			err = txn.Set(kv.Key, kv.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) commitBatches(rs []*request) error {
	txn := db.bdb.NewTransaction(true)
	defer txn.Discard()
	for _, r := range rs {
		if err := addBatch(txn, r.batch); err != nil {
			return fmt.Errorf("re-add batches after split: %w", err)
		}
	}
	return db.commitTxn(txn)
}

// commitSplit writes one oversized batch in consecutive transactions.
func (db *DB) commitSplit(batch []bot.KV) error {
	db.log.Warn("batch exceeds one badger transaction; writing it in parts (not atomic across a crash)", "writes", len(batch))
	txn := db.bdb.NewTransaction(true)
	defer func() { txn.Discard() }()
	for i := 0; i < len(batch); {
		err := addBatch(txn, batch[i:i+1])
		switch {
		case err == nil:
			i++
		case errors.Is(err, badger.ErrTxnTooBig):
			if err := db.commitTxn(txn); err != nil {
				return err
			}
			txn = db.bdb.NewTransaction(true)
			// A single write that is too big would loop forever.
			if err := addBatch(txn, batch[i:i+1]); err != nil {
				return fmt.Errorf("write %d alone: %w", i, err)
			}
			i++
		default:
			return err
		}
	}
	return db.commitTxn(txn)
}

// commitTxn commits with sync (SyncWrites is on).
func (db *DB) commitTxn(txn *badger.Txn) error {
	if db.commitFault != nil {
		if err := db.commitFault(); err != nil {
			return err
		}
	}
	if err := txn.Commit(); err != nil {
		return fmt.Errorf("badger commit: %w", err)
	}
	return nil
}

// Get returns the value of key, or nil, nil when it is absent.
func (db *DB) Get(key []byte) (_ []byte, err error) {
	if !db.startRead() {
		return nil, ErrClosed
	}
	defer db.endRead()
	defer db.recoverRead(&err, nil)
	var val []byte
	err = db.bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		if err == nil && val == nil {
			val = []byte{} // present but empty: not "absent"
		}
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get %q: %w", key, err)
	}
	return val, nil
}

// Scan calls fn with copies of every key with prefix and its value, in key
// order, until fn returns false or an error (returned as is). It reads one
// consistent snapshot. fn must not call Close.
func (db *DB) Scan(prefix []byte, fn func(key, value []byte) (bool, error)) (err error) {
	if !db.startRead() {
		return ErrClosed
	}
	defer db.endRead()
	inFn := false
	defer db.recoverRead(&err, &inFn)
	txn := db.bdb.NewTransaction(false)
	defer txn.Discard()
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		val, err := item.ValueCopy(nil)
		if err != nil {
			return fmt.Errorf("storage: scan %q: read %q: %w", prefix, item.Key(), err)
		}
		if val == nil {
			val = []byte{}
		}
		k := item.KeyCopy(nil)
		inFn = true
		more, err := fn(k, val)
		inFn = false
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	return nil
}

var _ bot.LastFinder = (*DB)(nil)

// Last returns copies of the last key with prefix and its value, or nil,
// nil, nil when there is none, from one snapshot, with a reverse seek
// instead of a scan.
func (db *DB) Last(prefix []byte) (key, value []byte, err error) {
	if !db.startRead() {
		return nil, nil, ErrClosed
	}
	defer db.endRead()
	defer db.recoverRead(&err, nil)
	txn := db.bdb.NewTransaction(false)
	defer txn.Discard()
	// A reverse seek lands on the last key <= the seek key, so it seeks to
	// the prefix followed by 0xFF bytes (the prefix alone, which Rewind
	// uses, is before every key with it). Keys that go on with that whole
	// run of 0xFF sort after it; they are looked for first, forward: there
	// are none in practice, so that costs one seek.
	pad := append(bytes.Clone(prefix), "\xff\xff\xff\xff\xff\xff\xff\xff"...)
	if key = lastForward(txn, pad); key == nil {
		it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: prefix})
		if it.Seek(pad); it.ValidForPrefix(prefix) {
			key = it.Item().KeyCopy(nil)
		}
		it.Close()
	}
	if key == nil {
		return nil, nil, nil
	}
	item, err := txn.Get(key)
	if err == nil {
		value, err = item.ValueCopy(nil)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("storage: last %q: read %q: %w", prefix, key, err)
	}
	if value == nil {
		value = []byte{} // present but empty, as Get and Scan return it
	}
	return key, value, nil
}

// lastForward returns the last key with prefix by iterating over all of
// them (keys only): for a prefix that no key or few keys have.
func lastForward(txn *badger.Txn, prefix []byte) []byte {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var last []byte
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		last = it.Item().KeyCopy(last[:0])
	}
	return last
}

// recoverRead turns a panic inside badger during a read (it decodes what
// it reads without checking it first) into a *DamageError. A panic of the
// caller's own callback (*inFn) is not storage's to explain: it goes on.
func (db *DB) recoverRead(err *error, inFn *bool) {
	r := recover()
	if r == nil {
		return
	}
	if inFn != nil && *inFn {
		panic(r)
	}
	*err = &DamageError{Dir: db.dir, What: "读取时出错(数据不一致)", Eng: "made badger fail while reading", Err: fmt.Errorf("panic: %v", r)}
}

func (db *DB) startRead() bool {
	db.readMu.Lock()
	defer db.readMu.Unlock()
	if db.closed {
		return false
	}
	db.readers++
	return true
}

func (db *DB) endRead() {
	db.readMu.Lock()
	defer db.readMu.Unlock()
	if db.readers--; db.readers == 0 {
		db.readIdle.Broadcast()
	}
}

// Close stops accepting commits, waits for every pending one to be written
// and acknowledged, waits for running reads, then closes badger. It is
// idempotent. It must not be called from a Scan callback.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.mu.Lock()
		db.closing = true
		db.cond.Signal()
		db.mu.Unlock()
		<-db.done

		db.readMu.Lock()
		db.closed = true
		for db.readers > 0 {
			db.readIdle.Wait()
		}
		db.readMu.Unlock()
		if err := db.bdb.Close(); err != nil {
			db.closeErr = fmt.Errorf("storage: close badger in %q: %w", db.dir, err)
		}
		if db.copyOf != "" {
			os.RemoveAll(db.copyOf)
		}
	})
	return db.closeErr
}

// copyDir copies the regular files of src into dst (badger keeps no
// subdirectories), syncing nothing: the copy is thrown away.
func copyDir(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if err := copySparse(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copySparse copies in to out leaving runs of zeros as holes: badger's
// logs are preallocated sparse files mostly made of them.
func copySparse(out *os.File, in io.Reader) error {
	buf := make([]byte, 64<<10)
	var size int64
	for {
		n, err := io.ReadFull(in, buf)
		if n > 0 {
			chunk := buf[:n]
			if len(bytes.Trim(chunk, "\x00")) == 0 {
				if _, err := out.Seek(int64(n), io.SeekCurrent); err != nil {
					return err
				}
			} else if _, err := out.Write(chunk); err != nil {
				return err
			}
			size += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return out.Truncate(size)
		}
		if err != nil {
			return err
		}
	}
}
