package telegram

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/bot"
)

var (
	_ bot.Hearing     = (*Adapter)(nil)
	_ bot.StartLinker = (*Adapter)(nil)
)

// The fix, said the same way in the group and in the log.
const (
	fixHearing = "修复方法(任选一种)：① 群主把机器人设为本群管理员(立即生效)；" +
		"② 在 Telegram 里找 @BotFather 发 /setprivacy，选这个机器人，选 Disable，然后把机器人移出本群、再重新拉进本群(隐私设置只对之后加入的群生效)。"
	fixHearingLog = "make the bot an administrator of the group, or send /setprivacy to @BotFather, choose the bot, Disable, then remove the bot from the group and add it again"
)

// CanHearAll reports whether the bot receives every message posted in the
// group chat (a configured chat id): always when privacy mode is off (getMe
// can_read_all_group_messages), otherwise only when it is an administrator
// there (getChatMember, asked at each call: the chat may have promoted the
// bot a minute ago). When it cannot, why says in Chinese what the bot cannot
// see and how to fix it.
func (a *Adapter) CanHearAll(ctx context.Context, chat string) (bool, string) {
	ok, why, err := a.hearing(ctx, chat)
	if err != nil {
		return false, "暂时无法向 Telegram 确认机器人能否收到本群的全部消息(" + err.Error() + ")，请稍后再试。"
	}
	return ok, why
}

// hearing is CanHearAll with the failure of the check apart.
func (a *Adapter) hearing(ctx context.Context, chat string) (bool, string, error) {
	id, err := strconv.ParseInt(chat, 10, 64)
	if err != nil || id >= 0 {
		return true, "", nil // a private chat: the bot sees all of it
	}
	m, privacy := a.self()
	if !privacy {
		return true, "", nil
	}
	target := a.st.current(id)
	cctx, cancel := context.WithTimeout(ctx, a.opts.CallTimeout)
	cm, err := a.api.GetChatMember(cctx, &tgbot.GetChatMemberParams{ChatID: target, UserID: m.id})
	cancel()
	if err != nil {
		err = a.redact(err)
		a.log.Warn("telegram getChatMember failed; cannot tell whether the bot sees every group message", "chat", id, "err", err)
		return false, "", err
	}
	if cm != nil && (cm.Type == models.ChatMemberTypeAdministrator || cm.Type == models.ChatMemberTypeOwner) {
		return true, "", nil
	}
	a.log.Warn("telegram bot is in privacy mode and not an administrator: in this group it receives only /commands, replies to its messages, @mentions and button presses; "+
		"statements, typed check-ins and typed votes do not reach it", "chat", id, "fix", fixHearingLog)
	return false, "本群的议事机器人处于 Telegram 隐私模式，而且不是本群管理员，所以它只收得到：以 / 开头的命令、回复机器人消息的内容、@" +
		m.username + " 的消息和按钮。直接发在群里的发言、签到和表决文字它都收不到，会议记录会漏掉这些发言。\n" + fixHearing, nil
}

// startParam is what Telegram accepts after ?start=: 1–64 of A–Z a–z 0–9 _ -.
var startParam = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// StartLink is the deep link that opens the private chat with the bot (a
// member presses Start there, after which the bot may write to them);
// community comes back as "/start <community>".
func (a *Adapter) StartLink(community string) string {
	m, _ := a.self()
	if m.username == "" {
		return ""
	}
	link := "https://t.me/" + url.PathEscape(m.username)
	if startParam.MatchString(community) {
		link += "?start=" + community
	}
	return link
}

// groupNotice is what the bot says once in each group: how to open the
// private chat (receipts and notices go there) and, when it cannot hear
// every message, what it misses and the fix.
func (a *Adapter) groupNotice(ctx context.Context, chat int64) string {
	link := a.StartLink(a.opts.Communities[chat])
	text := fmt.Sprintf("提示：请每位成员先点 %s 打开与机器人的私聊，并按「开始」(START)。"+
		"没按过「开始」的成员，机器人无法私聊发给您会议通知和签到、表决的回执。", link)
	// A failed check says nothing here (the log has it; 开始协商 checks
	// again): a notice is posted once.
	if ok, why, err := a.hearing(ctx, strconv.FormatInt(chat, 10)); !ok && err == nil {
		text = why + "\n修复之前不能开始协商；签到、表决可以点机器人消息下的按钮，或用 /qiandao、/zancheng、/fandui、/qiquan 等命令。\n" + text
	}
	return text
}
