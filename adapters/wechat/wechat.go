// Package wechat connects yishi to WeChat through openwechat v1.4.8, which
// speaks WeChat's web protocol in its UOS desktop variant. The protocol is
// unofficial and WeChat restricts accounts that act like bots, so the
// adapter behaves like a careful person: it logs in by QR code once and
// then by hot login, sends slowly (one message at a time, rate-limited,
// each attempted once at the HTTP level), stops cleanly when WeChat logs
// the account out, and never reports a message as sent unless WeChat
// accepted it, so the core's outbox keeps it otherwise.
//
// It is a thin translator: permissions, votes and all domain state stay in
// the core. What it remembers (delivered-message records, bound member
// keys) goes into the bot.Store given in Options.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/yishi-community/yishi/bot"
)

// Platform is the platform name used in configs and bot.Incoming.
const Platform = "wechat"

// SessionFileName is the session file's name inside Options.DataDir.
const SessionFileName = "wechat-session.json"

// ErrLoggedOut is returned (wrapped) by Run when WeChat logged the account
// out (ret 1100, 1101 or 1102: logged out on the phone, logged in
// elsewhere, session invalid), and by Send until the next login. Messages
// the core could not send stay in its outbox; start Run again to log in.
var ErrLoggedOut = errors.New("wechat account logged out")

// ErrNotConnected is returned (wrapped) by Send and Bind while Run has not
// logged in yet.
var ErrNotConnected = errors.New("wechat not connected yet")

// Options configure the adapter. Store and DataDir (or SessionFile) are
// required; the rest have conservative defaults.
type Options struct {
	// DataDir holds the login session file (SessionFileName, mode 0600).
	DataDir string
	// SessionFile overrides the session file's path.
	SessionFile string
	// Store keeps delivered-message records and bound member keys.
	Store bot.Store
	// Groups are the names (群名) of the group chats configured for this
	// platform; messages from other groups are ignored.
	Groups []string
	// MemberKeys are remark names (备注) to accept as member keys even if
	// they were set by hand on the phone rather than by Bind.
	MemberKeys []string
	Logger     *slog.Logger
	// QRWriter receives the login QR code (default os.Stderr).
	QRWriter io.Writer
	// Transport replaces the HTTP transport (tests point it at a fake).
	Transport http.RoundTripper

	// SendInterval is the minimum gap between two messages of the account
	// (default 2s); SendJitter adds a random delay up to it (default 1s;
	// negative: none).
	SendInterval time.Duration
	SendJitter   time.Duration
	// GroupPerMinute caps messages per group per minute (default 20).
	GroupPerMinute int
	// MaxRunes splits longer texts into several messages (default 1500).
	MaxRunes int
	// DedupWindow: a message part delivered within this window is not sent
	// again when the core retries it (default 10 min).
	DedupWindow time.Duration
	// TooOftenBackoff is the first pause after WeChat answers 1205 ("too
	// often"); it doubles up to 30 min while 1205 repeats (default 1 min).
	TooOftenBackoff time.Duration
	// SyncRetry is the first pause after a failed sync; it doubles up to
	// one minute (default 1s).
	SyncRetry time.Duration
	// QRAttempts is how many QR codes to show before Run gives up
	// (default 10; each lasts a few minutes).
	QRAttempts int
	// RefreshEvery limits contact-list reloads when an unknown person
	// writes (default 30s).
	RefreshEvery time.Duration
	Clock        bot.Clock
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.QRWriter == nil {
		o.QRWriter = os.Stderr
	}
	if o.SessionFile == "" {
		o.SessionFile = filepath.Join(o.DataDir, SessionFileName)
	}
	if o.SendInterval == 0 {
		o.SendInterval = 2 * time.Second
	}
	if o.SendJitter == 0 {
		o.SendJitter = time.Second
	}
	if o.GroupPerMinute == 0 {
		o.GroupPerMinute = 20
	}
	if o.MaxRunes == 0 {
		o.MaxRunes = 1500
	}
	if o.DedupWindow == 0 {
		o.DedupWindow = 10 * time.Minute
	}
	if o.TooOftenBackoff == 0 {
		o.TooOftenBackoff = time.Minute
	}
	if o.SyncRetry == 0 {
		o.SyncRetry = time.Second
	}
	if o.QRAttempts == 0 {
		o.QRAttempts = 10
	}
	if o.RefreshEvery == 0 {
		o.RefreshEvery = 30 * time.Second
	}
	if o.Clock == nil {
		o.Clock = bot.SystemClock{}
	}
}

