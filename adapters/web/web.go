package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/record"
	"github.com/yishi-community/yishi/bot/reminders"
)

// Reader is the running bot as the pages read it: *engine.Engine.
type Reader interface {
	Read(fn func(tx *engine.Tx))
}

// Config is what the web surface needs from the running bot.
type Config struct {
	Engine Reader
	// Store is the bot's store, for the audit export and the audit check
	// (officers' pages); nil hides them.
	Store bot.Store
	// Sheet gathers a topic's record sheet (cmd/yishi/app.Sheet); nil uses
	// names and the community's zone only (open ballots then list no names).
	Sheet func(tx *engine.Tx, t *bot.Topic) record.Sheet
	// Reminders previews the reminder schedule
	// (reminders.Scheduler.Preview); nil hides it.
	Reminders func(at func(c *config.Community) time.Time) []reminders.Planned
	// Verify checks a community's audit chain and replays its log against
	// the snapshots, worded as `yishi audit verify` prints it; nil: the
	// chain check of bot/audit on Store only.
	Verify func(comm string) (ok bool, text string)
	// Backup writes a consistent backup (storage.DB.Backup); nil hides the
	// download.
	Backup func(w io.Writer) error
	// Logins issues and redeems login links; nil: a fresh store with no
	// base URL (no one can log in, the public pages work).
	Logins *Logins
	Clock  bot.Clock
	Logger *slog.Logger
}

// Server serves the pages; it is an http.Handler.
type Server struct {
	cfg Config
	mux *http.ServeMux
	log *slog.Logger

	// The anonymous board of each community, rendered once per change of
	// its topics and per minute (its dates and windows move with the
	// clock); renderMu lets one reader render while the others wait for it.
	cacheMu  sync.Mutex
	cache    map[string]cachedPage
	renderMu sync.Mutex
}

type cachedPage struct {
	key  string
	body []byte
	at   time.Time // when it was rendered or last found current
}

//go:embed templates/*.html
var templateFiles embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 },
}).ParseFS(templateFiles, "templates/*.html"))

// New builds the handler. The lead mounts it at "/" of the --http server.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Logins == nil {
		cfg.Logins = NewLogins("", cfg.Clock)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), log: cfg.Logger, cache: map[string]cachedPage{}}
	s.mux.HandleFunc("GET /{$}", s.board)
	s.mux.HandleFunc("GET /topics/{id}", s.topic)
	s.mux.HandleFunc("GET /topics/{id}/record.html", s.record)
	s.mux.HandleFunc("GET /export/topics.csv", s.exportCSV)
	s.mux.HandleFunc("GET /export/topics.json", s.exportJSON)
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("POST /logout", s.logout)
	s.mux.HandleFunc("GET /me", s.me)
	s.mux.HandleFunc("GET /officer", s.officer)
	s.mux.HandleFunc("GET /officer/verify", s.verify)
	s.mux.HandleFunc("GET /officer/audit.jsonl", s.auditExport)
	s.mux.HandleFunc("POST /officer/backup", s.backup)
	s.mux.HandleFunc("/", s.notFound)
	return s
}

// ServeHTTP adds the headers every page carries: no scripts, no framing,
// no referrer (a login link must not leak through one).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}

// phonePattern is a mainland mobile number or a landline with its area
// code: typed into a proposal or a statement, it is not for the public.
// Letters count as part of a token, so a hash's hex digits are never taken
// for a number.
var phonePattern = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[0-9]{7,8})(?:[^0-9A-Za-z]|$)`)

// longDigits reports whether b has a run of at least 7 digits (a dash
// inside allowed): a byte loop, so pages without one skip the regexp,
// which costs more than the rest of a large page's rendering.
func longDigits(b []byte) bool {
	run := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			run++
			if run >= 7 {
				return true
			}
		case c == '-' && run > 0:
		default:
			run = 0
		}
	}
	return false
}

// maskPhones replaces phone numbers with a notice; whatever a resident
// typed, the public pages never show one.
func maskPhones(b []byte) []byte {
	if !longDigits(b) {
		return b
	}
	// Twice: two numbers one character apart share the boundary between
	// them, and one pass finds only the first.
	for range 2 {
		if !phonePattern.Match(b) {
			return b
		}
		b = phonePattern.ReplaceAllFunc(b, func(m []byte) []byte {
			sub := phonePattern.FindSubmatchIndex(m)
			out := append([]byte{}, m[:sub[2]]...)
			out = append(out, "[电话号码已隐去]"...)
			return append(out, m[sub[3]:]...)
		})
	}
	return b
}

// write sends a finished body, phone numbers masked.
func (s *Server) write(w http.ResponseWriter, status int, ctype string, body []byte) {
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = w.Write(maskPhones(body))
}

// page renders a template into a buffer first, so a failing template is a
// clear 500, never half a page.
func (s *Server) page(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		s.log.Error("web: render", "page", name, "err", err)
		s.fail(w, http.StatusInternalServerError, "页面生成失败，请稍后再试或联系管理员。")
		return
	}
	s.write(w, status, "text/html; charset=utf-8", b.Bytes())
}

// fail answers with a short Chinese page saying what went wrong and why.
func (s *Server) fail(w http.ResponseWriter, status int, msg string) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "error.html", map[string]any{"Status": status, "Message": msg}); err != nil {
		b.Reset()
		fmt.Fprintf(&b, "<!DOCTYPE html><meta charset=utf-8><p>%s</p>", template.HTMLEscapeString(msg))
	}
	s.write(w, status, "text/html; charset=utf-8", b.Bytes())
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.fail(w, http.StatusMethodNotAllowed, "这个地址不接受这种请求。")
		return
	}
	s.fail(w, http.StatusNotFound, "没有这个页面。请从村务公开栏首页进入。")
}

// community picks the community of a request: ?c=ID, or the first one.
func community(tx *engine.Tx, r *http.Request) (*config.Community, error) {
	comms := tx.Communities()
	if id := r.URL.Query().Get("c"); id != "" {
		if c := tx.Community(id); c != nil {
			return c, nil
		}
		return nil, bot.Errorf(bot.ENOTFOUND, "没有标识为 %q 的社区。", id)
	}
	if len(comms) == 0 {
		return nil, bot.Errorf(bot.ENOTFOUND, "还没有配置任何社区。")
	}
	return comms[0], nil
}

// statusOf maps a core error to an HTTP status.
func statusOf(err error) int {
	switch bot.ErrorCode(err) {
	case bot.ENOTFOUND:
		return http.StatusNotFound
	case bot.EFORBIDDEN:
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}
