package wechat

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yishi-community/yishi/bot"
)

func TestStripMention(t *testing.T) {
	tests := []struct {
		in, want  string
		mentioned bool
	}{
		{"@议事助手\u2005同意", "同意", true},
		{"@议事助手 同意", "同意", true},
		{"@议事助手\u2005@议事助手\u2005同意", "同意", true},
		{"@小助手\u2005反对", "反对", true}, // the bot's group nickname
		{"同意 @议事助手\u2005", "同意", true},
		{"同意@议事助手", "同意", true},
		{"@议事助手同意", "@议事助手同意", false}, // not a mention without the separator
		{"@张三\u2005同意", "@张三\u2005同意", false},
		{"  同意  ", "同意", false},
		{"@议事助手", "", true},
	}
	for _, tc := range tests {
		got, m := stripMention(tc.in, "议事助手", "小助手")
		if got != tc.want || m != tc.mentioned {
			t.Errorf("stripMention(%q) = %q, %v; want %q, %v", tc.in, got, m, tc.want, tc.mentioned)
		}
	}
}

func TestSplitText(t *testing.T) {
	long := strings.Repeat("甲", 25) + "\n" + strings.Repeat("乙", 10) + "\n" + strings.Repeat("丙", 50)
	tests := []struct {
		text  string
		max   int
		parts int
	}{
		{"短消息", 30, 1},
		{strings.Repeat("字", 30), 30, 1},
		{long, 30, 5},
	}
	for _, tc := range tests {
		parts := splitText(tc.text, tc.max)
		if len(parts) != tc.parts {
			t.Errorf("splitText(%d runes, %d) = %d parts %q, want %d", utf8.RuneCountInString(tc.text), tc.max, len(parts), parts, tc.parts)
		}
		var joined strings.Builder
		for _, p := range parts {
			if n := utf8.RuneCountInString(p); n > tc.max {
				t.Errorf("part of %d runes > %d: %q", n, tc.max, p)
			}
			if len(parts) > 1 {
				p = p[:strings.LastIndex(p, "（")]
			}
			joined.WriteString(p)
		}
		if strings.ReplaceAll(tc.text, "\n", "") != strings.ReplaceAll(joined.String(), "\n", "") {
			t.Errorf("text lost in splitting: %q", parts)
		}
	}
}

func TestRenderButtons(t *testing.T) {
	got := render(bot.Outgoing{Text: "请投票", Buttons: []bot.Button{{Label: "同意", Data: "v:1"}, {Label: "反对", Data: "v:2"}}})
	if want := "请投票\n\n请直接回复文字：「同意」 「反对」"; got != want {
		t.Errorf("render = %q, want %q", got, want)
	}
}

func TestSessionFileWritesOnlyOnFlush(t *testing.T) {
	path := t.TempDir() + "/s/wechat-session.json"
	f := newSessionFile(path)
	if _, err := f.Read(make([]byte, 1)); err != errNoSession {
		t.Fatalf("Read of a missing file = %v, want errNoSession", err)
	}
	f.Write([]byte(`{"a":1}`))
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("written before Flush: a crash would skip unhandled messages")
	}
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("after Flush: %v, %v", st, err)
	}
	f.Write([]byte(`{"a":2}`))
	f.Close()
	f.Flush()
	if b, _ := os.ReadFile(path); string(b) != `{"a":1}` {
		t.Errorf("closed file was written: %s", b)
	}
}

func BenchmarkStripMention(b *testing.B) {
	for b.Loop() {
		stripMention("@议事助手\u2005同意 #3", "议事助手", "小助手")
	}
}

func BenchmarkSplitText(b *testing.B) {
	text := strings.Repeat("第一项：村口路灯的安装位置和费用来源说明。\n", 200)
	for b.Loop() {
		splitText(text, 1500)
	}
}
