package storage

import "fmt"

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
