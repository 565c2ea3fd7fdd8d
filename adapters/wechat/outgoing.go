package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/eatmoreapple/openwechat"
	"golang.org/x/time/rate"

	"github.com/yishi-community/yishi/bot"
)

// Store key prefixes.
const (
	sentPrefix  = "wechat/sent/"  // + record hash → delivery time (unix ns)
	boundPrefix = "wechat/bound/" // + member key → "1"
)

// sendTimeout bounds one send request.
const sendTimeout = 20 * time.Second

// errSuperseded: a newer message with the same Outgoing.Key is queued.
var errSuperseded = errors.New("superseded by a newer message")

// target is where a message goes in the current session.
type target struct {
	userName string // this session's UserName
	stable   string // survives re-login: "g:"+group name or "p:"+identity
	group    bool
	name     string // for logs and errors
}

// outbox paces sends. It only holds messages in flight: the core's outbox
// keeps the rest durably and retries whatever Send did not deliver.
type outbox struct {
	a      *Adapter
	sendMu sync.Mutex // one request to WeChat at a time

	mu         sync.Mutex
	account    *rate.Limiter
	groups     map[string]*rate.Limiter
	pauseUntil time.Time
	backoff    time.Duration
	keyGen     map[string]uint64
	// clientIDs keeps the ClientMsgId of attempts whose outcome is unknown
	// (the request may have reached WeChat), so that the retry reuses it.
	clientIDs map[string]string
}

func newOutbox(a *Adapter) *outbox {
	return &outbox{
		a:         a,
		account:   rate.NewLimiter(rate.Every(a.opt.SendInterval), 1),
		groups:    map[string]*rate.Limiter{},
		keyGen:    map[string]uint64{},
		clientIDs: map[string]string{},
	}
}

