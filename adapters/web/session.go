package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// Login without passwords: a member asks for 网页登录 in private chat and
// gets a one-time link (10 minutes, single use); opening it sets a session
// cookie (HttpOnly, SameSite=Strict, Secure behind TLS). Links and sessions
// live in memory only: a restart logs everyone out, and nothing secret is
// written to disk but the link in the outbox until it is delivered.

const (
	linkTTL    = 10 * time.Minute
	sessionTTL = 12 * time.Hour
	cookieName = "yishi_session"
)

type identity struct {
	community, member string
}

type link struct {
	identity
	expires time.Time
}

type session struct {
	identity
	csrf    string
	expires time.Time
}

type sessions struct {
	mu       sync.Mutex
	now      func() time.Time
	links    map[string]link
	sessions map[string]session
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, links: map[string]link{}, sessions: map[string]session{}}
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: random token: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

// issue makes a one-time login link token for a member.
func (s *sessions) issue(community, member string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for t, l := range s.links { // forget expired links
		if now.After(l.expires) {
			delete(s.links, t)
		}
	}
	tok := randomToken()
	s.links[tok] = link{identity: identity{community, member}, expires: now.Add(linkTTL)}
	return tok
}

// redeem uses a link token once: it returns a new session id, or "" when
// the token is unknown, used or expired.
func (s *sessions) redeem(tok string) (string, session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.links[tok]
	delete(s.links, tok) // single use, whatever happens next
	if !ok || s.now().After(l.expires) {
		return "", session{}
	}
	id := randomToken()
	se := session{identity: l.identity, csrf: randomToken(), expires: s.now().Add(sessionTTL)}
	s.sessions[id] = se
	return id, se
}

// lookup finds the request's session.
func (s *sessions) lookup(r *http.Request) (string, session, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	se, ok := s.sessions[c.Value]
	if !ok || s.now().After(se.expires) {
		delete(s.sessions, c.Value)
		return "", session{}, false
	}
	return c.Value, se, true
}

func (s *sessions) end(id string) {
	s.mu.Lock()
	delete(s.sessions, id)
	s.mu.Unlock()
}

// validCSRF checks a state-changing form's token against its session.
func validCSRF(r *http.Request, se session) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(se.csrf)) == 1
}

// secure says whether the cookie may be sent over this request only with
// TLS: when the request came by TLS, or through a proxy that says so.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, id string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
}
