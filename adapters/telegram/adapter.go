package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/bot"
)

// Platform is the adapter's platform name in bot.Incoming and the config.
const Platform = "telegram"

// api is the part of the Bot API the adapter calls (*tgbot.Bot has it);
// tests and benchmarks may put a fake behind it.
type api interface {
	GetMe(ctx context.Context) (*models.User, error)
	SendMessage(ctx context.Context, p *tgbot.SendMessageParams) (*models.Message, error)
	EditMessageText(ctx context.Context, p *tgbot.EditMessageTextParams) (*models.Message, error)
	AnswerCallbackQuery(ctx context.Context, p *tgbot.AnswerCallbackQueryParams) (bool, error)
	GetChatMember(ctx context.Context, p *tgbot.GetChatMemberParams) (*models.ChatMember, error)
	SetMyCommands(ctx context.Context, p *tgbot.SetMyCommandsParams) (bool, error)
	SetWebhook(ctx context.Context, p *tgbot.SetWebhookParams) (bool, error)
	DeleteWebhook(ctx context.Context, p *tgbot.DeleteWebhookParams) (bool, error)
}

// Options configure an Adapter.
type Options struct {
	Config
	// Store keeps the polling offset, chat aliases and keyed message ids
	// (storage.Open in the program). Required.
	Store  bot.Store
	Logger *slog.Logger
	// HTTPClient carries the Bot API calls (tests: the emulator's
	// translator). nil: a client with connect timeouts; every call has its
	// own deadline.
	HTTPClient tgbot.HttpClient
	Clock      Clock  // nil: the real clock
	Limits     Limits // zero: DefaultLimits
	// NoticeChats are the groups (configured chat ids) to tell at start
	// how members open the private chat with the bot and, where privacy
	// mode hides ordinary messages from it, what it cannot see and the fix.
	// Each is told once.
	NoticeChats []int64
	// Communities maps a configured group chat id to its community id, for
	// the link that opens a private chat with the bot
	// (t.me/<bot>?start=<community>) in group notices.
	Communities map[int64]string
	// ReceiptWait is how long after its arrival a pressed button waits for
	// the core's receipt ("已记录「赞成」") before the adapter answers it
	// "已收到，正在处理。" (the receipt then comes as a private message);
	// Telegram shows a spinner until a press is answered. Default 1.5s.
	ReceiptWait time.Duration
	// PollGap is the pause after an empty getUpdates answer; Telegram holds
	// a long poll open, an emulator may answer at once. Default 1s.
	PollGap time.Duration
	Workers int // chats handled at once; default 16
	// MaxQueueWait is the longest Send waits for a chat's rate limit;
	// beyond it Send answers *bot.RetryAfterError at once, so a caller
	// delivering to many chats in turn is not held up by one busy group.
	// Default 1s.
	MaxQueueWait time.Duration
	CallTimeout  time.Duration // deadline of one API call other than getUpdates; default 30s
}

// Adapter is the Telegram adapter: bot.Adapter and bot.Editor.
type Adapter struct {
	opts  Options
	log   *slog.Logger
	clock Clock
	api   api
	http  tgbot.HttpClient
	st    *state
	lim   *limiter
	botID string

	meMu    sync.RWMutex
	me      me
	privacy bool
	ready   chan struct{}

	chatMu sync.Mutex
	sendMu map[int64]*sync.Mutex // per configured chat: Sends in order
	inMu   map[int64]*sync.Mutex // per configured chat: incoming in order

	progMu   sync.Mutex
	progress map[string]int // parts of a split message already sent, to resume

	callsMu sync.Mutex
	calls   map[string]*openCall // button presses handled, not yet answered, by Incoming.ID

	health health
	turn   func(ctx context.Context) error // bot.Exclusive: nil polls at once
}

var (
	_ bot.Adapter   = (*Adapter)(nil)
	_ bot.Editor    = (*Adapter)(nil)
	_ bot.Exclusive = (*Adapter)(nil)
)

// ErrNotInChat is returned (wrapped) by Send when Telegram refuses to post
// into a group because the bot was removed from it or lost the right to
// write there.
var ErrNotInChat = errors.New("the bot is not a member of the chat or may not write there")

