package main

import (
	"context"
	"fmt"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

const backupUsage = "用法: yishi backup [--data DIR] 备份文件\n" +
	"  把数据目录一致地备份到备份文件(先写临时文件、同步、再改名)，再把备份恢复到临时目录校验全部审计链。\n" +
	"  yishi 正在运行时经数据目录里的控制套接字由运行中的进程完成。"

func runBackup(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("backup", io)
	fs.Usage = func() { fmt.Fprintln(io.Err, backupUsage); fs.PrintDefaults() }
	data := fs.String("data", envOr("YISHI_DATA", "yishi-data"), "数据目录")
	file, err := parseFlagsAndArg(fs, args)
	if err != nil {
		return err
	}
	if file == "" {
		fmt.Fprintln(io.Err, backupUsage)
		return errUsage
	}
	var store bot.Store
	if l := liveFrom(ctx); l != nil {
		store, file = borrowedStore{l.app.Store}, l.abs(file)
	} else {
		db, err := openReadOnly(*data, io)
		if err != nil {
			return err
		}
		defer db.Close()
		store = db
	}
	r, err := app.WriteVerifiedBackup(store, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "已备份：%s。\n", r.Summary())
	return nil
}

// backupFlags checks yishi run's --backup-* flags as the configuration's
// backup block would be checked.
func backupFlags(dir, schedule string, keep int, c *config.Community) (*config.Backup, error) {
	s, err := config.ParseCron(schedule)
	if err != nil || s.Next(time.Date(2025, 1, 1, 0, 0, 0, 0, c.Location)).IsZero() {
		return nil, fmt.Errorf("--backup-schedule %q 不是有效的、会到来的 cron 表达式（例如 \"0 3 * * *\" 表示每天 3 点）", schedule)
	}
	if keep < 1 || keep > 1000 {
		return nil, fmt.Errorf("--backup-keep 应在 1 到 1000 之间，不是 %d", keep)
	}
	return &config.Backup{Schedule: schedule, Dir: dir, Keep: keep, Location: c.Location}, nil
}
