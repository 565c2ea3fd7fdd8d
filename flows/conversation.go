package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
)

var flowNames = map[string]string{"propose": "提议", "review": "审定", "plan": "制定协商方案", "confirm": "确认"}

// flowStarters are the commands that start a flow of their own; typed
// while another flow waits, they are refused rather than replacing it.
var flowStarters = []string{"提议", "审定", "方案", "修改"}

// stepAnswers are command words that are also answers at a step, and so
// are answers there: 修改 at a summary edits the draft.
var stepAnswers = map[string][]string{"propose/confirm": {"修改"}}

// step is one question of a flow: its prompt and what to do with the answer.
type step struct {
	prompt func(b *Bot, m *msg, c *engine.Conversation) string
	answer func(b *Bot, m *msg, c *engine.Conversation) // sets c.Step (or ends the flow)
}

// flowSteps is filled in init: the steps refer back to the helpers that
// look flows up, which a package-level initialiser cannot express.
var flowSteps map[string]map[string]step

func init() {
	flowSteps = map[string]map[string]step{"propose": proposeSteps, "review": reviewSteps, "plan": planSteps}
}

// start begins a flow and asks its first question.
func (b *Bot) start(m *msg, flow, firstStep, topic string, values map[string]string) {
	c := &engine.Conversation{Flow: flow, Step: firstStep, Community: m.comm.ID, Topic: topic, Values: values,
		Member: m.member.ID, Platform: m.in.Platform, Chat: m.in.Chat, ChatTitle: m.in.ChatTitle,
		Private: m.in.Private, Started: m.tx.Now()}
	if c.Values == nil {
		c.Values = map[string]string{}
	}
	m.tx.SaveConversation(m.key, c)
	m.say(b.prompt(m, c))
}

func (b *Bot) prompt(m *msg, c *engine.Conversation) string {
	s, ok := flowSteps[c.Flow][c.Step]
	if !ok {
		return "这一步已经失效，请发「取消」后重新开始。"
	}
	return s.prompt(b, m, c)
}

// ask moves the flow to a step and asks its question.
func (b *Bot) ask(m *msg, c *engine.Conversation, next string) {
	c.Step = next
	m.tx.SaveConversation(m.key, c)
	m.say(b.prompt(m, c))
}

// retry keeps the step and explains what was wrong with the answer.
func (b *Bot) retry(m *msg, c *engine.Conversation, why string) {
	m.tx.SaveConversation(m.key, c) // keeps the flow alive (resets the idle timer)
	m.say(why)
}

func (b *Bot) end(m *msg) { m.tx.SaveConversation(m.key, nil) }

// continueFlow feeds a message to the person's open flow. It returns false
// when the message is not for the flow (a paused flow and another command).
func (b *Bot) continueFlow(m *msg, c *engine.Conversation) bool {
	if c.Flow == "confirm" {
		if isCancel(m.text) {
			b.end(m)
			m.reply("好的，没有执行「%s」。", clip(c.Values["line"], 30))
			return true
		}
		return b.continueConfirm(m, c)
	}
	if c.Paused {
		switch {
		case m.text == "继续":
			c.Paused = false
			m.tx.SaveConversation(m.key, c)
			m.reply("好的，接着填写「%s」。\n%s", flowNames[c.Flow], b.prompt(m, c))
			return true
		case isCancel(m.text):
			b.end(m)
			m.reply("已放弃暂停中的「%s」，填写的内容没有提交。", flowNames[c.Flow])
			return true
		}
		if cmd, _ := matchCommand(m.text); cmd != nil && cmd.words[0] == "提议" && c.Flow == "propose" {
			c.Paused = false
			m.tx.SaveConversation(m.key, c)
			m.reply("您有一份没填完的提议，接着填写：\n%s", b.prompt(m, c))
			return true
		}
		return false
	}
	switch {
	case isCancel(m.text):
		b.end(m)
		m.reply("已取消「%s」，填写的内容没有提交。", flowNames[c.Flow])
		return true
	case isOneOf(m.text, "帮助", "/help", "?", "怎么填"):
		m.reply("您正在「%s」，在任何一步都可以发「取消」放弃。\n%s", flowNames[c.Flow], b.prompt(m, c))
		return true
	}
	s, ok := flowSteps[c.Flow][c.Step]
	if !ok {
		b.end(m)
		m.reply("这一步已经失效，已结束。请重新开始。")
		return true
	}
	if m.member == nil {
		b.end(m)
		m.reply("您已不在名册上，已结束「%s」。", flowNames[c.Flow])
		return true
	}
	// Command words are commands at every step: 议题 or 签到 typed while
	// the bot waits for a title must not become the title.
	if cmd, _ := matchCommand(m.text); cmd != nil && !slices.Contains(stepAnswers[c.Flow+"/"+c.Step], m.text) {
		b.commandInFlow(m, c, cmd)
		return true
	}
	s.answer(b, m, c)
	return true
}

// commandInFlow runs a command typed while a flow waits for an answer; the
// flow keeps waiting. A command that would start another flow is refused
// (it would replace this one), and 继续 or the flow's own command only
// repeats the question.
func (b *Bot) commandInFlow(m *msg, c *engine.Conversation, cmd *command) {
	name := flowNames[c.Flow]
	switch {
	case cmd.words[0] == "继续" || cmd.words[0] == flowNames[c.Flow]:
		m.reply("您正在「%s」，接着回复这个问题即可：\n%s", name, b.prompt(m, c))
	case slices.Contains(flowStarters, cmd.words[0]):
		m.reply("您正在「%s」，还没有填完。请先回复上面的问题完成它，或发「取消」放弃，然后再发「%s」。", name, m.text)
	default:
		b.command(m)
		m.tx.SaveConversation(m.key, c) // the flow stays, its idle timer restarts
		m.reply("(您的「%s」还在等您回复上一个问题；发「取消」放弃。)", name)
	}
}

func isCancel(s string) bool { return isOneOf(s, "取消", "/cancel", "退出", "算了", "不提了") }

func isYes(s string) bool {
	return isOneOf(s, "确认", "确定", "是", "是的", "好", "好的", "对", "提交", "ok", "OK", "Ok", "可以", "行", "默认", "同意")
}

// choose parses a numbered answer 1..n.
func choose(s string, n int) (int, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, "第"), "类"))
	k, err := strconv.Atoi(s)
	if err != nil || k < 1 || k > n {
		return 0, false
	}
	return k, true
}

func numbered(items []string) string {
	var sb strings.Builder
	for i, it := range items {
		if i > 0 {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "%d %s", i+1, it)
	}
	return sb.String()
}

func (b *Bot) screen(m *msg, c *engine.Conversation) ScreenResult {
	return b.opts.Screener(m.comm.ID, c.Values["title"]+"\n"+c.Values["content"]+"\n"+c.Values["affected"])
}

func categoryHint(cat int) string {
	if cat < 1 || cat > 6 {
		return ""
	}
	return fmt.Sprintf("第%d类：%s", cat, bot.Categories[cat])
}
