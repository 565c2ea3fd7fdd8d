package main

// The control socket: a running bot holds its data directory (badger's
// lock), so the tools that read it (record, stats, reminders, audit verify,
// audit export) and backup are answered by the bot itself. The protocol is
// one request line and a stream of frames back:
//
//	request:  {"cmd": ["record", "1", "--html"], "cwd": "/home/op"}\n
//	reply:    frames of kind byte + 4-byte big-endian length + payload;
//	          kind '1' is standard output, '2' standard error, 'x' the
//	          exit status in decimal (the last frame).
//
// The bot runs the same command functions as the CLI, with the running
// App in the context instead of an opened directory, so the output is the
// same either way.

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/storage"
	"github.com/yishi-community/yishi/storage/postgres"
)

// controlSocket is the socket's name inside the data directory.
const controlSocket = "control.sock"

// remoteCommands may be answered over the socket.
var remoteCommands = []string{"record", "stats", "reminders", "audit", "backup"}

type controlRequest struct {
	Cmd []string `json:"cmd"`
	Cwd string   `json:"cwd"`
}

// live is what a command run inside the bot reads instead of the data
// directory.
type live struct {
	app *app.App
	cwd string
}

type liveKey struct{}

func liveFrom(ctx context.Context) *live {
	l, _ := ctx.Value(liveKey{}).(*live)
	return l
}

// abs resolves a path the caller gave relative to its own working
// directory (the bot's is another).
func (l *live) abs(p string) string {
	if l == nil || filepath.IsAbs(p) || l.cwd == "" {
		return p
	}
	return filepath.Join(l.cwd, p)
}

// readStore is the store of a reading tool: a read-only badger, or the
// PostgreSQL database of several processes (--store), whose housekeeping
// writes at engine start (expired update ids) are dropped, since the tool
// must change nothing.
type readStore struct{ db readable }

// readable is what a reading tool needs of a store.
type readable interface {
	bot.Store
	bot.LastFinder
}

var (
	_ bot.Store      = readStore{}
	_ bot.LastFinder = readStore{}
)

func (r readStore) Commit(context.Context, []bot.KV) error { return nil }
func (r readStore) Get(k []byte) ([]byte, error)           { return r.db.Get(k) }
func (r readStore) Scan(p []byte, fn func(k, v []byte) (bool, error)) error {
	return r.db.Scan(p, fn)
}
func (r readStore) Last(p []byte) ([]byte, []byte, error) { return r.db.Last(p) }
func (r readStore) Close() error                          { return r.db.Close() }
func (r readStore) Backup(w io.Writer) error {
	b, ok := r.db.(interface{ Backup(io.Writer) error })
	if !ok {
		return errors.New("这个存储不在这里备份：PostgreSQL 用 pg_dump 备份(见 README)")
	}
	return b.Backup(w)
}

// openShared opens the PostgreSQL database named by --store for a reading
// tool. It reads the database directly, not through a running process: on
// a shared database each process serves only its share of the communities.
func openShared(ctx context.Context, url string, io Stdio) (readable, error) {
	if !isPostgresURL(url) {
		return nil, fmt.Errorf("--store 只能为空(内置 badger)或 postgres://…，现在是 %q", url)
	}
	return postgres.Open(ctx, url, newLogger(io.Err))
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// storeOf finds the --store value in a command's arguments (or
// YISHI_STORE), as dataDirOf does for --data.
func storeOf(args []string) string { return flagValue(args, "store", os.Getenv("YISHI_STORE")) }

// openReadOnly opens an existing data directory read-only for a tool; it
// says on stderr when it reads a temporary copy.
func openReadOnly(dir string, io Stdio) (*storage.DB, error) {
	if err := mustExist(dir); err != nil {
		return nil, err
	}
	db, err := storage.OpenReadOnly(dir, storage.Options{Logger: newLogger(io.Err)})
	if err != nil {
		return nil, err
	}
	// Reading the directory itself says nothing (the usual case, and
	// output stays clean for scripts); the two other paths are named.
	if db.ReadCopy() {
		fmt.Fprintf(io.Err, "（数据目录 %s 上次没有正常关闭：在它的临时副本上只读读取，目录本身未改动）\n", dir)
	}
	return db, nil
}

// borrowedStore lends the running bot's store to a command that closes
// what it opened.
type borrowedStore struct{ bot.Store }

func (borrowedStore) Close() error { return nil }

func (b borrowedStore) Backup(w io.Writer) error {
	bk, ok := b.Store.(interface{ Backup(io.Writer) error })
	if !ok {
		return errors.New("这个存储不支持备份")
	}
	return bk.Backup(w)
}

func (b borrowedStore) Last(p []byte) ([]byte, []byte, error) {
	if lf, ok := b.Store.(bot.LastFinder); ok {
		return lf.Last(p)
	}
	var lk, lv []byte
	err := b.Scan(p, func(k, v []byte) (bool, error) { lk, lv = k, v; return true, nil })
	return lk, lv, err
}

// dataDirOf finds the --data value in a command's arguments.
func dataDirOf(args []string) string {
	return flagValue(args, "data", envOr("YISHI_DATA", "yishi-data"))
}

// flagValue finds flag name's value in a command's arguments, def when it
// is not given (the flag package would stop at the first positional
// argument, and the command's own flag set is not known here).
func flagValue(args []string, name, def string) string {
	v := def
	for i := 0; i < len(args); i++ {
		a := strings.TrimLeft(args[i], "-")
		if len(a) == len(args[i]) {
			continue
		}
		if s, ok := strings.CutPrefix(a, name+"="); ok {
			v = s
		} else if a == name && i+1 < len(args) {
			v = args[i+1]
			i++
		}
	}
	return v
}

// viaBot forwards the command to the bot that holds its data directory.
// handled is false when no bot holds it (the command then runs here).
func viaBot(ctx context.Context, name string, args []string, io Stdio) (code int, handled bool) {
	if !slices.Contains(remoteCommands, name) || slices.ContainsFunc(args, isHelpFlag) {
		return 0, false
	}
	if storeOf(args) != "" {
		return 0, false // a shared database is read directly (openShared)
	}
	dir := dataDirOf(args)
	if !storage.Held(dir) {
		return 0, false
	}
	sock := filepath.Join(dir, controlSocket)
	conn, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Fprintf(io.Err, "yishi %s: 数据目录 %s 正被运行中的 yishi 使用，但连不上它的控制套接字 %s(%v)。请确认 yishi 的版本一致，或先停止它。\n", name, dir, sock, err)
		return 1, true
	}
	defer conn.Close()
	fmt.Fprintf(io.Err, "（yishi 正在运行：经控制套接字 %s 由运行中的进程执行）\n", sock)
	cwd, _ := os.Getwd()
	req, _ := json.Marshal(controlRequest{Cmd: append([]string{name}, args...), Cwd: cwd})
	if _, err := conn.Write(append(req, '\n')); err != nil {
		fmt.Fprintf(io.Err, "yishi %s: 发送到控制套接字失败：%v\n", name, err)
		return 1, true
	}
	go func() { <-ctx.Done(); conn.Close() }()
	r := bufio.NewReader(conn)
	for {
		kind, payload, err := readFrame(r)
		if err != nil {
			fmt.Fprintf(io.Err, "yishi %s: 运行中的 yishi 没有给出完整的回答(%v)\n", name, err)
			return 1, true
		}
		switch kind {
		case '1':
			io.Out.Write(payload)
		case '2':
			io.Err.Write(payload)
		case 'x':
			code, err := strconv.Atoi(string(payload))
			if err != nil {
				return 1, true
			}
			return code, true
		}
	}
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > 64<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return hdr[0], p, err
}

