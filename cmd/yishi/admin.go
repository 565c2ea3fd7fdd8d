package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"yishi/bot"
	"yishi/bot/app"
	"yishi/bot/audit"
	"yishi/bot/engine"
	"yishi/bot/record"
	"yishi/storage"
)

func runRecord(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("record", io)
	var d dataFlags
	d.register(fs)
	html := fs.Bool("html", false, "输出可打印的 HTML 页面")
	comm := fs.String("community", "", "社区 id(只有一个社区时可省略)")
	// Accept the topic before or after the flags.
	var topic string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		topic, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if topic == "" && fs.NArg() > 0 {
		topic = fs.Arg(0)
	}
	if topic == "" {
		fmt.Fprintln(io.Err, "用法: yishi record 议题编号 [--html] [--community ID] [--data DIR] [--config DIR]")
		return errUsage
	}
	a, comms, err := d.openExisting(ctx, io)
	if err != nil {
		return err
	}
	defer a.Close()
	if *comm == "" {
		if len(comms) > 1 {
			return errors.New("有多个社区，请用 --community 指定")
		}
		*comm = comms[0].ID
	}
	var out string
	a.Engine.Read(func(tx *engine.Tx) {
		var t *bot.Topic
		if t, err = tx.Topic(*comm, topic); err != nil {
			return
		}
		if *html {
			out = record.HTML(app.Sheet(tx, t))
		} else {
			out = record.Markdown(app.Sheet(tx, t))
		}
	})
	if err != nil {
		return errors.New(bot.ErrorMessage(err))
	}
	fmt.Fprint(io.Out, out)
	return nil
}

func runAudit(ctx context.Context, args []string, io Stdio) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(io.Err, "用法: yishi audit verify [--data DIR]")
		return errUsage
	}
	fs := newFlagSet("audit verify", io)
	data := fs.String("data", envOr("YISHI_DATA", "yishi-data"), "数据目录")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if err := mustExist(*data); err != nil {
		return err
	}
	db, err := storage.Open(*data, storage.Options{Logger: newLogger(io.Err)})
	if err != nil {
		return err
	}
	defer db.Close()
	comms, err := audit.Communities(db)
	if err != nil {
		return err
	}
	if len(comms) == 0 {
		fmt.Fprintln(io.Out, "数据目录里还没有审计日志。")
		return nil
	}
	broken := 0
	for _, c := range comms {
		r, err := audit.Verify(db, c)
		if err != nil {
			return fmt.Errorf("verify %s: %w", c, err)
		}
		if r.OK {
			fmt.Fprintf(io.Out, "%s：审计链完整，共%d条记录。\n", c, r.Entries)
		} else {
			broken++
			fmt.Fprintf(io.Out, "%s：审计链在第%d条断开：%s\n", c, r.FirstBroken, r.Problem)
		}
	}
	if broken > 0 {
		return fmt.Errorf("%d 个社区的审计链不完整", broken)
	}
	return nil
}

// exitCode is an error whose message was already printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
