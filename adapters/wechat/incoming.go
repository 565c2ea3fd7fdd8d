package wechat

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/eatmoreapple/openwechat"

	"github.com/yishi-community/yishi/bot"
)

// politeNonText answers, privately, a picture/voice/sticker sent to the
// bot: the core only reads text.
const politeNonText = "您好，议事助手目前只能识别文字消息，图片、语音和表情暂时看不懂。请直接用文字发送，例如「同意」「反对」「弃权」或「帮助」。"

// politeEvery limits that answer to one per person per period.
const politeEvery = 30 * time.Minute

// onMessage runs on openwechat's sync goroutine, one message at a time, so
// messages reach the core in the order WeChat delivered them.
func (c *conn) onMessage(m *openwechat.Message, h bot.Handler) {
	select {
	case <-c.ready:
	case <-c.botCtx.Done():
		return
	}
	a := c.a
	a.mu.Lock()
	if c.closed {
		a.mu.Unlock()
		return
	}
	c.wg.Add(1)
	a.mu.Unlock()
	defer c.wg.Done()

	in, ok := c.translate(m)
	if !ok {
		return
	}
	if a.recent.has(in.ID) {
		a.log.Debug("重复投递的微信消息，已跳过", "id", in.ID)
		return
	}
	if err := c.handle(h, in); err != nil {
		a.log.Error("处理微信消息失败", "id", in.ID, "chat", in.Chat, "err", err)
		return
	}
	a.recent.add(in.ID)
}

// handle passes one message to the core, retrying internal faults twice
// (the core drops duplicates by ID, so a retry is safe).
func (c *conn) handle(h bot.Handler, in bot.Incoming) error {
	for attempt := 0; ; attempt++ {
		err := h.Handle(c.runCtx, in)
		if err == nil || attempt == 2 || c.runCtx.Err() != nil || bot.ErrorCode(err) != bot.EINTERNAL {
			return err
		}
		select {
		case <-time.After(200 * time.Millisecond << attempt):
		case <-c.runCtx.Done():
			return err
		}
	}
}

// translate turns a WeChat message into a bot.Incoming; ok is false for
// messages the core does not see (the account's own, system notices,
// unknown groups, non-text).
func (c *conn) translate(m *openwechat.Message) (bot.Incoming, bool) {
	a := c.a
	if m.IsSendBySelf() {
		return bot.Incoming{}, false // the bot's own messages, from any device
	}
	group := strings.HasPrefix(m.FromUserName, "@@")
	if !group && !strings.HasPrefix(m.FromUserName, "@") {
		return bot.Incoming{}, false // WeChat's service accounts: fmessage, newsapp…
	}
	if !m.IsText() {
		c.nonText(m, group)
		return bot.Incoming{}, false
	}
	in := bot.Incoming{
		Platform: Platform,
		ID:       "wx:" + m.MsgId,
		Text:     strings.TrimSpace(m.Content),
		At:       time.Unix(m.CreateTime, 0),
	}
	if m.CreateTime == 0 {
		in.At = a.opt.Clock.Now()
	}
	if group {
		return c.groupText(m, in)
	}
	a.mu.Lock()
	f := c.dir.friends[m.FromUserName]
	a.mu.Unlock()
	if f == nil && c.refresh() {
		a.mu.Lock()
		f = c.dir.friends[m.FromUserName]
		a.mu.Unlock()
	}
	in.Private = true
	in.Sender = c.identity(m.FromUserName)
	in.Chat = in.Sender
	if f != nil {
		in.Name = f.nick
	}
	return in, true
}

func (c *conn) groupText(m *openwechat.Message, in bot.Incoming) (bot.Incoming, bool) {
	a := c.a
	a.mu.Lock()
	g := c.dir.byUser[m.FromUserName]
	var name string
	if g != nil {
		name = g.name
	}
	a.mu.Unlock()
	if g == nil {
		a.log.Debug("忽略未配置的微信群的消息", "id", in.ID)
		return bot.Incoming{}, false
	}
	// openwechat strips "@sender:<br/>" from Content; RawContent keeps it.
	sender, _, ok := strings.Cut(m.RawContent, ":<br/>")
	if !ok || !strings.HasPrefix(sender, "@") || strings.HasPrefix(sender, "@@") {
		a.log.Warn("无法识别微信群消息的发送者，已忽略", "id", in.ID)
		return bot.Incoming{}, false
	}
	a.mu.Lock()
	member, known := g.members[sender]
	self := g.members[c.selfUser]
	f := c.dir.friends[sender]
	a.mu.Unlock()
	if !known {
		c.reloadGroup(g) // a newcomer: fetch the member list again
		a.mu.Lock()
		member = g.members[sender]
		a.mu.Unlock()
	}
	in.Chat, in.ChatTitle = name, name
	in.Sender = c.identity(sender)
	in.Name = member.display
	if in.Name == "" {
		in.Name = member.nick
	}
	if in.Name == "" && f != nil {
		in.Name = f.nick
	}
	in.Text, _ = stripMention(in.Text, c.selfNick, self.display)
	return in, true
}

// identity is the stable member key (the friend's remark, once bound) or
// else the session's UserName, which is only good until the next login.
func (c *conn) identity(userName string) string {
	a := c.a
	a.mu.Lock()
	defer a.mu.Unlock()
	f := c.dir.friends[userName]
	if f == nil || !a.bound[f.remark] {
		return userName
	}
	if len(c.dir.friendsByRemark(f.remark)) > 1 {
		return userName // ambiguous: reported in Problems
	}
	return f.remark
}

