package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/fb"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/badger/v4/y"
	"google.golang.org/protobuf/proto"
)

// ErrDamaged: a file of the data directory is damaged or missing. Open
// refuses the directory and changes nothing in it.
var ErrDamaged = errors.New("storage: data directory damaged")

// DamageError names what is damaged, in Chinese and English, and what to
// do. It wraps ErrDamaged.
type DamageError struct {
	Dir  string
	File string // base name of the damaged file, "" when it is the directory as a whole
	What string // Chinese description
	Eng  string // English description
	Err  error  // underlying cause, may be nil
}

func (e *DamageError) Error() string {
	file := e.File
	if file == "" {
		file = "(目录)"
	}
	if errors.Is(e.Err, fs.ErrPermission) {
		// Not damage: the files are there but this user may not read them.
		return fmt.Sprintf("数据目录 %s 里的 %s 没有读写权限：请用数据目录的属主运行 yishi，或改正文件的属主和权限(chown/chmod)。没有删除或改写任何文件。 / "+
			"%s in data directory %s cannot be accessed by this user: run yishi as the directory's owner or fix ownership and permissions. Nothing was changed. (%v)",
			e.Dir, file, file, e.Dir, e.Err)
	}
	s := fmt.Sprintf("数据目录 %s 已损坏：文件 %s %s。yishi 没有删除或改写任何文件。"+
		"请停止 yishi，把这个目录整个复制一份留作证据，然后用 yishi restore 备份文件 --data 新目录 从最近的备份恢复，"+
		"再用 --data 新目录 启动（见 README「Operating it」）。 / "+
		"data directory %s is damaged: file %s %s. Nothing was deleted or rewritten. "+
		"Stop yishi, keep a copy of the directory, restore the latest backup with `yishi restore BACKUP --data NEWDIR` and run on NEWDIR.",
		e.Dir, file, e.What, e.Dir, file, e.Eng)
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

func (e *DamageError) Unwrap() []error { return []error{ErrDamaged, e.Err} }

// dirState is what the pre-open check learnt about a data directory.
type dirState struct {
	empty bool // no badger data file at all: a new directory
	// orphans are tables the MANIFEST does not reference (left by a crash
	// in the middle of a compaction). Badger deletes them at open; Open
	// moves them aside instead.
	orphans []string
	// dirtyLogs: a write-ahead or value log has an unfinished tail (the
	// process was killed): badger truncates it at open, which a read-only
	// open cannot do.
	dirtyLogs []string
}

// checkDir inspects dir before badger opens it, reading only. It refuses,
// with a *DamageError, what badger would "repair" by deleting data or would
// panic on: a missing or unreadable MANIFEST next to data files, tables the
// MANIFEST names but that are missing, tables whose footer or blocks fail
// their checksums, and logs with intact entries after a damaged one.
func checkDir(dir string) (dirState, error) {
	var st dirState
	ents, err := os.ReadDir(dir)
	if err != nil {
		return st, &DamageError{Dir: dir, What: "无法读取", Eng: "cannot be read", Err: err}
	}
	var tables, logs []string
	var manifest os.DirEntry
	for _, e := range ents {
		n := e.Name()
		switch {
		case n == badger.ManifestFilename:
			manifest = e
		case strings.HasSuffix(n, ".sst"):
			tables = append(tables, n)
		case strings.HasSuffix(n, ".vlog"), strings.HasSuffix(n, ".mem"):
			logs = append(logs, n)
		}
	}
	if len(tables) == 0 && len(logs) == 0 && manifest == nil {
		st.empty = true
		return st, nil
	}
	for _, n := range append(slices.Clone(tables), logs...) {
		if fi, err := os.Stat(filepath.Join(dir, n)); err != nil || !fi.Mode().IsRegular() {
			return st, &DamageError{Dir: dir, File: n, What: "不是可读的普通文件", Eng: "is not a readable regular file", Err: err}
		}
	}
	m, err := readManifest(dir, manifest, len(tables) > 0 || len(logs) > 0)
	if err != nil {
		return st, err
	}
	onDisk := map[uint64]string{}
	for _, n := range tables {
		id, err := strconv.ParseUint(strings.TrimSuffix(n, ".sst"), 10, 64)
		if err != nil {
			continue // not badger's: badger ignores it too
		}
		onDisk[id] = n
	}
	var buf []byte // one buffer for every table: a cold start reads them all
	ids := make([]uint64, 0, len(m.Tables))
	for id := range m.Tables {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		n, ok := onDisk[id]
		if !ok {
			n = fmt.Sprintf("%06d.sst", id)
			return st, &DamageError{Dir: dir, File: n, What: "在 MANIFEST 里登记了但不存在", Eng: "is listed in MANIFEST but missing"}
		}
		if err := verifyTable(filepath.Join(dir, n), &buf); err != nil {
			return st, &DamageError{Dir: dir, File: n, What: "校验失败(数据表内容被改动或截断)", Eng: "fails its checksums (table altered or truncated)", Err: err}
		}
	}
	for id, n := range onDisk {
		if _, ok := m.Tables[id]; !ok {
			st.orphans = append(st.orphans, n)
		}
	}
	slices.Sort(st.orphans)
	if len(m.Tables) == 0 && len(st.orphans) > 0 {
		// An empty but valid MANIFEST next to tables: badger would delete
		// them all.
		return st, &DamageError{Dir: dir, File: badger.ManifestFilename,
			What: fmt.Sprintf("没有登记任何数据表，但目录里有 %d 个数据表(.sst)", len(st.orphans)),
			Eng:  fmt.Sprintf("lists no table although %d .sst files are present", len(st.orphans))}
	}
	slices.Sort(logs)
	for _, n := range logs {
		dirty, err := scanLog(filepath.Join(dir, n))
		if err != nil {
			kind, eng := "预写日志(WAL)", "write-ahead log"
			if strings.HasSuffix(n, ".vlog") {
				kind, eng = "值日志", "value log"
			}
			return st, &DamageError{Dir: dir, File: n, What: kind + "中间有损坏的记录，后面还有已确认的数据", Eng: eng + " has a damaged entry followed by committed entries", Err: err}
		}
		if dirty {
			st.dirtyLogs = append(st.dirtyLogs, n)
		}
	}
	return st, nil
}

// readManifest replays MANIFEST the way badger will, without writing.
func readManifest(dir string, e os.DirEntry, hasData bool) (badger.Manifest, error) {
	name := badger.ManifestFilename
	if e == nil {
		if !hasData {
			return badger.Manifest{}, nil
		}
		return badger.Manifest{}, &DamageError{Dir: dir, File: name, What: "缺失(目录里有数据文件却没有清单文件 MANIFEST)", Eng: "is missing although data files are present"}
	}
	path := filepath.Join(dir, name)
	fp, err := os.Open(path)
	if err == nil {
		var fi os.FileInfo
		if fi, err = fp.Stat(); err == nil && !fi.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
	}
	if err != nil {
		if fp != nil {
			fp.Close()
		}
		return badger.Manifest{}, &DamageError{Dir: dir, File: name, What: "无法读取", Eng: "cannot be read", Err: err}
	}
	defer fp.Close()
	fi, _ := fp.Stat()
	m, end, err := replayManifest(fp, dir)
	if err != nil {
		return m, &DamageError{Dir: dir, File: name, What: "内容损坏或被截断", Eng: "is corrupt or truncated", Err: err}
	}
	if end < fi.Size() {
		// A torn last change (power cut during an append) is harmless in
		// itself; badger truncates it. Refuse only when more than a torn
		// tail is missing: the bytes after the readable part are not zero
		// padding and exceed one change record.
		if end+4096 < fi.Size() {
			return m, &DamageError{Dir: dir, File: name, What: fmt.Sprintf("只能读到前 %d 字节(共 %d 字节)", end, fi.Size()),
				Eng: fmt.Sprintf("is readable only up to byte %d of %d", end, fi.Size())}
		}
	}
	return m, nil
}

// replayManifest calls badger's own reader, turning a panic on garbage into
// an error.
func replayManifest(fp *os.File, dir string) (m badger.Manifest, end int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("badger panicked reading MANIFEST: %v", r)
		}
	}()
	opt := badger.DefaultOptions(dir).WithLogger(nil)
	return badger.ReplayManifestFile(fp, 0, opt)
}

