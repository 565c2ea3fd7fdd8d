package telegram

import (
	"context"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"
)

// TestMeetingNeedsHearing: in privacy mode a bot that is not an
// administrator refuses to open a meeting (its statements would be lost)
// and says what it cannot see and the fix; once it is an administrator, or
// with privacy mode off, the command reaches the core.
func TestMeetingNeedsHearing(t *testing.T) {
	f := newFakeAPI()
	f.me.CanReadAllGroupMessages = false
	a := testAdapter(t, f, nil, nil)
	ctx := context.Background()
	rec := &recorder{}
	u1, u2, u5 := textUpdate(1, -100, 7, "/kaishi #1"), textUpdate(2, -100, 7, "签到"), textUpdate(5, -100, 7, "/xiayibu")
	a.processBatch(ctx, rec, []*models.Update{&u1, &u2, &u5})
	if got := rec.all(); len(got) != 1 || got[0].Text != "签到" {
		t.Errorf("reached the core: %+v, want only 签到", got)
	}
	var refusal string
	for _, m := range f.sentTo(-100) {
		if strings.HasPrefix(m.Text, "现在不能开始协商") {
			refusal = m.Text
		}
	}
	for _, want := range []string{"隐私模式", "不是本群管理员", "发言", "@BotFather", "/setprivacy", "Disable", "移出本群", "管理员"} {
		if !strings.Contains(refusal, want) {
			t.Errorf("refusal lacks %q:\n%s", want, refusal)
		}
	}
	f.mu.Lock()
	f.admin = map[int64]bool{-100: true}
	f.mu.Unlock()
	u3 := textUpdate(3, -100, 7, "/kaishi@yishi_bot #1")
	a.processBatch(ctx, rec, []*models.Update{&u3})
	if got := rec.all(); len(got) != 2 || got[1].Text != "开始协商 #1" {
		t.Errorf("as an administrator: %+v, want 开始协商 #1 passed on", got)
	}

	b := testAdapter(t, newFakeAPI(), nil, nil) // privacy mode off
	rec2 := &recorder{}
	u4 := textUpdate(4, -100, 7, "开始协商 #1")
	b.processBatch(ctx, rec2, []*models.Update{&u4})
	if len(rec2.all()) != 1 {
		t.Errorf("privacy mode off: the meeting command did not reach the core")
	}
}

func TestSlashCommandsRegistered(t *testing.T) {
	f := newFakeAPI()
	a := testAdapter(t, f, nil, nil)
	a.setCommands(context.Background())
	names := map[string]string{}
	for _, c := range f.commands {
		names[c.Command] = c.Description
	}
	for _, c := range slashCommands {
		if names[c.name] == "" {
			t.Errorf("/%s not registered", c.name)
		}
		if got := fromSlash("/" + c.name + " #2"); got != c.word+" #2" {
			t.Errorf("fromSlash(/%s #2) = %q", c.name, got)
		}
	}
	if got := fromSlash("/start houchen"); got != "/start houchen" {
		t.Errorf("/start changed: %q", got)
	}
}
