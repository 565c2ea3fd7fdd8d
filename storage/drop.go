package storage

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// DropPrefix deletes every key with the prefix and has badger rewrite the
// tables that held them, so that old versions do not linger in its files
// until some later compaction (bot.PrefixDropper). The engine uses it to
// erase a secret ballot's choices once the vote has closed. Badger blocks
// writes while it runs; it is called rarely (once per secret round).
func (db *DB) DropPrefix(prefix []byte) error {
	if !db.startRead() {
		return ErrClosed
	}
	defer db.endRead()
	db.dropMu.Lock()
	defer db.dropMu.Unlock()
	if err := db.bdb.DropPrefix(prefix); err != nil {
		return fmt.Errorf("storage: drop prefix %q: %w", prefix, err)
	}
	return nil
}

// EveryVersion calls fn with every key and value badger still holds, every
// version, deleted or not: what someone reading the files could find. It
// is for tests and audits of what the store keeps (secret ballots).
func (db *DB) EveryVersion(fn func(key, value []byte) error) error {
	if !db.startRead() {
		return ErrClosed
	}
	defer db.endRead()
	return db.bdb.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.AllVersions = true
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if err := fn(item.KeyCopy(nil), v); err != nil {
				return err
			}
		}
		return nil
	})
}
