package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yishi-community/yishi/bot"
)

// Leases are rows of yishi_leases (name, holder, epoch, expires). Expiry is
// the database's clock (now()), so the processes' clocks never have to
// agree. A takeover and a fenced write both lock the row: a write under a
// lease commits before the lease can pass, or not at all.

// Acquire takes or renews holder's leases among names (bot.Leaser).
func (s *Store) Acquire(ctx context.Context, holder string, names []string, ttl time.Duration) ([]string, error) {
	names = sortedUnique(names)
	if len(names) == 0 {
		return nil, nil
	}
	// Rows are locked in name order in every process: two processes
	// acquiring overlapping sets cannot deadlock.
	rows, err := s.pool.Query(ctx, `
INSERT INTO yishi_leases AS l (name, holder, epoch, expires)
SELECT n, $1, 1, now() + make_interval(secs => $3) FROM unnest($2::text[]) AS n ORDER BY n
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires,
	epoch = l.epoch + CASE WHEN l.holder = excluded.holder THEN 0 ELSE 1 END
WHERE l.holder = excluded.holder OR l.expires <= now()
RETURNING name`, holder, names, ttl.Seconds())
	if err != nil {
		return nil, fmt.Errorf("postgres: acquire leases: %w", err)
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: acquire leases: %w", err)
	}
	slices.Sort(held)
	return held, nil
}

// Release ends holder's leases among names now (bot.Leaser). The row stays,
// expired, so the epoch keeps counting.
func (s *Store) Release(ctx context.Context, holder string, names []string) error {
	_, err := s.pool.Exec(ctx, `UPDATE yishi_leases SET expires = now() - interval '1 microsecond' WHERE holder = $1 AND name = ANY($2) AND expires > now()`,
		holder, sortedUnique(names))
	if err != nil {
		return fmt.Errorf("postgres: release leases: %w", err)
	}
	return nil
}

// Holders maps every unexpired lease to its holder (bot.Leaser).
func (s *Store) Holders(ctx context.Context) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, holder FROM yishi_leases WHERE expires > now()`)
	if err != nil {
		return nil, fmt.Errorf("postgres: read leases: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, h string
		if err := rows.Scan(&n, &h); err != nil {
			return nil, fmt.Errorf("postgres: read leases: %w", err)
		}
		out[n] = h
	}
	return out, rows.Err()
}

// checkFences verifies, inside the write's transaction, that the holders of
// the group's fenced batches still hold their leases, and locks those rows
// (FOR SHARE) so that no takeover commits before this transaction does.
func checkFences(ctx context.Context, tx pgx.Tx, group []*pending) error {
	want := map[string][]string{} // holder → leases
	for _, p := range group {
		if p.holder != "" {
			want[p.holder] = append(want[p.holder], p.leases...)
		}
	}
	for holder, leases := range want {
		leases = sortedUnique(leases)
		rows, err := tx.Query(ctx, `SELECT name FROM yishi_leases WHERE holder = $1 AND name = ANY($2) AND expires > now() ORDER BY name FOR SHARE`, holder, leases)
		if err != nil {
			return fmt.Errorf("check leases: %w", err)
		}
		held, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("check leases: %w", err)
		}
		if len(held) != len(leases) {
			var lost []string
			for _, l := range leases {
				if !slices.Contains(held, l) {
					lost = append(lost, l)
				}
			}
			return fmt.Errorf("%w: %s no longer holds %v", bot.ErrLeaseLost, holder, lost)
		}
	}
	return nil
}

func sortedUnique(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}
