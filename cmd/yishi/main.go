// Command yishi runs the deliberation bot and its administrative tools.
//
//	yishi [run] [--config DIR] [--data DIR]   run the bot (console adapter by default)
//	yishi demo [--data DIR]                   play a whole scripted deliberation
//	yishi record TOPIC [--html]               print a topic's record sheet (附件2)
//	yishi audit verify                        check every community's audit chain
//	yishi audit export COMMUNITY              write a chain for an outside auditor, one JSON line per entry
//	yishi screen [--prior FILE]               screen proposals read from stdin (五不议/六必议)
//	yishi decisions import FILE               import earlier assembly resolutions
//	yishi reminders [--at TIME]               preview the follow-up reminders due at TIME
//	yishi stats [--period P]                  evaluation figures (评估)
//	yishi backup [--data DIR] FILE            consistent backup, verified (also while the bot runs)
//	yishi restore FILE --data NEWDIR          restore a backup into a new directory, verified
//	yishi version                             version, commit and Go version of the binary
//
// yishi run --http ADDR also serves /healthz, /metrics (Prometheus) and the
// public board; --log-format json writes the logs as JSON lines.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"
)

func main() {
	// A village server is small: keep the heap near 64 MiB unless the
	// operator set GOMEMLIMIT (badger's caches are sized for it too).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(64 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Stdio is where a command reads and writes.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// command is one subcommand: its flags are parsed apart from running it,
// so tests can start any of them with Main.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io Stdio) error
}

var commands []command

func init() {
	commands = []command{
		{"run", "运行议事机器人(默认：控制台 + 内置示例村)", runBot},
		{"demo", "演示一次完整的议事协商(脚本)", runDemo},
		{"record", "打印议题的议事协商记录表：yishi record 议题编号 [--html]", runRecord},
		{"audit", "审计日志：yishi audit verify 校验；yishi audit export 社区ID 导出供外部审计", runAudit},
		{"screen", "五不议/六必议预审：从标准输入逐行读提议，输出 JSON", runScreen},
		{"decisions", "决议档案：yishi decisions import FILE", runDecisions},
		{"reminders", "预览某一时刻会发出的落实提醒：yishi reminders [--at TIME]", runReminders},
		{"stats", "评估统计：按社区和时期统计议题、结果、用时、参会和逾期 [--json]", runStats},
		{"backup", "备份数据目录(机器人运行时也可以)并校验：yishi backup [--data DIR] 备份文件", runBackup},
		{"restore", "从备份恢复到一个新的空目录并校验：yishi restore 备份文件 --data 新目录", runRestore},
		{"migrate", "把 badger 数据目录迁移到 PostgreSQL 并两边校验：yishi migrate --from 目录 --to postgres://…", runMigrate},
		{"version", "打印版本、提交(commit)和 Go 版本", runVersion},
	}
}

// errUsage marks an error already explained to the user (exit code 2).
var errUsage = errors.New("usage")

// Main runs one command and returns the process exit code.
func Main(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	io := Stdio{In: in, Out: out, Err: errOut}
	name := "run"
	if len(args) > 0 && (args[0] == "help" || isHelpFlag(args[0])) {
		usage(out)
		return 0
	}
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args[0] = "version"
	}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if code, ok := viaBot(ctx, name, args, io); ok {
		return code
	}
	return runNamed(ctx, name, args, io)
}

// runNamed runs one command here (in the CLI, or inside the bot for the
// control socket) and returns its exit code.
func runNamed(ctx context.Context, name string, args []string, io Stdio) int {
	for _, c := range commands {
		if c.name == name {
			err := c.run(ctx, args, io)
			// Asking for help is not a mistake, even where the command
			// answers it with its usage text and the usage exit code.
			help := slices.ContainsFunc(args, isHelpFlag)
			var code exitCode
			switch {
			case help && (errors.Is(err, errUsage) || errors.As(err, &code) && code == 2):
				return 0
			case errors.As(err, &code):
				return int(code)
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			default:
				fmt.Fprintf(io.Err, "yishi %s: %v\n", name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(io.Err, "yishi: 未知的命令 %q\n", name)
	usage(io.Err)
	return 2
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func usage(w io.Writer) {
	fmt.Fprintln(w, "用法: yishi [命令] [选项]")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "每个命令加 --help 查看它的选项，例如 yishi backup --help。")
}

// newLogger logs to w; the level comes from YISHI_LOG (debug, info, warn,
// error; default warn so the console stays readable) and the format from
// YISHI_LOG_FORMAT (text or json; yishi run also takes --log-format).
func newLogger(w io.Writer) *slog.Logger {
	log, err := newLoggerFormat(w, os.Getenv("YISHI_LOG_FORMAT"))
	if err != nil {
		log, _ = newLoggerFormat(w, "text")
	}
	return log
}

// newLoggerFormat is newLogger with the format given: "text" (or "") for
// key=value lines, "json" for one JSON object per line (log collectors).
func newLoggerFormat(w io.Writer, format string) (*slog.Logger, error) {
	level := slog.LevelWarn
	if v := os.Getenv("YISHI_LOG"); v != "" {
		_ = level.UnmarshalText([]byte(v))
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q 不认识：可选 text(默认)或 json / unknown log format, use text or json", format)
	}
}
