package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Incoming is one message a person sent, translated by an adapter into
// platform-neutral terms.
type Incoming struct {
	Platform string // "console", "telegram", "wechat"
	// ID identifies the platform update; a redelivered update carries the
	// same ID and is ignored. Empty: no deduplication (the console).
	ID string
	// Chat is the platform's id of the chat (for a group: the group; for a
	// private chat: the chat with the sender).
	Chat      string
	ChatTitle string // group name as the platform shows it
	Private   bool
	Sender    string // the sender's platform identity
	Name      string // the sender's display name
	Text      string
	// ReplyToBot is set when the message replies to one of the bot's messages
	// (in Telegram privacy mode that is how group votes reach us).
	ReplyToBot bool
	// Callback is set for a button press; Text then holds the button data.
	Callback bool
	// PlatformBound is set on a bind command relayed from the process
	// logged in to the platform, which already bound the account there
	// (bot.Binder) and put the stable identity in Sender.
	PlatformBound bool `json:",omitempty"`
	At            time.Time
}

// Button is an inline button; Data comes back as Incoming.Text with
// Incoming.Callback set.
type Button struct {
	Label string `json:"label"`
	Data  string `json:"data"`
}

// Outgoing is one message the bot sends. Exactly one of Chat or Member is
// set: Chat posts into a platform chat (a group, or the chat an incoming
// message came from); Member sends privately to a roster member, whichever
// platform knows them.
type Outgoing struct {
	Platform  string   `json:"platform,omitempty"`
	Chat      string   `json:"chat,omitempty"`
	ChatTitle string   `json:"chat_title,omitempty"`
	Private   bool     `json:"private,omitempty"`
	Member    string   `json:"member,omitempty"` // member ID
	Community string   `json:"community,omitempty"`
	Text      string   `json:"text"`
	Buttons   []Button `json:"buttons,omitempty"`
	// Key names a message that later ones replace (the live tally): an
	// adapter that can edit messages edits the earlier one; a pending one
	// not yet sent is superseded. Such a message is a view of state that is
	// stored anyway, so it is kept in memory only and not resent after a
	// restart.
	Key string `json:"key,omitempty"`
	// MergeKey merges messages that wait in the queue: pending messages
	// with the same MergeKey are sent as one, their texts on separate lines
	// (up to about 3,000 characters each), so ten vote acknowledgements in
	// a rate-limited group become one message. Unlike Key, nothing is
	// edited in place, and each message is stored (durable) on its own.
	MergeKey string `json:"merge_key,omitempty"`
	// For makes the message a receipt: the acknowledgement of one person's
	// own action (their vote or check-in was recorded), meant for them
	// alone. It holds their identity on Platform; Chat is the chat they
	// acted in. An adapter delivers a receipt as privately as its platform
	// allows (Telegram: the answer to the pressed button, else a private
	// message; the console: a private line), so the group is not filled
	// with one line per voter. Build receipts with ReceiptFor.
	For string `json:"for,omitempty"`
	// Answers is the Incoming.ID of the message or button press a receipt
	// or a private reply answers (Telegram shows a pressed button's answer
	// as a pop-up).
	Answers string `json:"answers,omitempty"`
}

// ReceiptFor is the acknowledgement of in, one person's action, with text.
// In a private chat it is an ordinary reply (still naming in as the message
// it answers, so a pressed button stops waiting). On WeChat, where the bot can
// write privately only to its friends, it stays a group message merged
// with the other receipts of that group waiting in the queue.
func ReceiptFor(in Incoming, community, text string) Outgoing {
	out := Outgoing{Platform: in.Platform, Chat: in.Chat, ChatTitle: in.ChatTitle, Private: in.Private,
		Community: community, Text: text}
	switch {
	case in.Private:
		out.Answers = in.ID
	case in.Platform == "wechat":
		out.MergeKey = "receipt/" + community + "/" + in.Chat
	default:
		out.For, out.Answers = in.Sender, in.ID
	}
	return out
}

