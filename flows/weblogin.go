package flows

import (
	"fmt"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// LoginLinks issues one-time links that log a roster member into the web
// pages (adapters/web.Logins implements it).
type LoginLinks interface {
	IssueLogin(comm, member string) (url string, expires time.Time, err error)
}

func init() {
	// 网页登录 is no prefix of another command word, nor one of it: its
	// place in the table does not matter.
	commands = append(commands, command{[]string{"网页登录", "/weblogin", "/login"}, (*Bot).cmdWebLogin})
}

// cmdWebLogin answers 网页登录 in private with a login link for each
// community the sender is on the roster of. A link is the person's identity
// for ten minutes, so it is never sent in a group.
func (b *Bot) cmdWebLogin(m *msg, _ string) {
	if !m.in.Private {
		m.reply("网页登录的链接只能私聊领取：请私聊我发送「网页登录」。链接在10分钟内等于您的身份，不要发到群里。")
		return
	}
	if err := bot.Authorize(bot.Actor{Member: m.member}, bot.ActReadRecords, nil); err != nil {
		m.replyErr(err)
		return
	}
	if b.opts.WebLogin == nil {
		m.reply("本社区没有开启网页公开栏(管理员用 --http 启动后才能网页登录)。议题和记录可以私聊我发「议题」「记录 #编号」查看。")
		return
	}
	comms, members := m.tx.MemberAnywhere(m.in.Platform, m.in.Sender)
	var lines []string
	for i, c := range comms {
		url, exp, err := b.opts.WebLogin.IssueLogin(c.ID, members[i].ID)
		if err != nil {
			m.replyErr(err)
			return
		}
		prefix := ""
		if len(comms) > 1 {
			prefix = c.Name + "："
		}
		lines = append(lines, fmt.Sprintf("%s%s\n(%s前有效)", prefix, url, exp.In(zone(c.Location)).Format("15:04")))
	}
	m.reply("您的网页登录链接(10分钟内有效，只能用一次，请勿转发)：\n%s\n打开后点“登录”，可以查看与您有关的议题和您的表决记录。", strings.Join(lines, "\n"))
}

func zone(l *time.Location) *time.Location {
	if l == nil {
		return chinaTime
	}
	return l
}
