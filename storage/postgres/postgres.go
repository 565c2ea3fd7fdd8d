// Package postgres keeps the bot's store in PostgreSQL (github.com/jackc/pgx/v5),
// for a deployment that outgrows one machine's disk: the database's
// replication, standby and pg_dump then protect the record.
//
// It implements the same contract as the embedded badger store (bot.Store:
// atomic batches, ordered prefix scans; bot.Queuer: batches queued in the
// engine's order and synced together; bot.LastFinder; bot.PrefixDropper).
// That contract is where the engine already writes an action's events, the
// snapshots they imply and its outgoing messages in one batch, so the hash
// chain, audit verify, record and the outbox work unchanged on both.
//
// Schema: one table kv(key bytea primary key, value bytea). PostgreSQL
// orders bytea bytewise, as badger orders keys, so prefix scans are range
// scans on the primary key. Migrations are plain SQL applied in order and
// recorded in yishi_schema.
//
// Group commit: concurrent Commit and Enqueue calls are gathered by one
// writer goroutine into a single transaction (applied in the order they
// were queued), so 128 voters in flight cost a handful of transactions, not
// 128.
//
// Erasure (DropPrefix, a closed secret ballot): the rows are deleted and the
// table vacuumed, so no dead tuple holding a choice stays readable in the
// table; PostgreSQL's write-ahead log and any base backup taken meanwhile
// keep old pages until they are recycled — say so to whoever runs the
// database.
package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yishi-community/yishi/bot"
)

// migrations are applied in order; each one's index+1 is its version.
var migrations = []string{
	`CREATE TABLE IF NOT EXISTS kv (key bytea PRIMARY KEY, value bytea NOT NULL)`,
	// Leases (lease.go): epoch counts the changes of holder, for the log.
	`CREATE TABLE IF NOT EXISTS yishi_leases (name text PRIMARY KEY, holder text NOT NULL, epoch bigint NOT NULL, expires timestamptz NOT NULL)`,
}

// Store is a bot.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	queue  chan *pending
	closed chan struct{}
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex // orders Enqueue calls into the queue
	failed error
}

type pending struct {
	batch []bot.KV
	err   chan error
	// holder and leases: the fence (EnqueueFenced); none when holder is "".
	holder string
	leases []string
}

var (
	_ bot.Store         = (*Store)(nil)
	_ bot.Queuer        = (*Store)(nil)
	_ bot.LastFinder    = (*Store)(nil)
	_ bot.PrefixDropper = (*Store)(nil)
	_ bot.Leaser        = (*Store)(nil)
	_ bot.FencedQueuer  = (*Store)(nil)
)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("postgres store: closed")

// Open connects to dsn (postgres://…), applies the schema migrations and
// starts the group-commit writer.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, log: log, queue: make(chan *pending, 1024), closed: make(chan struct{}), done: make(chan struct{})}
	go s.writer()
	return s, nil
}

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	// One migrating process at a time.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7946311)`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS yishi_schema (version int NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	var v int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM yishi_schema`).Scan(&v); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("postgres: the database has schema version %d, newer than this binary knows (%d): use a newer yishi", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.Exec(ctx, migrations[i]); err != nil {
			return fmt.Errorf("postgres: migration %d: %w", i+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO yishi_schema (version) VALUES ($1)`, i+1); err != nil {
			return fmt.Errorf("postgres: migration %d: %w", i+1, err)
		}
	}
	return tx.Commit(ctx)
}

// Commit writes the batch atomically and returns once it is committed.
func (s *Store) Commit(ctx context.Context, batch []bot.KV) error {
	wait, err := s.Enqueue(batch)
	if err != nil {
		return err
	}
	return wait(ctx)
}

// Enqueue queues the batch behind every batch queued before it; wait
// returns once it is committed (with those gathered into the same
// transaction).
func (s *Store) Enqueue(batch []bot.KV) (func(ctx context.Context) error, error) {
	return s.enqueue(&pending{batch: cloneBatch(batch), err: make(chan error, 1)})
}

// EnqueueFenced is Enqueue for a batch written under leases: the write's
// transaction first checks, locking the lease rows, that holder still holds
// them; otherwise nothing of the group is written and the store stops with
// bot.ErrLeaseLost (the process's memory is ahead of the database).
func (s *Store) EnqueueFenced(holder string, leases []string, batch []bot.KV) (func(ctx context.Context) error, error) {
	return s.enqueue(&pending{batch: cloneBatch(batch), err: make(chan error, 1), holder: holder, leases: leases})
}

func (s *Store) enqueue(p *pending) (func(ctx context.Context) error, error) {
	s.mu.Lock()
	select {
	case <-s.closed:
		s.mu.Unlock()
		return nil, ErrClosed
	default:
	}
	s.queue <- p
	s.mu.Unlock()
	return func(ctx context.Context) error {
		select {
		case err := <-p.err:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}, nil
}

func cloneBatch(b []bot.KV) []bot.KV {
	out := make([]bot.KV, len(b))
	for i, kv := range b {
		out[i] = bot.KV{Key: bytes.Clone(kv.Key)}
		if kv.Value != nil {
			out[i].Value = bytes.Clone(kv.Value)
		}
	}
	return out
}

// maxGroup bounds the batches of one transaction.
const maxGroup = 256

func (s *Store) writer() {
	defer close(s.done)
	for {
		var group []*pending
		select {
		case p := <-s.queue:
			group = append(group, p)
		case <-s.closed:
			// Deliver what was queued before Close.
			for {
				select {
				case p := <-s.queue:
					p.err <- s.write([]*pending{p})
				default:
					return
				}
			}
		}
	gather:
		for len(group) < maxGroup {
			select {
			case p := <-s.queue:
				group = append(group, p)
			default:
				break gather
			}
		}
		err := s.write(group)
		for _, p := range group {
			p.err <- err
		}
	}
}

// write applies the batches in order in one transaction. After a failure
// nothing more is written: the engine's in-memory state is ahead of the
// database, and it stops too (as with badger).
func (s *Store) write(group []*pending) error {
	if s.failed != nil {
		return s.failed
	}
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := checkFences(ctx, tx, group); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, p := range group {
			for _, kv := range p.batch {
				if kv.Value == nil {
					b.Queue(`DELETE FROM kv WHERE key = $1`, kv.Key)
				} else {
					b.Queue(`INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, kv.Key, kv.Value)
				}
			}
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		s.failed = fmt.Errorf("postgres: commit: %w", err)
		s.log.Error("postgres commit failed; the store stops writing", "err", err)
		return s.failed
	}
	return nil
}

