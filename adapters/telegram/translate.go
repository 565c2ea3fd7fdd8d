package telegram

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/bot"
)

// Texts the adapter itself sends, for things only Telegram has.
const (
	noteEdited  = "您修改了已发送的消息，修改后的内容不会被记录。如需更改，请重新发送一条新消息。"
	noteNoText  = "目前只能识别文字消息，请直接输入文字。"
	noteForward = "转发的消息不会当作您本人的发言或表决，请直接输入文字。"
)

// event is what one update means to the adapter.
type event struct {
	updateID int64
	chat     int64 // ordering key: the original chat id (0: no chat)
	in       *bot.Incoming
	callback string // callback query id to answer after handling
	note     string // the adapter's own answer to send to chat (noteChat)
	noteChat int64
	migrate  [2]int64 // old, new chat id of a supergroup upgrade
	added    bool     // the bot joined the group: explain privacy mode there
	title    string   // the group's title, when added
	removed  bool     // the bot was removed from the group
	skip     string   // why the update is ignored (for the debug log)
}

// me is what the adapter knows about its own account.
type me struct {
	id       int64  // the bot's user id (getMe)
	username string // without @
	botID    string // id used in persisted keys and update ids
}

// translate turns an update into an event. It decides nothing about the
// deliberation: it only sorts out what Telegram-specific things mean.
// original maps a chat id to the id the community configured (aliases).
func (m me) translate(u *models.Update, original func(int64) int64, now time.Time) event {
	ev := event{updateID: u.ID}
	switch {
	case u.Message != nil:
		m.message(&ev, u.Message, original)
	case u.CallbackQuery != nil:
		m.callback(&ev, u.CallbackQuery, original, now)
	case u.EditedMessage != nil:
		msg := u.EditedMessage
		ev.chat = original(msg.Chat.ID)
		ev.skip = "edited message"
		// Say that the edit did not count where the text was meant for the
		// bot: privately, as a reply to it, or a command. Not for every
		// typo fixed in the group's conversation.
		forBot := msg.Chat.Type == models.ChatTypePrivate || strings.HasPrefix(msg.Text, "/") ||
			(msg.ReplyToMessage != nil && msg.ReplyToMessage.From != nil && msg.ReplyToMessage.From.ID == m.id)
		if msg.From != nil && !msg.From.IsBot && msg.Text != "" && forBot {
			ev.note, ev.noteChat = noteEdited, msg.Chat.ID
		}
	case u.MyChatMember != nil:
		cm := u.MyChatMember
		ev.chat = original(cm.Chat.ID)
		switch cm.NewChatMember.Type {
		case models.ChatMemberTypeLeft, models.ChatMemberTypeBanned:
			ev.removed = true
		case models.ChatMemberTypeMember, models.ChatMemberTypeAdministrator:
			if cm.Chat.Type != models.ChatTypePrivate && cm.Chat.Type != models.ChatTypeChannel &&
				(cm.OldChatMember.Type == models.ChatMemberTypeLeft || cm.OldChatMember.Type == models.ChatMemberTypeBanned) {
				ev.added, ev.title = true, cm.Chat.Title
			}
		}
		if !ev.added && !ev.removed {
			ev.skip = "chat member change"
		}
	case u.ChannelPost != nil, u.EditedChannelPost != nil:
		ev.skip = "channel post"
	default:
		ev.skip = "unsupported update"
	}
	return ev
}

func (m me) message(ev *event, msg *models.Message, original func(int64) int64) {
	ev.chat = original(msg.Chat.ID)
	private := msg.Chat.Type == models.ChatTypePrivate
	if msg.MigrateToChatID != 0 {
		ev.migrate = [2]int64{msg.Chat.ID, msg.MigrateToChatID}
		ev.skip = "group upgraded to supergroup"
		return
	}
	if msg.MigrateFromChatID != 0 {
		ev.migrate = [2]int64{msg.MigrateFromChatID, msg.Chat.ID}
		ev.chat = original(msg.MigrateFromChatID)
		ev.skip = "supergroup created from group"
		return
	}
	for _, nm := range msg.NewChatMembers {
		if nm.ID == m.id {
			ev.added, ev.title = true, msg.Chat.Title
		}
	}
	if msg.LeftChatMember != nil && msg.LeftChatMember.ID == m.id {
		ev.removed = true
	}
	switch {
	case ev.added || ev.removed:
		return
	case msg.From == nil || msg.SenderChat != nil:
		// A channel or an anonymous administrator: no person to attribute
		// anything to.
		ev.skip = "message without a personal sender"
		return
	case msg.From.IsBot || msg.ViaBot != nil:
		ev.skip = "message from a bot"
		return
	case msg.ForwardOrigin != nil || msg.IsAutomaticForward:
		ev.skip = "forwarded message"
		if private {
			ev.note, ev.noteChat = noteForward, msg.Chat.ID
		}
		return
	}
	text := msg.Text
	if text == "" {
		text = msg.Caption
	}
	if strings.TrimSpace(text) == "" && !private {
		// In a meeting what a member sends goes into the minutes: a voice
		// message or a picture without words is noted there (not
		// transcribed) rather than lost; outside a meeting the core
		// ignores it like chatter. A caption is the text (a progress
		// report with a photo is a command).
		text = mediaNote(msg)
	}
	if strings.TrimSpace(text) == "" {
		ev.skip = "message without text"
		if private && len(msg.NewChatMembers) == 0 && msg.LeftChatMember == nil {
			ev.note, ev.noteChat = noteNoText, msg.Chat.ID
		}
		return
	}
	text, forUs := m.stripAddress(text)
	if !forUs {
		ev.skip = "command for another bot"
		return
	}
	text = fromSlash(text)
	ev.in = &bot.Incoming{
		Platform:   Platform,
		ID:         m.updateKey(ev.updateID),
		Chat:       strconv.FormatInt(ev.chat, 10),
		Private:    private,
		Sender:     strconv.FormatInt(msg.From.ID, 10),
		Name:       displayName(msg.From),
		Text:       text,
		ReplyToBot: msg.ReplyToMessage != nil && msg.ReplyToMessage.From != nil && msg.ReplyToMessage.From.ID == m.id,
		At:         time.Unix(int64(msg.Date), 0),
	}
	if !private {
		ev.in.ChatTitle = msg.Chat.Title
	}
}

