package storage

import (
	"context"
	"fmt"
	"sync"

	"github.com/yishi-community/yishi/bot"
)

var _ bot.Queuer = (*DB)(nil)

// Enqueue hands batch to the committer now, fixing its place in the commit
// order, and returns a function that waits until it is synced. The engine
// enqueues under its own lock (so batches land in the order actions were
// applied) and waits after releasing it (so concurrent actions share one
// sync). Unlike Commit, a batch once queued is never withdrawn: wait's ctx
// only bounds the waiting (an error wrapping ErrMaybeCommitted when it ends
// first). wait may be called more than once; later calls return the same
// result once it is known.
func (db *DB) Enqueue(batch []bot.KV) (wait func(ctx context.Context) error, err error) {
	r, err := db.enqueue(batch)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return func(context.Context) error { return nil }, nil
	}
	var (
		mu     sync.Mutex
		got    bool
		result error
	)
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if got {
			return result
		}
		select {
		case result = <-r.done:
			got = true
			return result
		case <-ctx.Done():
			return fmt.Errorf("storage: commit: %w: %w", ErrMaybeCommitted, ctx.Err())
		}
	}, nil
}
