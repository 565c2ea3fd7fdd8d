// Package console is the terminal adapter: the embedded default and the way
// tests and the demo drive the bot. Each input line is one chat message:
//
//	[群名] 张三: 文本    a message in a group chat
//	[私聊] 张三: 文本    a private message to the bot
//
// and the bot's messages are printed as
//
//	[群名] 议事助手: …
//	[私聊→张三] 议事助手: …
//
// Piped input is processed in order and Run returns at end of input.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"yishi/bot"
)

// Platform is the console's platform name in configs and identities.
const Platform = "console"

// PrivateLabel marks a private chat in input lines.
const PrivateLabel = "私聊"

// MaxLine is the longest input line accepted (a 10,000-character message
// fits; anything longer is refused with a notice, not cut silently).
const MaxLine = 64 * 1024

// Options configure the console adapter.
type Options struct {
	In      io.Reader
	Out     io.Writer
	BotName string // default 议事助手
	// AfterLine runs after each input line has been handled (the app uses
	// it to deliver the replies before the next line, so a transcript reads
	// in order).
	AfterLine func(ctx context.Context)
	Logger    *slog.Logger
	Clock     bot.Clock
	// Echo prints every input line (comments included) before its answer,
	// so that a scripted run reads as a transcript.
	Echo bool
}

// Adapter is the console adapter.
type Adapter struct {
	opts Options
	mu   sync.Mutex
	line int
}

// New builds a console adapter.
func New(opts Options) *Adapter {
	if opts.BotName == "" {
		opts.BotName = "议事助手"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = bot.SystemClock{}
	}
	return &Adapter{opts: opts}
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return Platform }

// Line is one parsed input line.
type Line struct {
	Chat    string // group name, or "" for a private message
	Private bool
	Sender  string
	Text    string
}

// ErrFormat is returned by ParseLine for a line not in the console format.
var ErrFormat = errors.New("console line format")

// ParseLine reads "[群名] 张三: 文本" or "[私聊] 张三: 文本". Full-width
// brackets and colons are accepted.
func ParseLine(s string) (Line, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	s = strings.NewReplacer("【", "[", "】", "]", "［", "[", "］", "]").Replace(s)
	if !strings.HasPrefix(s, "[") {
		return Line{}, fmt.Errorf("%w: 应以 [群名] 或 [私聊] 开头", ErrFormat)
	}
	chat, rest, ok := strings.Cut(s[1:], "]")
	chat = strings.TrimSpace(chat)
	if !ok || chat == "" {
		return Line{}, fmt.Errorf("%w: 缺少 ] 或群名为空", ErrFormat)
	}
	i := strings.IndexAny(rest, ":：")
	if i < 0 {
		return Line{}, fmt.Errorf("%w: 姓名后面要有冒号", ErrFormat)
	}
	sender := strings.TrimSpace(rest[:i])
	text := rest[i:]
	if strings.HasPrefix(text, "：") {
		text = strings.TrimPrefix(text, "：")
	} else {
		text = strings.TrimPrefix(text, ":")
	}
	if sender == "" {
		return Line{}, fmt.Errorf("%w: 姓名为空", ErrFormat)
	}
	l := Line{Sender: sender, Text: strings.TrimSpace(text)}
	if chat == PrivateLabel {
		l.Private = true
	} else {
		l.Chat = chat
	}
	return l, nil
}

// PrivateChat is the chat id of a private console chat with name.
func PrivateChat(name string) string { return PrivateLabel + ":" + name }

// Run reads lines until end of input or ctx ends.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	br := bufio.NewReader(a.opts.In)
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	for {
		if ctx.Err() != nil {
			return nil
		}
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				if errors.Is(err, bufio.ErrTooLong) {
					a.system("这一行太长了(超过%d字节)，没有处理。请分几条发送。", MaxLine)
					// The scanner holds only this line's start: skip its rest and go on.
					for {
						_, err := br.ReadSlice('\n')
						if err != bufio.ErrBufferFull {
							break
						}
					}
					sc = bufio.NewScanner(br)
					sc.Buffer(make([]byte, 0, 4096), MaxLine)
					continue
				}
				return fmt.Errorf("read console input: %w", err)
			}
			return nil
		}
		a.mu.Lock()
		a.line++
		n := a.line
		a.mu.Unlock()
		raw := sc.Text()
		trimmed := strings.TrimSpace(raw)
		if a.opts.Echo && trimmed != "" {
			a.mu.Lock()
			fmt.Fprintln(a.opts.Out, trimmed)
			a.mu.Unlock()
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "//") {
			continue // blank lines and script comments
		}
		l, err := ParseLine(raw)
		if err != nil {
			a.system("第%d行看不懂(%v)。格式：[群名] 姓名: 内容 或 [私聊] 姓名: 内容", n, strings.TrimPrefix(err.Error(), ErrFormat.Error()+": "))
			continue
		}
		in := bot.Incoming{Platform: Platform, Sender: l.Sender, Name: l.Sender, Text: l.Text, Private: l.Private,
			At: a.opts.Clock.Now(), ID: ""}
		if l.Private {
			in.Chat = PrivateChat(l.Sender)
		} else {
			in.Chat, in.ChatTitle = l.Chat, l.Chat
		}
		if err := h.Handle(ctx, in); err != nil {
			a.opts.Logger.Error("handle console line", "line", n, "err", err)
			a.system("第%d行处理失败：%s", n, bot.ErrorMessage(err))
		}
		if a.opts.AfterLine != nil {
			a.opts.AfterLine(ctx)
		}
	}
}

func (a *Adapter) system(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.opts.Out, "[系统] "+format+"\n", args...)
}

// Send prints one bot message.
func (a *Adapter) Send(_ context.Context, m bot.Outgoing) error {
	label := m.Chat
	if m.Private {
		label = "私聊→" + strings.TrimPrefix(m.Chat, PrivateLabel+":")
	} else if m.ChatTitle != "" {
		label = m.ChatTitle
	}
	text := strings.ReplaceAll(m.Text, "\n", "\n    ")
	var sb strings.Builder
	fmt.Fprintf(&sb, "[%s] %s: %s\n", label, a.opts.BotName, text)
	if len(m.Buttons) > 0 {
		labels := make([]string, len(m.Buttons))
		for i, b := range m.Buttons {
			labels[i] = b.Label
		}
		fmt.Fprintf(&sb, "    [按钮: %s]\n", strings.Join(labels, " | "))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_, err := io.WriteString(a.opts.Out, sb.String())
	if err != nil {
		return fmt.Errorf("write console output: %w", err)
	}
	return nil
}

// Lines is how many input lines were read so far.
func (a *Adapter) Lines() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.line
}

// String is for logs.
func (a *Adapter) String() string { return "console(" + strconv.Itoa(a.Lines()) + " lines)" }
