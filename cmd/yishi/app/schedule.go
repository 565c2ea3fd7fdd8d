package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
)

// Backup files made by the schedule: yishi-YYYYMMDD-HHMMSS.backup in the
// backup directory, so name order is time order.
const (
	backupPrefix = "yishi-"
	backupSuffix = ".backup"
	backupStamp  = "20060102-150405"
	// failAlertEvery: a failing schedule tells the secretary at most this
	// often (the operator log has every failure).
	failAlertEvery = 24 * time.Hour
)

// backupPlan is the schedule in force: Options.Backup, else the first
// community (in configuration order) with a backup block.
func (a *App) backupPlan() *config.Backup {
	if a.opts.Backup != nil {
		return a.opts.Backup
	}
	var plan *config.Backup
	for _, c := range a.opts.Communities {
		switch {
		case c.Backup == nil:
		case plan == nil:
			plan = c.Backup
		case *c.Backup != *plan:
			a.log.Warn("several communities configure backups; one data directory has one schedule, the first one is used",
				"ignored", c.File)
		}
	}
	return plan
}

// runBackups runs the backup schedule until ctx ends.
func (a *App) runBackups(ctx context.Context) {
	plan := a.plan
	if plan == nil {
		return
	}
	loc := plan.Location
	if loc == nil {
		loc = time.Local
	}
	sched, err := config.ParseCron(plan.Schedule)
	if err != nil {
		a.log.Error("backup schedule not started", "err", err)
		return
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		cp := *ss
		cp.Location = loc
		sched = &cp
	}
	cr := cron.New(cron.WithLocation(loc))
	cr.Schedule(sched, cron.FuncJob(func() { _, _ = a.BackupNow(ctx) }))
	cr.Start()
	a.log.Info("backup schedule started", "schedule", plan.Schedule, "dir", plan.Dir, "keep", plan.Keep)
	<-ctx.Done()
	<-cr.Stop().Done()
}

// BackupNow makes one scheduled backup: a verified backup file in the
// plan's directory, then removes what a killed earlier run left and all but
// the newest Keep backups. A failure goes to the operator log and, at most
// once a day, privately to the party secretary.
func (a *App) BackupNow(ctx context.Context) (BackupReport, error) {
	plan := a.plan
	if plan == nil {
		return BackupReport{}, fmt.Errorf("no backup schedule configured")
	}
	a.backupMu.Lock()
	defer a.backupMu.Unlock()
	r, err := a.backupOnce(plan)
	if err != nil {
		a.log.Error("scheduled backup failed", "dir", plan.Dir, "err", err)
		now := a.opts.Clock.Now()
		if a.lastBackupAlert.IsZero() || now.Sub(a.lastBackupAlert) >= failAlertEvery {
			a.lastBackupAlert = now
			a.tellRoles(ctx, fmt.Sprintf("【系统提醒】议事助手的定时备份没有成功(%s)。记录本身没有受影响；请联系管理员查看运行日志并处理，处理好之前不会再有新的备份。", shortErr(err)), bot.RoleSecretary)
		}
		return r, err
	}
	a.log.Info("scheduled backup made", "file", r.File, "bytes", r.Size, "entries", r.Entries)
	return r, nil
}

func (a *App) backupOnce(plan *config.Backup) (BackupReport, error) {
	if err := os.MkdirAll(plan.Dir, 0o700); err != nil {
		return BackupReport{}, fmt.Errorf("create backup directory: %w", err)
	}
	name := backupPrefix + a.opts.Clock.Now().In(locOr(plan.Location)).Format(backupStamp) + backupSuffix
	file := filepath.Join(plan.Dir, name)
	if _, err := os.Stat(file); err == nil {
		return BackupReport{}, fmt.Errorf("backup %s already exists (two runs in one second)", file)
	}
	r, err := WriteVerifiedBackup(a.Store, file)
	if err != nil {
		return r, err
	}
	return r, prune(plan.Dir, plan.Keep)
}

// prune removes temporary files of interrupted backups and all but the
// newest keep backups in dir. Only yishi's own names are touched.
func prune(dir string, keep int) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var backups []string
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.HasPrefix(n, "."+backupPrefix) && strings.Contains(n, backupSuffix+".tmp-"):
			os.Remove(filepath.Join(dir, n))
		case strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupSuffix) && e.Type().IsRegular():
			backups = append(backups, n)
		}
	}
	slices.Sort(backups)
	for len(backups) > keep {
		if err := os.Remove(filepath.Join(dir, backups[0])); err != nil {
			return fmt.Errorf("remove old backup: %w", err)
		}
		backups = backups[1:]
	}
	return nil
}

func locOr(l *time.Location) *time.Location {
	if l == nil {
		return time.Local
	}
	return l
}

func shortErr(err error) string {
	s := err.Error()
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	return s
}
