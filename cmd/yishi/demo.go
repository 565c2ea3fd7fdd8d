package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

//go:embed demo.txt
var demoScript string

// fixedClock is a clock that always says the same time, so the demo's
// transcript is the same on every run (used by its golden test).
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func runDemo(ctx context.Context, args []string, io Stdio) error {
	fs := newFlagSet("demo", io)
	data := fs.String("data", "", "保留演示数据的目录(默认用临时目录，结束后删除)")
	at := fs.String("at", "", "把时钟固定在这个时间(RFC3339)，用于可重复的输出")
	scriptFile := fs.String("script", "", "改为播放这个文件里的脚本(格式同内置脚本：[群名] 姓名: 内容，// 开头为说明)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "yishi-demo-")
		if err != nil {
			return fmt.Errorf("create a temporary data directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	var clock bot.Clock = bot.SystemClock{}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("--at: %w", err)
		}
		clock = fixedClock{t}
	} else {
		clock = demoClock{start: time.Now()}
	}
	log := newLogger(io.Err)
	var a *app.App
	script := demoScript
	if *scriptFile != "" {
		b, err := os.ReadFile(*scriptFile)
		if err != nil {
			return fmt.Errorf("--script: %w", err)
		}
		script = string(b)
	}
	con := console.New(console.Options{In: strings.NewReader(script), Out: io.Out, Echo: true, Logger: log, Clock: clock,
		AfterLine: func(ctx context.Context) { a.Flush(ctx) }})
	a, err := app.Open(ctx, app.Options{DataDir: dir, Communities: []*config.Community{config.Sample()},
		Adapters: []bot.Adapter{con}, Logger: log, Clock: clock})
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintln(io.Out, "==== yishi 演示：后陈村的一次议事协商 ====")
	return a.Run(ctx)
}

// demoClock starts the demo on 2026-12-01 at 10:00 in China, half an hour
// before its scripted meeting (12月1日 10:30, so opening it needs no early-
// opening confirmation), and moves with real time.
type demoClock struct{ start time.Time }

func (c demoClock) Now() time.Time {
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	return base.Add(time.Since(c.start))
}
