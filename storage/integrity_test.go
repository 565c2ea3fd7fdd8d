package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

// filled is a closed data directory with n keys written in batches, so it
// has tables after the close.
func filled(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 50 {
		var b []bot.KV
		for j := i; j < i+50 && j < n; j++ {
			b = append(b, kv(fmt.Sprintf("k/%05d", j), strings.Repeat("值", 20)+fmt.Sprint(j)))
		}
		mustCommit(t, db, b...)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sums is the sha256 of every file under dir (names relative).
func sums(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel+"/"] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(h[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameFiles(t *testing.T, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("file %s changed (or vanished)", k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("file %s appeared", k)
		}
	}
}

func firstWith(t *testing.T, dir, ext string) string {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ext) {
			return filepath.Join(dir, e.Name())
		}
	}
	t.Fatalf("no %s file in %s", ext, dir)
	return ""
}

func wantDamaged(t *testing.T, err error, file string) {
	t.Helper()
	var de *DamageError
	if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) {
		t.Fatalf("err = %v, want a *DamageError", err)
	}
	if file != "" && de.File != file {
		t.Errorf("damaged file = %q, want %q (%v)", de.File, file, err)
	}
	for _, s := range []string{"已损坏", "yishi restore", "damaged", "Nothing was deleted"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message lacks %q: %v", s, err)
		}
	}
}

func TestDamagedDirectoryIsRefusedAndLeftAlone(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string) string // returns the file expected in the error
	}{
		{"missing MANIFEST", func(t *testing.T, dir string) string {
			os.Remove(filepath.Join(dir, "MANIFEST"))
			return "MANIFEST"
		}},
		{"MANIFEST cut to 5 bytes", func(t *testing.T, dir string) string {
			os.Truncate(filepath.Join(dir, "MANIFEST"), 5)
			return "MANIFEST"
		}},
		{"MANIFEST cut to its header", func(t *testing.T, dir string) string {
			os.Truncate(filepath.Join(dir, "MANIFEST"), 8)
			return "MANIFEST"
		}},
		{"MANIFEST replaced by a directory", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "MANIFEST")
			os.Remove(p)
			os.Mkdir(p, 0o700)
			return "MANIFEST"
		}},
		{"table replaced by a directory", func(t *testing.T, dir string) string {
			p := firstWith(t, dir, ".sst")
			os.Remove(p)
			os.Mkdir(p, 0o700)
			return filepath.Base(p)
		}},
		{"table missing", func(t *testing.T, dir string) string {
			p := firstWith(t, dir, ".sst")
			os.Remove(p)
			return filepath.Base(p)
		}},
		{"table tail zeroed", func(t *testing.T, dir string) string {
			p := firstWith(t, dir, ".sst")
			b, _ := os.ReadFile(p)
			clear(b[len(b)-64:])
			os.WriteFile(p, b, 0o644)
			return filepath.Base(p)
		}},
		{"table truncated", func(t *testing.T, dir string) string {
			p := firstWith(t, dir, ".sst")
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()/2)
			return filepath.Base(p)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filled(t, 400)
			file := c.damage(t, dir)
			before := sums(t, dir)
			for _, open := range []func(string, Options) (*DB, error){Open, OpenReadOnly} {
				db, err := open(dir, Options{})
				if err == nil {
					db.Close()
					t.Fatal("damaged directory opened")
				}
				wantDamaged(t, err, file)
			}
			sameFiles(t, before, sums(t, dir))
		})
	}
}

// Every byte of a table is covered by a checksum or a length that is
// checked: a flip anywhere is refused, never read as different data and
// never a panic.
func TestFlippedTableBytesAreRefused(t *testing.T) {
	dir := filled(t, 400)
	p := firstWith(t, dir, ".sst")
	orig, _ := os.ReadFile(p)
	step := max(1, len(orig)/97)
	for off := 0; off < len(orig); off += step {
		b := slices.Clone(orig)
		b[off] ^= 0x20
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := OpenReadOnly(dir, Options{})
		if err == nil {
			db.Close()
			t.Fatalf("flip at byte %d of %d: opened", off, len(orig))
		}
		wantDamaged(t, err, filepath.Base(p))
	}
}

