package tgtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// BotUser is the user the emulator's getMe answers with.
var BotUser = User{ID: 666, FirstName: "Test First name", Username: "TestNameBot", IsBot: true}

// User is a Telegram account played by the test.
type User struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
	IsBot     bool   `json:"is_bot"`
}

// Chat is a Telegram chat. Groups have negative ids; a private chat's id is
// the user's id.
type Chat struct {
	ID    int64  `json:"id"`
	Type  string `json:"type"` // private, group, supergroup
	Title string `json:"title,omitempty"`
}

// Private returns the private chat of u with the bot.
func Private(u User) Chat { return Chat{ID: u.ID, Type: "private"} }

// Button is an inline button of a bot message.
type Button struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// BotMessage is a message the bot sent, as the emulator holds it now
// (edits are applied in place).
type BotMessage struct {
	ID      int64
	Chat    int64
	Text    string
	Buttons []Button
	Seq     int // order of sending, 0-based
}

// Client plays residents through the emulator's client API.
type Client struct {
	URL   string
	Token string
	HTTP  *http.Client
}

// Client returns a client of the emulator for the bot with token.
func (e *Emulator) Client(token string) *Client {
	return &Client{URL: e.URL, Token: token, HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// MessageOption adjusts the message a user sends.
type MessageOption func(map[string]any)

// ReplyTo makes the message a reply to one of the bot's messages.
func ReplyTo(m BotMessage, chat Chat) MessageOption {
	return func(msg map[string]any) {
		msg["reply_to_message"] = map[string]any{
			"message_id": m.ID, "from": BotUser, "chat": chat,
			"date": time.Now().Unix(), "text": m.Text,
		}
	}
}

// With sets a raw field of the message (forward_origin, sticker, …).
func With(key string, value any) MessageOption {
	return func(msg map[string]any) { msg[key] = value }
}

// Send posts a text message from user into chat.
func (c *Client) Send(ctx context.Context, from User, chat Chat, text string, opts ...MessageOption) error {
	msg := map[string]any{
		"botToken": c.Token, "from": from, "chat": chat,
		"date": time.Now().Unix(),
	}
	if text != "" {
		msg["text"] = text
	}
	path := "/sendMessage"
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len([]rune(cmd))}}
		path = "/sendCommand"
	}
	for _, o := range opts {
		o(msg)
	}
	return c.post(ctx, path, msg, nil)
}

// Press presses an inline button of a bot message as user.
func (c *Client) Press(ctx context.Context, from User, chat Chat, m BotMessage, data string) error {
	body := map[string]any{
		"botToken": c.Token, "from": from, "data": data,
		"message": map[string]any{
			"message_id": m.ID, "from": BotUser, "chat": chat,
			"date": time.Now().Unix(), "text": m.Text,
		},
	}
	return c.post(ctx, "/sendCallback", body, nil)
}

// Messages returns every message the bot sent so far, in sending order.
func (c *Client) Messages(ctx context.Context) ([]BotMessage, error) {
	var r struct {
		Result []struct {
			MessageID int64           `json:"messageId"`
			Message   json.RawMessage `json:"message"`
		} `json:"result"`
	}
	if err := c.post(ctx, "/getUpdatesHistory", map[string]any{"token": c.Token}, &r); err != nil {
		return nil, err
	}
	var out []BotMessage
	for _, h := range r.Result {
		var m struct {
			ChatID      any    `json:"chat_id"` // string or number, as the bot sent it
			Text        string `json:"text"`
			ReplyMarkup *struct {
				InlineKeyboard [][]Button `json:"inline_keyboard"`
			} `json:"reply_markup"`
		}
		if len(h.Message) == 0 { // a button press
			continue
		}
		if err := json.Unmarshal(h.Message, &m); err != nil {
			return nil, fmt.Errorf("decode history entry: %w", err)
		}
		if m.ChatID == nil { // a user's message
			continue
		}
		chat, err := strconv.ParseInt(fmt.Sprint(m.ChatID), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("chat_id %v: %w", m.ChatID, err)
		}
		bm := BotMessage{ID: h.MessageID, Chat: chat, Text: m.Text, Seq: len(out)}
		if m.ReplyMarkup != nil {
			for _, row := range m.ReplyMarkup.InlineKeyboard {
				bm.Buttons = append(bm.Buttons, row...)
			}
		}
		out = append(out, bm)
	}
	return out, nil
}

// WaitFor polls the bot's messages until cond holds or ctx ends.
func (c *Client) WaitFor(ctx context.Context, what string, cond func([]BotMessage) bool) ([]BotMessage, error) {
	for {
		ms, err := c.Messages(ctx)
		if err == nil && cond(ms) {
			return ms, nil
		}
		select {
		case <-ctx.Done():
			return ms, fmt.Errorf("waiting for %s: %w (last error %v)", what, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// In returns the messages sent into chat.
func In(ms []BotMessage, chat int64) []BotMessage {
	var out []BotMessage
	for _, m := range ms {
		if m.Chat == chat {
			out = append(out, m)
		}
	}
	return out
}

func (c *Client) post(ctx context.Context, path string, body, dest any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+path, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("request %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("emulator %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("emulator %s: read: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("emulator %s: %s: %s", path, resp.Status, data)
	}
	if dest != nil {
		if err := json.Unmarshal(data, dest); err != nil {
			return fmt.Errorf("emulator %s: decode: %w", path, err)
		}
	}
	return nil
}
