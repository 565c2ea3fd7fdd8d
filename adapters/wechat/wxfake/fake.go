// Package wxfake is an in-process fake of the WeChat web (UOS desktop)
// protocol, as github.com/eatmoreapple/openwechat v1.4.8 speaks it, for
// offline tests. openwechat hard-codes WeChat's hosts, so the fake is
// reached through Transport, an http.RoundTripper that sends every request
// to a local httptest server whatever its host.
//
// The fake keeps people and groups under stable handles (*Person, *Group)
// and gives them fresh UserNames at every scan login, like WeChat does, so
// tests notice code that relies on UserNames surviving a re-login.
package wxfake

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Return codes WeChat uses (openwechat's Ret).
const (
	RetLoginWarn  = 1100 // logged out on the phone
	RetLoginCheck = 1101 // session checked and rejected (logged in elsewhere)
	RetCookie     = 1102 // cookie invalid
	RetTooOften   = 1205 // operate too often
)

// Message types used by the fake (WeChat's MsgType values).
const (
	TypeText     = 1
	TypeImage    = 3
	TypeVoice    = 34
	TypeEmoticon = 47
	TypeApp      = 49
	TypeSys      = 10000
	TypeRecalled = 10002
)

// Person is somebody on WeChat: a friend of the bot account or a stranger
// met in a group.
type Person struct {
	id       string
	Nick     string
	friend   bool
	remark   string
	userName string // current session's UserName
}

// Group is a group chat.
type Group struct {
	id       string
	name     string
	members  []*Person
	userName string
}

// Sent is a message the bot sent.
type Sent struct {
	Group       *Group  // set for a group message
	To          *Person // set for a private message
	ToName      string  // group name or the person's nickname
	Text        string
	ClientMsgID string
}

type message struct {
	seq     int
	msgID   string
	typ     int
	group   *Group
	from    *Person // nil: the bot account itself
	to      *Person // private message from the bot account (echo)
	text    string
	created int64
}

type session struct {
	uin                   int64
	sid, skey, passTicket string
	valid                 bool
}

type pendingLogin struct {
	confirmed bool
	scanned   bool
	done      bool
}

// Server is the fake. Create it with New and Close it when done.
type Server struct {
	// LongPoll is how long synccheck and the login poll wait for news
	// before answering "nothing new" (the real server waits ~25 s).
	LongPoll time.Duration

	ts *httptest.Server
	tr *http.Transport

	mu            sync.Mutex
	wake          chan struct{}
	self          *Person
	people        []*Person
	groups        []*Group
	msgs          []*message
	sent          []Sent
	sess          *session
	sessions      int
	logins        map[string]*pendingLogin
	tickets       map[string]bool
	uuids         int
	scans         int
	autoConfirm   bool
	echoSent      bool
	forceSync     []int
	forceSend     []int
	breakSync     int
	nextID        int64
	hits          map[string]int
	clientIDs     map[string]string
	ignoreRemarks bool
	acked         int // highest sync key a synccheck carried
}

// New starts a fake with a bot account called "议事助手" that confirms scans
// by itself.
func New() *Server {
	s := &Server{
		LongPoll:    time.Second,
		wake:        make(chan struct{}),
		logins:      map[string]*pendingLogin{},
		tickets:     map[string]bool{},
		autoConfirm: true,
		nextID:      4000000000000000000,
		hits:        map[string]int{},
		clientIDs:   map[string]string{},
	}
	s.self = &Person{id: "self", Nick: "议事助手"}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.tr = &http.Transport{}
	return s
}

// Close stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
	s.tr.CloseIdleConnections()
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Transport returns a RoundTripper that sends every request, whatever its
// host (login.wx.qq.com, wx.qq.com, webpush.wx.qq.com…), to the fake.
func (s *Server) Transport() http.RoundTripper {
	u, _ := url.Parse(s.ts.URL)
	return rewriter{target: u, base: s.tr}
}

type rewriter struct {
	target *url.URL
	base   http.RoundTripper
}

func (r rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Header.Set("X-Wx-Host", req.URL.Host)
	out.URL.Scheme = r.target.Scheme
	out.URL.Host = r.target.Host
	out.Host = r.target.Host
	return r.base.RoundTrip(out)
}

// --- test API ----------------------------------------------------------

// SetSelf renames the bot account.
func (s *Server) SetSelf(nick string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.self.Nick = nick
}

// SelfNick is the bot account's nickname.
func (s *Server) SelfNick() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.self.Nick
}

