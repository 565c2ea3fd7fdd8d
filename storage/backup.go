package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"google.golang.org/protobuf/proto"
)

// Backup writes a consistent copy of every key's current value, read from
// one snapshot, to w in badger's backup format (little-endian uint64
// length, then a protobuf KVList; badger's Load reads it). It works on a
// read-only DB and while commits go on.
//
// Not badger's own DB.Backup: that writes every version of a key still in
// the tree, so a value overwritten to erase it (a secret ballot after the
// vote closed) would live on in the backup.
func (db *DB) Backup(w io.Writer) (err error) {
	if !db.startRead() {
		return ErrClosed
	}
	defer db.endRead()
	defer db.recoverRead(&err, nil)
	bw := bufio.NewWriterSize(w, 256<<10)
	err = db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		list := &pb.KVList{}
		size := 0
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			val, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("read %q: %w", item.Key(), err)
			}
			list.Kv = append(list.Kv, &pb.KV{Key: item.KeyCopy(nil), Value: val, Version: item.Version(),
				UserMeta: []byte{item.UserMeta()}, ExpiresAt: item.ExpiresAt()})
			if size += len(val) + int(item.KeySize()); size > 1<<20 || len(list.Kv) >= 1000 {
				if err := writeList(bw, list); err != nil {
					return err
				}
				list.Kv, size = list.Kv[:0], 0
			}
		}
		if len(list.Kv) > 0 {
			return writeList(bw, list)
		}
		return nil
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("storage: backup of %s: %w", db.dir, err)
	}
	return nil
}

func writeList(w io.Writer, list *pb.KVList) error {
	buf, err := proto.Marshal(list)
	if err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(buf))); err != nil {
		return err
	}
	_, err = w.Write(buf)
	return err
}

// WriteBackupFile writes a backup of db to path atomically: into a
// temporary file next to it, synced, then renamed over path and the
// directory synced. A crash at any point leaves path as it was (an old
// backup or nothing) and at worst a stray temporary file, never a torn
// backup under the final name. It returns the size in bytes.
func WriteBackupFile(db interface{ Backup(io.Writer) error }, path string) (int64, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("备份文件无法创建 / cannot create the backup file in %s: %w", dir, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := db.Backup(tmp); err != nil {
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("storage: sync backup: %w", err)
	}
	fi, err := tmp.Stat()
	if err != nil {
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("storage: close backup: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("storage: rename backup into place: %w", err)
	}
	ok = true
	if err := syncDirectory(dir); err != nil {
		return 0, fmt.Errorf("storage: sync %s: %w", dir, err)
	}
	return fi.Size(), nil
}

// ErrNotEmpty: Restore was given a directory that already holds files.
var ErrNotEmpty = errors.New("storage: target directory not empty")

// Restore loads the backup file at path into dir, which must not exist or
// be empty, and syncs it. A damaged backup file gives an error and leaves
// dir with whatever was loaded: the caller removes it.
func Restore(path, dir string, opts Options) (err error) {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("目标目录 %s 不是空的，恢复只写入空目录(或不存在的目录) / %s is not empty: %w", dir, dir, ErrNotEmpty)
	} else if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("storage: read %s: %w", dir, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("备份文件 %s 无法打开 / cannot open backup %s: %w", path, path, err)
	}
	defer f.Close()
	if err := checkFrames(f); err != nil {
		return fmt.Errorf("%s 不是完整的 yishi 备份文件 / %s is not a complete yishi backup: %w", path, path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storage: create %s: %w", dir, err)
	}
	bdb, err := guardedOpen(badgerOptions(dir, opts))
	if err != nil {
		return fmt.Errorf("storage: open %s for restore: %w", dir, err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("备份文件 %s 已损坏 / backup %s is damaged: panic: %v", path, path, r)
		}
		if cerr := bdb.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("storage: close %s after restore: %w", dir, cerr)
		}
	}()
	if err := bdb.Load(f, 16); err != nil {
		return fmt.Errorf("备份文件 %s 已损坏或不完整 / backup %s is damaged or incomplete: %w", path, path, err)
	}
	return bdb.Sync()
}

// checkFrames walks the backup's frames (length, protobuf list) before
// badger's Load sees them: Load allocates whatever length a frame claims,
// so a file that is not a backup could ask for gigabytes. It leaves f at
// its start.
func checkFrames(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	r := bufio.NewReader(f)
	var off int64
	for off < size {
		var n uint64
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return fmt.Errorf("frame at byte %d: %w", off, err)
		}
		off += 8
		if n > uint64(size-off) {
			return fmt.Errorf("frame at byte %d claims %d bytes, %d left", off-8, n, size-off)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		if err := proto.Unmarshal(buf, &pb.KVList{}); err != nil {
			return fmt.Errorf("frame at byte %d: %w", off-8, err)
		}
		off += int64(n)
	}
	if size == 0 {
		return errors.New("empty file")
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}

// Count returns how many keys the DB holds (the schema key included).
func (db *DB) Count() (n int, err error) {
	if !db.startRead() {
		return 0, ErrClosed
	}
	defer db.endRead()
	defer db.recoverRead(&err, nil)
	err = db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n, err
}
