package engine

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
)

func TestOutboxCodec(t *testing.T) {
	for _, out := range []bot.Outgoing{
		{Platform: "telegram", Chat: "-100", ChatTitle: "后陈村议事群", Community: "houchen", Text: "张三：已记录「赞成」。", MergeKey: "ack/houchen/1/-100"},
		{Community: "houchen", Member: "zhangsan", Private: true, Text: "【议事协商通知】\n第二行\x00含零字节"},
		{Platform: "console", Chat: "群", Text: "表决", Buttons: []bot.Button{{Label: "赞成", Data: "赞成 #1"}}, Key: "tally/houchen/1"},
		{Platform: "telegram", Chat: "-100", Community: "houchen", Text: "已记录：赞成", For: "1001", Answers: "tg:1:77"},
		{},
	} {
		e := &OutboxEntry{Seq: 7, Out: out, Created: time.Date(2026, 12, 1, 10, 0, 0, 123, time.UTC)}
		got, err := decodeOutbox(7, encodeOutbox(e))
		if err != nil {
			t.Fatalf("%+v: %v", out, err)
		}
		if !reflect.DeepEqual(got.Out, e.Out) || !got.Created.Equal(e.Created) || got.Seq != 7 {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, e)
		}
	}
	if old, err := decodeOutbox(3, []byte(`{"seq":3,"out":{"chat":"群","text":"旧格式"},"created":"2026-12-01T10:00:00Z"}`)); err != nil || old.Out.Text != "旧格式" {
		t.Fatalf("JSON entry: %+v %v", old, err)
	}
	// Version 1 (before receipts): eight fields.
	v1 := []byte{outboxCodecV1, 0}
	for _, f := range []string{"telegram", "-100", "", "", "houchen", "", "", "旧的"} {
		v1 = append(v1, byte(len(f)))
		v1 = append(v1, f...)
	}
	v1 = append(v1, 0)
	if old, err := decodeOutbox(4, v1); err != nil || old.Out.Text != "旧的" || old.Out.Chat != "-100" || old.Out.For != "" {
		t.Fatalf("version 1 entry: %+v %v", old, err)
	}
	for _, bad := range [][]byte{nil, {9}, {1}, {1, 2}, {1, 2, 200}, encodeOutbox(&OutboxEntry{Out: bot.Outgoing{Text: "xyz"}})[:5]} {
		if _, err := decodeOutbox(1, bad); err == nil {
			t.Errorf("decodeOutbox(%v) accepted", bad)
		}
	}
}

func FuzzOutboxCodec(f *testing.F) {
	f.Add("telegram", "-100", "张三：已记录", true)
	f.Fuzz(func(t *testing.T, platform, chat, text string, private bool) {
		e := &OutboxEntry{Out: bot.Outgoing{Platform: platform, Chat: chat, Text: text, Private: private}, Created: time.Unix(0, 42).UTC()}
		got, err := decodeOutbox(0, encodeOutbox(e))
		if err != nil || !reflect.DeepEqual(got.Out, e.Out) {
			t.Fatalf("round trip %+v: %+v %v", e.Out, got, err)
		}
		decodeOutbox(0, []byte(text)) // arbitrary bytes must not panic
	})
}

func TestOutboxKey(t *testing.T) {
	for _, seq := range []uint64{0, 1, 42, 1<<64 - 1} {
		if got, want := string(outboxKey("村", seq)), fmt.Sprintf("outbox/村/%020d", seq); got != want {
			t.Errorf("outboxKey(%d) = %q, want %q", seq, got, want)
		}
	}
}
