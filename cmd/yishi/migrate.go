package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/storage/postgres"
)

// runMigrate copies a badger data directory into PostgreSQL: every
// community's log with everything beside it, the chains verified on both
// sides and the log replayed against what was copied. It refuses, before
// writing anything, when the database already holds entries of one of the
// communities or any key the directory has.
func runMigrate(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("migrate", io)
	from := fs.String("from", "", "要迁移的 badger 数据目录(机器人须已停止)")
	to := fs.String("to", "", "目标 PostgreSQL：postgres://用户@主机/库")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || !strings.HasPrefix(*to, "postgres") {
		fmt.Fprintln(io.Err, "用法: yishi migrate --from 数据目录 --to postgres://用户@主机/库")
		return errUsage
	}
	src, err := openReadOnly(*from, io)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, *to, newLogger(io.Err))
	if err != nil {
		return err
	}
	defer dst.Close()
	return migrateStore(ctx, src, dst, io)
}

func migrateStore(ctx context.Context, src, dst bot.Store, io Stdio) error {
	comms, err := audit.Communities(src)
	if err != nil {
		return fmt.Errorf("list communities: %w", err)
	}
	sort.Strings(comms)
	before := map[string]audit.Report{}
	for _, c := range comms {
		r, err := audit.Verify(src, c)
		if err != nil {
			return err
		}
		if !r.OK {
			return fmt.Errorf("社区 %s 的审计链在源目录里就不完整(%s)：先用 yishi audit verify 查明，不迁移", c, r.Problem)
		}
		before[c] = r
		n := 0
		if err := dst.Scan([]byte("audit/"+c+"/"), func(_, _ []byte) (bool, error) { n++; return false, nil }); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("目标数据库里已经有社区 %s 的记录：不覆盖，什么也没有写入 / the database already holds entries of %s; nothing was written", c, c)
		}
	}
	// Any other key both sides hold (the outbox, delivered-update ids) would
	// be overwritten: refuse too.
	taken := map[string]bool{}
	if err := dst.Scan(nil, func(k, _ []byte) (bool, error) { taken[string(k)] = true; return true, nil }); err != nil {
		return err
	}
	var batch []bot.KV
	copied := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := dst.Commit(ctx, batch)
		batch = nil
		return err
	}
	var clash string
	if err := src.Scan(nil, func(k, v []byte) (bool, error) {
		if taken[string(k)] {
			clash = string(k)
			return false, nil
		}
		return true, nil
	}); err != nil {
		return err
	}
	if clash != "" {
		return fmt.Errorf("目标数据库里已有同名的键 %q：不覆盖，什么也没有写入 / the database already holds key %q; nothing was written", clash, clash)
	}
	if err := src.Scan(nil, func(k, v []byte) (bool, error) {
		batch = append(batch, bot.KV{Key: append([]byte(nil), k...), Value: append([]byte(nil), v...)})
		copied++
		if len(batch) == 1000 {
			return true, flush()
		}
		return true, nil
	}); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	var problems []string
	for _, c := range comms {
		r, err := audit.Verify(dst, c)
		if err != nil {
			return err
		}
		if !r.OK || r.Entries != before[c].Entries || r.Head != before[c].Head {
			problems = append(problems, fmt.Sprintf("社区 %s：源 %d 条(末条 %v)，目标 %d 条(末条 %v) %s", c, before[c].Entries, before[c].Head, r.Entries, r.Head, r.Problem))
			continue
		}
		rs, err := engine.VerifyReplay(dst, []*config.Community{{ID: c, Name: c}}, c)
		if err != nil {
			return err
		}
		for _, x := range rs {
			if x.Failed != nil || x.Diverged != nil {
				problems = append(problems, fmt.Sprintf("社区 %s：在目标库重放失败 %v %v", c, x.Failed, x.Diverged))
			}
		}
		fmt.Fprintf(io.Out, "%s：%d 条审计记录，末条 %v，两边一致；在 PostgreSQL 上重放与快照一致。\n", c, r.Entries, r.Head)
	}
	if len(problems) > 0 {
		return errors.New("迁移后校验不一致：" + strings.Join(problems, "；"))
	}
	fmt.Fprintf(io.Out, "已迁移 %d 个键(%d 个社区)。之后用 yishi run --store 该地址 启动；数据目录原样保留，可作备份。\n", copied, len(comms))
	return nil
}