// verifyTable checks a table's footer, index and every block against their
// checksums, with bounds checks first: badger reads lengths from the file
// before it checks anything and panics (in a goroutine, unrecoverable) when
// they point outside it.
func verifyTable(path string, buf *[]byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if int64(cap(*buf)) < fi.Size() {
		*buf = make([]byte, fi.Size())
	}
	data := (*buf)[:fi.Size()]
	if _, err := io.ReadFull(f, data); err != nil {
		return err
	}
	n := len(data)
	if n < 8 {
		return fmt.Errorf("table of %d bytes is too short", n)
	}
	pos := n - 4
	chkLen := int(binary.BigEndian.Uint32(data[pos:]))
	if chkLen > pos-4 {
		return fmt.Errorf("checksum length %d out of range", chkLen)
	}
	pos -= chkLen
	var chk pb.Checksum
	if err := proto.Unmarshal(data[pos:pos+chkLen], &chk); err != nil {
		return fmt.Errorf("index checksum: %w", err)
	}
	pos -= 4
	idxLen := int(binary.BigEndian.Uint32(data[pos:]))
	if idxLen > pos {
		return fmt.Errorf("index length %d out of range", idxLen)
	}
	idx := data[pos-idxLen : pos]
	if err := y.VerifyChecksum(idx, &chk); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return verifyBlocks(data, idx, pos-idxLen)
}