// Send delivers m, split into parts if long. It returns nil only once
// WeChat accepted every part (or a newer message with the same Key
// replaced it); a *bot.RetryAfterError when WeChat says "too often"
// (1205); an error wrapping bot.ErrCannotReach for a private message to
// someone who is not the account's friend; one wrapping ErrLoggedOut after
// a logout. Parts delivered before a failure are not sent again when the
// core retries within DedupWindow.
func (a *Adapter) Send(ctx context.Context, m bot.Outgoing) error {
	text := render(m)
	if strings.TrimSpace(text) == "" {
		return nil
	}
	a.mu.Lock()
	c, loggedOut := a.cur, a.loggedOut
	a.mu.Unlock()
	if c == nil {
		if loggedOut {
			return fmt.Errorf("wechat: send: %w", ErrLoggedOut)
		}
		return fmt.Errorf("wechat: send: %w", ErrNotConnected)
	}
	t, err := c.resolve(m)
	if err != nil {
		return err
	}
	gen := a.out.register(t, m.Key)
	defer a.out.release(t, m.Key, gen)
	parts := splitText(text, a.opt.MaxRunes)
	for i, part := range parts {
		rec := recordKey(t.stable, m.Key, i, len(parts), part)
		if a.out.delivered(rec) {
			a.log.Info("该消息此前已送达，不再重复发送", "to", t.name)
			continue
		}
		err := a.out.send(ctx, c, t, part, rec, m.Key, gen)
		if errors.Is(err, errSuperseded) {
			a.log.Debug("消息已被更新的同类消息取代", "to", t.name, "key", m.Key)
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// render turns an Outgoing into plain text: WeChat has no buttons, so
// their labels become a hint of what to reply.
func render(m bot.Outgoing) string {
	if len(m.Buttons) == 0 {
		return m.Text
	}
	labels := make([]string, 0, len(m.Buttons))
	for _, b := range m.Buttons {
		labels = append(labels, "「"+b.Label+"」")
	}
	return strings.TrimRight(m.Text, "\n") + "\n\n请直接回复文字：" + strings.Join(labels, " ")
}

// resolve finds where m goes in this session, reloading the contact list
// once (throttled) if it is not known.
func (c *conn) resolve(m bot.Outgoing) (target, error) {
	a := c.a
	find := func() (target, bool) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if !m.Private {
			if g := c.dir.groups[m.Chat]; g != nil {
				return target{userName: g.userName, stable: "g:" + g.name, group: true, name: g.name}, true
			}
		}
		if fs := c.dir.friendsByRemark(m.Chat); len(fs) == 1 {
			return target{userName: fs[0].userName, stable: "p:" + m.Chat, name: m.Chat}, true
		}
		if f := c.dir.friends[m.Chat]; f != nil {
			return target{userName: f.userName, stable: "p:" + m.Chat, name: f.nick}, true
		}
		return target{}, false
	}
	if t, ok := find(); ok {
		return t, nil
	}
	if c.refresh() {
		if t, ok := find(); ok {
			return t, nil
		}
	}
	if !m.Private && !strings.HasPrefix(m.Chat, "@") {
		a.mu.Lock()
		_, friend := c.dir.friends[m.Chat]
		a.mu.Unlock()
		if !friend {
			return target{}, fmt.Errorf("wechat: group %q is not available in this session (not found at login, renamed, or not configured)", m.Chat)
		}
	}
	return target{}, fmt.Errorf("wechat: %q is not a friend of the bot account: %w", m.Chat, bot.ErrCannotReach)
}

func recordKey(stable, key string, i, n int, part string) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d/%d\x00%s", stable, key, i, n, part)))
	return hex.EncodeToString(h[:16])
}

func (o *outbox) register(t target, key string) uint64 {
	if key == "" {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.keyGen[t.stable+"\x00"+key]++
	return o.keyGen[t.stable+"\x00"+key]
}

func (o *outbox) release(t target, key string, gen uint64) {
	if key == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.keyGen[t.stable+"\x00"+key] == gen {
		delete(o.keyGen, t.stable+"\x00"+key)
	}
}

func (o *outbox) superseded(t target, key string, gen uint64) bool {
	if key == "" {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.keyGen[t.stable+"\x00"+key] != gen
}

// delivered reports whether this part was delivered within DedupWindow.
func (o *outbox) delivered(rec string) bool {
	v, err := o.a.opt.Store.Get([]byte(sentPrefix + rec))
	if err != nil {
		o.a.log.Warn("读取发送记录失败", "err", err)
		return false
	}
	if len(v) != 8 {
		return false
	}
	at := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
	return o.a.opt.Clock.Now().Sub(at) < o.a.opt.DedupWindow
}

func (o *outbox) markDelivered(ctx context.Context, rec string) {
	v := binary.BigEndian.AppendUint64(nil, uint64(o.a.opt.Clock.Now().UnixNano()))
	// Recorded even if the caller gives up now: the message did go out.
	err := o.a.opt.Store.Commit(context.WithoutCancel(ctx), []bot.KV{{Key: []byte(sentPrefix + rec), Value: v}})
	if err != nil {
		o.a.log.Warn("保存发送记录失败（重试时可能重复发送）", "err", err)
	}
}

// prune deletes delivery records older than DedupWindow.
func (o *outbox) prune() {
	now := o.a.opt.Clock.Now()
	var batch []bot.KV
	err := o.a.opt.Store.Scan([]byte(sentPrefix), func(k, v []byte) (bool, error) {
		if len(v) != 8 || now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(v)))) >= o.a.opt.DedupWindow {
			batch = append(batch, bot.KV{Key: append([]byte(nil), k...)})
		}
		return true, nil
	})
	if err == nil && len(batch) > 0 {
		err = o.a.opt.Store.Commit(context.Background(), batch)
	}
	if err != nil {
		o.a.log.Warn("清理发送记录失败", "err", err)
	}
}

// paused returns how long WeChat's "too often" pause still lasts.
func (o *outbox) paused() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pauseUntil.Sub(o.a.opt.Clock.Now())
}

// tooOften starts or doubles the pause after a 1205.
func (o *outbox) tooOften() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.backoff == 0 {
		o.backoff = o.a.opt.TooOftenBackoff
	} else {
		o.backoff = min(2*o.backoff, 30*time.Minute)
	}
	o.pauseUntil = o.a.opt.Clock.Now().Add(o.backoff)
	return o.backoff
}

func (o *outbox) groupLimiter(stable string) *rate.Limiter {
	o.mu.Lock()
	defer o.mu.Unlock()
	l := o.groups[stable]
	if l == nil {
		l = rate.NewLimiter(rate.Every(time.Minute/time.Duration(o.a.opt.GroupPerMinute)), 1)
		o.groups[stable] = l
	}
	return l
}

