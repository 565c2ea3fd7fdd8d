package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/cmd/yishi/app/metrics"
)

// HTTP serves, from the running bot, /healthz, /metrics (when the app
// counts) and whatever is mounted on it (the public board at "/").
type HTTP struct {
	a   *App
	mux *http.ServeMux
}

// NewHTTP builds the bot's HTTP handler.
func (a *App) NewHTTP() *HTTP {
	h := &HTTP{a: a, mux: http.NewServeMux()}
	h.Mount("GET /healthz", http.HandlerFunc(h.healthz))
	if a.opts.Metrics != nil {
		h.Mount("GET /metrics", a.opts.Metrics.Handler())
	}
	return h
}

// Mount serves handler at pattern (http.ServeMux syntax, safe while
// serving); a pattern mounted twice panics, as with ServeMux, since that is
// a wiring mistake.
func (h *HTTP) Mount(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// ListenHTTP opens addr now, so that a port in use stops the start with a
// clear error instead of failing later in the background.
func ListenHTTP(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("HTTP 地址 %s 无法监听 / cannot listen on %s: %w", addr, addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully: requests
// under way get up to five seconds to finish.
func (h *HTTP) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	h.a.log.Info("http server listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http server shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// healthz answers 200 when the store is open and every adapter connected,
// 503 with one line per reason otherwise (Chinese / English).
func (h *HTTP) healthz(w http.ResponseWriter, _ *http.Request) {
	lines, ok := h.a.Health()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if ok {
		w.WriteHeader(http.StatusOK)
		fmt.Fprintln(w, "ok")
	} else {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "unhealthy")
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// healthKey is read by the store probe; it need not exist.
var healthKey = []byte("healthz-probe")

// Health checks the store and every adapter: one line per component
// ("store: ok", "telegram: reason"), and whether all are fine.
func (a *App) Health() (lines []string, ok bool) {
	ok = true
	check := func(name string, err error) {
		if err != nil {
			ok = false
			lines = append(lines, name+": "+err.Error())
		} else {
			lines = append(lines, name+": ok")
		}
	}
	check("store", a.storeHealth())
	for _, p := range a.order {
		var err error
		switch hc, _ := a.adapters[p].(bot.Healther); {
		case a.isDown(p):
			err = errors.New("适配器已停止，见日志 adapter stopped / adapter stopped, see the log")
		case hc != nil:
			err = hc.Healthy()
		}
		check(p, err)
	}
	return lines, ok
}

func (a *App) storeHealth() error {
	if hc, ok := a.Store.(bot.Healther); ok {
		if err := hc.Healthy(); err != nil {
			return err
		}
	}
	if _, err := a.Store.Get(healthKey); err != nil {
		return fmt.Errorf("存储无法读取(已关闭或出错) / store unreadable (closed or failing): %w", err)
	}
	a.space.mu.Lock()
	low := a.space.low
	a.space.mu.Unlock()
	if low {
		return errors.New("存储空间不足，暂停接收操作 / disk nearly full, actions refused")
	}
	return nil
}

// watchGauges registers the metrics read at scrape time.
func (a *App) watchGauges() {
	m := a.opts.Metrics
	if m == nil {
		return
	}
	g := metrics.Gauges{OutboxDepth: a.Engine.OutboxLen, Served: func() int { return len(a.Engine.Communities()) }}
	if a.opts.DataDir != "" {
		g.StoreBytes = func() int64 { return dirBytes(a.opts.DataDir) }
	}
	if a.plan != nil {
		dir := a.plan.Dir
		g.BackupAge = func() (time.Duration, bool) {
			t, found := newestBackup(dir)
			if !found {
				return -1, true
			}
			return a.opts.Clock.Now().Sub(t), true
		}
	}
	m.Watch(g)
}

// dirBytes is the disk space the files under dir take (0 when
// unreadable): allocated blocks, not apparent sizes, since badger
// preallocates sparse files (a fresh directory "holds" 80 MB and uses 2).
func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file removed meanwhile (compaction): skip it
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				if st, ok := fi.Sys().(*syscall.Stat_t); ok {
					n += st.Blocks * 512 // st_blocks counts 512-byte units whatever the block size
				} else {
					n += fi.Size()
				}
			}
		}
		return nil
	})
	return n
}

// newestBackup is the modification time of the newest scheduled backup
// (yishi-*.backup) in dir.
func newestBackup(dir string) (time.Time, bool) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return time.Time{}, false
	}
	var newest time.Time
	found := false
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), backupPrefix) || !strings.HasSuffix(e.Name(), backupSuffix) {
			continue
		}
		if fi, err := e.Info(); err == nil && (!found || fi.ModTime().After(newest)) {
			newest, found = fi.ModTime(), true
		}
	}
	return newest, found
}