// Get returns the value of key, nil when absent.
func (s *Store) Get(key []byte) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(context.Background(), `SELECT value FROM kv WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get: %w", err)
	}
	return v, nil
}

// upper is the smallest key greater than every key with prefix (nil:
// none, the prefix is all 0xff).
func upper(prefix []byte) []byte {
	u := bytes.Clone(prefix)
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] < 0xff {
			u[i]++
			return u[:i+1]
		}
	}
	return nil
}

// Scan calls fn for every key with prefix in key order, on one snapshot
// read, until fn returns false or an error.
func (s *Store) Scan(prefix []byte, fn func(key, value []byte) (bool, error)) error {
	ctx := context.Background()
	var rows pgx.Rows
	var err error
	if u := upper(prefix); u != nil {
		rows, err = s.pool.Query(ctx, `SELECT key, value FROM kv WHERE key >= $1 AND key < $2 ORDER BY key`, prefix, u)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT key, value FROM kv WHERE key >= $1 ORDER BY key`, prefix)
	}
	if err != nil {
		return fmt.Errorf("postgres: scan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("postgres: scan: %w", err)
		}
		more, err := fn(k, v)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: scan: %w", err)
	}
	return nil
}

// Last returns the last key with prefix and its value (nil, nil, nil when
// none).
func (s *Store) Last(prefix []byte) ([]byte, []byte, error) {
	ctx := context.Background()
	var k, v []byte
	var err error
	if u := upper(prefix); u != nil {
		err = s.pool.QueryRow(ctx, `SELECT key, value FROM kv WHERE key >= $1 AND key < $2 ORDER BY key DESC LIMIT 1`, prefix, u).Scan(&k, &v)
	} else {
		err = s.pool.QueryRow(ctx, `SELECT key, value FROM kv WHERE key >= $1 ORDER BY key DESC LIMIT 1`, prefix).Scan(&k, &v)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: last: %w", err)
	}
	return k, v, nil
}

// DropPrefix deletes every key with prefix, after everything queued before
// it, and vacuums the table so no dead row keeps the values.
func (s *Store) DropPrefix(prefix []byte) error {
	var keys [][]byte
	if err := s.Scan(prefix, func(k, _ []byte) (bool, error) { keys = append(keys, k); return true, nil }); err != nil {
		return err
	}
	batch := make([]bot.KV, len(keys))
	for i, k := range keys {
		batch[i] = bot.KV{Key: k}
	}
	if err := s.Commit(context.Background(), batch); err != nil {
		return err
	}
	if _, err := s.pool.Exec(context.Background(), `VACUUM kv`); err != nil {
		return fmt.Errorf("postgres: vacuum after erasure: %w", err)
	}
	return nil
}

// Close writes what was queued and disconnects.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		close(s.closed)
		s.mu.Unlock()
		<-s.done
		s.pool.Close()
	})
	return nil
}