func TestReadOnlyChangesNoByte(t *testing.T) {
	dir := filled(t, 400)
	before := sums(t, dir)
	db, err := OpenReadOnly(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if db.ReadCopy() {
		t.Error("a cleanly closed directory was read from a copy")
	}
	if got := len(scanAll(t, db, "k/")); got != 400 {
		t.Errorf("scan found %d keys, want 400", got)
	}
	if err := db.Commit(t.Context(), []bot.KV{kv("x", "y")}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Commit on a read-only DB: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, sums(t, dir))
}

// crashImage copies dir while a DB is open on it: what a kill -9 leaves
// (every acknowledged commit is synced, so it is in the files).
func crashImage(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	db := openTest(t, dir, Options{})
	for i := 0; i < n; i++ {
		mustCommit(t, db, kv(fmt.Sprintf("k/%05d", i), "赞成"+fmt.Sprint(i)))
	}
	img := t.TempDir()
	if err := copyDir(dir, img); err != nil {
		t.Fatal(err)
	}
	return img
}

func TestReadOnlyAfterCrashReadsACopy(t *testing.T) {
	img := crashImage(t, 100)
	before := sums(t, img)
	db, err := OpenReadOnly(img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !db.ReadCopy() {
		t.Error("expected a read from a copy: the write-ahead log has a tail to cut")
	}
	if got := len(scanAll(t, db, "k/")); got != 100 {
		t.Errorf("found %d keys, want all 100 acknowledged", got)
	}
	db.Close()
	sameFiles(t, before, sums(t, img))
}

func TestFlippedWALEntryBeforeOthersIsRefused(t *testing.T) {
	img := crashImage(t, 100)
	p := firstWith(t, img, ".mem")
	b, _ := os.ReadFile(p)
	end, _ := walkEntries(b, logHeaderSize)
	if end < 2000 {
		t.Fatalf("WAL holds only %d bytes of entries", end)
	}
	b[end/3] ^= 0x01 // inside an early entry: later ones are intact
	os.WriteFile(p, b, 0o644)
	before := sums(t, img)
	_, err := Open(img, Options{})
	wantDamaged(t, err, filepath.Base(p))
	sameFiles(t, before, sums(t, img))
}

func TestUnreferencedTablesAreSetAsideNotDeleted(t *testing.T) {
	dir := filled(t, 400)
	// A table the MANIFEST does not know, as an interrupted compaction
	// leaves it.
	src := firstWith(t, dir, ".sst")
	b, _ := os.ReadFile(src)
	os.WriteFile(filepath.Join(dir, "000999.sst"), b, 0o644)
	db := openTest(t, dir, Options{})
	if got := len(scanAll(t, db, "k/")); got != 400 {
		t.Errorf("found %d keys, want 400", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "orphaned-tables", "000999.sst")); err != nil {
		t.Errorf("unreferenced table not set aside: %v", err)
	}
}

func TestBackupRestore(t *testing.T) {
	img := crashImage(t, 300)
	db, err := OpenReadOnly(img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "b.yishi")
	size, err := WriteBackupFile(db, file)
	db.Close()
	if err != nil || size == 0 {
		t.Fatalf("backup: %d bytes, %v", size, err)
	}
	target := filepath.Join(t.TempDir(), "new")
	if err := Restore(file, target, Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := len(scanAll(t, r, "k/")); got != 300 {
		t.Errorf("restored %d keys, want 300", got)
	}
	if n, err := r.Count(); err != nil || n != 301 { // + the schema key
		t.Errorf("Count = %d, %v", n, err)
	}
	if err := Restore(file, target, Options{}); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("restore into a non-empty directory: %v", err)
	}
	// A file that is not a backup is refused before badger reads it
	// (Load would allocate what its first 8 bytes claim).
	junk := filepath.Join(t.TempDir(), "junk")
	os.WriteFile(junk, []byte("这不是备份文件，只是一段文字。"), 0o600)
	if err := Restore(junk, filepath.Join(t.TempDir(), "j"), Options{}); err == nil || !strings.Contains(err.Error(), "不是完整的 yishi 备份文件") {
		t.Errorf("restore of a text file: %v", err)
	}
	// A cut backup is refused.
	b, _ := os.ReadFile(file)
	os.WriteFile(file, b[:len(b)-7], 0o600)
	if err := Restore(file, filepath.Join(t.TempDir(), "cut"), Options{}); err == nil {
		t.Error("a truncated backup restored without an error")
	}
}

// TestBackupHoldsOnlyCurrentValues: a value overwritten to erase it (a
// secret ballot after the vote closed) or deleted is not in the backup,
// although badger still keeps the old version until a compaction.
func TestBackupHoldsOnlyCurrentValues(t *testing.T) {
	db := openTest(t, "", Options{})
	mustCommit(t, db, kv("ballot/1/r001", "选择：反对"), kv("gone", "已删除的内容"))
	mustCommit(t, db, kv("ballot/1/r001", "erased"), del("gone"))
	var buf bytes.Buffer
	if err := db.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	for _, old := range []string{"选择：反对", "已删除的内容"} {
		if bytes.Contains(buf.Bytes(), []byte(old)) {
			t.Errorf("backup holds the old value %q", old)
		}
	}
	if !bytes.Contains(buf.Bytes(), []byte("erased")) {
		t.Error("backup lacks the current value")
	}
}

// TestFlippedLengthOfClosingEntryIsRefused: the last transaction of the
// write-ahead log is intact but for a larger key length in its closing
// entry, so that entry seems to run past the written bytes as an
// unfinished write would; badger would drop the transaction.
func TestFlippedLengthOfClosingEntryIsRefused(t *testing.T) {
	img := crashImage(t, 20)
	p := firstWith(t, img, ".mem")
	b, _ := os.ReadFile(p)
	last := -1
	for off := logHeaderSize; ; {
		n, ok := entryAt(b, off)
		if !ok || n == 0 {
			break
		}
		if b[off]&bitFinTxn != 0 {
			last = off
		}
		off += n
	}
	if last < 0 {
		t.Fatal("no closing entry in the WAL")
	}
	if b[last+2] != byte(len(finTxnKey)+8) {
		t.Fatalf("unexpected key length byte %#x", b[last+2])
	}
	b[last+2] |= 0x40 // 19 → 83: claims 64 bytes more than were written
	os.WriteFile(p, b, 0o644)
	_, err := Open(img, Options{})
	wantDamaged(t, err, filepath.Base(p))
}

func TestFileInErr(t *testing.T) {
	for _, c := range []struct{ err, want string }{
		{"Error while reading IV for key registry. err: EOF", "KEYREGISTRY"},
		{"Opening table: \"/d/000012.sst\": bad", "000012.sst"},
		{"while opening file: /d/000001.vlog: x", "000001.vlog"},
		{"something else", ""},
	} {
		if got := fileInErr(errors.New(c.err)); got != c.want {
			t.Errorf("fileInErr(%q) = %q, want %q", c.err, got, c.want)
		}
	}
}
