package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/record"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

func runRecord(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("record", io)
	var d dataFlags
	d.register(fs)
	d.registerStore(fs)
	html := fs.Bool("html", false, "输出可打印的 HTML 页面")
	comm := fs.String("community", "", "社区 id(只有一个社区时可省略)")
	round := fs.Int("round", 0, "打印第几轮协商的记录(默认最近一轮；再议的议题每一轮都保留)")
	topic, err := parseFlagsAndArg(fs, args)
	if err != nil {
		return err
	}
	if topic == "" {
		fmt.Fprintln(io.Err, "用法: yishi record 议题编号 [--round N] [--html] [--community ID] [--data DIR] [--config DIR]")
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
		if *round != 0 {
			v, ok := t.RoundView(*round)
			if !ok {
				err = bot.Errorf(bot.ENOTFOUND, "议题 %s 没有第%d轮(共%d轮)。", t.Label(), *round, t.RoundCount())
				return
			}
			t = v
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

const auditUsage = "用法: yishi audit verify [--data DIR] [--community ID] [--anchor 第N条·哈希]…\n      yishi audit export [--data DIR] 社区ID"

func runAudit(ctx context.Context, args []string, io Stdio) error {
	if len(args) > 0 {
		switch args[0] {
		case "verify":
			return runAuditVerify(ctx, args[1:], io)
		case "export":
			return runAuditExport(ctx, args[1:], io)
		}
	}
	fmt.Fprintln(io.Err, auditUsage)
	return errUsage
}

// openAuditData opens the data directory for the audit subcommands: the
// store alone, without the engine, so a broken chain can still be read;
// read-only, or the running bot's store over the control socket.
func openAuditData(ctx context.Context, data, store string, io Stdio) (bot.Store, error) {
	if l := liveFrom(ctx); l != nil {
		return borrowedStore{l.app.Store}, nil
	}
	if store != "" {
		db, err := openShared(ctx, store, io)
		if err != nil {
			return nil, err
		}
		return readStore{db}, nil
	}
	db, err := openReadOnly(data, io)
	if err != nil {
		return nil, err
	}
	return db, nil
}

func runAuditVerify(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("audit verify", io)
	data := fs.String("data", envOr("YISHI_DATA", "yishi-data"), "数据目录")
	store := fs.String("store", os.Getenv("YISHI_STORE"), "为空则读 --data 目录；postgres://… 则直接读多个进程共用的 PostgreSQL(只读)")
	only := fs.String("community", "", "只校验这个社区(给了 --anchor 且有多个社区时必填)")
	var anchors []audit.Anchor
	fs.Func("anchor", "公示消息里的审计存证，如「第44条·fe08a908b760b7d9」，可写多次", func(v string) error {
		a, err := audit.ParseAnchor(v)
		if err == nil {
			anchors = append(anchors, a)
		}
		return err
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := openAuditData(ctx, *data, *store, io)
	if err != nil {
		return err
	}
	defer db.Close()
	comms, err := audit.Communities(db)
	if err != nil {
		return err
	}
	if *only != "" {
		if err := hasChain(comms, *only); err != nil {
			return err
		}
		comms = []string{*only}
	}
	if len(comms) == 0 {
		fmt.Fprintln(io.Out, "数据目录里还没有审计日志。")
		return nil
	}
	if len(anchors) > 0 && len(comms) > 1 {
		return fmt.Errorf("存证属于某一个社区，请用 --community 指明(有：%s)", strings.Join(comms, "、"))
	}
	broken := 0
	for _, c := range comms {
		r, err := audit.Verify(db, c, anchors...)
		if err != nil {
			return fmt.Errorf("verify %s: %w", c, err)
		}
		if !r.OK {
			broken++
			fmt.Fprintf(io.Out, "%s：审计链在第%d条断开：%s\n", c, r.FirstBroken, r.Problem)
			continue
		}
		line := fmt.Sprintf("%s：审计链完整，共%d条记录", c, r.Entries)
		if len(anchors) > 0 {
			line += fmt.Sprintf("，与%d个存证一致", len(anchors))
		}
		if r.Head.Seq > 0 {
			// The head to compare with copies kept outside.
			line += "。最后一条：" + audit.FormatAnchor(r.Head.Seq, r.Head.HashPrefix)
		}
		fmt.Fprintln(io.Out, line+"。")
		if !replayCheck(db, c, io) {
			broken++
		}
	}
	if broken > 0 {
		return fmt.Errorf("%d 个社区的审计记录未通过校验", broken)
	}
	return nil
}

// replayCheck rebuilds community c from its log, from the first entry, and
// compares every topic and round with the stored snapshots: the record the
// bot prints must be what the log says.
func replayCheck(db bot.Store, c string, io Stdio) bool {
	if os.Getenv("GOMEMLIMIT") == "" {
		// The replay holds the community twice (from the log and as
		// stored); the bot's small heap target would make it mostly GC.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
		debug.SetMemoryLimit(1 << 30)
	}
	rs, err := engine.VerifyReplay(db, []*config.Community{{ID: c, Name: c}}, c)
	if err != nil {
		fmt.Fprintf(io.Out, "%s：无法读取存储的快照：%v\n", c, err)
		return false
	}
	for _, r := range rs {
		switch {
		case r.Failed != nil:
			fmt.Fprintf(io.Out, "%s：按审计日志重放失败：%v\n", c, r.Failed)
			return false
		case r.Diverged != nil:
			fmt.Fprintf(io.Out, "%s：快照与审计日志不一致，第一处：%s\n", c, r.Diverged)
			return false
		case r.Events == 0 && r.Topics > 0:
			fmt.Fprintf(io.Out, "%s：数据由旧版本写入，尚未迁移为事件日志(启动一次机器人即自动迁移)；只校验了审计链。\n", c)
		default:
			fmt.Fprintf(io.Out, "%s：按审计日志从第1条重放了%d个事件，重建%d个议题、%d轮协商，与存储的快照完全一致。\n", c, r.Events, r.Topics, r.Rounds)
		}
	}
	return true
}

// runAuditExport writes one community's chain for an outside auditor, one
// canonical JSON line per entry (the package doc of bot/audit has the
// recipe to check it).
func runAuditExport(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("audit export", io)
	data := fs.String("data", envOr("YISHI_DATA", "yishi-data"), "数据目录")
	store := fs.String("store", os.Getenv("YISHI_STORE"), "为空则读 --data 目录；postgres://… 则直接读多个进程共用的 PostgreSQL(只读)")
	comm, err := parseFlagsAndArg(fs, args)
	if err != nil {
		return err
	}
	if comm == "" {
		fmt.Fprintln(io.Err, "用法: yishi audit export [--data DIR] 社区ID")
		return errUsage
	}
	db, err := openAuditData(ctx, *data, *store, io)
	if err != nil {
		return err
	}
	defer db.Close()
	comms, err := audit.Communities(db)
	if err != nil {
		return err
	}
	if err := hasChain(comms, comm); err != nil {
		return err
	}
	return audit.ExportJCS(db, comm, io.Out)
}

// hasChain says, in Chinese, that the data directory has no chain for
// comm, naming those it has.
func hasChain(comms []string, comm string) error {
	switch {
	case slices.Contains(comms, comm):
		return nil
	case len(comms) == 0:
		return errors.New("数据目录里还没有审计日志")
	}
	return fmt.Errorf("数据目录里没有社区 %s 的审计日志(现有：%s)", comm, strings.Join(comms, "、"))
}

// exitCode is an error whose message was already printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
