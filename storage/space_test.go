package storage

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

func TestCheckSpaceWithFakeStatfs(t *testing.T) {
	var free atomic.Uint64
	free.Store(1 << 40)
	db := openTest(t, "", Options{Statfs: func(string) (uint64, error) { return free.Load(), nil }})
	if err := db.CheckSpace(); err != nil {
		t.Fatalf("plenty of space: %v", err)
	}
	free.Store(db.SpaceMargin() - 1)
	err := db.CheckSpace()
	if bot.ErrorCode(err) != bot.ENOSPACE || !errors.Is(err, ErrNoSpace) {
		t.Fatalf("below the margin: %v (code %q)", err, bot.ErrorCode(err))
	}
	if got := bot.ErrorMessage(err); got != "存储空间不足，本条未记录，请联系管理员。" {
		t.Errorf("message = %q", got)
	}
	free.Store(db.SpaceMargin())
	if err := db.CheckSpace(); err != nil {
		t.Errorf("space back: %v", err)
	}
}

func TestSpaceMarginCoversMappedFiles(t *testing.T) {
	bo := badgerOptions(t.TempDir(), Options{})
	m := spaceMargin(bo)
	if min := uint64(int64(bo.NumMemtables+1)*2*bo.MemTableSize + 4*bo.ValueLogFileSize); m < min {
		t.Errorf("margin %d below what the mapped logs may claim (%d)", m, min)
	}
}

// TestCheckSpaceOnTmpfs fills a real small file system: a tmpfs mounted
// for the test (root only; skipped where mount is not permitted).
func TestCheckSpaceOnTmpfs(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=192m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	db, err := Open(filepath.Join(mnt, "data"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.space.cache = 0
	mustCommit(t, db, kv("k", "v"))
	if err := db.CheckSpace(); err != nil {
		t.Fatalf("empty tmpfs: %v", err)
	}
	// Take all but half the margin with a filler file.
	var st syscall.Statfs_t
	if err := syscall.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	free := st.Bavail * uint64(st.Bsize)
	fill := int64(free - db.SpaceMargin()/2)
	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, fill); err != nil {
		f.Close()
		t.Skipf("fallocate on tmpfs: %v", err)
	}
	f.Close()
	if err := db.CheckSpace(); bot.ErrorCode(err) != bot.ENOSPACE {
		t.Fatalf("disk nearly full: %v", err)
	}
	// Writes still land (the margin is there for them), and the check
	// recovers by itself once space is back.
	mustCommit(t, db, kv("k2", "v2"))
	os.Remove(filler)
	if err := db.CheckSpace(); err != nil {
		t.Fatalf("space back: %v", err)
	}
	if string(mustGet(t, db, "k2")) != "v2" {
		t.Error("write below the margin lost")
	}
}

// BenchmarkCheckSpace is the free-space check as the engine calls it
// before every action (statfs at most every 50 ms).
func BenchmarkCheckSpace(b *testing.B) {
	db, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := db.CheckSpace(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