// AddFriend adds a friend of the bot account.
func (s *Server) AddFriend(nick string) *Person {
	p := s.AddStranger(nick)
	s.MakeFriend(p)
	return p
}

// AddStranger adds a person who is not the bot account's friend.
func (s *Server) AddStranger(nick string) *Person {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &Person{id: fmt.Sprintf("p%d", len(s.people)+1), Nick: nick}
	p.userName = s.newUserName("@")
	s.people = append(s.people, p)
	return p
}

// MakeFriend makes p a friend of the bot account (the bot accepted the
// request on the phone).
func (s *Server) MakeFriend(p *Person) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.friend = true
}

// Remark is the remark name (备注) the bot account gave p.
func (s *Server) Remark(p *Person) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.remark
}

// SetRemark sets p's remark name as the account owner would on the phone.
func (s *Server) SetRemark(p *Person, remark string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.remark = remark
}

// UserName is p's UserName in the current session.
func (s *Server) UserName(p *Person) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.userName
}

// AddGroup adds a group chat with the bot account and the given members.
func (s *Server) AddGroup(name string, members ...*Person) *Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &Group{id: fmt.Sprintf("g%d", len(s.groups)+1), name: name, members: members}
	g.userName = s.newUserName("@@")
	s.groups = append(s.groups, g)
	return g
}

// Join adds p to g and posts the system notice.
func (s *Server) Join(g *Group, p *Person) string {
	s.mu.Lock()
	g.members = append(g.members, p)
	s.mu.Unlock()
	return s.Inject(g, nil, TypeSys, fmt.Sprintf("\"%s\"邀请\"%s\"加入了群聊", s.self.Nick, p.Nick))
}

// RenameGroup renames g and posts the system notice.
func (s *Server) RenameGroup(g *Group, by *Person, name string) string {
	s.mu.Lock()
	g.name = name
	s.mu.Unlock()
	return s.Inject(g, nil, TypeSys, fmt.Sprintf("\"%s\"修改群名为“%s”", by.Nick, name))
}

// Say posts text in g from p and returns the message id.
func (s *Server) Say(g *Group, p *Person, text string) string {
	return s.Inject(g, p, TypeText, text)
}

// SayPrivately sends text from p to the bot account.
func (s *Server) SayPrivately(p *Person, text string) string {
	return s.Inject(nil, p, TypeText, text)
}

// SelfSay posts text in g from the bot account itself (its owner typing on
// the phone).
func (s *Server) SelfSay(g *Group, text string) string {
	return s.Inject(g, nil, TypeText, text)
}

// Inject queues any message: g nil for a private message, from nil for the
// bot account itself (or, with TypeSys, a system notice in g).
func (s *Server) Inject(g *Group, from *Person, typ int, text string) string {
	if g == nil && from == nil {
		return "" // a private message needs a sender
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	m := &message{msgID: strconv.FormatInt(s.nextID, 10), typ: typ, group: g, from: from, text: text, created: time.Now().Unix()}
	s.queue(m)
	return m.msgID
}

// Replay delivers the message with this id again (WeChat does after a hot
// login).
func (s *Server) Replay(msgID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.msgID == msgID {
			c := *m
			s.queue(&c)
			return true
		}
	}
	return false
}

// ForceSyncRet makes the next synccheck answer retcode code. 1100, 1101
// and 1102 also end the session, as on WeChat.
func (s *Server) ForceSyncRet(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forceSync = append(s.forceSync, code)
	s.notify()
}

