package wechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/eatmoreapple/openwechat"
)

// errNoSession: no session file yet (first start).
var errNoSession = errors.New("no saved WeChat session")

// errCorruptSession: the session file cannot be used.
var errCorruptSession = errors.New("saved WeChat session is unreadable")

// sessionFile is the HotReloadStorage behind hot login. It differs from
// openwechat's file storage in three ways: the file is written atomically
// with mode 0600; writes are held in memory until Flush, which the
// adapter calls only once the messages fetched with a new sync key have
// been handled (so a crash replays them instead of losing them — the core
// drops the duplicates by message id); and once closed it never writes
// again (an old session's goroutine may outlive Run).
type sessionFile struct {
	path string

	mu      sync.Mutex
	rd      *bytes.Reader
	pending []byte
	closed  bool
}

func newSessionFile(path string) *sessionFile { return &sessionFile{path: path} }

func (f *sessionFile) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rd == nil {
		data, err := os.ReadFile(f.path)
		if errors.Is(err, os.ErrNotExist) {
			return 0, errNoSession
		}
		if err != nil {
			return 0, fmt.Errorf("read session file: %w", err)
		}
		f.rd = bytes.NewReader(data)
	}
	return f.rd.Read(p)
}

func (f *sessionFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = bytes.Clone(p)
	return len(p), nil
}

// Flush writes the latest session to disk, if it changed.
func (f *sessionFile) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending == nil || f.closed {
		return nil
	}
	if err := writeFileAtomic(f.path, f.pending); err != nil {
		return err
	}
	f.pending = nil
	return nil
}

// Close stops further writes; unflushed changes are dropped on purpose.
func (f *sessionFile) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("session dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".wechat-session-*") // created 0600
	if err != nil {
		return fmt.Errorf("session file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("session file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("session file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("session file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("session file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("session file: %w", err)
	}
	return nil
}

// checkSessionFile tells whether a session file exists and is usable, so
// that the log says clearly why a new scan is needed.
func checkSessionFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errNoSession
		}
		return err
	}
	var st storedSession
	return st.decode(data)
}

// storedSession is the session file's content. openwechat's own encoding
// loses the cookies at the second hot login (its Jar forgets which hosts
// it holds cookies for after a reload), so the adapter encodes it itself.
type storedSession struct {
	Jar          map[string][]*http.Cookie
	BaseRequest  *openwechat.BaseRequest
	LoginInfo    *openwechat.LoginInfo
	WechatDomain openwechat.WechatDomain
	SyncKey      *openwechat.SyncKey
	UUID         string
}

func (st *storedSession) decode(data []byte) error {
	if err := json.Unmarshal(data, st); err != nil {
		return fmt.Errorf("%w: %v", errCorruptSession, err)
	}
	if st.BaseRequest == nil || st.LoginInfo == nil || st.WechatDomain == "" || len(st.Jar) == 0 {
		return fmt.Errorf("%w: fields missing", errCorruptSession)
	}
	return nil
}

// sessionSerializer is the bot's Serializer (used only for the session).
type sessionSerializer struct{}

func (sessionSerializer) Encode(w io.Writer, v any) error {
	if item, ok := v.(openwechat.HotReloadStorageItem); ok {
		v = &item
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(data) // one write: sessionFile keeps the last one
	return err
}

func (sessionSerializer) Decode(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	item, ok := v.(*openwechat.HotReloadStorageItem)
	if !ok {
		return json.Unmarshal(data, v)
	}
	var st storedSession
	if err := st.decode(data); err != nil {
		return err
	}
	jar := openwechat.NewJar()
	seedJar(jar, "")
	for host, cookies := range st.Jar {
		u, err := url.Parse(host)
		if err != nil {
			return fmt.Errorf("%w: %v", errCorruptSession, err)
		}
		jar.SetCookies(u, cookies)
	}
	*item = openwechat.HotReloadStorageItem{
		Jar: jar, BaseRequest: st.BaseRequest, LoginInfo: st.LoginInfo,
		WechatDomain: st.WechatDomain, SyncKey: st.SyncKey, UUID: st.UUID,
	}
	return nil
}

// seedJar registers every host the session may talk to with the cookie
// jar. openwechat's Jar writes a plain map the first time it meets a host;
// with all hosts known up front, later requests from the sync goroutine
// and from Send only read it, so they can run concurrently. It also makes
// the session file keep the cookies for every host.
func seedJar(jar *openwechat.Jar, domain string) {
	domains := []string{"wx.qq.com", "wx2.qq.com", "wx8.qq.com", "web.wechat.com", "web2.wechat.com"}
	if domain != "" {
		domains = append(domains, domain)
	}
	hosts := []string{"login.wx.qq.com", "login.weixin.qq.com", "login.wx2.qq.com", "login.web.wechat.com"}
	for _, d := range domains {
		hosts = append(hosts, d, "webpush."+d, "file."+d)
	}
	for _, h := range hosts {
		jar.SetCookies(&url.URL{Scheme: "https", Host: h, Path: "/"}, nil)
	}
}

// seedHook seeds the jar with the session's own domain just before
// webwxinit, when the login goroutine is the only one using the client.
type seedHook struct{ client *openwechat.Client }

func (h seedHook) BeforeRequest(req *http.Request) {
	if strings.HasSuffix(req.URL.Path, "/webwxinit") {
		seedJar(h.client.Jar(), req.URL.Host)
	}
}

func (seedHook) AfterRequest(*http.Response, error) {}
