// Package flows is the conversational layer: it turns a platform-neutral
// chat message into an engine action or a step of a multi-message flow
// (propose, review, plan), and answers in Chinese. Flow state is data (the
// flow name, the step and the values collected), persisted with the action
// it belongs to and keyed by (platform, chat, user); one message at a time
// is handled per key.
package flows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/textnorm"
)

// ScreenResult is what the pre-screening said, with texts for the proposer
// and the reviewer.
type ScreenResult struct {
	bot.Screening
	ProposerText string
	ReviewerText string
}

// Screener pre-screens a proposal against 五不议/六必议.
type Screener func(comm, text string) ScreenResult

// Options configure the conversational layer.
type Options struct {
	Engine   *engine.Engine
	Screener Screener              // nil: everything admissible, no category suggested
	Binders  map[string]bot.Binder // per platform, for adapters that record bindings
	Logger   *slog.Logger
	BotName  string // how people address the bot in groups; default 议事助手
	// Record renders the record sheet of a topic for a chat (`记录 #N`).
	Record func(tx *engine.Tx, t *bot.Topic) string
	// OnDecision is called inside the action when a topic passes, so the
	// archive of decisions (五不议 rule 3) can learn it.
	OnDecision func(tx *engine.Tx, t *bot.Topic)
	// OnReview is called inside the action after each 审定 (approve,
	// return, decline), so the screening learns from the reviewer at once.
	OnReview func(tx *engine.Tx, t *bot.Topic)
	// WebLogin issues the one-time links of 网页登录 (weblogin.go); nil:
	// the web pages are off.
	WebLogin LoginLinks
}

// Bot implements bot.Handler.
type Bot struct {
	opts Options
	eng  *engine.Engine
	log  *slog.Logger
	keys keyedMutex
}

// New builds the conversational layer.
func New(opts Options) *Bot {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.BotName == "" {
		opts.BotName = "议事助手"
	}
	if opts.Screener == nil {
		opts.Screener = func(string, string) ScreenResult {
			return ScreenResult{Screening: bot.Screening{Verdict: "admissible"}}
		}
	}
	return &Bot{opts: opts, eng: opts.Engine, log: opts.Logger}
}

// keyedMutex serialises work per key without holding one lock for all.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

// msg is one incoming message in the context the handlers need.
type msg struct {
	in   bot.Incoming
	text string // normalised
	raw  string // trimmed original text (kept for statements and proposals)
	// rawRest is what follows a command word in the original text, for
	// commands that carry free text (an opinion, a follow-up item).
	rawRest string
	comm    *config.Community
	group   *config.Group // nil in a private chat
	member  *bot.Member   // nil when not on the roster
	key     string
	tx      *engine.Tx
	b       *Bot
	relayed bool   // handled from the inbox (HandleRelayed)
	word    string // the command word used, for the examples in answers
	skip    string // a check already confirmed (see pend)
}

// chinaTime is the zone for "once a day" when no community is known.
var chinaTime = time.FixedZone("CST", 8*3600)

// reply answers in the chat the message came from.
func (m *msg) reply(format string, args ...any) { m.say(fmt.Sprintf(format, args...)) }

// say answers with a text, in the community's wording.
func (m *msg) say(text string) {
	m.send(bot.Outgoing{Platform: m.in.Platform, Chat: m.in.Chat, ChatTitle: m.in.ChatTitle,
		Private: m.in.Private, Text: text, Community: m.commID()})
}

// send queues a message in the community's wording.
func (m *msg) send(out bot.Outgoing) {
	out.Text = localize(m.comm, out.Text)
	m.tx.Send(out)
}

// toGroup posts to a topic's group, in the community's wording.
func (m *msg) toGroup(t *bot.Topic, text string) { m.tx.ToGroup(m.comm.ID, t, localize(m.comm, text)) }

// toMember tells a member privately, in the community's wording.
func (m *msg) toMember(member, text string) { m.tx.ToMember(m.comm.ID, member, localize(m.comm, text)) }