// ForceSendRet makes the next len(codes) webwxsendmsg calls fail with
// these Ret codes (0 lets one through).
func (s *Server) ForceSendRet(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forceSend = append(s.forceSend, codes...)
}

// BreakNextSync makes the next webwxsync answer malformed JSON.
func (s *Server) BreakNextSync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.breakSync++
}

// ExpireSession ends the current session without telling the client (the
// next request with it is rejected).
func (s *Server) ExpireSession() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess != nil {
		s.sess.valid = false
	}
	s.notify()
}

// SetAutoConfirm chooses whether a scan is confirmed without ConfirmScan.
func (s *Server) SetAutoConfirm(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoConfirm = on
}

// ConfirmScan confirms every QR code shown so far, as if scanned and
// confirmed on the phone.
func (s *Server) ConfirmScan() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.logins {
		l.confirmed = true
	}
	s.notify()
}

// EchoSent makes messages the bot sends come back through webwxsync as
// the account's own messages.
func (s *Server) EchoSent(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.echoSent = on
}

// IgnoreRemarks makes webwxoplog answer success without changing the
// remark, as openwechat warns WeChat may do.
func (s *Server) IgnoreRemarks(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ignoreRemarks = on
}

// Scans counts completed scan logins; QRCodes counts QR codes issued.
func (s *Server) Scans() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scans
}

// QRCodes counts the login QR codes (uuids) issued.
func (s *Server) QRCodes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uuids
}

// Hits counts requests to an endpoint by its last path element
// ("webwxsendmsg", "synccheck"…).
func (s *Server) Hits(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[endpoint]
}

// LoggedIn reports whether a session is valid.
func (s *Server) LoggedIn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess != nil && s.sess.valid
}

// Sent returns what the bot sent so far.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// WaitSent waits until at least n messages were sent or timeout passes.
func (s *Server) WaitSent(n int, timeout time.Duration) ([]Sent, bool) {
	ok := s.Wait(timeout, func() bool { return len(s.sent) >= n })
	return s.Sent(), ok
}

// Wait waits until cond (called with the fake locked) holds or timeout
// passes.
func (s *Server) Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.wake
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			s.mu.Lock()
			defer s.mu.Unlock()
			return cond()
		}
	}
}

// WaitHandled waits until the client asked for news after receiving the
// message with this id (its latest delivery). openwechat hands a batch to
// its handler before the next synccheck, so the message has been handled.
func (s *Server) WaitHandled(msgID string, timeout time.Duration) bool {
	return s.Wait(timeout, func() bool {
		seq := 0
		for _, m := range s.msgs {
			if m.msgID == msgID {
				seq = m.seq
			}
		}
		return seq > 0 && s.acked >= seq
	})
}

// SentTo filters what was sent to a group or person.
func SentTo(all []Sent, name string) []string {
	var out []string
	for _, m := range all {
		if m.ToName == name {
			out = append(out, m.Text)
		}
	}
	return out
}

// --- internals ---------------------------------------------------------

func (s *Server) notify() {
	close(s.wake)
	s.wake = make(chan struct{})
}

func (s *Server) queue(m *message) {
	m.seq = len(s.msgs) + 1
	s.msgs = append(s.msgs, m)
	s.notify()
}

func (s *Server) newUserName(prefix string) string {
	s.nextID++
	return fmt.Sprintf("%s%x", prefix, s.nextID*2654435761)
}

// rotate gives everybody new UserNames, as a new WeChat login does.
func (s *Server) rotate() {
	s.self.userName = s.newUserName("@")
	for _, p := range s.people {
		p.userName = s.newUserName("@")
	}
	for _, g := range s.groups {
		g.userName = s.newUserName("@@")
	}
}

