package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/storage/postgres"
)

// lines collects a process's output as it comes.
type lines struct {
	mu  sync.Mutex
	all []string
	ch  chan string
}

func collect(r io.Reader) *lines {
	l := &lines{ch: make(chan string, 100000)}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			l.mu.Lock()
			l.all = append(l.all, sc.Text())
			l.mu.Unlock()
			l.ch <- sc.Text()
		}
		close(l.ch)
	}()
	return l
}

func (l *lines) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// TestFailoverMidVote: two processes share one PostgreSQL database; the one
// holding the community's lease is killed with SIGKILL in the middle of a
// 200-voter vote; the standby takes the community over within 30 s, and
// every vote acknowledged before the kill is counted exactly once when the
// voters send theirs again.
func TestFailoverMidVote(t *testing.T) {
	base := pgBase(t)
	if testing.Short() {
		t.Skip("builds and runs two processes")
	}
	const voters = 200
	bin := buildBinary(t)
	cfg := crashConfig(t, voters)
	dsn := pgSchema(t, base)
	start := func(name string) (*exec.Cmd, io.WriteCloser, *lines) {
		cmd := exec.Command(bin, "run", "--config", cfg, "--store", dsn, "--data", filepath.Join(t.TempDir(), name), "--node", name)
		cmd.Env = append(os.Environ(), "YISHI_LOG=error")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, stdin, collect(stdout)
	}

	setup := voteSetup(voters)

	a, aIn, aOut := start("a")
	go func() {
		io.WriteString(aIn, setup)
		for i := 1; i <= voters; i++ {
			fmt.Fprintf(aIn, "[议事群] 代表%03d: %s\n", i, choiceOf(i))
		}
	}()
	// The standby starts once A serves the community (A's console opens
	// only then, so its first answer says so).
	ack := regexp.MustCompile(`^\[私聊→代表(\d{3})\] 议事助手: 代表\d{3}：已记录「(赞成|反对)」`)
	acked := map[string]string{}
	var b *exec.Cmd
	var bIn io.WriteCloser
	var bOut *lines
	for line := range aOut.ch {
		if b == nil {
			b, bIn, bOut = start("b")
		}
		if g := ack.FindStringSubmatch(line); g != nil {
			acked[g[1]] = g[2]
			if len(acked) == voters/2 {
				break
			}
		}
	}
	if len(acked) != voters/2 {
		t.Fatalf("only %d votes acknowledged before A's output ended:\n%s", len(acked), tail(aOut.text(), 3000))
	}
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	a.Wait()

	// Until B holds the lease it relays what it reads to the inbox of the
	// community, where it finds it again once it serves it. A probe a
	// second until one is answered.
	served := regexp.MustCompile(`#1`)
	var tookOver time.Duration
	for tookOver == 0 {
		if time.Since(killed) > 60*time.Second {
			t.Fatalf("the standby did not take over within 60 s:\n%s", tail(bOut.text(), 3000))
		}
		fmt.Fprintf(bIn, "[私聊] 书记: 议题\n")
		deadline := time.After(time.Second)
	wait:
		for {
			select {
			case l := <-bOut.ch:
				if strings.Contains(l, "没有被记录") {
					break wait
				}
				if served.MatchString(l) {
					tookOver = time.Since(killed)
					break wait
				}
			case <-deadline:
				break wait
			}
		}
	}
	t.Logf("the standby served the community %.1f s after the kill", tookOver.Seconds())
	if tookOver > 30*time.Second {
		t.Errorf("failover took %v; the target is 30 s", tookOver)
	}
	for i := 1; i <= voters; i++ {
		fmt.Fprintf(bIn, "[议事群] 代表%03d: %s\n", i, choiceOf(i))
	}
	fmt.Fprintf(bIn, "[议事群] 书记: 计票\n")
	bIn.Close()
	b.Wait()
	for range bOut.ch {
	}
	transcript := bOut.text()
	if strings.Contains(transcript[strings.Index(transcript, "#1"):], "没有被记录") {
		t.Errorf("the standby refused messages after it took over:\n%s", tail(transcript, 2000))
	}
	for id := range acked {
		if !strings.Contains(transcript, "代表"+id+"，您已经投过") {
			t.Errorf("vote of 代表%s was acknowledged before the kill but not found after the takeover", id)
		}
	}
	wantFor := 0
	for i := 1; i <= voters; i++ {
		if choiceOf(i) == "赞成" {
			wantFor++
		}
	}
	want := fmt.Sprintf("实到%d人，表决%d人：赞成%d人", voters, voters, wantFor)
	if !strings.Contains(transcript, want) {
		t.Fatalf("result %q not in the standby's transcript:\n%s", want, tail(transcript, 2000))
	}
	st, err := postgres.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	comms, err := config.LoadDir(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := engine.VerifyReplay(st, comms, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Failed != nil || r.Diverged != nil {
			t.Errorf("replay after the failover: failed %v, diverged %+v", r.Failed, r.Diverged)
		}
	}
}
