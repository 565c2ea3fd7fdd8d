package storage

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// BackupTo writes a full backup of the store (badger's backup stream, which
// `badger restore` and DB.Load read back) to path: to a temporary file,
// synced, then renamed into place, so a crash leaves either no file or a
// whole one. It returns the size written.
func (db *DB) BackupTo(path string) (int64, error) {
	if !db.startRead() {
		return 0, ErrClosed
	}
	defer db.endRead()
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("storage: backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing to remove
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := db.Backup(w); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("storage: backup: %w", err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("storage: backup: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("storage: backup: sync: %w", err)
	}
	st, err := tmp.Stat()
	if err != nil {
		tmp.Close()
		return 0, fmt.Errorf("storage: backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("storage: backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("storage: backup: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return st.Size(), nil
}
