package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"yishi/adapters/console"
	"yishi/bot"
	"yishi/bot/app"
	"yishi/bot/config"
)

// common flags of commands that open the data directory.
type dataFlags struct {
	config string
	data   string
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.config, "config", os.Getenv("YISHI_CONFIG"), "社区配置目录(每个社区一个 YAML 文件)；为空则使用内置示例村")
	fs.StringVar(&d.data, "data", envOr("YISHI_DATA", "yishi-data"), "数据目录(badger)")
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
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	comms, err := d.communities()
	if err != nil {
		return err
	}
	return serveConsole(ctx, d.data, comms, io, true)
}

// serveConsole runs the bot on the console adapter until end of input.
func serveConsole(ctx context.Context, dataDir string, comms []*config.Community, io Stdio, banner bool) error {
	log := newLogger(io.Err)
	var a *app.App
	con := console.New(console.Options{In: io.In, Out: io.Out, Logger: log,
		AfterLine: func(ctx context.Context) { a.Flush(ctx) }})
	a, err := app.Open(ctx, app.Options{DataDir: dataDir, Communities: comms, Adapters: []bot.Adapter{con}, Logger: log})
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
		fmt.Fprintln(io.Err, "输入格式：[群名] 姓名: 内容   或   [私聊] 姓名: 内容。例如：[私聊] 王建华: 帮助。Ctrl-D 退出。")
	}
	return a.Run(ctx)
}
