package main

import (
	"context"
	"fmt"

	"github.com/yishi-community/yishi/cmd/yishi/app"
)

const restoreUsage = "用法: yishi restore 备份文件 --data 新目录\n" +
	"  把 yishi backup 写的备份恢复到一个不存在或空的新目录，并校验全部审计链；之后用 --data 新目录 启动。"

func runRestore(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("restore", io)
	fs.Usage = func() { fmt.Fprintln(io.Err, restoreUsage); fs.PrintDefaults() }
	data := fs.String("data", "", "恢复到的新目录(必须不存在或为空)")
	file, err := parseFlagsAndArg(fs, args)
	if err != nil {
		return err
	}
	if file == "" || *data == "" {
		fmt.Fprintln(io.Err, restoreUsage)
		return errUsage
	}
	r, err := app.RestoreVerified(file, *data)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "已恢复到 %s：%s。用 --data %s 启动或查看。\n", *data, r.Summary(), *data)
	return nil
}