// New makes an adapter; it does not touch the network (Run calls getMe).
func New(opts Options) (*Adapter, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if opts.Store == nil {
		return nil, errors.New("telegram: Options.Store is required (offset, aliases and message ids are kept there)")
	}
	idPart, _, ok := strings.Cut(opts.Token, ":")
	if _, err := strconv.ParseInt(idPart, 10, 64); !ok || err != nil {
		return nil, errors.New("telegram: the bot token is malformed (expected <bot id>:<secret> as @BotFather gives it)")
	}
	a := &Adapter{
		opts:     opts,
		log:      opts.Logger,
		clock:    opts.Clock,
		http:     opts.HTTPClient,
		botID:    idPart,
		ready:    make(chan struct{}),
		health:   health{err: errNotConnected},
		sendMu:   map[int64]*sync.Mutex{},
		inMu:     map[int64]*sync.Mutex{},
		progress: map[string]int{},
		calls:    map[string]*openCall{},
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("platform", Platform)
	if a.clock == nil {
		a.clock = realClock{}
	}
	if a.http == nil {
		a.http = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: opts.pollTimeout() + 20*time.Second,
			MaxIdleConnsPerHost:   32,
			IdleConnTimeout:       90 * time.Second,
		}}
	}
	if a.opts.Limits == (Limits{}) {
		a.opts.Limits = DefaultLimits()
	}
	if a.opts.PollGap <= 0 {
		a.opts.PollGap = time.Second
	}
	if a.opts.Workers <= 0 {
		a.opts.Workers = 16
	}
	if a.opts.MaxQueueWait <= 0 {
		a.opts.MaxQueueWait = time.Second
	}
	if a.opts.ReceiptWait <= 0 {
		a.opts.ReceiptWait = 1500 * time.Millisecond
	}
	if a.opts.CallTimeout <= 0 {
		a.opts.CallTimeout = 30 * time.Second
	}
	b, err := tgbot.New(opts.Token,
		tgbot.WithSkipGetMe(),
		tgbot.WithServerURL(strings.TrimRight(opts.apiURL(), "/")),
		tgbot.WithHTTPClient(opts.pollTimeout(), a.http),
		tgbot.WithErrorsHandler(func(err error) { a.log.Warn("telegram library error", "err", a.redact(err)) }),
		tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {}),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", a.redact(err))
	}
	a.api = b
	a.st, err = newState(context.Background(), opts.Store, a.botID)
	if err != nil {
		return nil, err
	}
	a.lim = newLimiter(a.clock, a.opts.Limits)
	return a, nil
}

// Platform returns "telegram".
func (a *Adapter) Platform() string { return Platform }

// CanEdit reports that the live tally can be edited in place.
func (a *Adapter) CanEdit() bool { return true }

// Ready is closed once Run has identified the bot (getMe).
func (a *Adapter) Ready() <-chan struct{} { return a.ready }

// Run identifies the bot, then receives updates (long polling, or webhook
// when configured) and calls h for each, in order per chat, until ctx ends.
// A rejected token is an error at once; an unreachable or failing API is
// retried with backoff.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	u, err := a.getMe(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		a.health.set(unhealthy("getMe", err))
		return err
	}
	a.health.set(nil)
	a.meMu.Lock()
	a.me = me{id: u.ID, username: u.Username, botID: a.botID}
	a.privacy = !u.CanReadAllGroupMessages
	a.meMu.Unlock()
	close(a.ready)
	a.log.Info("telegram bot connected", "bot", "@"+u.Username, "id", u.ID, "mode", a.mode())
	if wait := a.turn; wait != nil && a.ExclusiveLease() != "" {
		// Another process may be polling this token: this one sends, and
		// polls (and sets up the groups) once it has the turn.
		a.log.Info("telegram: sending only until this process has the turn to poll the token")
		if err := wait(ctx); err != nil {
			return nil
		}
	}
	a.setCommands(ctx)
	if a.privacy {
		a.log.Warn("telegram bot is in privacy mode: in groups where it is not an administrator it only receives /commands, replies to its messages, @mentions and button presses; "+
			"each group is checked (getChatMember) and told what the bot cannot see", "fix", fixHearingLog)
	}
	go a.noticeAll(ctx)
	if a.opts.WebhookURL != "" {
		return a.runWebhook(ctx, h)
	}
	return a.runPolling(ctx, h)
}

// ExclusiveLease names what only one process may do with this token:
// poll it. A webhook needs no turn (bot.Exclusive).
func (a *Adapter) ExclusiveLease() string {
	if a.opts.WebhookURL != "" {
		return ""
	}
	return Platform + "/" + a.botID
}

// WaitTurn is called, when several processes share the store, before Run:
// Run polls only once wait returns (bot.Exclusive).
func (a *Adapter) WaitTurn(wait func(ctx context.Context) error) { a.turn = wait }

