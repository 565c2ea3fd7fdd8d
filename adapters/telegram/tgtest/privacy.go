package tgtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Privacy mode, as real Telegram applies it and the emulator does not: a bot
// whose getMe says can_read_all_group_messages=false receives, in a group
// where it is not an administrator, only messages that start with a
// /command, replies to its own messages, messages that @mention it and
// service messages (members joining or leaving, group upgrades); button
// presses always arrive. The Translator drops every other group message from
// getUpdates answers (for good: Telegram never delivers it later), answers
// getChatMember with the administrator status set by SetAdmin, and records
// setMyCommands and the texts of answerCallbackQuery.

// Answer is a button press's answer as the member saw it.
type Answer struct {
	User  int64
	Text  string
	Alert bool
	At    time.Time // when the bot sent it
}

// SetPrivacy turns privacy mode on (the default) or off: off, getMe says
// the bot reads every group message and nothing is dropped.
func (t *Translator) SetPrivacy(on bool) {
	t.mu.Lock()
	t.readAll = !on
	t.mu.Unlock()
}

// SetAdmin makes the bot an administrator of chat (it then receives every
// message there, privacy mode or not), or a plain member again.
func (t *Translator) SetAdmin(chat int64, admin bool) {
	t.mu.Lock()
	t.admins[chat] = admin
	t.mu.Unlock()
}

// Answers returns the answers to button presses of user, in order.
func (t *Translator) Answers(user int64) []Answer {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Answer
	for _, a := range t.answers {
		if a.User == user {
			out = append(out, a)
		}
	}
	return out
}

// Commands returns the command names of the last setMyCommands.
func (t *Translator) Commands() map[string]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.commands
}

// Dropped is how many group messages privacy mode kept from the bot.
func (t *Translator) Dropped() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.dropped)
}

// answerLocally answers the calls the emulator does not know, or records
// what a call shows the member; ok=false passes the call on.
func (t *Translator) answerLocally(req *http.Request, method string, fields url.Values) (*http.Response, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch method {
	case "getChatMember":
		chat, _ := strconv.ParseInt(fields.Get("chat_id"), 10, 64)
		status := "member"
		if t.admins[chat] {
			status = "administrator"
		}
		u, _ := json.Marshal(BotUser)
		return jsonResponse(req, http.StatusOK, `{"ok":true,"result":{"status":"`+status+`","user":`+string(u)+`}}`), true
	case "setMyCommands":
		var cmds []struct{ Command, Description string }
		if err := json.Unmarshal([]byte(fields.Get("commands")), &cmds); err != nil {
			return jsonResponse(req, http.StatusBadRequest, `{"ok":false,"error_code":400,"description":"Bad Request: can't parse commands"}`), true
		}
		t.commands = map[string]string{}
		for _, c := range cmds {
			t.commands[c.Command] = c.Description
		}
		return jsonResponse(req, http.StatusOK, `{"ok":true,"result":true}`), true
	case "answerCallbackQuery":
		t.answers = append(t.answers, Answer{User: t.pressedBy[fields.Get("callback_query_id")],
			Text: fields.Get("text"), Alert: fields.Get("show_alert") == "true", At: time.Now()})
	}
	return nil, false
}

// filterUpdates applies privacy mode to a getUpdates answer and learns who
// pressed which button and which private chats are open.
func (t *Translator) filterUpdates(body []byte) []byte {
	var r struct {
		OK     bool              `json:"ok"`
		Result []json.RawMessage `json:"result"`
	}
	if json.Unmarshal(body, &r) != nil {
		return body
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	kept := r.Result[:0]
	for _, raw := range r.Result {
		var u struct {
			ID       int64          `json:"update_id"`
			Message  *privacyFields `json:"message"`
			Callback *struct {
				ID   string `json:"id"`
				From struct {
					ID int64 `json:"id"`
				} `json:"from"`
			} `json:"callback_query"`
		}
		if json.Unmarshal(raw, &u) != nil {
			kept = append(kept, raw)
			continue
		}
		if u.Callback != nil {
			t.pressedBy[u.Callback.ID] = u.Callback.From.ID
		}
		if m := u.Message; m != nil && m.Chat.Type == "private" {
			t.open[m.From.ID] = true
		}
		if t.dropped[u.ID] || (u.Message != nil && !t.readAll && !t.admins[u.Message.Chat.ID] && !u.Message.reachesPrivacyBot()) {
			t.dropped[u.ID] = true
			continue
		}
		kept = append(kept, raw)
	}
	r.Result = kept
	out, err := json.Marshal(r)
	if err != nil {
		return body
	}
	return out
}

type privacyFields struct {
	From struct {
		ID int64 `json:"id"`
	} `json:"from"`
	Chat struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	} `json:"chat"`
	Text    string `json:"text"`
	Caption string `json:"caption"`
	Reply   *struct {
		From struct {
			ID int64 `json:"id"`
		} `json:"from"`
	} `json:"reply_to_message"`
	NewMembers json.RawMessage `json:"new_chat_members"`
	Left       json.RawMessage `json:"left_chat_member"`
	MigrateTo  int64           `json:"migrate_to_chat_id"`
	MigrateFr  int64           `json:"migrate_from_chat_id"`
}

func (m *privacyFields) reachesPrivacyBot() bool {
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	switch {
	case m.Chat.Type == "private":
		return true
	case strings.HasPrefix(text, "/"):
		return true
	case m.Reply != nil && m.Reply.From.ID == BotUser.ID:
		return true
	case strings.Contains(strings.ToLower(text), "@"+strings.ToLower(BotUser.Username)):
		return true
	case len(m.NewMembers) > 0 || len(m.Left) > 0 || m.MigrateTo != 0 || m.MigrateFr != 0:
		return true
	}
	return false
}

// getMeReadAll rewrites getMe's answer to say the bot reads every group
// message (the emulator leaves the field out, which means privacy mode).
func getMeReadAll(body []byte) []byte {
	var r map[string]any
	if json.Unmarshal(body, &r) != nil {
		return body
	}
	if u, ok := r["result"].(map[string]any); ok {
		u["can_read_all_group_messages"] = true
	}
	out, err := json.Marshal(r)
	if err != nil {
		return body
	}
	return out
}
