package flows

import (
	"errors"
	"fmt"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/textnorm"
)

// The stages a command applies in, for the resolver's lists.
var (
	stagesAll = []bot.Stage{bot.StagePendingReview, bot.StageReturned, bot.StageDeclined, bot.StageApproved,
		bot.StageNotified, bot.StageDeliberating, bot.StageVoting, bot.StageVoted, bot.StagePublished,
		bot.StageImplementing, bot.StageCompleted, bot.StageRedeliberate, bot.StageTerminated}
	stagesAfterVote = []bot.Stage{bot.StageVoted, bot.StagePublished, bot.StageImplementing,
		bot.StageCompleted, bot.StageRedeliberate, bot.StageTerminated}
)

// inChat is the resolver's scope: in a group, the group's own topics; in a
// private chat, the topics the sender takes part in or holds a role in.
func (m *msg) inChat(t *bot.Topic) bool {
	if m.group != nil {
		return t.Group == m.group.Name
	}
	if m.member == nil {
		return false
	}
	id := m.member.ID
	return t.IsParticipant(id) || t.Chair == id || t.Recorder == id || t.Supervisor == id || t.Proposer == id
}

// scope is which topics a command without a number may mean.
type scope int

const (
	scopeChat    scope = iota // the chat's topics; the only one is offered for confirmation
	scopeMeeting              // the live meeting of the chat: the only one is meant without asking
	scopeAll                  // every topic of the community (the party organisation, the 两委, reads)
)

// topic resolves the topic of the command being handled (m.word) through
// the engine's resolver, and answers when it cannot: a refusal names the
// format and the topics that fit; when exactly one fits the person is asked
// to confirm it, and 是 runs the command again with its number.
func (b *Bot) topic(m *msg, ref string, sc scope, stages ...bot.Stage) *bot.Topic {
	q := engine.TopicQuery{Ref: ref, Command: m.command(), Stages: stages, Fits: m.inChat, Current: sc == scopeMeeting}
	if sc == scopeAll {
		q.Fits = nil
	}
	t, err := m.tx.ResolveTopic(m.comm.ID, q)
	if err == nil {
		return t
	}
	var g *engine.TopicGuess
	if errors.As(err, &g) {
		if !b.pend(m, m.word+" #"+g.Topic.ID+" "+m.rawRest, "") {
			// Another flow waits for this person's answer: 是 would go there.
			m.reply("请写上议题编号，例如「%s #%s」。", m.command(), g.Topic.ID)
			return nil
		}
		m.ask(bot.ErrorMessage(err))
		return nil
	}
	m.replyErr(err)
	return nil
}

// ask answers with a yes/no question; the buttons send 是 or 取消 as the
// person's reply (under Telegram's privacy mode a typed 是 may not arrive).
func (m *msg) ask(text string) {
	m.send(bot.Outgoing{Platform: m.in.Platform, Chat: m.in.Chat, ChatTitle: m.in.ChatTitle,
		Private: m.in.Private, Text: text, Community: m.commID(),
		Buttons: []bot.Button{{Label: "是", Data: "是"}, {Label: "取消", Data: "取消"}}})
}

// refOnly is the reference of a command that takes nothing but a topic
// number: any other text after the command word is a malformed number
// ("确认记录 abc"), never free text to ignore.
func refOnly(rest string) string {
	ref, tail := engine.SplitTopicRef(rest)
	if ref == "" {
		return tail
	}
	return ref
}

// command is the word the person used, for examples in answers.
func (m *msg) command() string {
	if m.word != "" {
		return m.word
	}
	return "表决"
}

