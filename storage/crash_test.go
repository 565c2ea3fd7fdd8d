package storage

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

const crashEnv = "YISHI_STORAGE_CRASH_DIR"

// TestCrashChild is the child half of TestHardKillKeepsAcknowledgedWrites:
// it commits from several goroutines until killed, printing "ack KEY" after
// each Commit returns.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("child process of TestHardKillKeepsAcknowledgedWrites")
	}
	db, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("open error:", err)
		os.Exit(2)
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("crash/%d/%06d", w, i)
				if err := db.Commit(context.Background(), []bot.KV{kv(key, "v"), kv(key+"/twin", "v")}); err != nil {
					fmt.Println("commit error:", err)
					os.Exit(2)
				}
				out.Lock()
				fmt.Println("ack", key) // unbuffered: in the pipe before the next commit
				out.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestHardKillKeepsAcknowledgedWrites kills a committing child with SIGKILL
// and checks that every acknowledged batch is there after reopening, and
// that no batch landed in part. It covers a process crash (the kernel keeps
// written pages), not a power cut, which only the synced commit covers.
func TestHardKillKeepsAcknowledgedWrites(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if key, ok := strings.CutPrefix(line, "ack "); ok {
			acked = append(acked, key)
		} else if strings.Contains(line, "error") {
			t.Errorf("child: %s", line)
		}
		if len(acked) == 300 && !killed {
			// Mid-way: commits are in flight in the other goroutines.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child exited before the kill after %d acks", len(acked))
	}

	db := openTest(t, dir, Options{})
	for _, key := range acked {
		if mustGet(t, db, key) == nil || mustGet(t, db, key+"/twin") == nil {
			t.Errorf("acknowledged key %s lost after SIGKILL", key)
		}
	}
	// Batches are atomic: no key without its twin.
	total := 0
	if err := db.Scan([]byte("crash/"), func(k, _ []byte) (bool, error) {
		total++
		if !strings.HasSuffix(string(k), "/twin") {
			if v, _ := db.Get(append(k, "/twin"...)); v == nil {
				t.Errorf("%s landed without its twin", k)
			}
		}
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d acknowledged batches, %d batches on disk after SIGKILL", len(acked), total/2)
}
