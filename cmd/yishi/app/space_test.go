package app_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/storage"
)

// TestDiskFull: below the free-space margin (a fake statfs) a message is
// refused with the ENOSPACE answer and nothing recorded, the secretary and
// the director are told once, privately, and once space is back the bot
// works again by itself.
func TestDiskFull(t *testing.T) {
	var free atomic.Uint64
	free.Store(1 << 40)
	db, err := storage.Open(filepath.Join(t.TempDir(), "d"), storage.Options{Statfs: func(string) (uint64, error) { return free.Load(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	con := console.New(console.Options{In: strings.NewReader(""), Out: &out})
	a, err := app.Open(context.Background(), app.Options{Store: db, Communities: []*config.Community{config.Sample()}, Adapters: []bot.Adapter{con}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	say := func(who, text string) {
		t.Helper()
		in := bot.Incoming{Platform: "console", Sender: who, Name: who, Text: text, Private: true, Chat: console.PrivateChat(who)}
		if err := a.Handle(ctx, in); err != nil {
			t.Fatal(err)
		}
		a.Flush(ctx)
	}
	free.Store(db.SpaceMargin() - 1)
	say("陈小龙", "提议")
	say("陈小龙", "提议")
	got := out.String()
	if n := strings.Count(got, "存储空间不足，本条未记录，请联系管理员。"); n != 2 {
		t.Errorf("%d refusals, want one per message:\n%s", n, got)
	}
	for _, cadre := range []string{"[私聊→张建国]", "[私聊→陈志强]"} {
		if n := strings.Count(got, cadre); n != 1 {
			t.Errorf("%s told %d times, want once:\n%s", cadre, n, got)
		}
	}
	if strings.Contains(got, "标题") {
		t.Errorf("the propose flow started although nothing can be recorded:\n%s", got)
	}
	free.Store(1 << 40)
	say("陈小龙", "提议")
	got = out.String()
	if !strings.Contains(got, "存储空间已恢复") {
		t.Errorf("no note that the bot resumed:\n%s", got)
	}
	if strings.Count(got, "存储空间不足，本条未记录") != 2 {
		t.Errorf("refused again after space came back:\n%s", got)
	}
}