func verifyBlocks(data, idx []byte, blocksEnd int) (err error) {
	// The index passed its checksum, so it is what badger wrote; the
	// flatbuffer accessors may still panic on a badger bug: keep it an error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("index unreadable: %v", r)
		}
	}()
	ti := fb.GetRootAsTableIndex(idx, 0)
	var bo fb.BlockOffset
	for i := 0; i < ti.OffsetsLength(); i++ {
		if !ti.Offsets(&bo, i) {
			return fmt.Errorf("block %d: no offset", i)
		}
		off, l := int(bo.Offset()), int(bo.Len())
		if off < 0 || l < 8 || off+l > blocksEnd {
			return fmt.Errorf("block %d: offset %d length %d out of range", i, off, l)
		}
		b := data[off : off+l]
		p := l - 4
		cl := int(binary.BigEndian.Uint32(b[p:]))
		if cl > p-4 {
			return fmt.Errorf("block %d: checksum length %d out of range", i, cl)
		}
		p -= cl
		var chk pb.Checksum
		if err := proto.Unmarshal(b[p:p+cl], &chk); err != nil {
			return fmt.Errorf("block %d checksum: %w", i, err)
		}
		if err := y.VerifyChecksum(b[:p], &chk); err != nil {
			return fmt.Errorf("block %d at offset %d: %w", i, off, err)
		}
	}
	return nil
}

// logHeaderSize is badger's header of .vlog and .mem files (key id and IV).
const logHeaderSize = 20

// scanLog reads a write-ahead (.mem) or value (.vlog) log entry by entry,
// as badger's replay does, and reports whether it has a tail to cut (dirty)
// and, as an error, committed data that replay would silently drop: an
// intact entry after a damaged one, or a transaction whose entries are all
// intact but whose closing entry, fully written, fails its checksum.
//
// A process killed in the middle of writing leaves a prefix of its last
// entry followed by zeros (badger writes each entry whole into a memory
// map and zeroes the header after it); such a tail is only dirty. A power
// cut cannot tear an acknowledged write either: every commit is synced
// before it is acknowledged.
func scanLog(path string) (dirty bool, err error) {
	w, err := readWritten(path)
	if err != nil {
		return false, err
	}
	data := w.b
	if len(data) < logHeaderSize {
		return len(data) > 0, nil
	}
	stop, txnStart := walkEntries(data, logHeaderSize)
	rest := data[stop:]
	if len(bytes.Trim(rest, "\x00")) == 0 {
		// Zero padding of a preallocated file, after an unfinished
		// transaction at most (never acknowledged).
		return stop < len(data) || txnStart < stop || w.padded, nil
	}
	// A damaged entry at stop. Entries after it that are intact were
	// committed after it.
	for off := stop + 1; off < len(data); off++ {
		if data[off] == 0 {
			continue
		}
		if n, ok := entryAt(data, off); ok && n > 0 {
			return true, fmt.Errorf("damaged entry at byte %d, intact entry at byte %d", stop, off)
		}
	}
	// The damaged entry is the last one. Fully present (its claimed
	// length reaches the last written byte) it was written whole and then
	// altered; cut short, it is the unfinished write of a killed process.
	// An altered length can make it look cut short, but then the closing
	// entry of its transaction (key !badger!txn, then the 8-byte version,
	// then the commit timestamp in decimal) is there in full: a write that
	// got that far finished, since each entry is copied front to back.
	if i := bytes.Index(rest, finTxnKey); i >= 0 {
		if j := i + len(finTxnKey) + 8; j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			return true, fmt.Errorf("damaged entry at byte %d; the transaction's closing entry at byte %d was written in full", stop, stop+i)
		}
	}
	if n, ok := claimedLen(data, stop); ok {
		last := len(bytes.TrimRight(data, "\x00")) - 1
		if last >= stop+n-1-4 && txnStart < stop {
			return true, fmt.Errorf("damaged entry at byte %d (%d bytes, fully written) ends a transaction of intact entries from byte %d", stop, n, txnStart)
		}
	}
	return true, nil
}

