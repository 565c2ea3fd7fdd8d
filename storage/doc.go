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
package storage