// waitLocked releases the lock while waiting for news, up to LongPoll.
func (s *Server) waitLocked(r *http.Request, ready func() bool) {
	deadline := time.NewTimer(s.LongPoll)
	defer deadline.Stop()
	for !ready() {
		ch := s.wake
		s.mu.Unlock()
		select {
		case <-ch:
			s.mu.Lock()
		case <-deadline.C:
			s.mu.Lock()
			return
		case <-r.Context().Done():
			s.mu.Lock()
			return
		}
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits[name]++
	switch name {
	case "jslogin":
		s.jslogin(w)
	case "login":
		s.login(w, r)
	case "webwxnewloginpage":
		s.newLoginPage(w, r)
	case "webwxinit":
		s.webInit(w, r)
	case "webwxstatusnotify":
		s.statusNotify(w, r)
	case "synccheck":
		s.syncCheck(w, r)
	case "webwxsync":
		s.webSync(w, r)
	case "webwxgetcontact":
		s.getContact(w, r)
	case "webwxbatchgetcontact":
		s.batchGetContact(w, r)
	case "webwxsendmsg":
		s.sendMsg(w, r)
	case "webwxoplog":
		s.opLog(w, r)
	case "webwxlogout":
		if s.sess != nil {
			s.sess.valid = false
		}
		writeJSON(w, map[string]any{"BaseResponse": ret(0)})
	default:
		http.NotFound(w, r)
	}
	s.notify()
}

func ret(code int) map[string]any { return map[string]any{"Ret": code, "ErrMsg": ""} }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) jslogin(w http.ResponseWriter) {
	s.uuids++
	uuid := fmt.Sprintf("QR%04d==", s.uuids)
	s.logins[uuid] = &pendingLogin{}
	fmt.Fprintf(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, uuid)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	uuid := r.URL.Query().Get("uuid")
	l, ok := s.logins[uuid]
	if !ok || l.done {
		fmt.Fprint(w, `window.code=400;`)
		return
	}
	if !l.scanned {
		s.waitLocked(r, func() bool { return s.autoConfirm || l.confirmed })
		if !(s.autoConfirm || l.confirmed) {
			fmt.Fprint(w, `window.code=408;`)
			return
		}
		l.scanned = true
		fmt.Fprint(w, `window.code=201;window.userAvatar = 'data:img/jpg;base64,';`)
		return
	}
	l.done = true
	s.scans++
	ticket := fmt.Sprintf("T%d", s.scans)
	s.tickets[ticket] = true
	fmt.Fprintf(w, "window.code=200;\nwindow.redirect_uri=\"https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=%s&uuid=%s&lang=zh_CN&scan=%d\";", ticket, uuid, time.Now().Unix())
}

type loginXML struct {
	XMLName    xml.Name `xml:"error"`
	Ret        int      `xml:"ret"`
	Message    string   `xml:"message"`
	SKey       string   `xml:"skey,omitempty"`
	WxSid      string   `xml:"wxsid,omitempty"`
	WxUin      int64    `xml:"wxuin,omitempty"`
	PassTicket string   `xml:"pass_ticket,omitempty"`
	Gray       int      `xml:"isgrayscale"`
}

func (s *Server) newLoginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Header.Get("client-version") == "" || r.Header.Get("extspam") == "" {
		// Web mode is refused to most accounts; only the UOS desktop mode works.
		_ = xml.NewEncoder(w).Encode(loginXML{Ret: 1203, Message: "为了你的帐号安全，此微信号不能登录网页微信。"})
		return
	}
	if !s.tickets[q.Get("ticket")] {
		_ = xml.NewEncoder(w).Encode(loginXML{Ret: 1, Message: "ticket invalid"})
		return
	}
	delete(s.tickets, q.Get("ticket"))
	s.sessions++
	s.sess = &session{
		uin:        int64(100000 + s.sessions),
		sid:        fmt.Sprintf("sid%d", s.sessions),
		skey:       fmt.Sprintf("@crypt_%d", s.sessions),
		passTicket: fmt.Sprintf("pt%d", s.sessions),
		valid:      true,
	}
	s.rotate()
	for _, c := range []*http.Cookie{
		{Name: "wxsid", Value: s.sess.sid, Domain: "qq.com", Path: "/"},
		{Name: "wxuin", Value: strconv.FormatInt(s.sess.uin, 10), Domain: "qq.com", Path: "/"},
		{Name: "webwx_data_ticket", Value: "dt" + s.sess.sid, Domain: "qq.com", Path: "/"},
	} {
		http.SetCookie(w, c)
	}
	_ = xml.NewEncoder(w).Encode(loginXML{SKey: s.sess.skey, WxSid: s.sess.sid, WxUin: s.sess.uin, PassTicket: s.sess.passTicket, Gray: 1})
}