// Adapter is the WeChat bot.Adapter; it also implements bot.Binder.
type Adapter struct {
	opt Options
	log *slog.Logger

	runMu sync.Mutex // one Run at a time

	mu        sync.Mutex
	cur       *conn // nil while not logged in
	loggedOut bool
	problems  []string // from the last login
	runtime   []string // found while running (renamed group, logout)
	bound     map[string]bool
	recent    *idSet
	politeAt  map[string]time.Time

	out *outbox

	turn    func(ctx context.Context) error // bot.Exclusive: nil logs in at once
	waiting bool                            // for the turn (under mu)
}

func (a *Adapter) setWaiting(w bool) { a.mu.Lock(); a.waiting = w; a.mu.Unlock() }

var (
	_ bot.Adapter   = (*Adapter)(nil)
	_ bot.Binder    = (*Adapter)(nil)
	_ bot.Exclusive = (*Adapter)(nil)
)

// ExclusiveLease: one process at a time is logged in to the account (a
// second login would end the first's session) (bot.Exclusive).
func (a *Adapter) ExclusiveLease() string { return Platform }

// WaitTurn is called, when several processes share the store, before Run:
// Run logs in only once wait returns (bot.Exclusive).
func (a *Adapter) WaitTurn(wait func(ctx context.Context) error) { a.turn = wait }

// SendsWithoutTurn: only the logged-in process can send; the others hand
// their messages to it through the store (bot.Exclusive).
func (a *Adapter) SendsWithoutTurn() bool { return false }

// New builds the adapter; Run logs in.
func New(opt Options) (*Adapter, error) {
	if opt.Store == nil {
		return nil, errors.New("wechat: Options.Store is required")
	}
	if opt.DataDir == "" && opt.SessionFile == "" {
		return nil, errors.New("wechat: Options.DataDir is required (the login session is kept there)")
	}
	opt.defaults()
	a := &Adapter{
		opt:      opt,
		log:      opt.Logger.With("platform", Platform),
		bound:    map[string]bool{},
		recent:   newIDSet(4096),
		politeAt: map[string]time.Time{},
	}
	for _, k := range opt.MemberKeys {
		a.bound[k] = true
	}
	if err := a.loadBound(); err != nil {
		return nil, err
	}
	a.out = newOutbox(a)
	return a, nil
}

// loadBound reads the member keys set by Bind. It runs again at each Run:
// a store shared with the app may hold nothing yet when the adapter is
// made, and a member bound before a restart must not become a stranger.
func (a *Adapter) loadBound() error {
	keys := map[string]bool{}
	err := a.opt.Store.Scan([]byte(boundPrefix), func(key, _ []byte) (bool, error) {
		keys[strings.TrimPrefix(string(key), boundPrefix)] = true
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("wechat: load bound members: %w", err)
	}
	a.mu.Lock()
	for k := range keys {
		a.bound[k] = true
	}
	a.mu.Unlock()
	return nil
}

// Platform returns "wechat".
func (a *Adapter) Platform() string { return Platform }

// Connected reports whether a WeChat session is logged in.
func (a *Adapter) Connected() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur != nil
}

// Healthy is nil while a session is logged in (bot.Healther, /healthz).
func (a *Adapter) Healthy() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.cur != nil:
		return nil
	case a.loggedOut:
		return errors.New("微信账号已退出登录，需要重新扫码 / WeChat logged out, scan the QR code again")
	case a.waiting:
		return nil // a standby: another process is logged in (bot.Exclusive)
	default:
		return errors.New("微信尚未登录 / WeChat not logged in")
	}
}

// Problems lists, in Chinese for administrators, what is wrong right now:
// configured groups not found at login, ambiguous group names or remark
// names, a renamed group, a logout.
func (a *Adapter) Problems() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append(slices.Clone(a.problems), a.runtime...)
}

func (a *Adapter) addProblem(p string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !slices.Contains(a.runtime, p) {
		a.runtime = append(a.runtime, p)
	}
}

// conn is one logged-in session.
type conn struct {
	a      *Adapter
	bot    *openwechat.Bot
	botCtx context.Context // ends when openwechat stops the session
	runCtx context.Context // Run's context: handlers keep running through a logout
	cancel context.CancelFunc
	file   *sessionFile
	ready  chan struct{}

	selfUser, selfNick string
	initContacts       openwechat.Members

	// Guarded by a.mu.
	dir         *directory
	end         error // why the session ended
	closed      bool
	lastRefresh time.Time

	wg           sync.WaitGroup // handler calls in flight
	syncFailures int            // sync goroutine only
}