// pace waits for the account's and the group's rate limits, plus jitter
// so the rhythm does not look mechanical.
func (o *outbox) pace(ctx context.Context, t target) error {
	if j := o.a.opt.SendJitter; j > 0 {
		tm := time.NewTimer(rand.N(j))
		select {
		case <-tm.C:
		case <-ctx.Done():
			tm.Stop()
			return ctx.Err()
		}
	}
	if err := o.account.Wait(ctx); err != nil {
		return err
	}
	if t.group {
		return o.groupLimiter(t.stable).Wait(ctx)
	}
	return nil
}

// send makes one attempt to deliver one part.
func (o *outbox) send(ctx context.Context, c *conn, t target, part, rec, key string, gen uint64) error {
	o.sendMu.Lock()
	defer o.sendMu.Unlock()
	if o.superseded(t, key, gen) {
		return errSuperseded
	}
	if d := o.paused(); d > 0 {
		return &bot.RetryAfterError{After: d, Err: errors.New("wechat: paused after ret 1205 (too often)")}
	}
	if err := o.pace(ctx, t); err != nil {
		return fmt.Errorf("wechat: send: %w", err)
	}
	if o.superseded(t, key, gen) {
		return errSuperseded
	}
	if c.botCtx.Err() != nil {
		return fmt.Errorf("wechat: send: %w", ErrNotConnected)
	}
	msg := openwechat.NewTextSendMessage(part, c.selfUser, t.userName)
	o.mu.Lock()
	if id := o.clientIDs[rec]; id != "" {
		msg.ClientMsgId, msg.LocalID = id, id
	} else {
		o.clientIDs[rec] = msg.ClientMsgId
	}
	o.mu.Unlock()
	// Once started, the request is not cancelled with ctx (a shutdown):
	// cut off midway, its outcome would be unknown and the message could
	// go out twice after a restart.
	reqCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	_, err := c.bot.Caller.WebWxSendMsg(reqCtx, &openwechat.CallerWebWxSendMsgOptions{
		LoginInfo: c.bot.Storage.LoginInfo, BaseRequest: c.bot.Storage.Request, Message: msg,
	})
	var ret openwechat.Ret
	switch {
	case err == nil:
		o.markDelivered(ctx, rec)
		o.mu.Lock()
		delete(o.clientIDs, rec)
		o.backoff = 0
		o.mu.Unlock()
		return nil
	case !errors.As(err, &ret):
		// Outcome unknown (the request may have reached WeChat): the
		// ClientMsgId is kept for the retry.
		return fmt.Errorf("wechat: send to %s: %w", t.name, redact(err))
	}
	o.mu.Lock()
	delete(o.clientIDs, rec) // WeChat answered: not delivered
	o.mu.Unlock()
	switch {
	case ret == 1205:
		d := o.tooOften()
		o.a.log.Warn("微信提示发送过于频繁（1205），暂停发送", "pause", d)
		return &bot.RetryAfterError{After: d, Err: fmt.Errorf("wechat: send to %s: too often (ret 1205)", t.name)}
	case loggedOutRet(ret):
		c.setEnd(ret)
		return fmt.Errorf("wechat: send: %w (ret %d)", ErrLoggedOut, int(ret))
	default:
		return fmt.Errorf("wechat: send to %s refused (ret %d)", t.name, int(ret))
	}
}

// splitText cuts text longer than max runes into parts at line breaks
// (or mid-line when a line alone is too long), numbered "（1/3）".
func splitText(text string, max int) []string {
	if utf8.RuneCountInString(text) <= max {
		return []string{text}
	}
	limit := max - 8 // room for the part number
	if limit < 1 {
		limit = max
	}
	var parts []string
	var cur strings.Builder
	n := 0
	flush := func() {
		if s := strings.Trim(cur.String(), "\n"); s != "" {
			parts = append(parts, s)
		}
		cur.Reset()
		n = 0
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		for utf8.RuneCountInString(line) > limit {
			flush()
			r := []rune(line)
			parts = append(parts, string(r[:limit]))
			line = string(r[limit:])
		}
		if l := utf8.RuneCountInString(line); n+l > limit {
			flush()
		}
		cur.WriteString(line)
		n += utf8.RuneCountInString(line)
	}
	flush()
	for i := range parts {
		parts[i] += fmt.Sprintf("（%d/%d）", i+1, len(parts))
	}
	return parts
}

