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
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yishi-community/yishi/bot"
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
	// ViewEvery is how often a live view (the tally, the attendance:
	// Outgoing.Key) is printed at most in a group. The console cannot edit
	// a line it printed, so a view that changes faster waits, the newest
	// replacing the older, until the interval has passed (on Clock; checked
	// at each send and each input line), until something else is said in
	// that group (so the transcript stays in order), or until the end of
	// input. Zero: 5s; negative: every time.
	ViewEvery time.Duration
}

// Adapter is the console adapter.
type Adapter struct {
	opts Options
	mu   sync.Mutex
	line int
	// views holds, per group label, the live views waiting to be printed
	// (the newest of each key, in the order the keys first waited); shown
	// is when each key was last printed.
	views map[string][]bot.Outgoing
	shown map[string]time.Time
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
	if opts.ViewEvery == 0 {
		opts.ViewEvery = 5 * time.Second
	}
	return &Adapter{opts: opts, views: map[string][]bot.Outgoing{}, shown: map[string]time.Time{}}
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return Platform }

// Healthy is always nil: standard input needs no connection, and at its
// end the bot stops anyway (bot.Healther).
func (a *Adapter) Healthy() error { return nil }

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
			return a.flushViews()
		}
		a.mu.Lock()
		a.line++
		n := a.line
		a.mu.Unlock()
		if err := a.releaseDue(); err != nil {
			return err
		}
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

// Send prints one bot message. A receipt (one member's acknowledgement)
// is printed as a private line to that member, so the group reads only
// what concerns everyone; a live view may wait (Options.ViewEvery).
func (a *Adapter) Send(_ context.Context, m bot.Outgoing) error {
	if m.For != "" && !m.Private {
		m.Private, m.Chat = true, PrivateChat(m.For)
	}
	label := a.label(m)
	a.mu.Lock()
	defer a.mu.Unlock()
	var sb strings.Builder
	if !m.Private {
		now := a.opts.Clock.Now()
		if m.Key != "" && a.opts.ViewEvery > 0 {
			last, ok := a.shown[m.Key]
			if ok && now.Sub(last) < a.opts.ViewEvery {
				a.hold(label, m)
				return nil
			}
		}
		// Anything else said in the group first shows the views it waits
		// behind, so the transcript stays in order.
		for _, v := range a.views[label] {
			if v.Key != m.Key {
				a.render(&sb, label, v)
				a.shown[v.Key] = now
			}
		}
		delete(a.views, label)
		if m.Key != "" {
			a.shown[m.Key] = now
		}
	}
	a.render(&sb, label, m)
	if _, err := io.WriteString(a.opts.Out, sb.String()); err != nil {
		return fmt.Errorf("write console output: %w", err)
	}
	return nil
}

func (a *Adapter) label(m bot.Outgoing) string {
	switch {
	case m.Private:
		return "私聊→" + strings.TrimPrefix(m.Chat, PrivateLabel+":")
	case m.ChatTitle != "":
		return m.ChatTitle
	}
	return m.Chat
}

// hold keeps m as the newest version of its view. Call with a.mu held.
func (a *Adapter) hold(label string, m bot.Outgoing) {
	vs := a.views[label]
	for i := range vs {
		if vs[i].Key == m.Key {
			vs[i] = m
			return
		}
	}
	a.views[label] = append(vs, m)
}

// releaseDue prints the views that have waited their interval (called at
// each input line: a console has no other clock tick).
func (a *Adapter) releaseDue() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.opts.Clock.Now()
	var sb strings.Builder
	for _, label := range slices.Sorted(maps.Keys(a.views)) {
		keep := a.views[label][:0]
		for _, v := range a.views[label] {
			if now.Sub(a.shown[v.Key]) >= a.opts.ViewEvery {
				a.render(&sb, label, v)
				a.shown[v.Key] = now
			} else {
				keep = append(keep, v)
			}
		}
		if len(keep) == 0 {
			delete(a.views, label)
		} else {
			a.views[label] = keep
		}
	}
	if _, err := io.WriteString(a.opts.Out, sb.String()); err != nil {
		return fmt.Errorf("write console output: %w", err)
	}
	return nil
}

// flushViews prints every view still waiting (end of input).
func (a *Adapter) flushViews() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var sb strings.Builder
	for _, label := range slices.Sorted(maps.Keys(a.views)) {
		for _, v := range a.views[label] {
			a.render(&sb, label, v)
		}
	}
	clear(a.views)
	if _, err := io.WriteString(a.opts.Out, sb.String()); err != nil {
		return fmt.Errorf("write console output: %w", err)
	}
	return nil
}

func (a *Adapter) render(sb *strings.Builder, label string, m bot.Outgoing) {
	text := strings.ReplaceAll(m.Text, "\n", "\n    ")
	fmt.Fprintf(sb, "[%s] %s: %s\n", label, a.opts.BotName, text)
	if len(m.Buttons) > 0 {
		labels := make([]string, len(m.Buttons))
		for i, b := range m.Buttons {
			labels[i] = b.Label
		}
		fmt.Fprintf(sb, "    [按钮: %s]\n", strings.Join(labels, " | "))
	}
}

// Lines is how many input lines were read so far.
func (a *Adapter) Lines() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.line
}

// String is for logs.
func (a *Adapter) String() string { return "console(" + strconv.Itoa(a.Lines()) + " lines)" }
