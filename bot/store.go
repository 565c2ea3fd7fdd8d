package bot

import "context"

// KV is one write in a batch. A nil Value deletes the key.
type KV struct {
	Key   []byte
	Value []byte
}

// Store is the durable key-value store behind the engine (storage/ is the
// badger implementation). Commit returns only after the batch is synced to
// disk; concurrent commits may share one sync (group commit). Batches commit
// in the order Commit was called.
type Store interface {
	Commit(ctx context.Context, batch []KV) error
	Get(key []byte) ([]byte, error) // nil, nil when absent
	// Scan calls fn for every key with the prefix, in key order, until fn
	// returns false or an error.
	Scan(prefix []byte, fn func(key, value []byte) (bool, error)) error
	Close() error
}

// Queuer is implemented by stores that can queue a batch and wait for its
// sync separately. The engine queues while it still holds its lock, so that
// batches land in the order their actions were applied (the audit chain
// depends on it), and waits for the sync after releasing the lock, so that
// concurrent actions share one sync. A store without it is committed under
// the engine lock: correct, but one sync per action.
type Queuer interface {
	Enqueue(batch []KV) (wait func(ctx context.Context) error, err error)
}

// LastFinder is implemented by stores that can find the last key with a
// prefix without scanning them all (storage/ uses a reverse iterator).
type LastFinder interface {
	Last(prefix []byte) (key, value []byte, err error) // nil, nil, nil when none
}

// PrefixDropper is implemented by stores that can delete every key with a
// prefix and rewrite the files that held them, so that no old version stays
// on disk (storage/ uses badger's DropPrefix). The engine erases a closed
// secret ballot's choices with it.
type PrefixDropper interface {
	DropPrefix(prefix []byte) error
}