// SendsWithoutTurn: any process may send with the token (bot.Exclusive).
func (a *Adapter) SendsWithoutTurn() bool { return true }

func (a *Adapter) mode() string {
	if a.opts.WebhookURL != "" {
		return "webhook"
	}
	return "polling"
}

func (a *Adapter) self() (me, bool) {
	a.meMu.RLock()
	defer a.meMu.RUnlock()
	return a.me, a.privacy
}

// getMe retries until the API answers; an answer rejecting the token ends
// the program with a clear error (Telegram says 401 or 404 for a bad token).
func (a *Adapter) getMe(ctx context.Context) (*models.User, error) {
	var wait time.Duration
	for {
		cctx, cancel := context.WithTimeout(ctx, a.opts.CallTimeout)
		u, err := a.api.GetMe(cctx)
		cancel()
		if err == nil && u != nil {
			return u, nil
		}
		if err == nil {
			err = errors.New("empty getMe answer")
		}
		if errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound) {
			return nil, fmt.Errorf("telegram: the bot token was rejected (%v); check %s or issue a new token with @BotFather", a.redact(err), EnvToken)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		wait = backoff(wait, time.Second, time.Minute)
		a.health.set(unhealthy("getMe", a.redact(err)))
		a.log.Warn("telegram getMe failed; retrying", "err", a.redact(err), "in", wait)
		if err := sleep(ctx, a.clock, wait); err != nil {
			return nil, err
		}
	}
}

// backoff doubles prev within [lo, hi].
func backoff(prev, lo, hi time.Duration) time.Duration {
	if prev < lo {
		return lo
	}
	return min(prev*2, hi)
}

// noticeAll tells each configured group (NoticeChats) once.
func (a *Adapter) noticeAll(ctx context.Context) {
	for _, chat := range a.opts.NoticeChats {
		if err := a.notice(ctx, chat, false); err != nil && ctx.Err() == nil {
			a.log.Warn("telegram: could not explain privacy mode in group", "chat", chat, "err", err)
		}
	}
}

// notice tells a group once (again when force: the bot was just added)
// how members open the private chat with the bot and, when privacy mode
// hides ordinary messages from it there, what it cannot see and the fix.
func (a *Adapter) notice(ctx context.Context, chat int64, force bool) error {
	if chat >= 0 {
		return nil
	}
	if !force && a.st.noticed(chat) {
		return nil
	}
	if err := a.Send(ctx, bot.Outgoing{Platform: Platform, Chat: strconv.FormatInt(chat, 10), Text: a.groupNotice(ctx, chat)}); err != nil {
		return err
	}
	return a.st.markNoticed(ctx, chat)
}

// setCommands lists the slash commands in Telegram's command menu, with
// Chinese descriptions. A failure only costs the menu: the commands work.
func (a *Adapter) setCommands(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, a.opts.CallTimeout)
	defer cancel()
	if _, err := a.api.SetMyCommands(cctx, &tgbot.SetMyCommandsParams{Commands: botCommands()}); err != nil && ctx.Err() == nil {
		a.log.Warn("telegram setMyCommands failed; the slash commands still work, the menu does not list them", "err", a.redact(err))
	}
}

func (a *Adapter) lockFor(m map[int64]*sync.Mutex, chat int64) *sync.Mutex {
	a.chatMu.Lock()
	defer a.chatMu.Unlock()
	l := m[chat]
	if l == nil {
		l = &sync.Mutex{}
		m[chat] = l
	}
	return l
}

// redact hides the token in an error's text while keeping the chain for
// errors.Is/As.
func (a *Adapter) redact(err error) error {
	if err == nil || a == nil || a.opts.Token == "" {
		return err
	}
	msg := err.Error()
	_, secret, _ := strings.Cut(a.opts.Token, ":")
	if !strings.Contains(msg, a.opts.Token) && (len(secret) < 8 || !strings.Contains(msg, secret)) {
		return err
	}
	return &redacted{err: err, token: a.opts.Token}
}

type redacted struct {
	err   error
	token string
}

func (r *redacted) Error() string {
	s := strings.ReplaceAll(r.err.Error(), r.token, "<token>")
	if _, secret, ok := strings.Cut(r.token, ":"); ok && len(secret) >= 8 {
		s = strings.ReplaceAll(s, secret, "<token>")
	}
	return s
}
func (r *redacted) Unwrap() error { return r.err }
