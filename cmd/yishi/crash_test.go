package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// buildBinary compiles cmd/yishi once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "yishi")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build yishi: %v", err)
	}
	return bin
}

// crashConfig writes a community with a secretary, a recorder, a supervisor
// and n representatives.
func crashConfig(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	var sb strings.Builder
	sb.WriteString("id: crash\nname: 压力村\ngroups:\n  - name: 议事群\n    platform: console\n    chat: 议事群\nroster:\n")
	sb.WriteString("  - {id: shuji, name: 书记, roles: [secretary]}\n  - {id: weiyuan, name: 委员, roles: [committee]}\n  - {id: jianwei, name: 监委, roles: [supervisor]}\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&sb, "  - {id: r%03d, name: 代表%03d, roles: [representative]}\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "crash.yaml"), []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// voteSetup is the console script that brings crashConfig's community to an
// open vote: a proposal, its approval and plan, the meeting, every voter
// checked in.
func voteSetup(voters int) string {
	var setup strings.Builder
	for _, l := range []string{"提议", "村道安装路灯", "村道晚上很黑，希望安装路灯。", "全体村民", "1", "确认"} {
		fmt.Fprintf(&setup, "[私聊] 代表001: %s\n", l)
	}
	for _, l := range []string{"审定 #1", "1", "1", "3", "书记 委员 监委", "方案 #1", "12月5日 19:30", "村委会", "1", "好", "1", "确认"} {
		fmt.Fprintf(&setup, "[私聊] 书记: %s\n", l)
	}
	setup.WriteString("[议事群] 书记: 开始协商 #1\n[议事群] 书记: 是\n")
	for i := 1; i <= voters; i++ {
		fmt.Fprintf(&setup, "[议事群] 代表%03d: 签到\n", i)
	}
	setup.WriteString("[议事群] 书记: 开始表决 同意安装路灯\n")
	return setup.String()
}

func choiceOf(i int) string {
	if i%4 == 0 {
		return "反对"
	}
	return "赞成"
}

// TestCrashMidVote runs the real binary with a 200-voter meeting, kills it
// with SIGKILL in the middle of the vote, restarts it on the same data and
// finishes the vote: every vote acknowledged before the kill is counted
// exactly once, and the audit chain verifies.
func TestCrashMidVote(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const voters = 200
	bin := buildBinary(t)
	cfg := crashConfig(t, voters)
	data := filepath.Join(t.TempDir(), "data")

	setup := voteSetup(voters)

	// First run: set up, then send every vote and kill after about half were acknowledged.
	cmd := exec.Command(bin, "--config", cfg, "--data", data)
	cmd.Env = append(os.Environ(), "YISHI_LOG=error")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		io.WriteString(stdin, setup)
		for i := 1; i <= voters; i++ {
			fmt.Fprintf(stdin, "[议事群] 代表%03d: %s\n", i, choiceOf(i))
		}
	}()
	ack := regexp.MustCompile(`^\[私聊→代表(\d{3})\] 议事助手: 代表\d{3}：已记录「(赞成|反对)」`)
	acked := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if g := ack.FindStringSubmatch(sc.Text()); g != nil {
			acked[g[1]] = g[2]
			if len(acked) == voters/2 {
				break
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(acked) != voters/2 {
		t.Fatalf("only %d votes acknowledged before the output ended", len(acked))
	}

	// Second run: every voter votes again (the acknowledged ones must not
	// count twice), then the result.
	var rest strings.Builder
	for i := 1; i <= voters; i++ {
		fmt.Fprintf(&rest, "[议事群] 代表%03d: %s\n", i, choiceOf(i))
	}
	rest.WriteString("[议事群] 书记: 计票\n")
	cmd = exec.Command(bin, "--config", cfg, "--data", data)
	cmd.Env = append(os.Environ(), "YISHI_LOG=error")
	cmd.Stdin = strings.NewReader(rest.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	transcript := string(out)
	for id := range acked {
		if !strings.Contains(transcript, "代表"+id+"，您已经投过") {
			t.Errorf("vote of 代表%s was acknowledged before the kill but not found after the restart", id)
		}
	}
	wantFor, wantAgainst := 0, 0
	for i := 1; i <= voters; i++ {
		if choiceOf(i) == "赞成" {
			wantFor++
		} else {
			wantAgainst++
		}
	}
	want := fmt.Sprintf("实到%d人，表决%d人：赞成%d人", voters, voters, wantFor)
	if !strings.Contains(transcript, want) {
		t.Fatalf("result %q not in the transcript:\n%s", want, tail(transcript, 2000))
	}
	if !strings.Contains(transcript, fmt.Sprintf("反对%d人", wantAgainst)) {
		t.Fatalf("against count %d not in the transcript:\n%s", wantAgainst, tail(transcript, 2000))
	}

	verify := exec.Command(bin, "audit", "verify", "--data", data)
	vout, err := verify.CombinedOutput()
	if err != nil || !strings.Contains(string(vout), "审计链完整") {
		t.Fatalf("audit verify: %v\n%s", err, vout)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