// Run logs in (hot login from the session file, else a QR code in the
// terminal), then hands every text message from the configured groups and
// from friends to h, in order, until ctx ends (it then returns nil) or
// WeChat ends the session (it returns an error wrapping ErrLoggedOut for
// a logout). Run may be called again afterwards to log in again.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if !a.runMu.TryLock() {
		return errors.New("wechat: Run is already running")
	}
	defer a.runMu.Unlock()
	if a.turn != nil {
		// Another process may be logged in to the account: this one
		// logs in once that one has stopped.
		a.log.Info("微信：多个进程共用数据库，同一时间只有一个进程登录这个账号；轮到本进程时才登录")
		a.setWaiting(true)
		err := a.turn(ctx)
		a.setWaiting(false)
		if err != nil {
			return nil
		}
	}
	if err := a.loadBound(); err != nil {
		return err
	}
	c, err := a.login(ctx, h)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("wechat: login: %w", err)
	}
	select {
	case <-ctx.Done():
	case <-c.botCtx.Done():
	}
	end := a.closeConn(c)
	if ctx.Err() != nil {
		a.log.Info("微信适配器已停止")
		return nil
	}
	var ret openwechat.Ret
	if errors.As(end, &ret) && loggedOutRet(ret) {
		a.mu.Lock()
		a.loggedOut = true
		a.mu.Unlock()
		a.addProblem(fmt.Sprintf("微信账号已退出登录（ret %d：手机上退出、在别处登录或会话失效）。待发送的消息都保留着，请重新启动并扫码登录，登录后会继续发送。", int(ret)))
		a.log.Error("微信账号已退出登录，需要重新扫码", "ret", int(ret))
		return fmt.Errorf("wechat: %w (ret %d)", ErrLoggedOut, int(ret))
	}
	if end == nil {
		end = errors.New("session ended")
	}
	return fmt.Errorf("wechat: %w", end)
}

func loggedOutRet(r openwechat.Ret) bool { return r == 1100 || r == 1101 || r == 1102 }

func (a *Adapter) login(ctx context.Context, h bot.Handler) (*conn, error) {
	cctx, cancel := context.WithCancel(ctx)
	b := openwechat.DefaultBot(openwechat.Desktop, openwechat.WithContextOption(cctx))
	c := &conn{a: a, bot: b, botCtx: b.Context(), runCtx: ctx, cancel: cancel, ready: make(chan struct{})}
	client := b.Caller.Client
	// One attempt per request: openwechat retries failed requests up to
	// five times, which can deliver a message twice; the core's outbox
	// retries instead, after a backoff.
	client.MaxRetryTimes = 1
	if a.opt.Transport != nil {
		client.HTTPClient().Transport = a.opt.Transport
	}
	seedJar(client.Jar(), "")
	client.AddHttpHook(seedHook{client: client})
	b.Serializer = sessionSerializer{}
	b.UUIDCallback = func(uuid string) { showQR(a.opt.QRWriter, uuid) }
	b.ScanCallBack = func(openwechat.CheckLoginResponse) { a.log.Info("二维码已扫描，请在手机上确认登录") }
	b.LoginCallBack = func(openwechat.CheckLoginResponse) { a.log.Info("微信扫码登录成功") }
	b.SyncCheckCallback = c.onSyncCheck
	b.MessageHandler = func(m *openwechat.Message) { c.onMessage(m, h) }
	b.MessageErrorHandler = c.onSyncError

	switch err := checkSessionFile(a.opt.SessionFile); {
	case errors.Is(err, errNoSession):
		a.log.Info("没有保存的微信登录会话，需要扫码登录")
	case err != nil:
		a.log.Warn("微信登录会话文件已损坏或无法读取，需要重新扫码登录（登录后会覆盖该文件）", "file", a.opt.SessionFile, "err", err)
	}
	c.file = newSessionFile(a.opt.SessionFile)
	err := b.HotLogin(c.file, hotLoginNote{a}, openwechat.NewRetryLoginOption())
	for i := 1; errors.Is(err, openwechat.ErrLoginTimeout) && i < a.opt.QRAttempts && cctx.Err() == nil; i++ {
		a.log.Info("二维码已失效，换一个新的")
		err = b.Login()
	}
	if err != nil {
		cancel()
		c.file.Close()
		return nil, redact(err)
	}
	if err := c.file.Flush(); err != nil {
		a.log.Warn("无法保存微信登录会话，下次启动需要重新扫码", "err", err)
	}
	self, err := b.GetCurrentUser()
	if err != nil {
		cancel()
		c.file.Close()
		return nil, err
	}
	c.selfUser, c.selfNick = self.UserName, openwechat.FormatEmoji(self.NickName)
	c.initContacts = b.Storage.Response.ContactList
	dir, err := c.fetchDirectory(cctx, a.opt.Groups)
	if err != nil {
		cancel()
		c.file.Close()
		return nil, err
	}
	dir.problems = append(dir.problems, a.remarkProblems(dir)...)
	for _, p := range dir.problems {
		a.log.Warn("微信配置问题", "problem", p)
	}
	a.mu.Lock()
	c.dir = dir
	c.lastRefresh = a.opt.Clock.Now()
	a.cur = c
	a.loggedOut = false
	a.problems = dir.problems
	a.runtime = nil
	a.mu.Unlock()
	a.out.prune()
	close(c.ready)
	a.log.Info("微信已登录", "account", c.selfNick, "friends", len(dir.friends), "groups", len(dir.groups))
	return c, nil
}