// nonText handles pictures, voice, stickers and notices: ignored, with a
// polite private answer to a friend who sent media, and a report when a
// configured group was renamed.
func (c *conn) nonText(m *openwechat.Message, group bool) {
	a := c.a
	if m.IsSystem() {
		if group && m.IsRenameGroup() {
			c.groupRenamed(m)
		}
		return
	}
	if group || m.IsRecalled() || m.StatusNotify() || m.IsSysNotice() || m.IsFriendAdd() || m.IsVoipInvite() {
		return
	}
	media := m.IsPicture() || m.IsVoice() || m.IsEmoticon() || m.IsVideo() || m.IsMedia() || m.IsLocation() || m.IsCard()
	if !media {
		return
	}
	now := a.opt.Clock.Now()
	a.mu.Lock()
	_, friend := c.dir.friends[m.FromUserName]
	last, answered := a.politeAt[m.FromUserName]
	if !friend || c.closed || (answered && now.Sub(last) < politeEvery) {
		a.mu.Unlock()
		return
	}
	a.politeAt[m.FromUserName] = now
	c.wg.Add(1)
	a.mu.Unlock()
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(c.runCtx, time.Minute)
		defer cancel()
		out := bot.Outgoing{Platform: Platform, Chat: m.FromUserName, Private: true, Text: politeNonText}
		if err := a.Send(ctx, out); err != nil {
			a.log.Info("未能回复非文字消息", "err", err)
		}
	}()
}

func (c *conn) groupRenamed(m *openwechat.Message) {
	a := c.a
	a.mu.Lock()
	g := c.dir.byUser[m.FromUserName]
	a.mu.Unlock()
	if g == nil {
		return
	}
	newName := m.Content
	if i := strings.Index(newName, "修改群名为"); i >= 0 {
		newName = strings.Trim(newName[i+len("修改群名为"):], "“”\"「」 ")
	}
	if newName == g.name {
		return
	}
	p := "微信群「" + g.name + "」已被改名为「" + newName + "」。本次登录期间议事助手仍在该群工作；请管理员把配置中的群名改为新名称（或把群名改回），否则下次登录后将找不到该群。"
	a.addProblem(p)
	a.log.Warn("配置中的微信群被改名", "group", g.name, "new_name", newName)
}

// refresh reloads the contact list (a new friend wrote), at most once per
// RefreshEvery. It reports whether it reloaded.
func (c *conn) refresh() bool {
	a := c.a
	now := a.opt.Clock.Now()
	a.mu.Lock()
	if now.Sub(c.lastRefresh) < a.opt.RefreshEvery {
		a.mu.Unlock()
		return false
	}
	c.lastRefresh = now
	a.mu.Unlock()
	dir, err := c.fetchDirectory(c.botCtx, a.opt.Groups)
	if err != nil {
		a.log.Warn("刷新微信通讯录失败", "err", err)
		return false
	}
	a.mu.Lock()
	// Keep groups renamed during this session reachable under their old name.
	for name, g := range c.dir.groups {
		if _, ok := dir.groups[name]; !ok {
			dir.groups[name] = g
			dir.byUser[g.userName] = g
		}
	}
	c.dir = dir
	a.mu.Unlock()
	return true
}

// reloadGroup refreshes one group's member list, throttled like refresh.
func (c *conn) reloadGroup(g *groupInfo) {
	a := c.a
	now := a.opt.Clock.Now()
	a.mu.Lock()
	if now.Sub(c.lastRefresh) < a.opt.RefreshEvery {
		a.mu.Unlock()
		return
	}
	c.lastRefresh = now
	d := &directory{byUser: map[string]*groupInfo{g.userName: {name: g.name, userName: g.userName, members: map[string]groupMember{}}}}
	a.mu.Unlock()
	err := c.loadMembers(c.botCtx, d, openwechat.Members{{UserName: g.userName}})
	if err != nil {
		a.log.Warn("刷新微信群成员失败", "group", g.name, "err", err)
		return
	}
	a.mu.Lock()
	g.members = d.byUser[g.userName].members
	a.mu.Unlock()
}

// stripMention removes "@名字" mentions of the bot at the start (and the
// end) of a group message. WeChat separates a mention from the text with
// U+2005 (four-per-em space).
func stripMention(text string, names ...string) (string, bool) {
	const spaces = " \u2005\u3000\t\n"
	t := strings.TrimLeft(text, spaces)
	mentioned := false
	for again := true; again; {
		again = false
		for _, n := range names {
			if n == "" {
				continue
			}
			rest, ok := strings.CutPrefix(t, "@"+n)
			r, _ := utf8.DecodeRuneInString(rest)
			if ok && (rest == "" || strings.ContainsRune(spaces, r)) {
				t = strings.TrimLeft(rest, spaces)
				mentioned, again = true, true
			}
		}
	}
	t = strings.TrimRight(t, spaces)
	for _, n := range names {
		if n == "" {
			continue
		}
		if rest, ok := strings.CutSuffix(t, "@"+n); ok {
			t = strings.TrimRight(rest, spaces)
			mentioned = true
		}
	}
	return t, mentioned
}

// idSet remembers the last n message ids (replays within one run are
// skipped before they reach the core).
type idSet struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	ring []string
	next int
}

func newIDSet(n int) *idSet { return &idSet{ids: map[string]struct{}{}, ring: make([]string, n)} }

func (s *idSet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ids[id]
	return ok
}

func (s *idSet) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.ids[id] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
}
