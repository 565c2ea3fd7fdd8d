package telegram

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/adapters/telegram/tgtest"
	"github.com/yishi-community/yishi/bot"
)

// fakeAPI is an in-memory Bot API: it records calls and can be told to
// fail.
type fakeAPI struct {
	mu       sync.Mutex
	me       models.User
	nextID   int
	sent     []sentMsg
	edits    []sentMsg
	answers  []tgbot.AnswerCallbackQueryParams
	admin    map[int64]bool // chats where the bot is an administrator
	commands []models.BotCommand
	// fail, when set, decides the error of a sendMessage/editMessageText
	// (nil: accept).
	fail  func(method string, chat int64, text string) error
	clock Clock
}

type sentMsg struct {
	Chat    int64
	ID      int
	Text    string
	Markup  models.ReplyMarkup
	At      time.Time
	Decided time.Time // when the limiter let it go
}

func newFakeAPI() *fakeAPI {
	return &fakeAPI{me: models.User{ID: 42, IsBot: true, Username: "yishi_bot", CanReadAllGroupMessages: true}, nextID: 1}
}

func (f *fakeAPI) GetMe(context.Context) (*models.User, error) {
	u := f.me
	return &u, nil
}

func chatID(v any) int64 {
	switch c := v.(type) {
	case int64:
		return c
	case int:
		return int64(c)
	}
	panic(fmt.Sprintf("chat id %T", v))
}

func (f *fakeAPI) SendMessage(ctx context.Context, p *tgbot.SendMessageParams) (*models.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	chat := chatID(p.ChatID)
	if f.fail != nil {
		if err := f.fail("sendMessage", chat, p.Text); err != nil {
			return nil, err
		}
	}
	if p.ParseMode != "" {
		return nil, fmt.Errorf("%w, parse_mode set", tgbot.ErrorBadRequest)
	}
	m := sentMsg{Chat: chat, ID: f.nextID, Text: p.Text, Markup: p.ReplyMarkup}
	if f.clock != nil {
		m.At = f.clock.Now()
	}
	if d, ok := ctx.Value(decidedKey{}).(time.Time); ok {
		m.Decided = d
	}
	f.nextID++
	f.sent = append(f.sent, m)
	return &models.Message{ID: m.ID, Chat: models.Chat{ID: chat}, Text: p.Text}, nil
}

func (f *fakeAPI) EditMessageText(_ context.Context, p *tgbot.EditMessageTextParams) (*models.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	chat := chatID(p.ChatID)
	if f.fail != nil {
		if err := f.fail("editMessageText", chat, p.Text); err != nil {
			return nil, err
		}
	}
	f.edits = append(f.edits, sentMsg{Chat: chat, ID: p.MessageID, Text: p.Text, Markup: p.ReplyMarkup})
	return &models.Message{ID: p.MessageID, Chat: models.Chat{ID: chat}, Text: p.Text}, nil
}

func (f *fakeAPI) AnswerCallbackQuery(_ context.Context, p *tgbot.AnswerCallbackQueryParams) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append(f.answers, *p)
	return true, nil
}

// GetChatMember answers "member" unless the chat is in admin.
func (f *fakeAPI) GetChatMember(_ context.Context, p *tgbot.GetChatMemberParams) (*models.ChatMember, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.admin[chatID(p.ChatID)] {
		return &models.ChatMember{Type: models.ChatMemberTypeAdministrator}, nil
	}
	return &models.ChatMember{Type: models.ChatMemberTypeMember}, nil
}

func (f *fakeAPI) SetMyCommands(_ context.Context, p *tgbot.SetMyCommandsParams) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commands = p.Commands
	return true, nil
}

func (f *fakeAPI) SetWebhook(context.Context, *tgbot.SetWebhookParams) (bool, error) {
	return true, nil
}

func (f *fakeAPI) DeleteWebhook(context.Context, *tgbot.DeleteWebhookParams) (bool, error) {
	return true, nil
}

func (f *fakeAPI) sentTo(chat int64) []sentMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []sentMsg
	for _, m := range f.sent {
		if m.Chat == chat {
			out = append(out, m)
		}
	}
	return out
}