// pend stores a pending confirmation: 是 runs line (a complete command with
// its topic number); anything else drops it and is handled as usual. skip
// names a check the confirmed command no longer asks about ("early"). It
// returns false, storing nothing, when the person cannot be asked: not on
// the roster, or another flow already waits for their answer.
func (b *Bot) pend(m *msg, line, skip string) bool {
	if m.member == nil {
		return false
	}
	if c := m.tx.Conversation(m.key); c != nil && c.Flow != "confirm" {
		return false
	}
	c := &engine.Conversation{Flow: "confirm", Step: "yes", Community: m.comm.ID,
		Values: map[string]string{"line": strings.TrimSpace(line), "skip": skip},
		Member: m.member.ID, Platform: m.in.Platform, Chat: m.in.Chat, ChatTitle: m.in.ChatTitle,
		Private: m.in.Private, Started: m.tx.Now()}
	m.tx.SaveConversation(m.key, c)
	return true
}

// confirmWords answer a pending confirmation. Narrower than isYes: 同意 is
// a vote word and 好 is chatter in a group.
func confirmWords(s string) bool {
	return isOneOf(s, "是", "是的", "对", "确认", "确定", "ok", "OK")
}

// continueConfirm handles the answer to a pending confirmation; it returns
// false when the message is something else, which then runs as usual
// (the confirmation is dropped: nothing was done).
func (b *Bot) continueConfirm(m *msg, c *engine.Conversation) bool {
	b.end(m)
	if !confirmWords(m.text) {
		return false
	}
	line := c.Values["line"]
	m.raw, m.text = line, textnorm.Normalize(line)
	m.skip = c.Values["skip"]
	b.command(m)
	return true
}

// refuse answers a refusal (msg.replyErr: a stranger is answered privately).
func (b *Bot) refuse(m *msg, err error) { m.replyErr(err) }

// toStranger answers a person who is not on the roster privately, never
// naming them in the group; the group gets, at most once a day per
// person, an unnamed line saying where the answer went.
func (m *msg) toStranger(text string) {
	m.send(bot.Outgoing{Platform: m.in.Platform, Chat: m.in.Sender, Private: true, Text: text, Community: m.commID()})
	key := "stranger/" + m.in.Platform + "/" + m.in.Chat + "/" + m.in.Sender + "/" + m.day()
	if !m.tx.Reminded(m.comm.ID, key) {
		m.tx.MarkReminded(m.comm.ID, key)
		m.say("有一条消息没有处理：发送人不在本村(社区)名册上，原因已私聊告知发送人(收不到的话，请先私聊我一次)。")
	}
}

// day is today's date in the community's zone (or China's when unknown),
// for answers given at most once a day.
func (m *msg) day() string {
	loc := chinaTime
	if m.comm != nil && m.comm.Location != nil {
		loc = m.comm.Location
	}
	return m.tx.Now().In(loc).Format("2006-01-02")
}

// unboundGroup answers, once per chat per day, a message from a group that
// belongs to no community: not set up here, how to set it up, and
// (privately) which groups the sender is a member of.
func (b *Bot) unboundGroup(m *msg) {
	key := "unbound/" + m.in.Platform + "/" + m.in.Chat + "/" + m.day()
	if m.tx.Reminded("", key) {
		return
	}
	m.tx.MarkReminded("", key)
	title := m.in.ChatTitle
	if title == "" {
		title = m.in.Chat
	}
	m.say(fmt.Sprintf("本群「%s」还没有登记到任何村或社区，我在这里不处理议事消息(今天只提示这一次)。\n要在本群议事，请工作人员在社区配置文件的 groups 中加入本群(platform: %s，chat: %s)后重启机器人，格式见 bot/config/FORMAT.md。",
		title, m.in.Platform, m.in.Chat))
	comms, members := m.tx.MemberAnywhere(m.in.Platform, m.in.Sender)
	for i, c := range comms {
		var names []string
		for _, g := range c.Groups {
			if g.Platform == m.in.Platform {
				names = append(names, "「"+g.Name+"」")
			}
		}
		text := fmt.Sprintf("您在「%s」群里发的消息我没有处理：那个群没有登记。", title)
		if len(names) > 0 {
			text += fmt.Sprintf("您是%s的成员，议事请到%s里发，或直接私聊我。", c.Name, strings.Join(names, "、"))
		}
		m.tx.ToMember(c.ID, members[i].ID, localize(c, text))
	}
}
