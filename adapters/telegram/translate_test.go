package telegram

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff.\ngot:\n%s", path, got)
	}
}

// The bot is @yishi_bot, id 42; group -100 was upgraded to supergroup -1009.
var translateCases = []struct{ name, update string }{
	{"group text", `{"update_id":1,"message":{"message_id":5,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张","last_name":"三"},"chat":{"id":-100,"type":"group","title":"后陈村议事群"},"text":"赞成"}}`},
	{"private text", `{"update_id":2,"message":{"message_id":6,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":7,"type":"private","first_name":"张三"},"text":"/bind 4F7K2Q"}}`},
	{"command with our name", `{"update_id":3,"message":{"message_id":7,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"text":"/bind@Yishi_Bot 4F7K2Q"}}`},
	{"command for another bot", `{"update_id":4,"message":{"message_id":8,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"text":"/start@other_bot"}}`},
	{"mention of the bot", `{"update_id":5,"message":{"message_id":9,"date":1767225600,"from":{"id":7,"is_bot":false,"username":"zs"},"chat":{"id":-100,"type":"group"},"text":"@yishi_bot 反对"}}`},
	{"mention of someone else", `{"update_id":6,"message":{"message_id":9,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"text":"@yishi_botfan 你好"}}`},
	{"reply to the bot", `{"update_id":7,"message":{"message_id":10,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"text":"弃权","reply_to_message":{"message_id":3,"date":1767225500,"from":{"id":42,"is_bot":true,"first_name":"议事"},"chat":{"id":-100,"type":"group"},"text":"表决开始"}}}`},
	{"reply to a person", `{"update_id":8,"message":{"message_id":11,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"text":"同意","reply_to_message":{"message_id":4,"date":1767225500,"from":{"id":8,"is_bot":false,"first_name":"李四"},"chat":{"id":-100,"type":"group"},"text":"修路"}}}`},
	{"formatting characters", `{"update_id":9,"message":{"message_id":12,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"*张*"},"chat":{"id":-100,"type":"group"},"text":"路面 *坑洼* _严重_ <b>请修</b>"}}`},
	{"edited message in group", `{"update_id":10,"edited_message":{"message_id":5,"date":1767225600,"edit_date":1767225700,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"text":"反对"}}`},
	{"edited reply to the bot", `{"update_id":30,"edited_message":{"message_id":5,"date":1767225600,"edit_date":1767225700,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"text":"反对","reply_to_message":{"message_id":3,"date":1767225500,"from":{"id":42,"is_bot":true,"first_name":"议事"},"chat":{"id":-100,"type":"group"},"text":"表决开始"}}}`},
	{"edited in private", `{"update_id":31,"edited_message":{"message_id":5,"date":1767225600,"edit_date":1767225700,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":7,"type":"private"},"text":"反对"}}`},
	{"sticker in group", `{"update_id":11,"message":{"message_id":13,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"sticker":{"file_id":"x","file_unique_id":"y","type":"regular","width":1,"height":1,"is_animated":false,"is_video":false}}}`},
	{"sticker in private", `{"update_id":12,"message":{"message_id":14,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":7,"type":"private"},"sticker":{"file_id":"x","file_unique_id":"y","type":"regular","width":1,"height":1,"is_animated":false,"is_video":false}}}`},
	{"photo with caption", `{"update_id":13,"message":{"message_id":15,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"photo":[{"file_id":"p","file_unique_id":"q","width":1,"height":1}],"caption":"进展 #3 路面已修好"}}`},
	{"forwarded in group", `{"update_id":14,"message":{"message_id":16,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"forward_origin":{"type":"user","date":1767220000,"sender_user":{"id":9,"is_bot":false,"first_name":"王五"}},"text":"赞成"}}`},
	{"forwarded in private", `{"update_id":15,"message":{"message_id":17,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":7,"type":"private"},"forward_origin":{"type":"hidden_user","date":1767220000,"sender_user_name":"某人"},"text":"赞成"}}`},
	{"another bot", `{"update_id":16,"message":{"message_id":18,"date":1767225600,"from":{"id":99,"is_bot":true,"first_name":"Spam"},"chat":{"id":-100,"type":"group"},"text":"赞成"}}`},
	{"anonymous admin", `{"update_id":17,"message":{"message_id":19,"date":1767225600,"from":{"id":1087968824,"is_bot":true,"first_name":"Group"},"sender_chat":{"id":-100,"type":"group"},"chat":{"id":-100,"type":"group"},"text":"结束表决"}}`},
	{"channel post", `{"update_id":18,"channel_post":{"message_id":20,"date":1767225600,"chat":{"id":-200,"type":"channel"},"text":"赞成"}}`},
	{"button press", `{"update_id":19,"callback_query":{"id":"cb1","from":{"id":7,"is_bot":false,"first_name":"张三"},"chat_instance":"ci","data":"v:3:for","message":{"message_id":3,"date":1767225500,"from":{"id":42,"is_bot":true,"first_name":"议事"},"chat":{"id":-100,"type":"group","title":"后陈村议事群"},"text":"表决开始"}}}`},
	{"button on another bot's message", `{"update_id":20,"callback_query":{"id":"cb2","from":{"id":7,"is_bot":false,"first_name":"张三"},"chat_instance":"ci","data":"v:3:for","message":{"message_id":3,"date":1767225500,"from":{"id":99,"is_bot":true,"first_name":"x"},"chat":{"id":-100,"type":"group"},"text":"x"}}}`},
	{"button on an inaccessible message", `{"update_id":21,"callback_query":{"id":"cb3","from":{"id":7,"is_bot":false,"first_name":"张三"},"chat_instance":"ci","data":"v:3:for","message":{"message_id":3,"date":0,"chat":{"id":-100,"type":"group"}}}}`},
	{"inline button", `{"update_id":22,"callback_query":{"id":"cb4","from":{"id":7,"is_bot":false,"first_name":"张三"},"chat_instance":"ci","inline_message_id":"im","data":"v:3:for"}}`},
	{"bot removed", `{"update_id":23,"my_chat_member":{"chat":{"id":-100,"type":"group"},"from":{"id":7,"is_bot":false,"first_name":"张三"},"date":1767225600,"old_chat_member":{"status":"member","user":{"id":42,"is_bot":true,"first_name":"议事"}},"new_chat_member":{"status":"left","user":{"id":42,"is_bot":true,"first_name":"议事"}}}}`},
	{"bot added", `{"update_id":24,"my_chat_member":{"chat":{"id":-300,"type":"supergroup","title":"新群"},"from":{"id":7,"is_bot":false,"first_name":"张三"},"date":1767225600,"old_chat_member":{"status":"left","user":{"id":42,"is_bot":true,"first_name":"议事"}},"new_chat_member":{"status":"member","user":{"id":42,"is_bot":true,"first_name":"议事"}}}}`},
	{"migrated: old group's last message", `{"update_id":25,"message":{"message_id":21,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"migrate_to_chat_id":-1009}}`},
	{"migrated: supergroup's first message", `{"update_id":26,"message":{"message_id":1,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-1009,"type":"supergroup"},"migrate_from_chat_id":-100}}`},
	{"message in the migrated supergroup", `{"update_id":27,"message":{"message_id":2,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-1009,"type":"supergroup","title":"后陈村议事群"},"text":"签到"}}`},
	{"new member joins", `{"update_id":28,"message":{"message_id":22,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"new_chat_members":[{"id":8,"is_bot":false,"first_name":"李四"}]}}`},
	{"slash command for a group command", `{"update_id":32,"message":{"message_id":23,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"text":"/kaishi@yishi_bot #1"}}`},
	{"slash vote", `{"update_id":33,"message":{"message_id":24,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"张三"},"chat":{"id":-100,"type":"group"},"text":"/ZanCheng"}}`},
	{"voice in group", `{"update_id":34,"message":{"message_id":25,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"胡丽萍"},"chat":{"id":-100,"type":"group"},"voice":{"file_id":"v","file_unique_id":"w","duration":42}}}`},
	{"photo without caption in group", `{"update_id":35,"message":{"message_id":26,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"胡丽萍"},"chat":{"id":-100,"type":"group"},"photo":[{"file_id":"p","file_unique_id":"q","width":1,"height":1}]}}`},
	{"voice in private", `{"update_id":36,"message":{"message_id":27,"date":1767225600,"from":{"id":7,"is_bot":false,"first_name":"胡丽萍"},"chat":{"id":7,"type":"private"},"voice":{"file_id":"v","file_unique_id":"w","duration":5}}}`},
	{"poll answer", `{"update_id":29,"poll_answer":{"poll_id":"p","option_ids":[0],"user":{"id":7,"is_bot":false,"first_name":"张三"}}}`},
}

