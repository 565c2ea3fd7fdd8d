// Package storage is the durable key-value store behind yishi: a bot.Store
// on badger (github.com/dgraph-io/badger/v4) on local disk. It is the only
// package that imports badger.
//
// Durability: DB.Commit returns only after its batch is synced to disk.
// Concurrent callers share syncs (group commit): one committer goroutine
// drains every pending batch, writes them in one badger transaction, syncs
// once and acknowledges all of them. Batches land in the order Commit was
// called. A commit error puts the DB into a failed state (ErrFailed): the
// engine above keeps in-memory state that may no longer match the disk, so
// every later Commit fails too and the process should restart. Enqueue
// splits Commit in two: it fixes the batch's place in the order at once and
// returns a wait function, so a caller can enqueue under its own lock and
// wait for the sync after releasing it.
//
// Schema: the key "meta/schema" holds the data format version as decimal
// ASCII. Open writes it on an empty directory, runs pending migrations in
// order on an older one and refuses a newer one.
//
// Only one process may open a data directory; a second one gets ErrLocked
// with a message naming the directory.
//
// Integrity: before badger opens a directory, checkDir replays its
// MANIFEST, checks every table's footer, index and blocks against their
// checksums and walks every write-ahead and value log entry by entry,
// reading only. Badger would delete the tables of a directory without a
// readable MANIFEST, cut a log at its first bad entry and panic (in a
// goroutine, beyond recover) on a garbled table; a damaged directory is
// refused instead with a *DamageError (ErrDamaged) in Chinese and English
// that names the file and points to yishi restore, and nothing in it is
// changed. Tables the MANIFEST does not list (an interrupted compaction)
// are moved to orphaned-tables/ instead of being deleted. Badger checks
// block and value checksums on every read, and a panic inside badger on a
// read becomes a *DamageError.
//
// OpenReadOnly opens with a shared lock and badger's read-only mode and
// changes no byte; a directory that needs badger's repairs after a crash
// is read from a temporary copy. Backup writes each key's current value
// from one snapshot in badger's backup format; WriteBackupFile makes it
// atomic; Restore loads one into an empty directory.
//
// CheckSpace refuses (bot.ENOSPACE) when the file system's free space is
// below a margin sized from the memory-mapped logs badger may still grow
// (see space.go): a full disk under a memory map is a SIGBUS, not an error.
package storage
