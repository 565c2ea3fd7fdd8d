package storage

import (
	"context"
	"fmt"

	"yishi/bot"
)

var _ bot.Queuer = (*DB)(nil)

// Enqueue hands batch to the committer now, fixing its place in the commit
// order, and returns a function that waits until it is synced. Unlike
// Commit, a batch once queued is never withdrawn: wait's ctx only bounds the
// waiting (an error wrapping ErrMaybeCommitted when it ends first).
func (db *DB) Enqueue(batch []bot.KV) (func(context.Context) error, error) {
	if err := validate(batch, db.maxValue); err != nil {
		return nil, err
	}
	r := &request{batch: cloneBatch(batch), done: make(chan error, 1)}
	db.mu.Lock()
	switch {
	case db.closing:
		db.mu.Unlock()
		return nil, ErrClosed
	case db.failErr != nil:
		err := db.failErr
		db.mu.Unlock()
		return nil, fmt.Errorf("storage: commit refused: %w", err)
	case len(batch) == 0:
		db.mu.Unlock()
		return func(context.Context) error { return nil }, nil
	}
	db.pending = append(db.pending, r)
	db.cond.Signal()
	db.mu.Unlock()
	return func(ctx context.Context) error {
		select {
		case err := <-r.done:
			return err
		case <-ctx.Done():
			return fmt.Errorf("storage: commit: %w: %w", ErrMaybeCommitted, ctx.Err())
		}
	}, nil
}