// replyErr answers with a domain error's Chinese message.
func (m *msg) replyErr(err error) {
	m.tx.NoteRefusal(err)
	if bot.ErrorCode(err) == bot.EINTERNAL {
		m.b.log.Error("action failed", "err", err, "platform", m.in.Platform, "chat", m.in.Chat)
	}
	if m.member == nil && m.group != nil {
		m.toStranger(bot.ErrorMessage(err))
		return
	}
	m.say(bot.ErrorMessage(err))
}

func (m *msg) commID() string {
	if m.comm == nil {
		return ""
	}
	return m.comm.ID
}

// who is how the bot addresses the sender.
func (m *msg) who() string {
	if m.member != nil {
		return m.member.Name
	}
	if m.in.Name != "" {
		return m.in.Name
	}
	return "您"
}

// Handle answers one incoming message. It returns only after everything the
// message caused is durable; a redelivered update (same ID) is ignored.
func (b *Bot) Handle(ctx context.Context, in bot.Incoming) error {
	return b.handle(ctx, in, in.ID, nil)
}

// HandleRelayed answers a message another process received for a
// community served here (engine.Relayed): as Handle, and the entry is
// deleted in the batch that records what the message did — handled once,
// even across a crash.
func (b *Bot) HandleRelayed(ctx context.Context, r engine.Relayed) error {
	// No update id to remember: the entry's deletion, fenced by the
	// community's lease in the batch that handles it, is what makes it
	// handled once (a seen key per relayed message would only pile up).
	return b.handle(ctx, r.In, "", func(tx *engine.Tx) bool { return tx.TakeRelayed(r) })
}

// take is how a unit of work claims a relayed entry (HandleRelayed): false
// means the community was handed over meanwhile and the unit must do
// nothing (engine.ErrSkip). nil for a message read from a platform.
type take func(*engine.Tx) bool

func (t take) ok(tx *engine.Tx) bool { return t == nil || t(tx) }