func TestTranslate(t *testing.T) {
	m := me{id: 42, username: "yishi_bot", botID: "42"}
	original := func(c int64) int64 {
		if c == -1009 {
			return -100
		}
		return c
	}
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	for _, c := range translateCases {
		var u models.Update
		if err := json.Unmarshal([]byte(c.update), &u); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ev := m.translate(&u, original, now)
		if ev.in != nil {
			ev.in.At = ev.in.At.UTC()
		}
		b, err := json.MarshalIndent(struct {
			Chat     int64     `json:"chat"`
			Incoming any       `json:"incoming,omitempty"`
			Callback string    `json:"answer_callback,omitempty"`
			Note     string    `json:"note,omitempty"`
			NoteChat int64     `json:"note_chat,omitempty"`
			Migrate  *[2]int64 `json:"migrate,omitempty"`
			Added    bool      `json:"added,omitempty"`
			Removed  bool      `json:"removed,omitempty"`
			Skip     string    `json:"skip,omitempty"`
		}{ev.chat, ev.in, ev.callback, ev.note, ev.noteChat, migrated(ev.migrate), ev.added, ev.removed, ev.skip}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "## %s\n%s\n\n", c.name, b)
	}
	golden(t, "translate.golden", out.Bytes())
}

func migrated(m [2]int64) *[2]int64 {
	if m == [2]int64{} {
		return nil
	}
	return &m
}
