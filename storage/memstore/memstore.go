// Package memstore is an in-memory bot.Store for tests of packages that
// keep records through the store interface. It is not durable: production
// code uses storage.Open (badger).
package memstore

import (
	"bytes"
	"context"
	"sort"
	"sync"

	"github.com/yishi-community/yishi/bot"
)

// Store is an in-memory bot.Store, safe for concurrent use.
type Store struct {
	mu sync.Mutex
	m  map[string][]byte
}

var _ bot.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{m: map[string][]byte{}} }

// Commit applies the batch atomically.
func (s *Store) Commit(ctx context.Context, batch []bot.KV) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, kv := range batch {
		if kv.Value == nil {
			delete(s.m, string(kv.Key))
			continue
		}
		s.m[string(kv.Key)] = bytes.Clone(kv.Value)
	}
	return nil
}

// Get returns a copy of the value, or nil when absent.
func (s *Store) Get(key []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.m[string(key)]), nil
}

// Scan visits the keys with prefix in order, on a snapshot (fn may write).
func (s *Store) Scan(prefix []byte, fn func(key, value []byte) (bool, error)) error {
	s.mu.Lock()
	var keys []string
	for k := range s.m {
		if bytes.HasPrefix([]byte(k), prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		vals[i] = bytes.Clone(s.m[k])
	}
	s.mu.Unlock()
	for i, k := range keys {
		more, err := fn([]byte(k), vals[i])
		if err != nil || !more {
			return err
		}
	}
	return nil
}

var _ bot.LastFinder = (*Store)(nil)

// Last returns the last key with prefix and a copy of its value (nil, nil,
// nil when none), like storage.DB, so that code using bot.LastFinder is
// tested on it too. It looks at every key: the store is for tests.
func (s *Store) Last(prefix []byte) (key, value []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last, found := "", false
	for k := range s.m {
		if bytes.HasPrefix([]byte(k), prefix) && (!found || k > last) {
			last, found = k, true
		}
	}
	if !found {
		return nil, nil, nil
	}
	return []byte(last), bytes.Clone(s.m[last]), nil
}

// Len is the number of keys stored.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Close does nothing.
func (s *Store) Close() error { return nil }
