package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestControlSocket: while the bot runs on a directory, record, stats,
// reminders, audit verify, audit export and backup are answered by it over
// the control socket (owner-only), with the same output as when they read
// the stopped directory; the backup made on the running bot restores to
// the same record sheet.
func TestControlSocket(t *testing.T) {
	k := newFaultKit(t)
	dir := k.copyDemo(t)
	bot := exec.Command(k.bin, "--data", dir)
	bot.Env = append(os.Environ(), "YISHI_LOG=error")
	stdin, _ := bot.StdinPipe()
	stderr, _ := bot.StderrPipe()
	bot.Stdout = io.Discard
	if err := bot.Start(); err != nil {
		t.Fatal(err)
	}
	defer bot.Process.Kill()
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "已启动") {
				close(started)
				break
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the bot did not start")
	}
	sock := filepath.Join(dir, controlSocket)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if fi, err := os.Stat(sock); err == nil {
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("control socket mode %v, want 0600", fi.Mode().Perm())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no control socket")
		}
		time.Sleep(20 * time.Millisecond)
	}
	backup := filepath.Join(t.TempDir(), "live.backup")
	cmds := [][]string{
		{"record", "1", "--data", dir},
		{"record", "1", "--html", "--data", dir},
		{"audit", "verify", "--data", dir},
		{"audit", "export", "houchen", "--data", dir},
		{"stats", "--period", "all", "--at", "2027-01-01 09:00", "--data", dir},
		{"reminders", "--at", "2027-01-05 09:00", "--data", dir},
		{"record", "99", "--data", dir}, // an error travels back too
	}
	live := map[int]string{}
	for i, c := range cmds {
		out, e, code := k.run(t, c...)
		if !strings.Contains(e, "控制套接字") {
			t.Errorf("yishi %s while the bot runs: not answered over the socket (exit %d): %s", strings.Join(c, " "), code, e)
		}
		if (code == 0) != (c[1] != "99") {
			t.Errorf("yishi %s: exit %d: %s", strings.Join(c, " "), code, e)
		}
		live[i] = out + "\x00" + stripSocketNote(e)
	}
	out, e, code := k.run(t, "backup", "--data", dir, backup)
	if code != 0 || !strings.Contains(out, "已备份") || !strings.Contains(e, "控制套接字") {
		t.Fatalf("backup while the bot runs: exit %d\n%s\n%s", code, out, e)
	}

	stdin.Close()
	if err := bot.Wait(); err != nil {
		t.Fatalf("bot: %v", err)
	}
	for i, c := range cmds {
		out, e, _ := k.run(t, c...)
		if got := out + "\x00" + e; got != live[i] {
			t.Errorf("yishi %s: output differs between the socket and the directory:\nsocket: %q\ndirect: %q", strings.Join(c, " "), live[i], got)
		}
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	if out, e, code := k.run(t, "restore", backup, "--data", fresh); code != 0 || !strings.Contains(out, "已恢复") {
		t.Fatalf("restore: %s %s", out, e)
	}
	if out, _, _ := k.run(t, "record", "1", "--data", fresh); out != k.record {
		t.Errorf("the restored backup prints another record:\n%s", out)
	}
}

// stripSocketNote drops the line saying the socket was used.
func stripSocketNote(s string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.Contains(l, "控制套接字") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// TestHelpForEverySubcommand: yishi --help lists every subcommand, and
// each answers --help with its usage and exit status 0.
func TestHelpForEverySubcommand(t *testing.T) {
	out, _, code := run(t, "", "--help")
	if code != 0 {
		t.Fatalf("yishi --help: exit %d", code)
	}
	for _, c := range commands {
		if !strings.Contains(out, "  "+c.name+" ") {
			t.Errorf("yishi --help does not list %s:\n%s", c.name, out)
		}
		args := []string{c.name, "--help"}
		if c.name == "audit" || c.name == "decisions" {
			args = []string{c.name, map[string]string{"audit": "verify", "decisions": "import"}[c.name], "--help"}
		}
		o, e, code := run(t, "", args...)
		if code != 0 || len(o)+len(e) == 0 {
			t.Errorf("yishi %s: exit %d, no usage: %q %q", strings.Join(args, " "), code, o, e)
		}
	}
}

// TestReadOnlyToolsChangeNoByte: on a stopped directory the reading tools
// change no byte of any file, also after a crash (they read a copy then).
func TestReadOnlyToolsChangeNoByte(t *testing.T) {
	k := newFaultKit(t)
	img, _ := crashImage(t, k.bin)
	for _, dir := range []string{k.copyDemo(t), img} {
		before := treeSums(t, dir)
		for _, c := range [][]string{
			{"record", "1", "--data", dir},
			{"audit", "verify", "--data", dir},
			{"audit", "export", "houchen", "--data", dir},
			{"stats", "--data", dir},
			{"reminders", "--data", dir},
			{"backup", "--data", dir, filepath.Join(t.TempDir(), "b")},
		} {
			if _, e, code := k.run(t, c...); code != 0 {
				t.Fatalf("yishi %s: exit %d: %s", strings.Join(c, " "), code, e)
			}
		}
		s, err := openStoreReadOnly(dir) // yishi screen's opener
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if after := treeSums(t, dir); !mapsEqual(before, after) {
			for f, h := range before {
				if after[f] != h {
					t.Errorf("%s changed", f)
				}
			}
			t.Errorf("a read-only tool changed %s", dir)
		}
	}
}
