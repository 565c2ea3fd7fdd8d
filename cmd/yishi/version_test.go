package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	defer func(f func() (*debug.BuildInfo, bool)) { readBuildInfo = f }(readBuildInfo)
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want []string
	}{
		{"go install", &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Version: "v0.3.0"}},
			[]string{"yishi v0.3.0\n", "commit 未知", "go go1.27.3 " + runtime.GOOS}},
		{"checkout", &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "b5a729174cdc"}, {Key: "vcs.time", Value: "2026-12-02T21:06:11Z"}, {Key: "vcs.modified", Value: "true"}}},
			[]string{"yishi (devel)\n", "commit b5a729174cdc (2026-12-02T21:06:11Z) +未提交的修改 / modified\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			readBuildInfo = func() (*debug.BuildInfo, bool) { return tc.bi, true }
			out, errOut, code := run(t, "", "version")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("version output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if _, errOut, code := run(t, "", "version", "extra"); code != 2 || !strings.Contains(errOut, "不带参数") {
		t.Errorf("version with an argument: exit %d, %s", code, errOut)
	}
	if out, _, code := run(t, "", "--version"); code != 0 || !strings.HasPrefix(out, "yishi ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	if out, _, _ := run(t, "", "help"); !strings.Contains(out, "version ") {
		t.Errorf("help does not list version:\n%s", out)
	}
}