// remarkProblems reports member keys used as remark names by two friends.
func (a *Adapter) remarkProblems(d *directory) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	count := map[string]int{}
	for _, f := range d.friends {
		if a.bound[f.remark] {
			count[f.remark]++
		}
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(count)) {
		if count[k] > 1 {
			out = append(out, fmt.Sprintf("有 %d 位微信好友的备注都是「%s」，无法确定是哪一位成员，这些好友暂按未绑定处理。请在手机上改正备注，或让本人重新绑定。", count[k], k))
		}
	}
	return out
}

// closeConn ends a session: no more handler calls after it returns.
func (a *Adapter) closeConn(c *conn) error {
	a.mu.Lock()
	c.closed = true
	if a.cur == c {
		a.cur = nil
	}
	end := c.end
	a.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	c.file.Close()
	return end
}

// setEnd records why the session ends (the first reason wins) and stops it.
func (c *conn) setEnd(err error) {
	c.a.mu.Lock()
	if c.end == nil {
		c.end = err
	}
	c.a.mu.Unlock()
	c.cancel()
}

// hotLoginNote logs why a hot login failed before openwechat falls back
// to a scan.
type hotLoginNote struct{ a *Adapter }

func (hotLoginNote) Prepare(*openwechat.Bot)         {}
func (hotLoginNote) OnSuccess(*openwechat.Bot) error { return nil }
func (n hotLoginNote) OnError(b *openwechat.Bot, err error) error {
	if !errors.Is(err, errNoSession) && !errors.Is(err, errCorruptSession) {
		n.a.log.Info("保存的微信会话已失效，需要重新扫码登录", "reason", redact(err))
	}
	// The old session's cookies would shadow the new ones.
	jar := openwechat.NewJar()
	seedJar(jar, "")
	b.Caller.Client.SetCookieJar(jar)
	return err // unchanged: the next option (scan) runs
}

// onSyncCheck runs on openwechat's sync goroutine after each synccheck,
// i.e. after the previous batch of messages was handled: the sync key can
// now be saved.
func (c *conn) onSyncCheck(resp openwechat.SyncCheckResponse) {
	if resp.Success() {
		c.syncFailures = 0
	}
	c.a.log.Debug("微信心跳", "retcode", resp.RetCode, "selector", string(resp.Selector))
	if err := c.file.Flush(); err != nil {
		c.a.log.Warn("无法保存微信登录会话", "err", err)
	}
}

// onSyncError decides whether openwechat's sync loop goes on: a logout
// ends it; anything else (network, unexpected answers) is logged and
// retried after a growing pause, so a broken server is not hammered.
func (c *conn) onSyncError(err error) error {
	var ret openwechat.Ret
	if errors.As(err, &ret) && loggedOutRet(ret) {
		c.setEnd(ret)
		return err
	}
	if c.botCtx.Err() != nil {
		return err
	}
	c.syncFailures++
	wait := c.a.opt.SyncRetry << min(c.syncFailures-1, 6)
	wait = min(wait, time.Minute)
	c.a.log.Warn("微信消息同步出错，稍后重试", "err", redact(err), "retry_in", wait)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.botCtx.Done():
		return c.botCtx.Err()
	}
}
