package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/adapters/telegram"
	"github.com/yishi-community/yishi/adapters/web"
	"github.com/yishi-community/yishi/adapters/wechat"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/screening/opinion"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/cmd/yishi/app/metrics"
	"github.com/yishi-community/yishi/flows"
	"github.com/yishi-community/yishi/storage"
	"github.com/yishi-community/yishi/storage/postgres"
)

// common flags of commands that open the data directory.
type dataFlags struct {
	config string
	data   string
	store  string // postgres://… read directly; "" : the badger in data
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.config, "config", os.Getenv("YISHI_CONFIG"), "社区配置目录(每个社区一个 YAML 文件)；为空则使用内置示例村")
	fs.StringVar(&d.data, "data", envOr("YISHI_DATA", "yishi-data"), "数据目录(badger)")
}

// registerStore adds --store to a reading tool: the PostgreSQL database
// several processes share, read directly.
func (d *dataFlags) registerStore(fs *flag.FlagSet) {
	fs.StringVar(&d.store, "store", os.Getenv("YISHI_STORE"), "为空则读 --data 目录里的 badger；postgres://… 则直接读多个进程共用的 PostgreSQL(只读)")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (d *dataFlags) communities() ([]*config.Community, error) {
	if d.config == "" {
		return []*config.Community{config.Sample()}, nil
	}
	comms, err := config.LoadDir(d.config)
	if err != nil {
		return nil, err
	}
	if len(comms) == 0 {
		return nil, fmt.Errorf("配置目录 %s 里没有 .yaml 文件", d.config)
	}
	return comms, nil
}

// openExisting opens the app on an existing data directory for a tool
// that reads it (record, reminders, stats), with no adapters: read-only,
// or, inside a running bot (control socket), that bot's own state.
func (d *dataFlags) openExisting(ctx context.Context, io Stdio) (*app.App, []*config.Community, error) {
	if l := liveFrom(ctx); l != nil {
		return l.app.View(), l.app.Engine.Communities(), nil
	}
	comms, err := d.communities()
	if err != nil {
		return nil, nil, err
	}
	var db readable
	if d.store != "" {
		db, err = openShared(ctx, d.store, io)
	} else {
		db, err = openReadOnly(d.data, io)
	}
	if err != nil {
		return nil, nil, err
	}
	// What the read-only tools print is rebuilt from the event log, never
	// read from a snapshot that could have been edited.
	a, err := app.Open(ctx, app.Options{DataDir: d.data, Store: readStore{db}, Communities: comms, Logger: newLogger(io.Err), FromLog: true, ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	return a, comms, nil
}

// mustExist refuses to read a data directory that is not there (opening
// it would create an empty one and report nothing useful).
func mustExist(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("数据目录 %s 不存在或无法读取(用 --data 指定)：%w", dir, err)
	}
	return nil
}

func newFlagSet(name string, io Stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("yishi "+name, flag.ContinueOnError)
	fs.SetOutput(io.Err)
	return fs
}

func runBot(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("run", io)
	var d dataFlags
	d.register(fs)
	var tg telegram.Config
	tg.RegisterFlags(fs)
	useConsole := fs.Bool("console", true, "启用控制台(标准输入/输出)")
	useWechat := fs.Bool("wechat", false, "启用微信(首次启动需扫码登录，见 adapters/wechat/README.md)")
	backupDir := fs.String("backup-dir", "", "定时备份到这个目录(覆盖配置里的 backup 块)")
	backupSchedule := fs.String("backup-schedule", "0 3 * * *", "定时备份的 cron 表达式(与 --backup-dir 一起用)")
	backupKeep := fs.Int("backup-keep", config.DefaultBackupKeep, "保留最新的几份备份(与 --backup-dir 一起用)")
	httpAddr := fs.String("http", os.Getenv("YISHI_HTTP"), "HTTP 服务的监听地址(例如 127.0.0.1:8080)：/healthz、/metrics 和公开栏；为空则不启用(覆盖配置里的 http)")
	logFormat := fs.String("log-format", envOr("YISHI_LOG_FORMAT", "text"), "日志格式：text(默认)或 json")
	storeURL := fs.String("store", os.Getenv("YISHI_STORE"), "存储：为空则用 --data 目录里的内置 badger(默认)；postgres://… 则把事件日志和状态存在 PostgreSQL(见 README)")
	secondOpinion := fs.String("second-opinion", os.Getenv("YISHI_SECOND_OPINION"), "语言模型第二意见的配置文件(YAML，见 README「Screening」)；为空则不启用(默认)：启用后提议文字会发送到配置的地址")
	node := fs.String("node", envOr("YISHI_NODE", hostname()), "本机的名字(多个进程共用一个 PostgreSQL 时区分各进程；默认主机名)")
	publicURL := fs.String("public-url", os.Getenv("YISHI_PUBLIC_URL"), "居民打开网页的地址(例如 https://yishi.example.cn)，网页登录链接以它开头；默认 http://加 --http 的地址")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log, err := newLoggerFormat(io.Err, *logFormat)
	if err != nil {
		fmt.Fprintln(io.Err, err)
		return errUsage
	}
	tg.ApplyEnv(os.Getenv)
	comms, err := d.communities()
	if err != nil {
		return err
	}
	if *backupDir != "" {
		plan, err := backupFlags(*backupDir, *backupSchedule, *backupKeep, comms[0])
		if err != nil {
			fmt.Fprintln(io.Err, err)
			return errUsage
		}
		// The first community's block is the one in force (bot/app).
		comms[0].Backup = plan
	}
	s := serve{dataDir: d.data, comms: comms, io: io, log: log, http: *httpAddr, store: *storeURL, node: *node}
	if s.store != "" && !isPostgresURL(s.store) {
		fmt.Fprintf(io.Err, "--store 只能为空(内置 badger)或 postgres://…，现在是 %q\n", s.store)
		return errUsage
	}
	if *secondOpinion != "" {
		b, err := os.ReadFile(*secondOpinion)
		if err != nil {
			return fmt.Errorf("读取第二意见配置 / read the second-opinion file: %w", err)
		}
		cfg, err := opinion.ParseConfig(b)
		if err != nil {
			fmt.Fprintf(io.Err, "%s：%v\n", *secondOpinion, err)
			return errUsage
		}
		if s.second, err = opinion.New(cfg, log); err != nil {
			fmt.Fprintf(io.Err, "%s：%v\n", *secondOpinion, err)
			return errUsage
		}
		if s.second != nil {
			log.Warn("second opinion on: each proposal's text is sent to the configured model endpoint", "endpoint", cfg.Endpoint, "model", cfg.Model)
		}
	}
	if s.http == "" {
		for _, c := range comms {
			if c.HTTP != "" {
				s.http = c.HTTP // the first community that sets it (FORMAT.md)
				break
			}
		}
	}
	if s.http != "" {
		// Before anything is opened: a port in use is a start-up error.
		if s.ln, err = app.ListenHTTP(s.http); err != nil {
			return err
		}
		defer s.ln.Close() // Serve closes it too; this covers the failures before
		base := *publicURL
		if base == "" {
			base = "http://" + s.ln.Addr().String()
		}
		s.logins = web.NewLogins(base, nil)
	}
	if !tg.Enabled() && !*useWechat {
		if !*useConsole {
			// A service started without its token would otherwise read an
			// empty stdin and exit at once, saying nothing useful.
			fmt.Fprintf(io.Err, "--console=false 但没有启用任何聊天平台：请设置 %s(Telegram)或加 --wechat / no chat platform enabled\n", telegram.EnvToken)
			return errUsage
		}
		return s.console(ctx, true)
	}
	return s.platforms(ctx, tg, *useWechat, *useConsole)
}

// serve is what yishi run starts: the data directory, the communities,
// where it logs and the HTTP address ("" for none).
type serve struct {
	dataDir string
	comms   []*config.Community
	io      Stdio
	log     *slog.Logger
	http    string
	ln      net.Listener // opened on http
	logins  *web.Logins  // login links of 网页登录, with http
	second  *opinion.Client
	store   string // postgres://… ("" : badger in dataDir)
	node    string // this machine's name (--node)
}

// hostname is the default --node.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "yishi"
	}
	return h
}

