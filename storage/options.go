package storage

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// MemoryProfile picks badger's memory settings.
type MemoryProfile int

const (
	// MemorySmall (the default) keeps RSS low: the target is ≤ 100 MB with
	// 1,000 topics and 100,000 votes stored. Small memtables, no block cache,
	// no compression, two compactors.
	MemorySmall MemoryProfile = iota
	// MemoryLarge uses badger's defaults (64 MB memtables, 256 MB block
	// cache): faster bulk loads at several hundred MB of RSS.
	MemoryLarge
)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Logger receives storage's own logs and badger's. Nil means
	// slog.Default() with only badger's errors forwarded; with a Logger set,
	// badger's warnings are forwarded too. Debug/Info are dropped unless
	// BadgerVerbose is set.
	Logger *slog.Logger
	// BadgerVerbose forwards badger's Info and Debug messages as well.
	BadgerVerbose bool
	// MemoryProfile defaults to MemorySmall.
	MemoryProfile MemoryProfile

	// Statfs reports the free bytes of the file system holding dir (nil:
	// the real statfs). Tests inject a fake one.
	Statfs func(dir string) (free uint64, err error)
	// SpaceMargin is the free space CheckSpace keeps; 0 sizes it from the
	// memtable and value-log sizes (see spaceMargin).
	SpaceMargin int64

	// migrations replaces the package's migration list (tests only).
	migrations []migration
	// noIntegrity turns off checksum verification and the space check
	// (benchmarks only: to measure what they cost).
	noIntegrity bool
}

// badgerOptions builds badger's options for dir. Shared by Open and the
// raw-badger benchmark so the comparison is fair.
func badgerOptions(dir string, o Options) badger.Options {
	bo := badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(newBadgerLogger(o)).
		// One writer (the committer) and no read-modify-write
		// transactions: conflict detection would only cost memory.
		WithDetectConflicts(false).
		WithMetricsEnabled(false)
	if !o.noIntegrity {
		// Every table block and every value read from the value log is
		// checked against its checksum; Open checks every table whole
		// before badger sees it (checkDir), so OnTableRead would read
		// each table twice.
		bo = bo.WithChecksumVerificationMode(options.OnBlockRead).
			WithVerifyValueChecksum(true)
	}
	if o.MemoryProfile == MemoryLarge {
		return bo
	}
	return bo.
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(2 << 20).
		WithBaseLevelSize(8 << 20).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		// Without compression or encryption badger reads blocks straight
		// from the mmapped tables, so it needs no block cache at all.
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		// Values below 1 MB live in the LSM tree; the value log only holds
		// larger ones, so it can be small. It also caps one value's size.
		WithValueLogFileSize(32 << 20)
}

// badgerLogger routes badger's printf-style logs to slog.
type badgerLogger struct {
	l   *slog.Logger
	min slog.Level
}

var _ badger.Logger = (*badgerLogger)(nil)

func newBadgerLogger(o Options) *badgerLogger {
	l, min := o.Logger, slog.LevelWarn
	if l == nil {
		l, min = slog.Default(), slog.LevelError
	}
	if o.BadgerVerbose {
		min = slog.LevelDebug
	}
	return &badgerLogger{l: l.With("component", "badger"), min: min}
}

func (b *badgerLogger) log(level slog.Level, format string, args ...any) {
	if level < b.min || !b.l.Enabled(context.Background(), level) {
		return
	}
	b.l.Log(context.Background(), level, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func (b *badgerLogger) Errorf(f string, a ...any)   { b.log(slog.LevelError, f, a...) }
func (b *badgerLogger) Warningf(f string, a ...any) { b.log(slog.LevelWarn, f, a...) }
func (b *badgerLogger) Infof(f string, a ...any)    { b.log(slog.LevelInfo, f, a...) }
func (b *badgerLogger) Debugf(f string, a ...any)   { b.log(slog.LevelDebug, f, a...) }
