package console

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yishi-community/yishi/bot"
)

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Line
		err  bool
	}{
		{in: "[后陈村议事群] 张三: 签到", want: Line{Chat: "后陈村议事群", Sender: "张三", Text: "签到"}},
		{in: "[私聊] 张三: 提议", want: Line{Private: true, Sender: "张三", Text: "提议"}},
		{in: "【私聊】张三：提议", want: Line{Private: true, Sender: "张三", Text: "提议"}},
		{in: "[群] 张三:", want: Line{Chat: "群", Sender: "张三"}},
		{in: "[群] 张三: a: b", want: Line{Chat: "群", Sender: "张三", Text: "a: b"}},
		{in: "  [群]  李四 ：  你好  ", want: Line{Chat: "群", Sender: "李四", Text: "你好"}},
		{in: "张三: 签到", err: true},
		{in: "[] 张三: 签到", err: true},
		{in: "[群 张三: 签到", err: true},
		{in: "[群] 张三 签到", err: true},
		{in: "[群] : 签到", err: true},
	} {
		got, err := ParseLine(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("ParseLine(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && got != tc.want {
			t.Errorf("ParseLine(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Errorf("ParseLine(%q) error %v does not wrap ErrFormat", tc.in, err)
		}
	}
}

// FuzzParseLine: never panics; an accepted line has a sender and round-trips.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"[后陈村议事群] 张三: 签到", "[私聊] 张三: 提议", "【私聊】张三：", "[a]b:c", "[[]]::", "\ufeff[x] y: z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLine(s)
		if err != nil {
			return
		}
		if l.Sender == "" || (!l.Private && l.Chat == "") {
			t.Fatalf("accepted %q with an empty sender or chat: %+v", s, l)
		}
		if utf8.ValidString(s) && !utf8.ValidString(l.Text) {
			t.Fatalf("valid input gave invalid text")
		}
	})
}

type recorder struct{ got []bot.Incoming }

func (r *recorder) Handle(_ context.Context, in bot.Incoming) error {
	r.got = append(r.got, in)
	return nil
}

// TestRunScripted: piped input is processed in order, bad lines get a
// notice, and Run returns at end of input.
func TestRunScripted(t *testing.T) {
	var out bytes.Buffer
	a := New(Options{In: strings.NewReader("[群] 张三: 1\n\n// 注释\n乱写\n[私聊] 李四: 2\n" + strings.Repeat("很", MaxLine) + "\n[群] 王五: 3\n"), Out: &out})
	r := &recorder{}
	if err := a.Run(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if len(r.got) != 3 || r.got[0].Text != "1" || !r.got[1].Private || r.got[1].Chat != PrivateChat("李四") || r.got[2].Text != "3" {
		t.Fatalf("got %+v", r.got)
	}
	for _, want := range []string{"第4行看不懂", "这一行太长了"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSendFormat(t *testing.T) {
	var out bytes.Buffer
	a := New(Options{Out: &out})
	a.Send(context.Background(), bot.Outgoing{Chat: "群", ChatTitle: "后陈村议事群", Text: "第一行\n第二行", Buttons: []bot.Button{{Label: "赞成"}, {Label: "反对"}}})
	a.Send(context.Background(), bot.Outgoing{Chat: "张三", Private: true, Text: "你好"})
	a.Send(context.Background(), bot.Outgoing{Chat: PrivateChat("李四"), Private: true, Text: "好"})
	want := "[后陈村议事群] 议事助手: 第一行\n    第二行\n    [按钮: 赞成 | 反对]\n[私聊→张三] 议事助手: 你好\n[私聊→李四] 议事助手: 好\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}