type baseRequest struct {
	Uin                 int64
	Sid, Skey, DeviceID string
}

// check validates the session of a request: 0 if fine, else the Ret.
func (s *Server) check(r *http.Request, sid, skey string) int {
	if s.sess == nil || !s.sess.valid || sid != s.sess.sid || (skey != "" && skey != s.sess.skey) {
		return RetLoginCheck
	}
	if c, err := r.Cookie("wxsid"); err != nil || c.Value != s.sess.sid {
		return RetCookie
	}
	return 0
}

func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (s *Server) user(p *Person) map[string]any {
	return map[string]any{
		"UserName": p.userName, "NickName": p.Nick, "RemarkName": p.remark,
		"VerifyFlag": 0, "ContactFlag": 3, "HeadImgUrl": "/cgi-bin/mmwebwx-bin/webwxgeticon?seq=1&username=" + p.userName,
	}
}

func (s *Server) group(g *Group, withMembers bool) map[string]any {
	m := map[string]any{
		"UserName": g.userName, "NickName": g.name, "VerifyFlag": 0, "ContactFlag": 3,
		"MemberCount": len(g.members) + 1, "MemberList": []any{},
	}
	if withMembers {
		list := []any{map[string]any{"UserName": s.self.userName, "NickName": s.self.Nick, "DisplayName": ""}}
		for _, p := range g.members {
			list = append(list, map[string]any{"UserName": p.userName, "NickName": p.Nick, "DisplayName": ""})
		}
		m["MemberList"] = list
	}
	return m
}

func (s *Server) syncKey() map[string]any {
	return map[string]any{"Count": 1, "List": []map[string]int{{"Key": 1, "Val": len(s.msgs)}}}
}

func (s *Server) webInit(w http.ResponseWriter, r *http.Request) {
	var body struct{ BaseRequest baseRequest }
	if err := decode(r, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if code := s.check(r, body.BaseRequest.Sid, body.BaseRequest.Skey); code != 0 {
		writeJSON(w, map[string]any{"BaseResponse": ret(code)})
		return
	}
	writeJSON(w, map[string]any{
		"BaseResponse": ret(0),
		"Count":        0,
		"ContactList":  []any{},
		"SyncKey":      s.syncKey(),
		"User":         s.user(s.self),
		"SKey":         s.sess.skey,
		"SystemTime":   time.Now().Unix(),
	})
}

func (s *Server) statusNotify(w http.ResponseWriter, r *http.Request) {
	var body struct{ BaseRequest baseRequest }
	if err := decode(r, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, map[string]any{"BaseResponse": ret(s.check(r, body.BaseRequest.Sid, body.BaseRequest.Skey)), "MsgID": "1"})
}

func parseSyncKey(v string) int {
	for _, part := range strings.Split(v, "|") {
		if k, val, ok := strings.Cut(part, "_"); ok && k == "1" {
			n, _ := strconv.Atoi(val)
			return n
		}
	}
	return 0
}

func (s *Server) syncCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	answer := func(code, selector int) {
		fmt.Fprintf(w, `window.synccheck={retcode:"%d",selector:"%d"}`, code, selector)
	}
	if code := s.check(r, q.Get("sid"), q.Get("skey")); code != 0 {
		answer(code, 0)
		return
	}
	from := parseSyncKey(q.Get("synckey"))
	if from > s.acked {
		s.acked = from
		s.notify() // wakes WaitHandled before this request long-polls
	}
	ready := func() bool {
		return len(s.forceSync) > 0 || len(s.msgs) > from || !s.sess.valid
	}
	s.waitLocked(r, ready)
	switch {
	case len(s.forceSync) > 0:
		code := s.forceSync[0]
		s.forceSync = s.forceSync[1:]
		if code == RetLoginWarn || code == RetLoginCheck || code == RetCookie {
			s.sess.valid = false
		}
		answer(code, 0)
	case !s.sess.valid:
		answer(RetLoginCheck, 0)
	case len(s.msgs) > from:
		answer(0, 2)
	default:
		answer(0, 0)
	}
}

