package telegram

import (
	"strings"
	"unicode"

	"github.com/go-telegram/bot/models"
)

// slashCommand is a group command as an ASCII slash command. In privacy
// mode a bot receives, of what members type in a group, only /commands,
// replies to it and @mentions; so every group command has a slash form,
// and the adapter turns it into the Chinese command word the core knows.
type slashCommand struct {
	name string // without "/"
	word string // the core's command word
	desc string // shown by Telegram's command menu (setMyCommands)
}

var slashCommands = []slashCommand{
	{"kaishi", "开始协商", "主持人：开始协商 #编号"},
	{"qiandao", "签到", "参会人员签到"},
	{"xiayibu", "下一步", "主持人：进入下一个议程"},
	{"biaojue", "开始表决", "主持人：开始表决 表决意见"},
	{"zancheng", "赞成", "表决：赞成"},
	{"fandui", "反对", "表决：反对"},
	{"qiquan", "弃权", "表决：弃权"},
	{"jieshu", "结束表决", "主持人：结束表决"},
	{"jipiao", "计票", "查看实时计票"},
	{"tiyi", "提议", "提出议题(私聊进行)"},
	{"yiti", "议题", "查看议题列表"},
	{"jilu", "记录", "查看记录表 #编号(私聊发给您)"},
	{"queren", "确认记录", "记录员：确认记录 #编号"},
	{"gongshi", "公示", "主持人或记录员：公示 #编号"},
	{"bangzhu", "帮助", "查看可以做什么"},
}

// botCommands is the menu registered with setMyCommands.
func botCommands() []models.BotCommand {
	out := make([]models.BotCommand, len(slashCommands))
	for i, c := range slashCommands {
		out[i] = models.BotCommand{Command: c.name, Description: c.desc}
	}
	return out
}

// fromSlash turns "/kaishi #1" into "开始协商 #1" (the "@botname" part is
// already stripped). Other texts, and slash commands the core knows itself
// (/start, /help, /bind), are returned as they are.
func fromSlash(text string) string {
	if !strings.HasPrefix(text, "/") {
		return text
	}
	end := strings.IndexFunc(text, unicode.IsSpace)
	if end < 0 {
		end = len(text)
	}
	name := strings.ToLower(text[1:end])
	for _, c := range slashCommands {
		if c.name == name {
			return c.word + text[end:]
		}
	}
	return text
}

// opensStatements reports whether a group command would open a meeting or
// move it to its next step: steps 1–3 minute what members say in the group
// (from step 3, 下一步 is refused by the core anyway).
func opensStatements(text string) bool {
	for _, w := range []string{"开始协商", "开会", "开始议事", "下一步"} {
		if strings.HasPrefix(text, w) {
			return true
		}
	}
	return false
}