// frameWriter writes one stream of a reply as frames; the two streams
// share the connection.
type frameWriter struct {
	mu   *sync.Mutex
	w    io.Writer
	kind byte
}

func (f frameWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := writeFrame(f.w, f.kind, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func writeFrame(w io.Writer, kind byte, p []byte) error {
	var hdr [5]byte
	hdr[0] = kind
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(p)
	return err
}

// serveControl listens on the data directory's control socket (mode 0600)
// until ctx ends or stop is called. A socket file left by a killed bot is
// replaced: the caller holds the directory, so no other bot serves it.
func serveControl(ctx context.Context, dir string, a *app.App, log *slog.Logger) (stop func(), err error) {
	sock := filepath.Join(dir, controlSocket)
	os.Remove(sock)
	// Made under a temporary name and renamed once it is 0600: the socket
	// is never reachable at its own path with a wider mode.
	tmp := sock + ".new"
	os.Remove(tmp)
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("控制套接字 %s 无法创建：%w", sock, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false) // its path changes; stop removes it
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("控制套接字 %s 无法设为仅本用户可用：%w", sock, err)
	}
	if err := os.Rename(tmp, sock); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("控制套接字 %s 无法创建：%w", sock, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				serveOne(ctx, conn, a, log)
			}()
		}
	}()
	go func() { <-ctx.Done(); ln.Close() }()
	return func() {
		cancel()
		ln.Close()
		wg.Wait()
		os.Remove(sock)
	}, nil
}

func serveOne(ctx context.Context, conn net.Conn, a *app.App, log *slog.Logger) {
	line, err := bufio.NewReader(io.LimitReader(conn, 1<<20)).ReadBytes('\n')
	var req controlRequest
	if err == nil {
		err = json.Unmarshal(line, &req)
	}
	var mu sync.Mutex
	out := frameWriter{&mu, conn, '1'}
	errOut := frameWriter{&mu, conn, '2'}
	code := 2
	switch {
	case err != nil:
		fmt.Fprintf(errOut, "控制套接字：请求无法解析(%v)\n", err)
	case len(req.Cmd) == 0 || !slices.Contains(remoteCommands, req.Cmd[0]):
		fmt.Fprintf(errOut, "控制套接字只执行这些命令：%s\n", strings.Join(remoteCommands, "、"))
	default:
		log.Info("control socket command", "cmd", req.Cmd)
		lctx := context.WithValue(ctx, liveKey{}, &live{app: a, cwd: req.Cwd})
		code = runNamed(lctx, req.Cmd[0], req.Cmd[1:], Stdio{In: strings.NewReader(""), Out: out, Err: errOut})
	}
	mu.Lock()
	defer mu.Unlock()
	_ = writeFrame(conn, 'x', []byte(strconv.Itoa(code)))
}

// startControl serves the control socket for a running bot; without it
// (a path too long for a socket, say) the bot still runs and the tools
// say they cannot reach it.
func startControl(ctx context.Context, dir string, a *app.App, log *slog.Logger) (stop func()) {
	stop, err := serveControl(ctx, dir, a, log)
	if err != nil {
		log.Warn("control socket not available: record, stats, audit and backup cannot run while this bot runs", "err", err)
		return func() {}
	}
	return stop
}

// openStoreReadOnly is the opener for yishi screen (screencli.Screen): it
// only reads the decision archive. (yishi decisions import writes and keeps
// openStore.)
func openStoreReadOnly(dir string) (bot.Store, error) {
	db, err := storage.OpenReadOnly(dir, storage.Options{})
	if err != nil {
		return nil, err
	}
	return readStore{db}, nil
}