// shared returns, on PostgreSQL, this run's lease holder and the node:
// every process on a shared database serves only the communities whose
// leases it holds (several may run at once, README "Several processes").
// A holder is unique per start, so a paused old run is fenced out.
func (s serve) shared() (holder, node string) {
	if s.store == "" {
		return "", ""
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d-%x", s.node, os.Getpid(), b), s.node
}

// openStore opens the store: PostgreSQL when --store names one, else the
// badger directory.
func (s serve) openStore(ctx context.Context) (bot.Store, error) {
	if s.store != "" {
		// The data directory still holds this process's control socket
		// (and WeChat's login): made here, since no store creates it.
		if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("数据目录 %s 无法创建 / create the data directory: %w", s.dataDir, err)
		}
		return postgres.Open(ctx, s.store, s.log)
	}
	return storage.Open(s.dataDir, storage.Options{Logger: s.log})
}

// webLogin is the flows' 网页登录 issuer (nil without the web pages).
func (s serve) webLogin() flows.LoginLinks {
	if s.logins == nil {
		return nil
	}
	return s.logins
}

// platforms runs Telegram and/or WeChat (and the console unless
// turned off). The adapters keep their own records (polling offset,
// delivered parts) in the same badger store as the core, so the store is
// opened first and shared.
func (s serve) platforms(ctx context.Context, tg telegram.Config, useWechat, useConsole bool) error {
	log, io, dataDir, comms := s.log, s.io, s.dataDir, s.comms
	db, err := s.openStore(ctx)
	if err != nil {
		return err
	}
	var a *app.App
	var adapters []bot.Adapter
	if tg.Enabled() {
		if err := tg.Validate(); err != nil {
			db.Close()
			return err
		}
		var notice []int64
		for _, c := range comms {
			for _, g := range c.Groups {
				if g.Platform == telegram.Platform {
					if id, err := strconv.ParseInt(g.Chat, 10, 64); err == nil {
						notice = append(notice, id)
					}
				}
			}
		}
		ad, err := telegram.New(telegram.Options{Config: tg, Store: db, Logger: log, NoticeChats: notice})
		if err != nil {
			db.Close()
			return err
		}
		adapters = append(adapters, ad)
	}
	if useWechat {
		var groups, keys []string
		for _, c := range comms {
			for _, g := range c.Groups {
				if g.Platform == wechat.Platform {
					groups = append(groups, g.Chat)
				}
			}
			for _, m := range c.Roster {
				if k := m.Identities[wechat.Platform]; k != "" {
					keys = append(keys, k)
				}
			}
		}
		ad, err := wechat.New(wechat.Options{DataDir: dataDir, Store: db, Groups: groups, MemberKeys: keys, Logger: log, QRWriter: io.Err})
		if err != nil {
			db.Close()
			return err
		}
		adapters = append(adapters, ad)
	}
	if useConsole {
		adapters = append(adapters, console.New(console.Options{In: io.In, Out: io.Out, Logger: log,
			AfterLine: func(ctx context.Context) { a.Flush(ctx) }}))
	}
	holder, node := s.shared()
	a, err = app.Open(ctx, app.Options{DataDir: dataDir, Store: db, Communities: comms, Adapters: adapters, Logger: log, Metrics: s.metrics(), WebLogin: s.webLogin(), SecondOpinion: s.second,
		Holder: holder, Node: node})
	if err != nil {
		db.Close()
		return err
	}
	defer a.Close()
	for _, ad := range adapters {
		fmt.Fprintf(io.Err, "已启用：%s\n", ad.Platform())
	}
	return s.run(ctx, a)
}