// written is a log file's bytes up to its last non-zero one; padded says
// zeros followed (badger preallocates logs at twice their size, sparse).
type written struct {
	b      []byte
	padded bool
}

// readWritten reads a log without its zero tail, which is most of it: a
// 64 MB value log with a few entries costs a few bytes of memory, not 64 MB.
func readWritten(path string) (written, error) {
	f, err := os.Open(path)
	if err != nil {
		return written{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return written{}, err
	}
	size := fi.Size()
	end := size
	buf := make([]byte, 1<<20)
	for end > 0 {
		start := max(0, end-int64(len(buf)))
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil {
			return written{}, err
		}
		if t := bytes.TrimRight(chunk, "\x00"); len(t) > 0 {
			// Keep 4 zeros: an entry's CRC may end in zero bytes.
			end = min(size, start+int64(len(t))+4)
			break
		}
		end = start
	}
	b := make([]byte, end)
	if _, err := f.ReadAt(b, 0); err != nil && end > 0 {
		return written{}, err
	}
	return written{b: b, padded: end < size}, nil
}

// walkEntries returns the offset of the first entry from off that is not
// intact (or the end), and where the transaction that entry belongs to
// began (== stop when it is not inside one): replay keeps nothing of a
// transaction without its closing entry.
func walkEntries(data []byte, off int) (stop, txnStart int) {
	txnStart = off
	for off < len(data) {
		n, ok := entryAt(data, off)
		if !ok || n == 0 {
			return off, txnStart
		}
		meta := data[off]
		off += n
		if meta&bitTxn == 0 || meta&bitFinTxn != 0 {
			txnStart = off
		}
	}
	return off, txnStart
}

// badger's entry meta bits (value.go): part of a transaction, and the
// entry that closes one.
const (
	bitTxn    = 1 << 6
	bitFinTxn = 1 << 7
)

// finTxnKey is the key of badger's entry that closes a transaction.
var finTxnKey = []byte("!badger!txn")

// claimedLen is the length the entry header at off claims, when the
// header decodes and the entry would fit in data.
func claimedLen(data []byte, off int) (int, bool) {
	p := off + 2
	if p > len(data) {
		return 0, false
	}
	var lens [3]uint64
	for i := range lens {
		v, k := binary.Uvarint(data[p:])
		if k <= 0 {
			return 0, false
		}
		lens[i], p = v, p+k
	}
	if lens[0] == 0 || lens[0] > 1<<16 || lens[1] > uint64(len(data)) {
		return 0, false
	}
	n := p - off + int(lens[0]) + int(lens[1]) + 4
	if off+n > len(data) {
		return 0, false
	}
	return n, true
}

// entryAt decodes one log entry at off: header (meta, user meta, varint key
// length, value length, expiry), key, value, CRC-32C of all of it. n == 0
// with ok means a zero (end) entry.
func entryAt(data []byte, off int) (n int, ok bool) {
	p := off + 2
	if p > len(data) {
		return 0, false
	}
	var lens [3]uint64
	for i := range lens {
		v, k := binary.Uvarint(data[p:])
		if k <= 0 {
			return 0, false
		}
		lens[i], p = v, p+k
	}
	klen, vlen := lens[0], lens[1]
	if klen == 0 {
		return 0, true
	}
	if klen > 1<<16 || vlen > uint64(len(data)) {
		return 0, false
	}
	end := p + int(klen) + int(vlen)
	if end+4 > len(data) {
		return 0, false
	}
	if crc32.Checksum(data[off:end], y.CastagnoliCrcTable) != binary.BigEndian.Uint32(data[end:end+4]) {
		return 0, false
	}
	return end + 4 - off, true
}

// Held reports whether another process (or another DB of this one) holds
// dir open: a running bot.
func Held(dir string) bool { return errors.Is(lockFree(dir, true), ErrLocked) }
