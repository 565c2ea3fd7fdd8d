package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/storage"
)

// BackupReport is what a verified backup (or restore) holds.
type BackupReport struct {
	File    string
	Size    int64 // bytes of the backup file (0 for a restore)
	Entries int   // keys stored, the schema key included
	Chains  []audit.Report
	Names   []string // community of each chain, in order
}

// Summary is the Chinese line printed after 已备份 / 已恢复.
func (r BackupReport) Summary() string {
	var sb strings.Builder
	if r.Size > 0 {
		fmt.Fprintf(&sb, "%s，%d 字节，", r.File, r.Size)
	}
	fmt.Fprintf(&sb, "%d 条数据", r.Entries)
	if len(r.Chains) == 0 {
		sb.WriteString("，没有审计日志")
	}
	for i, c := range r.Chains {
		fmt.Fprintf(&sb, "；%s 审计链完整，%d 条", r.Names[i], c.Entries)
		if c.Head.Seq > 0 {
			sb.WriteString("，最后一条 " + audit.FormatAnchor(c.Head.Seq, c.Head.HashPrefix))
		}
	}
	return sb.String()
}

// ErrBackupUnverified: the backup file was written but what it holds
// does not check out; it must not be relied on.
var ErrBackupUnverified = errors.New("backup does not verify")

// WriteVerifiedBackup writes a consistent backup of s (a storage.DB, or a
// store that can stream one) to file atomically, then restores it into a
// temporary directory and verifies every audit chain there. A backup that
// does not verify is removed and reported as an error.
func WriteVerifiedBackup(s bot.Store, file string) (BackupReport, error) {
	b, ok := s.(interface{ Backup(io.Writer) error })
	if !ok {
		return BackupReport{}, errors.New("这个存储不支持备份 / this store cannot be backed up")
	}
	size, err := storage.WriteBackupFile(b, file)
	if err != nil {
		return BackupReport{}, err
	}
	tmp, err := os.MkdirTemp("", "yishi-verify-")
	if err != nil {
		return BackupReport{}, err
	}
	defer os.RemoveAll(tmp)
	r, err := RestoreVerified(file, tmp+"/data")
	r.File, r.Size = file, size
	if err != nil {
		os.Remove(file)
		return r, fmt.Errorf("备份文件写好后校验失败，已删除 / the backup did not verify and was removed: %w", err)
	}
	return r, nil
}

// RestoreVerified restores the backup file into dir (absent or empty) and
// verifies its audit chains. On failure dir is removed if Restore created
// it.
func RestoreVerified(file, dir string) (BackupReport, error) {
	_, statErr := os.Stat(dir)
	if err := storage.Restore(file, dir, storage.Options{}); err != nil {
		if os.IsNotExist(statErr) && !errors.Is(err, storage.ErrNotEmpty) {
			os.RemoveAll(dir)
		}
		return BackupReport{}, err
	}
	r, err := VerifyData(dir)
	if err != nil && os.IsNotExist(statErr) {
		os.RemoveAll(dir)
	}
	return r, err
}

// VerifyData opens dir read-only and verifies every audit chain in it.
func VerifyData(dir string) (BackupReport, error) {
	db, err := storage.OpenReadOnly(dir, storage.Options{})
	if err != nil {
		return BackupReport{}, err
	}
	defer db.Close()
	var r BackupReport
	if r.Entries, err = db.Count(); err != nil {
		return r, err
	}
	comms, err := audit.Communities(db)
	if err != nil {
		return r, err
	}
	for _, c := range comms {
		rep, err := audit.Verify(db, c)
		if err != nil {
			return r, fmt.Errorf("verify %s: %w", c, err)
		}
		if !rep.OK {
			return r, fmt.Errorf("%w: %s 的审计链在第%d条断开：%s", ErrBackupUnverified, c, rep.FirstBroken, rep.Problem)
		}
		r.Chains = append(r.Chains, rep)
		r.Names = append(r.Names, c)
	}
	return r, nil
}