// console runs the bot on the console adapter until end of input.
func (s serve) console(ctx context.Context, banner bool) error {
	log, io, dataDir, comms := s.log, s.io, s.dataDir, s.comms
	var a *app.App
	con := console.New(console.Options{In: io.In, Out: io.Out, Logger: log,
		AfterLine: func(ctx context.Context) { a.Flush(ctx) }})
	var st bot.Store
	if s.store != "" {
		var err error
		if st, err = s.openStore(ctx); err != nil {
			return err
		}
	}
	holder, node := s.shared()
	a, err := app.Open(ctx, app.Options{DataDir: dataDir, Store: st, Communities: comms, Adapters: []bot.Adapter{con}, Logger: log, Metrics: s.metrics(), WebLogin: s.webLogin(), SecondOpinion: s.second,
		Holder: holder, Node: node})
	if err != nil {
		return err
	}
	defer a.Close()
	if banner {
		abs, _ := filepath.Abs(dataDir)
		fmt.Fprintf(io.Err, "议事助手已启动(控制台)。数据目录：%s\n", abs)
		for _, c := range comms {
			fmt.Fprintf(io.Err, "社区：%s(%s)，群：", c.Name, c.ID)
			for _, g := range c.Groups {
				fmt.Fprintf(io.Err, "[%s] ", g.Name)
			}
			fmt.Fprintf(io.Err, "，名册%d人\n", len(c.Roster))
		}
		example := "张三"
		if len(comms[0].Roster) > 0 {
			example = comms[0].Roster[len(comms[0].Roster)/2].Name
		}
		fmt.Fprintf(io.Err, "输入格式：[群名] 姓名: 内容   或   [私聊] 姓名: 内容。例如：[私聊] %s: 帮助。Ctrl-D 退出。\n", example)
	}
	return s.run(ctx, a)
}

