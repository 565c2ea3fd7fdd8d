package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runMain(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), args, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("yishi %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String()
}

// TestRemindersAndStats runs the demo into a data directory, then previews
// the reminders at a later time and prints the statistics.
func TestRemindersAndStats(t *testing.T) {
	dir := t.TempDir()
	// The demo up to the 公示: its follow-up item is still open.
	script, _, _ := strings.Cut(demoScript, "// —— 第五阶段")
	file := filepath.Join(t.TempDir(), "script.txt")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	runMain(t, "demo", "--data", dir, "--script", file)

	out := runMain(t, "reminders", "--data", dir, "--at", "2027-01-20 09:00")
	for _, want := range []string{"此时到期", "→ 胡德明(hudeming) 私聊", "已有50天没有进展反馈", "→ 王卫东(wangweidong) 私聊", "【落实事项提醒】", "共 3 条提醒(预览，未发送、未记录)"} {
		if !strings.Contains(out, want) {
			t.Errorf("reminders preview lacks %q:\n%s", want, out)
		}
	}
	// Nothing was recorded: the same preview again says the same.
	if again := runMain(t, "reminders", "--data", dir, "--at", "2027-01-20 09:00"); again != out {
		t.Errorf("the preview changed something:\n%s\nthen\n%s", out, again)
	}
	quiet := runMain(t, "reminders", "--data", dir, "--at", "2027-01-20T23:00:00+08:00")
	if !strings.Contains(quiet, "免打扰时段") || !strings.Contains(quiet, "2027-01-21 08:00") {
		t.Errorf("quiet-hours preview:\n%s", quiet)
	}

	st := runMain(t, "stats", "--data", dir, "--at", "2027-02-05 09:00")
	for _, want := range []string{"2026年第4季度：议题1个", "按结果：通过 1", "参会(实到/应到)：合计12/12", "逾期1项", "逾期5天"} {
		if !strings.Contains(st, want) {
			t.Errorf("stats lack %q:\n%s", want, st)
		}
	}
	var js []map[string]any
	if err := json.Unmarshal([]byte(runMain(t, "stats", "--data", dir, "--json", "--period", "year")), &js); err != nil || len(js) != 1 || js[0]["period"] != "2026年" {
		t.Errorf("stats --json: %v %v", js, err)
	}
	var bad bytes.Buffer
	if code := Main(context.Background(), []string{"stats", "--data", dir, "--period", "week"}, strings.NewReader(""), &bad, &bad); code != 2 {
		t.Errorf("bad --period: exit %d", code)
	}
	if code := Main(context.Background(), []string{"reminders", "--data", dir, "--at", "明天"}, strings.NewReader(""), &bad, &bad); code != 2 {
		t.Errorf("bad --at: exit %d", code)
	}
}
