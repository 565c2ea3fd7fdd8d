package storage

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/yishi-community/yishi/bot"
)

// space keeps the free-space margin. Badger writes its write-ahead log and
// value log through memory maps of files it creates sparse at their full
// size; a page of such a file that the file system cannot back when it is
// first written kills the process with SIGBUS instead of returning an
// error. So the margin covers every byte those files may still claim:
// each memtable's log (2× the memtable size, NumMemtables+1 of them),
// two value-log files (2× their size each) and a level of compaction
// output, plus 8 MiB for everything else (the MANIFEST, logs).
type space struct {
	dir    string
	margin uint64
	statfs func(string) (uint64, error)
	off    bool

	mu      sync.Mutex
	checked time.Time // last statfs; the answer is reused for cacheFor
	last    error
	now     func() time.Time
	cache   time.Duration
}

// spaceCache: statfs costs a system call, and free space does not change
// much between two votes; 50 ms is far below the time to fill the margin.
const spaceCache = 50 * time.Millisecond

func newSpace(dir string, bo badger.Options, o Options) *space {
	s := &space{dir: dir, statfs: o.Statfs, off: o.noIntegrity, now: time.Now, cache: spaceCache}
	if s.statfs == nil {
		s.statfs = statfsFree
	} else {
		s.cache = 0 // a fake statfs answers what the test says, at once
	}
	if o.SpaceMargin > 0 {
		s.margin = uint64(o.SpaceMargin)
	} else {
		s.margin = spaceMargin(bo)
	}
	return s
}

func spaceMargin(bo badger.Options) uint64 {
	return uint64(int64(bo.NumMemtables+1)*2*bo.MemTableSize +
		2*2*bo.ValueLogFileSize +
		bo.BaseTableSize*int64(bo.NumLevelZeroTables+1) +
		8<<20)
}

func statfsFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// ErrNoSpace is wrapped by CheckSpace's error (with a *bot.Error of code
// bot.ENOSPACE for the person in the chat).
var ErrNoSpace = fmt.Errorf("storage: free space below the margin")

// SpaceMargin is the free space CheckSpace keeps, in bytes.
func (db *DB) SpaceMargin() uint64 { return db.space.margin }

// CheckSpace returns an error for which bot.ErrorCode is bot.ENOSPACE when
// the file system of the data directory has less free space than the
// margin: the engine calls it before it applies an action, so an action
// is refused with a clear answer instead of being half written (or the
// process killed). It costs one statfs at most every 50 ms.
func (db *DB) CheckSpace() error {
	s := db.space
	if s.off {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.cache > 0 && !s.checked.IsZero() && now.Sub(s.checked) < s.cache {
		return s.last
	}
	s.checked = now
	free, err := s.statfs(s.dir)
	switch {
	case err != nil:
		// Not knowing is not "full": the commit itself will say.
		db.log.Warn("statfs of the data directory failed", "dir", s.dir, "err", err)
		s.last = nil
	case free < s.margin:
		s.last = fmt.Errorf("%w: %d bytes free in %s, %d kept free: %w", ErrNoSpace, free, db.dir, s.margin,
			bot.Errorf(bot.ENOSPACE, "存储空间不足，本条未记录，请联系管理员。"))
	default:
		s.last = nil
	}
	return s.last
}
