package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
)

// TestReceiptsFirstAndAlone: a receipt (one person's acknowledgement) is
// handed to the dispatcher ahead of group notices queued before it, is
// never merged with another person's, and keeps its addressee across a
// restart.
func TestReceiptsFirstAndAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	e, db := open(t, dir)
	send := func(e *engine.Engine, outs ...bot.Outgoing) {
		t.Helper()
		if _, err := e.Do(context.Background(), "", func(tx *engine.Tx) error {
			for _, o := range outs {
				tx.Send(o)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	group := bot.Outgoing{Platform: "telegram", Chat: "-1", Text: "【议程】"}
	in := func(sender, id string) bot.Incoming {
		return bot.Incoming{Platform: "telegram", Chat: "-1", Sender: sender, ID: id}
	}
	send(e, group, group)
	send(e, bot.ReceiptFor(in("1001", "tg:1:5"), "houchen", "已记录：赞成"))
	send(e, bot.ReceiptFor(in("1002", "tg:1:6"), "houchen", "已记录：反对"))
	db.Close()
	e, db = open(t, dir)
	defer db.Close()
	got := e.OutboxReady(now, 10)
	if len(got) != 4 {
		t.Fatalf("ready: %+v", got)
	}
	if got[0].Out.For != "1001" || got[0].Out.Answers != "tg:1:5" || got[0].Out.Text != "已记录：赞成" ||
		got[1].Out.For != "1002" || got[1].Out.Text != "已记录：反对" {
		t.Errorf("receipts not first, merged or changed: %+v", got[:2])
	}
	if got[2].Out.Text != "【议程】" || got[3].Out.Text != "【议程】" {
		t.Errorf("group notices: %+v", got[2:])
	}
}

func TestReceiptFor(t *testing.T) {
	for _, c := range []struct {
		name string
		in   bot.Incoming
		want bot.Outgoing
	}{
		{"telegram group", bot.Incoming{Platform: "telegram", Chat: "-1", ChatTitle: "群", Sender: "7", ID: "tg:1:2"},
			bot.Outgoing{Platform: "telegram", Chat: "-1", ChatTitle: "群", Community: "c", Text: "t", For: "7", Answers: "tg:1:2"}},
		{"private", bot.Incoming{Platform: "telegram", Chat: "7", Private: true, Sender: "7", ID: "tg:1:3"},
			bot.Outgoing{Platform: "telegram", Chat: "7", Private: true, Community: "c", Text: "t", Answers: "tg:1:3"}},
		{"wechat group", bot.Incoming{Platform: "wechat", Chat: "@@g", Sender: "@u"},
			bot.Outgoing{Platform: "wechat", Chat: "@@g", Community: "c", Text: "t", MergeKey: "receipt/c/@@g"}},
	} {
		if got := bot.ReceiptFor(c.in, "c", "t"); got.Platform != c.want.Platform || got.Chat != c.want.Chat ||
			got.ChatTitle != c.want.ChatTitle || got.Private != c.want.Private || got.Text != c.want.Text ||
			got.For != c.want.For || got.Answers != c.want.Answers || got.MergeKey != c.want.MergeKey || got.Community != "c" {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