func (m me) callback(ev *event, q *models.CallbackQuery, original func(int64) int64, now time.Time) {
	ev.callback = q.ID
	msg := q.Message.Message
	switch {
	case msg == nil:
		// Inline-mode buttons or a message too old to be shown: we never
		// send either, so the data is not ours.
		ev.skip = "callback without an accessible message"
		return
	case msg.From != nil && msg.From.ID != m.id:
		ev.chat = original(msg.Chat.ID)
		ev.skip = "callback on another bot's message"
		return
	case q.From.IsBot:
		ev.chat = original(msg.Chat.ID)
		ev.skip = "callback from a bot"
		return
	}
	ev.chat = original(msg.Chat.ID)
	private := msg.Chat.Type == models.ChatTypePrivate
	ev.in = &bot.Incoming{
		Platform: Platform,
		ID:       m.updateKey(ev.updateID),
		Chat:     strconv.FormatInt(ev.chat, 10),
		Private:  private,
		Sender:   strconv.FormatInt(q.From.ID, 10),
		Name:     displayName(&q.From),
		Text:     q.Data,
		Callback: true,
		// A button sits on the bot's own message: in privacy mode that is
		// as good as a reply.
		ReplyToBot: true,
		At:         now, // a callback query carries no date
	}
	if !private {
		ev.in.ChatTitle = msg.Chat.Title
	}
}

func (m me) updateKey(id int64) string { return "tg:" + m.botID + ":" + strconv.FormatInt(id, 10) }

// stripAddress removes "@botname" from "/cmd@botname args" and a leading
// "@botname " mention, so the core sees the same text as on any platform.
// forUs is false for a command addressed to another bot.
func (m me) stripAddress(text string) (string, bool) {
	if strings.HasPrefix(text, "/") {
		end := strings.IndexFunc(text, unicode.IsSpace)
		if end < 0 {
			end = len(text)
		}
		cmd, rest := text[:end], text[end:]
		if name, at, ok := strings.Cut(cmd, "@"); ok {
			if !strings.EqualFold(at, m.username) {
				return text, false
			}
			return name + rest, true
		}
		return text, true
	}
	if m.username != "" && len(text) > len(m.username) && text[0] == '@' &&
		strings.EqualFold(text[1:1+len(m.username)], m.username) {
		rest := text[1+len(m.username):]
		if rest == "" || unicode.IsSpace(rune(rest[0])) || rest[0] == ',' {
			return strings.TrimLeft(rest, " \t\n,，"), true
		}
	}
	return text, true
}

func displayName(u *models.User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" && u.Username != "" {
		name = "@" + u.Username
	}
	return name
}

// mediaNote describes a message that carries a voice message, a picture or
// another file, as the minutes note it ("发送了一段语音，42秒"); "" for text.
func mediaNote(msg *models.Message) string {
	secs := func(d int) string {
		if d <= 0 {
			return ""
		}
		return "，" + strconv.Itoa(d) + "秒"
	}
	switch {
	case msg.Voice != nil:
		return "发送了一段语音" + secs(msg.Voice.Duration)
	case msg.Audio != nil:
		return "发送了一段音频" + secs(msg.Audio.Duration)
	case msg.VideoNote != nil:
		return "发送了一段视频留言" + secs(msg.VideoNote.Duration)
	case msg.Video != nil:
		return "发送了一段视频" + secs(msg.Video.Duration)
	case len(msg.Photo) > 0:
		return "发送了一张图片"
	case msg.Document != nil:
		if msg.Document.FileName != "" {
			return "发送了一个文件「" + msg.Document.FileName + "」"
		}
		return "发送了一个文件"
	}
	return ""
}
