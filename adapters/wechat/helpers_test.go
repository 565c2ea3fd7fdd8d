package wechat

import (
	"bytes"
	"context"
	"github.com/yishi-community/yishi/storage/memstore"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/wechat/wxfake"
	"github.com/yishi-community/yishi/bot"
)

// memStore is an in-memory bot.Store.
type memStore = memstore.Store

func newMemStore() *memStore { return memstore.New() }

// recorder is a fake core: it records what it is handed and may reply.
type recorder struct {
	ch    chan bot.Incoming
	reply func(context.Context, bot.Incoming) error
}

func newRecorder() *recorder { return &recorder{ch: make(chan bot.Incoming, 256)} }

func (r *recorder) Handle(ctx context.Context, in bot.Incoming) error {
	r.ch <- in
	if r.reply != nil {
		return r.reply(ctx, in)
	}
	return nil
}

func (r *recorder) next(t *testing.T) bot.Incoming {
	t.Helper()
	select {
	case in := <-r.ch:
		return in
	case <-time.After(10 * time.Second):
		t.Fatal("no message reached the handler")
		return bot.Incoming{}
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// env is one adapter wired to a fake.
type env struct {
	t     *testing.T
	fake  *wxfake.Server
	store *memStore
	dir   string
	logs  *syncBuffer
	qr    *syncBuffer
	opt   Options
	a     *Adapter
	rec   *recorder

	cancel context.CancelFunc
	done   chan error
}

func newEnv(t *testing.T, fake *wxfake.Server, tweak func(*Options)) *env {
	t.Helper()
	e := &env{t: t, fake: fake, store: newMemStore(), dir: t.TempDir(), logs: &syncBuffer{}, qr: &syncBuffer{}}
	e.opt = Options{
		DataDir:         e.dir,
		Store:           e.store,
		Groups:          []string{"幸福村议事群"},
		Logger:          slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		QRWriter:        e.qr,
		Transport:       fake.Transport(),
		SendInterval:    time.Millisecond,
		SendJitter:      -1,
		GroupPerMinute:  60000,
		TooOftenBackoff: 200 * time.Millisecond,
		SyncRetry:       10 * time.Millisecond,
		RefreshEvery:    time.Millisecond,
	}
	if tweak != nil {
		tweak(&e.opt)
	}
	a, err := New(e.opt)
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	e.rec = newRecorder()
	t.Cleanup(func() { e.stop() })
	return e
}

func (e *env) sessionPath() string { return filepath.Join(e.dir, SessionFileName) }

// start runs the adapter and waits for the login.
func (e *env) start() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan error, 1)
	go func() { e.done <- e.a.Run(ctx, e.rec) }()
	deadline := time.Now().Add(10 * time.Second)
	for !e.a.Connected() {
		select {
		case err := <-e.done:
			e.cancel = nil
			e.t.Fatalf("Run ended before login: %v\nlogs:\n%s", err, e.logs)
		default:
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no login\nlogs:\n%s", e.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop cancels Run and returns its error.
func (e *env) stop() error {
	if e.cancel == nil {
		return nil
	}
	e.cancel()
	e.cancel = nil
	select {
	case err := <-e.done:
		return err
	case <-time.After(10 * time.Second):
		e.t.Fatal("Run did not stop")
		return nil
	}
}

// ended waits for Run to return by itself.
func (e *env) ended() error {
	e.t.Helper()
	select {
	case err := <-e.done:
		e.cancel()
		e.cancel = nil
		return err
	case <-time.After(10 * time.Second):
		e.t.Fatalf("Run did not end\nlogs:\n%s", e.logs)
		return nil
	}
}

func (e *env) send(m bot.Outgoing) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m.Platform = Platform
	return e.a.Send(ctx, m)
}

// village is the usual cast: a group with two bound friends (张三, 李四),
// one unbound friend (王五) and one stranger (赵六).
type village struct {
	group                     *wxfake.Group
	zhang, li, wang, stranger *wxfake.Person
}

func newVillage(f *wxfake.Server) *village {
	v := &village{
		zhang:    f.AddFriend("张三"),
		li:       f.AddFriend("李四"),
		wang:     f.AddFriend("王五"),
		stranger: f.AddStranger("赵六"),
	}
	f.SetRemark(v.zhang, "zhangsan")
	f.SetRemark(v.li, "lisi")
	v.group = f.AddGroup("幸福村议事群", v.zhang, v.li, v.wang, v.stranger)
	return v
}

func withMemberKeys(o *Options) { o.MemberKeys = []string{"zhangsan", "lisi"} }
