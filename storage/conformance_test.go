package storage_test

import (
	"path/filepath"
	"testing"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/storage"
	"github.com/yishi-community/yishi/storage/memstore"
	"github.com/yishi-community/yishi/storage/storetest"
)

// TestConformance runs the shared store contract on badger (and on the
// in-memory store the other packages' tests use).
func TestConformance(t *testing.T) {
	t.Run("badger", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) bot.Store {
			db, err := storage.Open(filepath.Join(t.TempDir(), "d"), storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return db
		})
	})
	t.Run("memstore", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) bot.Store { return memstore.New() })
	})
}
