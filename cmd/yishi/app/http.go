package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/yishi-community/yishi/bot"
)

// Handler is the bot's HTTP surface: /healthz, /metrics, and the web pages
// (Options.Web) at everything else.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.serveHealth)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{}))
	if a.opts.Web != nil {
		mux.Handle("/", a.opts.Web)
	}
	return mux
}

// Health is nil when the store answers and every adapter runs; otherwise
// it names, in Chinese and English, what is wrong.
func (a *App) Health() error {
	var problems []string
	if _, err := a.Store.Get([]byte("snap/healthz")); err != nil {
		problems = append(problems, fmt.Sprintf("存储不可用 / store unavailable: %v", err))
	}
	if sc, ok := a.Store.(spaceChecker); ok && bot.ErrorCode(sc.CheckSpace()) == bot.ENOSPACE {
		problems = append(problems, "磁盘空间不足，暂停接收新操作 / disk below its free-space margin")
	}
	for _, p := range a.order {
		if a.isDown(p) {
			problems = append(problems, fmt.Sprintf("%s 连接已停止 / %s adapter stopped", p, p))
			continue
		}
		if h, ok := a.adapters[p].(bot.HealthChecker); ok {
			if err := h.Healthy(); err != nil {
				problems = append(problems, fmt.Sprintf("%s：%v / %s not connected", p, err, p))
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func (a *App) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := a.Health(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "unhealthy:", err)
		return
	}
	fmt.Fprintln(w, "ok")
}

// serveHTTP runs the HTTP server on addr until ctx ends (Options.HTTPAddr).
func (a *App) serveHTTP(ctx context.Context, ln net.Listener) {
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Error("http server stopped", "addr", ln.Addr().String(), "err", err)
	}
	<-done
}