// testAdapter builds an adapter on a fake API, already identified.
func testAdapter(t testing.TB, f *fakeAPI, store bot.Store, mod func(*Options)) *Adapter {
	t.Helper()
	if store == nil {
		store = tgtest.NewMemStore()
	}
	opts := Options{
		Config: Config{Token: "42:fake-token-secret", APIURL: "http://127.0.0.1:1"},
		Store:  store,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits: Limits{PerChat: 1e6, PerGroup: 1e6, Global: 1e6},
	}
	if mod != nil {
		mod(&opts)
	}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	a.api = f
	a.me = me{id: f.me.ID, username: f.me.Username, botID: a.botID}
	a.privacy = !f.me.CanReadAllGroupMessages
	return a
}

// recorder is a fake core handler.
type recorder struct {
	mu   sync.Mutex
	got  []bot.Incoming
	seen map[string]bool
	fn   func(bot.Incoming) error
}

func (r *recorder) Handle(_ context.Context, in bot.Incoming) error {
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[in.ID] {
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	var err error
	if r.fn != nil {
		err = r.fn(in)
	}
	if err != nil && bot.ErrorCode(err) == bot.EINTERNAL {
		return err // not recorded: the core's batch did not commit
	}
	r.mu.Lock()
	r.seen[in.ID] = true
	r.got = append(r.got, in)
	r.mu.Unlock()
	return err
}

func (r *recorder) all() []bot.Incoming {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Incoming(nil), r.got...)
}

// virtualClock is a lazy fake clock: time only moves when someone waits,
// straight to the instant waited for. With concurrent waiters one may find
// the clock already past its instant, so things happen later than with a
// real clock, never earlier: a makespan measured on it is an upper bound.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newVirtualClock() *virtualClock {
	return &virtualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Until(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
	return ctx.Err()
}

func newStore() *tgtest.MemStore { return tgtest.NewMemStore() }

// eventClock is a discrete-event fake clock for concurrent waiters: a
// driver moves time to the earliest waiter's instant once the goroutines
// have been quiet (no Now or Until calls) for a moment of real time. If a
// goroutine was merely slow to be scheduled it acts at a later virtual
// instant, never an earlier one: measured makespans are upper bounds, and
// limiter decisions stay within the limits whatever the clock does.
type eventClock struct {
	mu       sync.Mutex
	now      time.Time
	waiters  []*clockWaiter
	activity uint64
	stop     chan struct{}
}

type clockWaiter struct {
	at   time.Time
	wake chan struct{}
}

func newEventClock() *eventClock {
	c := &eventClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), stop: make(chan struct{})}
	go c.drive()
	return c
}

func (c *eventClock) Close() { close(c.stop) }

func (c *eventClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.activity++
	return c.now
}

func (c *eventClock) Until(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	c.activity++
	if !t.After(c.now) {
		c.mu.Unlock()
		return ctx.Err()
	}
	w := &clockWaiter{at: t, wake: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	select {
	case <-w.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		for i, x := range c.waiters {
			if x == w {
				c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

func (c *eventClock) drive() {
	var last uint64
	quiet := 0
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		// Yield rather than sleep: timers are too coarse for thousands of
		// steps, and a yield lets every runnable goroutine run first.
		runtime.Gosched()
		c.mu.Lock()
		if c.activity == last {
			quiet++
		} else {
			quiet = 0
		}
		if quiet >= 2000 && len(c.waiters) > 0 {
			quiet = 0
			next := c.waiters[0].at
			for _, w := range c.waiters {
				if w.at.Before(next) {
					next = w.at
				}
			}
			c.now = next
			keep := c.waiters[:0]
			for _, w := range c.waiters {
				if w.at.After(next) {
					keep = append(keep, w)
				} else {
					close(w.wake)
				}
			}
			c.waiters = keep
			c.activity++
		}
		last = c.activity
		c.mu.Unlock()
		if quiet > 8000 { // nothing to do: do not spin
			time.Sleep(50 * time.Microsecond)
		}
	}
}
