package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// Lifetimes: a login link is good for one use within LinkTTL; the session
// it opens lasts SessionTTL.
const (
	LinkTTL    = 10 * time.Minute
	SessionTTL = 8 * time.Hour
)

// Errors of a login link, worded for the person who clicked it.
var (
	errLinkUnknown = errors.New("这个登录链接无效或已经用过(每个链接只能用一次)。请在私聊中重新发送「网页登录」获取新链接。")
	errLinkExpired = errors.New("这个登录链接已过期(有效期10分钟)。请在私聊中重新发送「网页登录」获取新链接。")
)

// Logins keeps the one-time login links and the sessions they open, in
// memory only: nothing here is a password, and a restart logs everyone out.
// Tokens are kept as their sha256, so a memory dump of the map does not
// hold a usable link.
type Logins struct {
	clock   bot.Clock
	baseURL string

	mu       sync.Mutex
	links    map[[32]byte]link
	sessions map[[32]byte]*session
}

type link struct {
	comm, member string
	expires      time.Time
}

// session is one logged-in browser.
type session struct {
	Comm, Member string
	CSRF         string
	expires      time.Time
}

// NewLogins makes the link and session store. baseURL is the public address
// of the web server as residents reach it (https://yishi.example.cn), used
// in the links sent in chat; clock nil means the system clock.
func NewLogins(baseURL string, clock bot.Clock) *Logins {
	if clock == nil {
		clock = bot.SystemClock{}
	}
	for len(baseURL) > 0 && baseURL[len(baseURL)-1] == '/' {
		baseURL = baseURL[:len(baseURL)-1]
	}
	return &Logins{clock: clock, baseURL: baseURL, links: map[[32]byte]link{}, sessions: map[[32]byte]*session{}}
}

func newToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error()) // the runtime's generator does not fail
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashOf(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// IssueLogin makes a one-time login link for a roster member; the flows'
// 网页登录 command calls it (flows.LoginLinks).
func (l *Logins) IssueLogin(comm, member string) (url string, expires time.Time, err error) {
	if l.baseURL == "" {
		return "", time.Time{}, bot.Errorf(bot.ECONFLICT, "网页公开栏还没有开启(管理员需要用 --http 启动并设置网址)，暂时不能网页登录。")
	}
	tok := newToken()
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	exp := now.Add(LinkTTL)
	l.links[hashOf(tok)] = link{comm: comm, member: member, expires: exp}
	return l.baseURL + "/login?t=" + tok, exp, nil
}

// redeem uses a link once and opens a session.
func (l *Logins) redeem(token string) (cookie string, s *session, err error) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	h := hashOf(token)
	lk, ok := l.links[h]
	delete(l.links, h) // single use, whatever happens next
	if !ok {
		return "", nil, errLinkUnknown
	}
	if !now.Before(lk.expires) {
		return "", nil, errLinkExpired
	}
	cookie = newToken()
	s = &session{Comm: lk.comm, Member: lk.member, CSRF: newToken(), expires: now.Add(SessionTTL)}
	l.sessions[hashOf(cookie)] = s
	return cookie, s, nil
}

// session finds the live session of a cookie value.
func (l *Logins) session(cookie string) *session {
	if cookie == "" {
		return nil
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	h := hashOf(cookie)
	s := l.sessions[h]
	if s == nil {
		return nil
	}
	if !now.Before(s.expires) {
		delete(l.sessions, h)
		return nil
	}
	return s
}

func (l *Logins) logout(cookie string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.sessions, hashOf(cookie))
}

// sweep drops what has expired (called with mu held).
func (l *Logins) sweep(now time.Time) {
	for h, lk := range l.links {
		if !now.Before(lk.expires) {
			delete(l.links, h)
		}
	}
	for h, s := range l.sessions {
		if !now.Before(s.expires) {
			delete(l.sessions, h)
		}
	}
}

// validCSRF compares a form's token with the session's in constant time.
func (s *session) validCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}
