package telegram

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"time"
)

// Environment variables read by ApplyEnv.
const (
	EnvToken         = "YISHI_TELEGRAM_TOKEN"
	EnvAPIURL        = "YISHI_TELEGRAM_API_URL"
	EnvWebhookURL    = "YISHI_TELEGRAM_WEBHOOK_URL"
	EnvWebhookListen = "YISHI_TELEGRAM_WEBHOOK_LISTEN"
	EnvWebhookSecret = "YISHI_TELEGRAM_WEBHOOK_SECRET"
)

// DefaultAPIURL is the official Bot API endpoint.
const DefaultAPIURL = "https://api.telegram.org"

// Config says how to reach Telegram.
type Config struct {
	Token  string // bot token from @BotFather; never logged
	APIURL string // Bot API base URL; empty: DefaultAPIURL
	// WebhookURL switches from long polling to webhook mode: the public
	// https URL Telegram posts updates to.
	WebhookURL    string
	WebhookListen string // local address the webhook server listens on, e.g. ":8443"
	// WebhookSecret is checked against the X-Telegram-Bot-Api-Secret-Token
	// header; empty: a random one is made at start.
	WebhookSecret string
	PollTimeout   time.Duration // long-polling timeout; zero: 50s
}

// RegisterFlags registers -telegram-* flags. The token flag has no default
// so that -help never prints a token taken from the environment; call
// ApplyEnv after parsing to fill what the flags left empty.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Token, "telegram-token", c.Token, "Telegram bot token (default $"+EnvToken+")")
	fs.StringVar(&c.APIURL, "telegram-api-url", c.APIURL, "Telegram Bot API base URL (default $"+EnvAPIURL+" or "+DefaultAPIURL+")")
	fs.StringVar(&c.WebhookURL, "telegram-webhook-url", c.WebhookURL, "public URL for webhook mode; empty: long polling (default $"+EnvWebhookURL+")")
	fs.StringVar(&c.WebhookListen, "telegram-webhook-listen", c.WebhookListen, "listen address of the webhook server (default $"+EnvWebhookListen+")")
	fs.StringVar(&c.WebhookSecret, "telegram-webhook-secret", c.WebhookSecret, "webhook secret token (default $"+EnvWebhookSecret+" or random)")
	fs.DurationVar(&c.PollTimeout, "telegram-poll-timeout", c.PollTimeout, "long-polling timeout (default 50s)")
}

// ApplyEnv fills empty fields from the environment (getenv is os.Getenv in
// production).
func (c *Config) ApplyEnv(getenv func(string) string) {
	set := func(dst *string, env string) {
		if *dst == "" {
			*dst = getenv(env)
		}
	}
	set(&c.Token, EnvToken)
	set(&c.APIURL, EnvAPIURL)
	set(&c.WebhookURL, EnvWebhookURL)
	set(&c.WebhookListen, EnvWebhookListen)
	set(&c.WebhookSecret, EnvWebhookSecret)
}

// Enabled reports whether a token is configured (the program runs the
// Telegram adapter only then).
func (c Config) Enabled() bool { return c.Token != "" }

// Validate checks the configuration; its errors never contain the token.
func (c Config) Validate() error {
	if c.Token == "" {
		return errors.New("telegram: no bot token: set " + EnvToken + " or -telegram-token")
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("telegram: API URL %q is not an absolute URL", c.APIURL)
		}
	}
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("telegram: webhook URL %q is not an absolute URL", c.WebhookURL)
		}
		if c.WebhookListen == "" {
			return errors.New("telegram: webhook mode needs a listen address (" + EnvWebhookListen + " or -telegram-webhook-listen)")
		}
	}
	return nil
}

func (c Config) apiURL() string {
	if c.APIURL == "" {
		return DefaultAPIURL
	}
	return c.APIURL
}

func (c Config) pollTimeout() time.Duration {
	if c.PollTimeout <= 0 {
		return 50 * time.Second
	}
	return c.PollTimeout
}
