package tgtest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Translator is an http.RoundTripper for the adapter's Bot API client in
// tests. go-telegram/bot posts every call as multipart/form-data; the
// emulator parses only JSON and url-encoded bodies, so multipart bodies are
// re-encoded as url-encoded forms (every multipart field is a string, which
// is exactly what a url-encoded form carries; the emulator JSON-decodes
// reply_markup itself).
//
// It also emulates a Telegram rule the emulator lacks: a bot cannot start a
// private conversation. A sendMessage to a user (positive chat id) who has
// not yet written to the bot privately gets Telegram's 403 answer. Private
// chats are marked open when a getUpdates answer carries a private message
// from that user, or by Open. And it emulates privacy mode (privacy.go): on
// by default, as for a new bot.
type Translator struct {
	Base http.RoundTripper // nil: http.DefaultTransport

	mu     sync.Mutex
	open   map[int64]bool
	strict bool
	calls  map[string]int

	// privacy mode (privacy.go)
	readAll   bool
	admins    map[int64]bool
	dropped   map[int64]bool
	pressedBy map[string]int64 // callback query id → user
	answers   []Answer
	commands  map[string]string
}

// NewTranslator returns a Translator; strictPrivate enables the 403 for
// private chats never opened.
func NewTranslator(strictPrivate bool) *Translator {
	return &Translator{open: map[int64]bool{}, strict: strictPrivate, calls: map[string]int{},
		admins: map[int64]bool{}, dropped: map[int64]bool{}, pressedBy: map[string]int64{}}
}

// Open marks a user's private chat with the bot as started.
func (t *Translator) Open(user int64) {
	t.mu.Lock()
	t.open[user] = true
	t.mu.Unlock()
}

// Calls reports how many times a Bot API method was called.
func (t *Translator) Calls(method string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls[method]
}

// RoundTrip implements http.RoundTripper.
func (t *Translator) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	method := req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
	t.mu.Lock()
	t.calls[method]++
	t.mu.Unlock()

	var fields url.Values
	mt, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt == "multipart/form-data" && req.Body != nil {
		var err error
		fields, err = readMultipart(req.Body, params["boundary"])
		if err != nil {
			return nil, fmt.Errorf("tgtest: translate %s: %w", method, err)
		}
		body := fields.Encode()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(strings.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}

	if resp, ok := t.answerLocally(req, method, fields); ok {
		return resp, nil
	}
	if method == "sendMessage" && t.strict && fields != nil {
		if id, err := strconv.ParseInt(fields.Get("chat_id"), 10, 64); err == nil && id > 0 {
			t.mu.Lock()
			ok := t.open[id]
			t.mu.Unlock()
			if !ok {
				return jsonResponse(req, http.StatusForbidden,
					`{"ok":false,"error_code":403,"description":"Forbidden: bot can't initiate conversation with a user"}`), nil
			}
		}
	}

	resp, err := base.RoundTrip(req)
	if err != nil || (method != "getUpdates" && method != "getMe") {
		return resp, err
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return nil, fmt.Errorf("tgtest: read %s: %w", method, rerr)
	}
	if method == "getMe" {
		t.mu.Lock()
		readAll := t.readAll
		t.mu.Unlock()
		if readAll {
			body = getMeReadAll(body)
		}
	} else {
		body = t.filterUpdates(body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func readMultipart(body io.Reader, boundary string) (url.Values, error) {
	if boundary == "" {
		return nil, fmt.Errorf("multipart body without boundary")
	}
	v := url.Values{}
	all, err := io.ReadAll(body)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(all)) == 0 { // the library sends no parts at all for calls without parameters
		return v, nil
	}
	mr := multipart.NewReader(bytes.NewReader(all), boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return v, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read part: %w", err)
		}
		if p.FileName() != "" {
			return nil, fmt.Errorf("file upload %q: the emulator cannot take files", p.FormName())
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, fmt.Errorf("read field %s: %w", p.FormName(), err)
		}
		v.Add(p.FormName(), string(b))
	}
}

func jsonResponse(req *http.Request, code int, body string) *http.Response {
	return &http.Response{
		StatusCode:    code,
		Status:        http.StatusText(code),
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
		Proto:         "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}
}
