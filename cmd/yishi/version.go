package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// buildInfo is what the binary knows about its build: the module version
// (set by go install …@vX.Y.Z), the VCS commit (set by go build in a
// checkout) and the toolchain.
type buildInfo struct {
	Version  string // "(devel)" for a build in a checkout
	Commit   string // "" when unknown
	Time     string // commit time, RFC 3339
	Modified bool   // built from a checkout with uncommitted changes
	Go       string
}

// readBuildInfo is a variable so tests can give a fixed build.
var readBuildInfo = debug.ReadBuildInfo

// buildVersion and buildCommit stand in where the build carries no module
// version or VCS stamp (a Docker build without .git): set with
// -ldflags "-X main.buildVersion=v1.2.3 -X main.buildCommit=abc123".
var buildVersion, buildCommit string

func currentBuild() buildInfo {
	b := buildInfo{Version: "(unknown)", Go: runtime.Version()}
	bi, ok := readBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		b.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if buildVersion != "" && (b.Version == "(devel)" || b.Version == "(unknown)") {
		b.Version = buildVersion
	}
	if b.Commit == "" {
		b.Commit = buildCommit
	}
	return b
}

func runVersion(_ context.Context, args []string, io Stdio) error {
	fs := newFlagSet("version", io)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(io.Err, "yishi version 不带参数(多了 %q)\n", fs.Arg(0))
		return errUsage
	}
	b := currentBuild()
	fmt.Fprintf(io.Out, "yishi %s\n", b.Version)
	switch {
	case b.Commit == "":
		fmt.Fprintln(io.Out, "commit 未知 / unknown (not built from a git checkout)")
	default:
		line := "commit " + b.Commit
		if b.Time != "" {
			line += " (" + b.Time + ")"
		}
		if b.Modified {
			line += " +未提交的修改 / modified"
		}
		fmt.Fprintln(io.Out, line)
	}
	fmt.Fprintf(io.Out, "go %s %s/%s\n", b.Go, runtime.GOOS, runtime.GOARCH)
	return nil
}