func (b *Bot) handle(ctx context.Context, in bot.Incoming, updateID string, claim take) error {
	raw := strings.TrimSpace(in.Text)
	text := textnorm.Normalize(b.stripMention(raw))
	key := in.Platform + "/" + in.Chat + "/" + in.Sender
	unlock := b.keys.lock(key)
	defer unlock()

	var dup bool
	var err error
	if code, ok := bindCommand(text); ok && in.Private {
		dup, err = b.handleBind(ctx, in, code, updateID, claim)
	} else {
		dup, err = b.eng.Do(ctx, updateID, func(tx *engine.Tx) error {
			if !claim.ok(tx) {
				return engine.ErrSkip
			}
			m := &msg{in: in, text: text, raw: b.stripMention(raw), key: key, tx: tx, b: b, relayed: claim != nil}
			b.route(m)
			return nil
		})
	}
	if err == nil && dup && claim != nil {
		// Handled before: only the entry is left to delete.
		_, err = b.eng.Do(ctx, "", func(tx *engine.Tx) error {
			if !claim.ok(tx) {
				return engine.ErrSkip
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("handle message from %s/%s: %w", in.Platform, in.Sender, err)
	}
	return nil
}

func (b *Bot) stripMention(s string) string {
	for _, p := range []string{"@" + b.opts.BotName, "＠" + b.opts.BotName, b.opts.BotName + "，", b.opts.BotName + ","} {
		if strings.HasPrefix(s, p) {
			return strings.TrimSpace(strings.TrimLeft(strings.TrimPrefix(s, p), " \u2005\u00a0:：,，"))
		}
	}
	return s
}

func (b *Bot) route(m *msg) {
	tx, in := m.tx, m.in
	if in.Private {
		if first := tx.FirstCommunityOf(in.Platform, in.Sender); first != nil {
			servedElsewhere(m, first) // a member of several: always the same one
			return
		}
		comms, members := tx.MemberAnywhere(in.Platform, in.Sender)
		if len(comms) == 0 {
			if others := tx.MemberServedElsewhere(in.Platform, in.Sender); len(others) > 0 {
				servedElsewhere(m, others[0])
				return
			}
			m.reply("您好，%s。您还不在任何社区的名册上，所以暂时不能使用议事功能。\n如果您是本村(社区)的成员，请向村(居)委会工作人员要一个绑定码，然后私聊我发送「绑定 绑定码」。", m.who())
			return
		}
		m.comm, m.member = comms[0], members[0]
		if !m.relayed && tx.Draining(m.comm.ID) {
			servedElsewhere(m, m.comm) // behind the messages relayed before
			return
		}
		b.eng.OutboxWake(m.member.ID) // they can be reached privately now
	} else {
		m.comm, m.group = tx.GroupCommunity(in.Platform, in.Chat)
		if m.comm == nil {
			if c := tx.GroupServedElsewhere(in.Platform, in.Chat); c != nil {
				servedElsewhere(m, c)
				return
			}
			b.unboundGroup(m)
			return
		}
		if !m.relayed && tx.Draining(m.comm.ID) {
			servedElsewhere(m, m.comm) // behind the messages relayed before
			return
		}
		m.member = tx.Member(m.comm.ID, in.Platform, in.Sender)
	}
	if b.shortCheckIn(m) {
		return
	}
	if m.text == "" {
		if in.Private || in.ReplyToBot {
			m.reply("收到一条空消息或只有表情的消息。需要帮助请发「帮助」。")
		}
		return
	}
	if conv := tx.Conversation(m.key); conv != nil {
		if b.continueFlow(m, conv) {
			return
		}
	}
	b.command(m)
}

// servedElsewhere passes a message for a community that another bot
// process serves (several share one database; one of them may be taking
// it over right now) to that community's inbox, where its holder handles
// it. A store that cannot relay refuses it: nothing was recorded, and
// the sender is told so.
func servedElsewhere(m *msg, c *config.Community) {
	if m.tx.CanRelay() {
		m.tx.Relay(c.ID, m.in)
		return
	}
	m.reply("%s，您这条消息没有被记录：「%s」的议事现在由另一台服务进程负责(多台服务器共用一个数据库，可能正在交接，通常半分钟内完成)。请过一分钟再发一次；一直这样请联系村(居)委会工作人员。", m.who(), c.Name)
}

// looksAddressed reports whether a group message seems meant for the bot
// even though it is no known command.
func looksAddressed(text string) bool {
	return strings.HasPrefix(text, "/") || strings.HasPrefix(text, "#")
}

func bindCommand(text string) (string, bool) {
	var rest string
	switch {
	case strings.HasPrefix(text, "/bind"):
		rest = strings.TrimPrefix(text, "/bind")
	case strings.HasPrefix(text, "绑定") && !strings.HasPrefix(text, "绑定码"):
		rest = strings.TrimPrefix(text, "绑定")
	default:
		return "", false
	}
	if strings.HasPrefix(rest, "@") { // /bind@botname CODE
		_, rest, _ = strings.Cut(rest, " ")
	}
	return strings.Trim(rest, " :："), true
}

func (b *Bot) handleBind(ctx context.Context, in bot.Incoming, code, updateID string, claim take) (dup bool, err error) {
	reply := func(tx *engine.Tx, text string) {
		tx.Send(bot.Outgoing{Platform: in.Platform, Chat: in.Chat, Private: true, Text: text})
	}
	var comm string
	var member *bot.Member
	var peekErr error
	var canRelay bool
	b.eng.Read(func(tx *engine.Tx) { comm, member, peekErr = tx.PeekBindCode(code); canRelay = tx.CanRelay() })
	// A relayed bind is answered here, never relayed again (two processes
	// would pass an unknown code back and forth).
	if peekErr != nil && canRelay && claim == nil {
		if elsewhere, memberID := b.eng.BindCodeElsewhere(code); elsewhere != "" {
			// Issued by a community another process serves: it binds there.
			// The platform side is bound here, by the process that reads
			// the platform (a WeChat login lives in one process only).
			fwd := in
			if binder := b.opts.Binders[in.Platform]; binder != nil {
				stable, err := binder.Bind(ctx, in.Sender, elsewhere+"-"+memberID)
				if err != nil {
					b.log.Error("platform binding failed", "platform", in.Platform, "err", err)
					dup, derr := b.eng.Do(ctx, updateID, func(tx *engine.Tx) error {
						reply(tx, "绑定没有成功(平台暂时无法记录)，请稍后再发一次同样的绑定码。")
						return nil
					})
					return dup, errors.Join(err, derr)
				}
				fwd.Sender, fwd.PlatformBound = stable, true
			}
			return b.eng.Do(ctx, updateID, func(tx *engine.Tx) error {
				tx.Relay(elsewhere, fwd)
				return nil
			})
		}
	}
	identity := in.Sender
	if peekErr == nil && !in.PlatformBound {
		if binder := b.opts.Binders[in.Platform]; binder != nil {
			stable, err := binder.Bind(ctx, in.Sender, comm+"-"+member.ID)
			if err != nil {
				b.log.Error("platform binding failed", "platform", in.Platform, "err", err)
				dup, derr := b.eng.Do(ctx, updateID, func(tx *engine.Tx) error {
					if !claim.ok(tx) {
						return engine.ErrSkip
					}
					reply(tx, "绑定没有成功(平台暂时无法记录)，请稍后再发一次同样的绑定码。")
					return nil
				})
				return dup, errors.Join(err, derr)
			}
			identity = stable
		}
	}
	return b.eng.Do(ctx, updateID, func(tx *engine.Tx) error {
		if !claim.ok(tx) {
			return engine.ErrSkip
		}
		if peekErr != nil {
			reply(tx, bot.ErrorMessage(peekErr))
			return nil
		}
		_, m, err := tx.Bind(in.Platform, identity, code)
		if err != nil {
			reply(tx, bot.ErrorMessage(err))
			return nil
		}
		reply(tx, fmt.Sprintf("绑定成功！%s，您好。以后您在这里发的消息都会记在名册上的「%s(%s)」名下。发「帮助」查看可以做什么。", m.Name, m.Name, m.RoleLabel()))
		b.eng.OutboxWake(m.ID)
		return nil
	})
}

// Sweep pauses flows left idle longer than their community's timeout and
// tells the person; nothing they typed is lost. Called by a timer.
func (b *Bot) Sweep(ctx context.Context) error {
	_, err := b.eng.Do(ctx, "", func(tx *engine.Tx) error {
		now := tx.Now()
		for key, c := range tx.Conversations() {
			comm := tx.Community(c.Community)
			timeout := 30 * time.Minute
			if comm != nil && comm.ProposalTimeout > 0 {
				timeout = comm.ProposalTimeout
			}
			if c.Paused || now.Sub(c.Updated) < timeout {
				continue
			}
			if c.Flow == "confirm" { // an unanswered "是指 #N 吗？": nothing was done, nothing to keep
				tx.SaveConversation(key, nil)
				continue
			}
			c.Paused = true
			tx.SaveConversation(key, c)
			tx.Send(bot.Outgoing{Platform: c.Platform, Chat: c.Chat, ChatTitle: c.ChatTitle, Private: c.Private, Community: c.Community,
				Text: localize(comm, fmt.Sprintf("%s，您的「%s」已经%d分钟没有回复，先暂停了。已填写的内容都保存着：发「继续」接着填写，发「取消」放弃。", tx.Name(c.Community, c.Member), flowNames[c.Flow], int(timeout.Minutes())))})
		}
		return nil
	})
	return err
}

// Tick closes votes whose deadline passed and pauses idle flows. Called by
// a timer; deadlines are stored, so a restart catches up.
func (b *Bot) Tick(ctx context.Context) error {
	var due bool
	b.eng.Read(func(tx *engine.Tx) {
		next := tx.NextDeadline()
		due = !next.IsZero() && !tx.Now().Before(next)
	})
	if due {
		_, err := b.eng.Do(ctx, "", func(tx *engine.Tx) error {
			for _, t := range tx.CloseExpired() {
				b.afterClose(tx, t)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("close expired votes: %w", err)
		}
	}
	return b.Sweep(ctx)
}
