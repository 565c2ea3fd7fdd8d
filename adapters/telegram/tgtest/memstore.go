package tgtest

import "github.com/yishi-community/yishi/storage/memstore"

// MemStore is the in-memory bot.Store the adapter tests use.
type MemStore = memstore.Store

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return memstore.New() }
