package flows

import "github.com/yishi-community/yishi/bot"

// cmdWebLogin answers 网页登录 in private chat with a one-time link to the
// member's pages (10 minutes, single use). In a group it is refused: the
// link logs in as the member.
func (b *Bot) cmdWebLogin(m *msg, _ string) {
	if err := bot.Authorize(m.actor(), bot.ActWebLogin, nil); err != nil {
		b.refuse(m, err)
		return
	}
	if b.opts.WebLogin == nil || m.comm == nil {
		m.say("本站没有开通网页版：管理员用 yishi run --http 地址 启动后才能网页登录。")
		return
	}
	m.say("您的网页登录链接(10分钟内有效，只能用一次，请不要转发给别人)：\n" + b.opts.WebLogin(m.comm.ID, m.member.ID))
}
