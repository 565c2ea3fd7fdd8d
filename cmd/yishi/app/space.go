package app

import (
	"context"
	"slices"
	"sync"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
)

// spaceChecker is the store's free-space check (storage.DB.CheckSpace).
type spaceChecker interface{ CheckSpace() error }

// spaceWatch remembers whether the disk was full, so the cadres are told
// once when it fills and once when the bot resumes.
type spaceWatch struct {
	mu  sync.Mutex
	low bool
}

const (
	spaceLowAlert = "【系统提醒】议事助手所在机器的存储空间不足，为了不丢失记录，现在暂停接收新的操作(已经确认过的记录都已保存)。请尽快联系管理员清理磁盘；空间恢复后议事助手会自动继续工作。"
	spaceBackNote = "【系统提醒】存储空间已恢复，议事助手已自动恢复工作。暂停期间被拒绝的消息没有记录，需要的话请重新发送。"
)

// checkSpace is called before a message is handled and on every tick: it
// returns the ENOSPACE error while the disk is below the margin, and on a
// change of state logs it and tells the secretary and director privately.
// The alerts go straight to the platform, not through the outbox: the
// outbox is on the disk that is full.
func (a *App) checkSpace(ctx context.Context) error {
	sc, ok := a.Store.(spaceChecker)
	if !ok {
		return nil
	}
	err := sc.CheckSpace()
	low := bot.ErrorCode(err) == bot.ENOSPACE
	a.space.mu.Lock()
	changed := low != a.space.low
	a.space.low = low
	a.space.mu.Unlock()
	if !changed {
		if low {
			return err
		}
		return nil
	}
	if low {
		a.log.Error("disk nearly full: new actions are refused until space is freed", "dir", a.opts.DataDir, "err", err)
		a.tellCadres(ctx, spaceLowAlert)
		return err
	}
	a.log.Warn("disk space is back: actions are accepted again", "dir", a.opts.DataDir)
	a.tellCadres(ctx, spaceBackNote)
	return nil
}

// tellCadres sends text privately to every community's party secretary
// and directors, now, through the first platform that knows them.
func (a *App) tellCadres(ctx context.Context, text string) {
	a.tellRoles(ctx, text, bot.RoleSecretary, bot.RoleDirector)
}

// tellRoles sends text privately, straight to the platform (not through
// the outbox, which may be what failed), to every member with one of roles.
func (a *App) tellRoles(ctx context.Context, text string, roles ...bot.Role) {
	var outs []bot.Outgoing
	a.Engine.Read(func(tx *engine.Tx) {
		for _, c := range tx.Communities() {
			for i := range c.Roster {
				m := &c.Roster[i]
				if slices.ContainsFunc(roles, m.Has) {
					outs = append(outs, bot.Outgoing{Community: c.ID, Member: m.ID, Text: text})
				}
			}
		}
	})
	for _, out := range outs {
		resolved, ok := a.resolveMember(out)
		if !ok {
			a.log.Warn("no platform reaches this cadre for a system alert", "community", out.Community, "member", out.Member)
			continue
		}
		if err := a.adapters[resolved.Platform].Send(ctx, resolved); err != nil {
			a.log.Warn("system alert not delivered", "member", out.Member, "err", err)
		}
	}
}

// refuseForSpace answers a message the bot cannot record, in its chat.
func (a *App) refuseForSpace(ctx context.Context, in bot.Incoming, err error) {
	ad := a.adapters[in.Platform]
	if ad == nil {
		return
	}
	out := bot.Outgoing{Platform: in.Platform, Chat: in.Chat, ChatTitle: in.ChatTitle, Private: in.Private, Text: bot.ErrorMessage(err)}
	if serr := ad.Send(ctx, out); serr != nil {
		a.log.Warn("could not tell the sender that the disk is full", "err", serr)
	}
}