func escape(text string) string {
	return strings.ReplaceAll(html.EscapeString(text), "\n", "<br/>")
}

func (s *Server) render(m *message) map[string]any {
	out := map[string]any{
		"MsgId": m.msgID, "MsgType": m.typ, "CreateTime": m.created, "NewMsgId": 0,
		"StatusNotifyCode": 0, "Url": "", "Status": 3, "ImgStatus": 1,
	}
	content := escape(m.text)
	switch {
	case m.group != nil && m.from == nil: // the account itself, or a notice
		if m.typ == TypeSys {
			out["FromUserName"], out["ToUserName"] = m.group.userName, s.self.userName
		} else {
			out["FromUserName"], out["ToUserName"] = s.self.userName, m.group.userName
		}
	case m.group != nil:
		out["FromUserName"], out["ToUserName"] = m.group.userName, s.self.userName
		content = m.from.userName + ":<br/>" + content
	case m.from == nil: // echo of a private message the bot sent
		out["FromUserName"], out["ToUserName"] = s.self.userName, m.to.userName
	default:
		out["FromUserName"], out["ToUserName"] = m.from.userName, s.self.userName
	}
	out["Content"] = content
	return out
}

func (s *Server) webSync(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest baseRequest
		SyncKey     struct {
			List []struct{ Key, Val int }
		}
	}
	if err := decode(r, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if code := s.check(r, body.BaseRequest.Sid, body.BaseRequest.Skey); code != 0 {
		writeJSON(w, map[string]any{"BaseResponse": ret(code), "SyncKey": map[string]any{"Count": 0}})
		return
	}
	if s.breakSync > 0 {
		s.breakSync--
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"BaseResponse": {"Ret": 0}, "AddMsgList": [{"MsgId": 12`)
		return
	}
	from := 0
	for _, k := range body.SyncKey.List {
		if k.Key == 1 {
			from = k.Val
		}
	}
	list := []any{}
	for _, m := range s.msgs {
		if m.seq > from {
			list = append(list, s.render(m))
		}
	}
	writeJSON(w, map[string]any{
		"BaseResponse": ret(0), "AddMsgCount": len(list), "AddMsgList": list,
		"SyncKey": s.syncKey(), "SyncCheckKey": s.syncKey(), "Skey": s.sess.skey,
	})
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	c, _ := r.Cookie("wxsid")
	sid := ""
	if c != nil {
		sid = c.Value
	}
	if code := s.check(r, sid, r.URL.Query().Get("skey")); code != 0 {
		writeJSON(w, map[string]any{"BaseResponse": ret(code)})
		return
	}
	list := []any{}
	for _, p := range s.people {
		if p.friend {
			list = append(list, s.user(p))
		}
	}
	for _, g := range s.groups {
		list = append(list, s.group(g, false))
	}
	writeJSON(w, map[string]any{"BaseResponse": ret(0), "MemberCount": len(list), "MemberList": list, "Seq": 0})
}

func (s *Server) batchGetContact(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest baseRequest
		List        []struct{ UserName string }
	}
	if err := decode(r, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if code := s.check(r, body.BaseRequest.Sid, body.BaseRequest.Skey); code != 0 {
		writeJSON(w, map[string]any{"BaseResponse": ret(code)})
		return
	}
	list := []any{}
	for _, item := range body.List {
		if g := s.groupByUserName(item.UserName); g != nil {
			list = append(list, s.group(g, true))
		} else if p := s.personByUserName(item.UserName); p != nil {
			list = append(list, s.user(p))
		}
	}
	writeJSON(w, map[string]any{"BaseResponse": ret(0), "Count": len(list), "ContactList": list})
}

func (s *Server) groupByUserName(u string) *Group {
	for _, g := range s.groups {
		if g.userName == u {
			return g
		}
	}
	return nil
}

func (s *Server) personByUserName(u string) *Person {
	for _, p := range s.people {
		if p.userName == u {
			return p
		}
	}
	return nil
}

func (s *Server) sendMsg(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest baseRequest
		Msg         struct {
			Type                     int
			Content                  string
			FromUserName, ToUserName string
			LocalID, ClientMsgId     string
		}
	}
	if err := decode(r, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if code := s.check(r, body.BaseRequest.Sid, body.BaseRequest.Skey); code != 0 {
		writeJSON(w, map[string]any{"BaseResponse": ret(code), "MsgID": "", "LocalID": ""})
		return
	}
	if len(s.forceSend) > 0 {
		code := s.forceSend[0]
		s.forceSend = s.forceSend[1:]
		if code != 0 {
			writeJSON(w, map[string]any{"BaseResponse": ret(code), "MsgID": "", "LocalID": ""})
			return
		}
	}
	if body.Msg.FromUserName != s.self.userName || body.Msg.Type != TypeText {
		writeJSON(w, map[string]any{"BaseResponse": ret(1), "MsgID": "", "LocalID": ""})
		return
	}
	if id, ok := s.clientIDs[body.Msg.ClientMsgId]; ok && body.Msg.ClientMsgId != "" {
		// A resend of a message already accepted: like WeChat's web client,
		// the fake treats ClientMsgId as the idempotency key.
		writeJSON(w, map[string]any{"BaseResponse": ret(0), "MsgID": id, "LocalID": body.Msg.LocalID})
		return
	}
	sent := Sent{Text: body.Msg.Content, ClientMsgID: body.Msg.ClientMsgId}
	var echo *message
	if g := s.groupByUserName(body.Msg.ToUserName); g != nil {
		sent.Group, sent.ToName = g, g.name
		echo = &message{typ: TypeText, group: g, text: body.Msg.Content}
	} else if p := s.personByUserName(body.Msg.ToUserName); p != nil && p.friend {
		sent.To, sent.ToName = p, p.Nick
		echo = &message{typ: TypeText, to: p, text: body.Msg.Content}
	} else {
		writeJSON(w, map[string]any{"BaseResponse": ret(1), "MsgID": "", "LocalID": ""})
		return
	}
	s.sent = append(s.sent, sent)
	s.nextID++
	id := strconv.FormatInt(s.nextID, 10)
	s.clientIDs[body.Msg.ClientMsgId] = id
	if s.echoSent {
		echo.msgID, echo.created = id, time.Now().Unix()
		s.queue(echo)
	}
	writeJSON(w, map[string]any{"BaseResponse": ret(0), "MsgID": id, "LocalID": body.Msg.LocalID})
}

func (s *Server) opLog(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest          baseRequest
		CmdId                int
		RemarkName, UserName string
	}
	if err := decode(r, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if code := s.check(r, body.BaseRequest.Sid, body.BaseRequest.Skey); code != 0 {
		writeJSON(w, map[string]any{"BaseResponse": ret(code)})
		return
	}
	p := s.personByUserName(body.UserName)
	if p == nil || !p.friend || body.CmdId != 2 {
		writeJSON(w, map[string]any{"BaseResponse": ret(1)})
		return
	}
	if !s.ignoreRemarks {
		p.remark = body.RemarkName
	}
	writeJSON(w, map[string]any{"BaseResponse": ret(0)})
}