// metrics counts only when there is an HTTP server to read them.
func (s serve) metrics() *metrics.Metrics {
	if s.http == "" {
		return nil
	}
	return metrics.New()
}

// run serves the control socket and, with an address, HTTP, while the bot
// runs; both stop with it (the HTTP server lets requests under way finish).
func (s serve) run(ctx context.Context, a *app.App) error {
	defer startControl(ctx, s.dataDir, a, s.log)()
	if s.http == "" {
		return a.Run(ctx)
	}
	h := a.NewHTTP()
	h.Mount("/", web.New(web.Config{Engine: a.Engine, Store: a.Store, Sheet: app.Sheet, Reminders: a.Reminders.Preview,
		Backup: storeBackup(a.Store), Logins: s.logins, Logger: s.log}))
	ln := s.ln
	fmt.Fprintf(s.io.Err, "HTTP 服务：http://%s/ (健康检查 /healthz，指标 /metrics)\n", ln.Addr())
	ctx, cancel := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := h.Serve(ctx, ln); err != nil {
			// The chat side goes on: /healthz is then unreachable, which the
			// monitoring sees.
			s.log.Error("http server stopped", "err", err)
		}
	}()
	err := a.Run(ctx)
	cancel()
	<-served
	return err
}

// parseFlags parses a command's flags; -h is not an error.
// parseFlagsAndArg parses flags with one positional argument that may come
// before or after them ("" when there is none).
func parseFlagsAndArg(fs *flag.FlagSet, args []string) (string, error) {
	var arg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		arg, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if arg == "" && fs.NArg() > 0 {
		arg = fs.Arg(0)
	}
	return arg, nil
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// storeBackup is the officers' backup download: a consistent copy from the
// running store (nil when the store cannot make one).
func storeBackup(st bot.Store) func(w io.Writer) error {
	b, ok := st.(interface{ Backup(io.Writer) error })
	if !ok {
		return nil
	}
	return b.Backup
}
