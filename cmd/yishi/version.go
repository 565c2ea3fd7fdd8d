package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// runVersion prints the module version, the commit and the Go version the
// binary was built with (from the build information Go embeds).
func runVersion(_ context.Context, args []string, io Stdio) error {
	fs := newFlagSet("version", io)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprint(io.Out, versionText())
	return nil
}

func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "yishi (没有构建信息 / no build information)\n"
	}
	version := info.Main.Version
	if version == "" || version == "(devel)" {
		version = "开发版 (devel)"
	}
	commit, when, dirty := "", "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	out := fmt.Sprintf("yishi %s\n模块 module: %s\n", version, info.Main.Path)
	if commit != "" {
		if dirty {
			commit += " (有未提交的修改 / modified)"
		}
		out += fmt.Sprintf("提交 commit: %s %s\n", commit, when)
	}
	return out + fmt.Sprintf("Go: %s\n", info.GoVersion)
}