// Bind sets the remark name (备注) of the friend platformIdentity (this
// session's UserName, or a remark) to memberKey, so the member is
// recognised at every later login, and returns memberKey as the stable
// identity. A friend who had that remark before loses it. openwechat
// warns that WeChat may ignore remark changes from the web protocol:
// Bind checks, and if WeChat did not apply it, the binding still holds for
// this session and Problems asks an administrator to set the remark by
// hand on the phone.
func (a *Adapter) Bind(ctx context.Context, platformIdentity, memberKey string) (string, error) {
	key := strings.TrimSpace(memberKey)
	if key == "" || strings.HasPrefix(key, "@") || strings.ContainsAny(key, "\r\n") || utf8.RuneCountInString(key) > 30 {
		return "", fmt.Errorf("wechat: bind: member key %q cannot be used as a remark name", memberKey)
	}
	a.mu.Lock()
	c := a.cur
	a.mu.Unlock()
	if c == nil {
		return "", fmt.Errorf("wechat: bind: %w", ErrNotConnected)
	}
	find := func() (*contact, []*contact) {
		a.mu.Lock()
		defer a.mu.Unlock()
		f := c.dir.friends[platformIdentity]
		if fs := c.dir.friendsByRemark(platformIdentity); f == nil && len(fs) == 1 {
			f = fs[0]
		}
		var others []*contact
		for _, o := range c.dir.friendsByRemark(key) {
			if o != f {
				others = append(others, o)
			}
		}
		return f, others
	}
	f, others := find()
	if f == nil && c.refresh() {
		f, others = find()
	}
	if f == nil {
		return "", fmt.Errorf("wechat: bind: %q is not a friend of the bot account: %w", platformIdentity, bot.ErrCannotReach)
	}
	for _, o := range others {
		if err := c.setRemark(ctx, o, ""); err != nil {
			return "", err
		}
	}
	if err := c.setRemark(ctx, f, key); err != nil {
		return "", err
	}
	if err := a.opt.Store.Commit(ctx, []bot.KV{{Key: []byte(boundPrefix + key), Value: []byte("1")}}); err != nil {
		return "", fmt.Errorf("wechat: bind: %w", err)
	}
	a.mu.Lock()
	a.bound[key] = true
	a.mu.Unlock()
	c.verifyRemark(ctx, f, key)
	return key, nil
}

// setRemark changes a friend's remark name (webwxoplog), paced like a
// message since it is an account action too.
func (c *conn) setRemark(ctx context.Context, f *contact, remark string) error {
	o := c.a.out
	o.sendMu.Lock()
	defer o.sendMu.Unlock()
	if err := o.account.Wait(ctx); err != nil {
		return fmt.Errorf("wechat: set remark: %w", err)
	}
	c.a.mu.Lock()
	userName := f.userName
	c.a.mu.Unlock()
	err := c.bot.Caller.WebWxOplog(ctx, &openwechat.CallerWebWxOplogOptions{
		RemarkName: remark, ToUserName: userName, BaseRequest: c.bot.Storage.Request,
	})
	var ret openwechat.Ret
	if errors.As(err, &ret) && loggedOutRet(ret) {
		c.setEnd(ret)
		return fmt.Errorf("wechat: set remark: %w (ret %d)", ErrLoggedOut, int(ret))
	}
	if err != nil {
		return fmt.Errorf("wechat: set remark: %w", redact(err))
	}
	c.a.mu.Lock()
	f.remark = remark
	c.a.mu.Unlock()
	return nil
}

// verifyRemark reads the friend back and reports a remark WeChat ignored.
func (c *conn) verifyRemark(ctx context.Context, f *contact, key string) {
	a := c.a
	a.mu.Lock()
	userName, nick := f.userName, f.nick
	a.mu.Unlock()
	list, err := c.bot.Caller.WebWxBatchGetContact(ctx, openwechat.Members{{UserName: userName}}, c.bot.Storage.Request)
	if err != nil {
		a.log.Warn("无法核对好友备注", "err", redact(err))
		return
	}
	for _, u := range list {
		if u.UserName == userName && openwechat.FormatEmoji(u.RemarkName) == key {
			return
		}
	}
	a.addProblem(fmt.Sprintf("微信没有接受自动设置的备注：请在手机微信上把好友「%s」的备注改为「%s」，否则下次登录后将认不出这位成员。", nick, key))
	a.log.Warn("微信未应用好友备注，需要在手机上手动设置", "member", key)
}
