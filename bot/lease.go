package bot

import (
	"context"
	"errors"
	"time"
)

// Leaser hands out exclusive, expiring leases in a store that several bot
// processes share (storage/postgres): each community is served by the one
// process holding its lease. Expiry is judged by the store's clock, never
// by the processes', so their clocks need not agree.
type Leaser interface {
	// Acquire takes, for holder, every lease among names that is free,
	// expired or already holder's, and extends each for ttl. It returns the
	// names holder holds now.
	Acquire(ctx context.Context, holder string, names []string, ttl time.Duration) ([]string, error)
	// Release gives up holder's leases among names at once (a clean
	// shutdown), so another process need not wait for them to expire.
	Release(ctx context.Context, holder string, names []string) error
	// Holders maps every lease name to its holder while it is unexpired.
	Holders(ctx context.Context) (map[string]string, error)
}

// FencedQueuer is implemented by shared stores: a batch queued with a
// fence is written only if holder still holds every lease in leases,
// checked inside the write's own transaction (and locking the lease rows
// against a takeover until it commits). A process that lost a community's
// lease to another — it was paused, or cut off from the database past the
// expiry — can then never append to that community's log behind the new
// holder's back; its write fails with ErrLeaseLost.
type FencedQueuer interface {
	EnqueueFenced(holder string, leases []string, batch []KV) (wait func(ctx context.Context) error, err error)
}

// ErrLeaseLost is returned for a fenced write whose lease has passed to
// another process or expired. The process must stop: its memory is ahead
// of what the store holds for that community.
var ErrLeaseLost = errors.New("lease lost to another process")

// CommunityLease is the lease name of a community.
func CommunityLease(community string) string { return "community/" + community }
