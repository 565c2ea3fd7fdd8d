package tgtest

import (
	"bytes"
	"context"
	"sort"
	"sync"

	"yishi/bot"
)

// MemStore is an in-memory bot.Store for tests.
type MemStore struct {
	mu      sync.Mutex
	m       map[string][]byte
	Commits int
}

var _ bot.Store = (*MemStore)(nil)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{m: map[string][]byte{}} }

// Commit applies the batch.
func (s *MemStore) Commit(ctx context.Context, batch []bot.KV) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Commits++
	for _, kv := range batch {
		if kv.Value == nil {
			delete(s.m, string(kv.Key))
			continue
		}
		s.m[string(kv.Key)] = bytes.Clone(kv.Value)
	}
	return nil
}

// Get returns the value or nil.
func (s *MemStore) Get(key []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.m[string(key)]), nil
}

// Scan visits keys with prefix in order.
func (s *MemStore) Scan(prefix []byte, fn func(key, value []byte) (bool, error)) error {
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

// Close does nothing.
func (s *MemStore) Close() error { return nil }
