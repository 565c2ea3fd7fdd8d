package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/flows"
)

type fakeLinks struct{ issued []string }

func (f *fakeLinks) IssueLogin(comm, member string) (string, time.Time, error) {
	f.issued = append(f.issued, comm+"/"+member)
	return "https://yishi.test/login?t=TOKEN", time.Date(2026, 12, 5, 10, 10, 0, 0, time.UTC), nil
}

func TestWebLogin(t *testing.T) {
	links := &fakeLinks{}
	h := newHarness(t)
	var b *flows.Bot
	use := func(l flows.LoginLinks) { b = flows.New(flows.Options{Engine: h.app.Engine, WebLogin: l}) }
	use(links)
	say := func(in bot.Incoming) string {
		if err := b.Handle(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		h.app.Flush(context.Background())
		out := h.out.String()
		h.out.Reset()
		return out
	}
	out := say(bot.Incoming{Platform: "console", Chat: "dm:陈小龙", Sender: "陈小龙", Name: "陈小龙", Private: true, Text: "网页登录"})
	if !strings.Contains(out, "https://yishi.test/login?t=TOKEN") || !strings.Contains(out, "只能用一次") || len(links.issued) != 1 || links.issued[0] != "houchen/chenxiaolong" {
		t.Fatalf("private: %q, issued %v", out, links.issued)
	}
	if out := say(bot.Incoming{Platform: "console", Chat: "dm:陈小龙", Sender: "陈小龙", Name: "陈小龙", Private: true, Text: "/weblogin"}); !strings.Contains(out, "TOKEN") {
		t.Fatalf("/weblogin: %q", out)
	}
	out = say(bot.Incoming{Platform: "console", Chat: "后陈村议事群", Sender: "陈小龙", Name: "陈小龙", Text: "网页登录"})
	if strings.Contains(out, "TOKEN") || !strings.Contains(out, "只能私聊领取") || len(links.issued) != 2 {
		t.Fatalf("group: %q", out)
	}
	out = say(bot.Incoming{Platform: "console", Chat: "dm:路人", Sender: "路人", Name: "路人", Private: true, Text: "网页登录"})
	if strings.Contains(out, "TOKEN") || len(links.issued) != 2 {
		t.Fatalf("stranger: %q", out)
	}
	use(nil)
	if out := say(bot.Incoming{Platform: "console", Chat: "dm:陈小龙", Sender: "陈小龙", Name: "陈小龙", Private: true, Text: "网页登录"}); !strings.Contains(out, "没有开启网页公开栏") {
		t.Fatalf("off: %q", out)
	}
}
