package flows

import (
	"fmt"
	"slices"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
)

func (b *Bot) cmdPropose(m *msg, _ string) {
	if err := bot.Authorize(bot.Actor{Member: m.member}, bot.ActPropose, nil); err != nil {
		m.replyErr(err)
		return
	}
	b.startPropose(m, nil)
}

func (b *Bot) startPropose(m *msg, t *bot.Topic) {
	values := map[string]string{}
	topic := ""
	if m.group != nil {
		values["group"] = m.group.Name
	}
	if t != nil {
		topic = t.ID
		values["title"], values["content"], values["affected"], values["channel"] = t.Title, t.Content, t.Affected, string(t.Channel)
		values["group"] = t.Group
		c := &engine.Conversation{Flow: "propose", Step: "confirm", Community: m.comm.ID, Topic: topic, Values: values,
			Member: m.member.ID, Platform: m.in.Platform, Chat: m.in.Chat, ChatTitle: m.in.ChatTitle, Private: m.in.Private, Started: m.tx.Now()}
		m.tx.SaveConversation(m.key, c)
		m.reply("修改议题 %s。退回理由：%s\n%s", t.Label(), t.ReviewNote, b.prompt(m, c))
		return
	}
	b.start(m, "propose", "title", topic, values)
}

var proposeFields = []struct{ step, name string }{{"title", "标题"}, {"content", "内容"}, {"affected", "涉及的人或地方"}, {"channel", "提议渠道"}}

var proposeSteps = map[string]step{
	"title": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			if c.Values["editing"] != "" {
				return fmt.Sprintf("请写新的标题(%d-%d个字)：", engine.MinTitle, engine.MaxTitle)
			}
			return fmt.Sprintf("好的，%s，我们来提一个议题。在任何一步都可以发「取消」或「帮助」。\n第1步(共4步)：请用一句话写议题的标题(%d-%d个字)。例如：村口路段安装路灯", m.who(), engine.MinTitle, engine.MaxTitle)
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			b.field(m, c, "title", "标题", engine.MinTitle, engine.MaxTitle, "content")
		},
	},
	"content": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			return fmt.Sprintf("第2步：请说明具体内容——发生了什么、希望怎么解决(%d-%d个字)。", engine.MinContent, engine.MaxContent)
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			b.field(m, c, "content", "内容", engine.MinContent, engine.MaxContent, "affected")
		},
	},
	"affected": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			return "第3步：这件事涉及哪些人或哪些地方？例如：3组全体村民、村口到小学的路段"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			b.field(m, c, "affected", "涉及的人或地方", 2, engine.MaxAffected, "channel")
		},
	},
	"channel": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			return "第4步：这是怎么提出的？请回复数字：\n1 本人提议\n2 替群众说事(帮别人反映)\n3 理事会成员提事"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			ch, ok := bot.ChannelByName(m.text)
			if !ok {
				b.retry(m, c, "请回复 1、2 或 3：1 本人提议，2 替群众说事，3 理事会成员提事。")
				return
			}
			c.Values["channel"] = string(ch)
			b.ask(m, c, "confirm")
		},
	},
	"confirm": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			s := b.screen(m, c)
			text := fmt.Sprintf("请核对您的提议(还没有提交)：\n标题：%s\n内容：%s\n涉及：%s\n渠道：%s", c.Values["title"], c.Values["content"], c.Values["affected"], bot.Channel(c.Values["channel"]).Chinese())
			text += "\n" + screenPreview(s.Screening)
			return text + "\n回复「确认」提交给党组织审定，「修改」更改某一项，「取消」放弃。"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			switch {
			case isYes(m.text):
				b.submitProposal(m, c)
			case m.text == "修改" || m.text == "改":
				b.ask(m, c, "edit")
			default:
				b.retry(m, c, "请回复「确认」提交、「修改」更改，或「取消」放弃。")
			}
		},
	},
	"edit": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			return "要修改哪一项？回复数字：\n1 标题\n2 内容\n3 涉及的人或地方\n4 提议渠道"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			k, ok := choose(m.text, 4)
			if !ok {
				b.retry(m, c, "请回复 1-4 之间的数字：1 标题，2 内容，3 涉及的人或地方，4 提议渠道。")
				return
			}
			c.Values["editing"] = "1"
			b.ask(m, c, proposeFields[k-1].step)
		},
	},
}

