package telegram

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/bot"
)

// secretHeader carries the webhook secret in Telegram's requests.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// runWebhook registers the webhook and serves it until ctx ends. Telegram
// is asked for one connection at a time, so updates arrive in order, and an
// update is answered 200 only after it was handled (otherwise Telegram
// delivers it again).
func (a *Adapter) runWebhook(ctx context.Context, h bot.Handler) error {
	secret := a.opts.WebhookSecret
	if secret == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("telegram: webhook secret: %w", err)
		}
		secret = hex.EncodeToString(b)
	}
	u, _ := url.Parse(a.opts.WebhookURL) // Validate checked it
	path := u.Path
	if path == "" {
		path = "/"
	}
	ln, err := net.Listen("tcp", a.opts.WebhookListen)
	if err != nil {
		return fmt.Errorf("telegram: webhook listen %s: %w", a.opts.WebhookListen, err)
	}
	mux := http.NewServeMux()
	mux.Handle(path, a.webhookHandler(h, secret))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	var wait time.Duration
	for {
		cctx, cancel := context.WithTimeout(ctx, a.opts.CallTimeout)
		_, err := a.api.SetWebhook(cctx, &tgbot.SetWebhookParams{
			URL: a.opts.WebhookURL, SecretToken: secret, MaxConnections: 1, AllowedUpdates: allowedUpdates,
		})
		cancel()
		if err == nil {
			a.health.set(nil)
			break
		}
		a.health.set(unhealthy("setWebhook", a.redact(err)))
		if errors.Is(err, tgbot.ErrorUnauthorized) {
			_ = srv.Close()
			return fmt.Errorf("telegram: the bot token was rejected by setWebhook (%v)", a.redact(err))
		}
		if ctx.Err() != nil {
			_ = srv.Close()
			return nil
		}
		wait = backoff(wait, time.Second, time.Minute)
		a.log.Warn("telegram setWebhook failed; retrying", "err", a.redact(err), "in", wait)
		if sleep(ctx, a.clock, wait) != nil {
			_ = srv.Close()
			return nil
		}
	}
	a.log.Info("telegram webhook set", "listen", ln.Addr().String(), "path", path)
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	case err := <-errc:
		return fmt.Errorf("telegram: webhook server: %w", err)
	}
}

// webhookHandler receives Telegram's webhook requests.
func (a *Adapter) webhookHandler(h bot.Handler, secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(secretHeader)), []byte(secret)) != 1 {
			a.log.Warn("telegram webhook request without the right secret token", "remote", r.RemoteAddr)
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		var u models.Update
		if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&u); err != nil {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		if done := a.processBatch(r.Context(), h, []*models.Update{&u}); done < u.ID {
			http.Error(w, "not handled, send again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