// LiveAttendance is the group's one live attendance message of topic t:
// who is present so far, with a 签到 button. Later ones replace it (edited
// in place where the platform can, otherwise sent at most once per
// interval), so forty check-ins make one message, not forty.
func LiveAttendance(community, platform, chat, chatTitle string, t *Topic, present, expected int) Outgoing {
	how := "参会人员请点下方「签到」按钮，或在群里发「签到」。"
	if platform == "telegram" { // the adapter's slash form, which reaches a bot in privacy mode
		how = "参会人员请点下方「签到」按钮，或在群里发「签到」(也可以发 /qiandao)。"
	}
	return Outgoing{Platform: platform, Chat: chat, ChatTitle: chatTitle, Community: community,
		Key:     "attend/" + community + "/" + t.ID,
		Text:    fmt.Sprintf("【签到】议题 %s：实到%d人/应到%d人。%s", t.Label(), present, expected, how),
		Buttons: []Button{{Label: "签到", Data: "签到 #" + t.ID}}}
}

// Sender delivers outgoing messages on one platform. It returns an error
// when the platform did not accept the message; the caller keeps the message
// and retries.
type Sender interface {
	Send(ctx context.Context, m Outgoing) error
}

// Handler is what adapters call with every incoming message.
type Handler interface {
	Handle(ctx context.Context, in Incoming) error
}

// Clock is injectable time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// ErrCannotReach is returned (wrapped) by a Sender when the platform refuses
// a private message because the person has not opened a chat with the bot
// (Telegram) or is not the account's friend (WeChat). The message stays
// queued and the core asks the person, in the group, to open a chat.
var ErrCannotReach = errors.New("recipient cannot be reached privately yet")

// RetryAfterError is returned (wrapped) by a Sender when the platform asked
// us to slow down; the message is retried after After.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("platform asked to retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// Adapter is a chat platform: a thin translator between the platform and
// the core. Run receives messages and calls h.Handle for each, in order per
// chat, until ctx ends; Send delivers one message. For a private Outgoing,
// Chat holds the member's identity on this platform (the core resolved it).
type Adapter interface {
	Platform() string
	Run(ctx context.Context, h Handler) error
	Sender
}

// Exclusive is implemented by adapters whose receiving side only one
// process may run at a time: a Telegram token is polled by one reader
// (getUpdates answers 409 to a second). When several processes share the
// store, each runs the adapter — any of them can send — and the one that
// wins ExclusiveLease receives; WaitTurn is called before Run with what
// blocks until then. A message it receives for a community another
// process serves is relayed to that process through the store.
// ExclusiveLease is "" when receiving needs no turn (webhook mode: the
// load balancer picks a process per update).
//
// SendsWithoutTurn reports whether a process without the turn can send:
// any process may call Telegram's sendMessage with the token, but only
// the process logged in to a WeChat account can send from it — the others
// hand their messages, through the store, to that process to send.
type Exclusive interface {
	ExclusiveLease() string
	WaitTurn(wait func(ctx context.Context) error)
	SendsWithoutTurn() bool
}

// Editor is implemented by adapters that can edit a message they sent; the
// core then updates the live tally in place (Outgoing.Key) instead of
// posting a new message.
type Editor interface {
	CanEdit() bool
}

// Hearing is implemented by adapters that may not receive every message
// posted in a group (a Telegram bot in privacy mode that is not an
// administrator gets only /commands, replies to it and @mentions). The core
// must not open a step whose statements go into the minutes while the bot
// cannot hear them: CanHearAll answers false and a Chinese explanation of
// what the bot cannot see and how to fix it.
type Hearing interface {
	CanHearAll(ctx context.Context, chat string) (ok bool, why string)
}

// StartLinker is implemented by adapters whose users must open the private
// chat with the bot themselves before it can write to them (Telegram: a
// member who never pressed Start). StartLink is a link that opens that chat
// with the bot for community, to put in group notices.
type StartLinker interface {
	StartLink(community string) string
}

// Binder is implemented by adapters that must record a binding on the
// platform side (WeChat sets the friend's remark name to the member key,
// since its user names change at every login). It returns the identity the
// core should store for the member on this platform.
type Binder interface {
	Bind(ctx context.Context, platformIdentity, memberKey string) (stableIdentity string, err error)
}