// field stores a validated text answer and moves on (back to the summary
// when the person is editing one field).
func (b *Bot) field(m *msg, c *engine.Conversation, key, name string, minimum, maximum int, next string) {
	text := m.raw
	if err := engine.CheckLength(name, text, minimum, maximum); err != nil {
		b.retry(m, c, bot.ErrorMessage(err))
		return
	}
	c.Values[key] = text
	if c.Values["editing"] != "" {
		delete(c.Values, "editing")
		next = "confirm"
	}
	b.ask(m, c, next)
}

func (b *Bot) submitProposal(m *msg, c *engine.Conversation) {
	s := b.screen(m, c)
	d := engine.Draft{Title: c.Values["title"], Content: c.Values["content"], Affected: c.Values["affected"],
		Channel: bot.Channel(c.Values["channel"]), Group: c.Values["group"]}
	var t *bot.Topic
	var err error
	if c.Topic != "" {
		t, err = m.tx.Resubmit(m.comm.ID, c.Topic, m.member, d, s.Screening)
	} else {
		t, err = m.tx.Propose(m.comm.ID, m.member, d, s.Screening)
	}
	if err != nil {
		b.retry(m, c, bot.ErrorMessage(err)+"\n您填写的内容还保存着，改好后回复「确认」，或发「修改」。")
		return
	}
	b.end(m)
	// Tell the party organisation, with the screening's flags, and then say
	// exactly that to the proposer.
	var reviewers []string
	for i := range m.comm.Roster {
		r := &m.comm.Roster[i]
		if r.Has(bot.RoleSecretary) || r.Has(bot.RolePartyMember) {
			note := fmt.Sprintf("【新议题待审定】%s，%s提出(%s)。\n内容：%s\n涉及：%s", t.Label(), m.member.Name, t.Channel.Chinese(), t.Content, t.Affected)
			if s.ReviewerText != "" {
				note += "\n" + s.ReviewerText
			}
			note += "\n请私聊我发「审定 #" + t.ID + "」开始审定。"
			m.toMember(r.ID, note)
			reviewers = append(reviewers, r.Name)
		}
	}
	text := fmt.Sprintf("已提交党组织审定：议题编号 %s，已私聊通知党组织的%s。审定后结果会私聊告诉您。", t.Label(), strings.Join(reviewers, "、"))
	if c.Topic != "" {
		text = fmt.Sprintf("修改后的议题 %s 已重新提交党组织审定，已私聊通知党组织的%s。", t.Label(), strings.Join(reviewers, "、"))
	}
	if s.Verdict == "excluded" || s.Verdict == "review" {
		text += "\n预审提示这件事可能不适合议事协商，已一并告诉党组织，由党组织决定是否受理。"
	}
	m.say(text)
}

// screenPreview is what the pre-screening says, before anything is
// submitted: a verdict, never a claim that the proposal was sent.
func screenPreview(s bot.Screening) string {
	if s.Verdict == "excluded" || s.Verdict == "review" {
		var rules []string
		for _, r := range s.Rules {
			if r >= 1 && r < len(bot.ExclusionRules) {
				rules = append(rules, fmt.Sprintf("第%d条(%s)", r, bot.ExclusionRules[r]))
			}
		}
		text := "初步筛查提示：这件事可能属于「五不议」"
		if len(rules) > 0 {
			text += strings.Join(rules, "、")
		}
		text += "。这只是机器初筛，提交后由党组织审定是否受理。"
		if slices.Contains(s.Rules, 5) {
			text += "如属个人之间的纠纷，也可以直接向村(社区)人民调解委员会申请调解。"
		}
		return text
	}
	if s.Category > 0 {
		return "初步筛查：可以进入议事协商(" + categoryHint(s.Category) + ")。"
	}
	return "初步筛查：可以进入议事协商。"
}
