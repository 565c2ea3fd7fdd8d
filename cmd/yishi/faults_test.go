package main

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The fault-injection suite: the real binary on copies of the demo's data
// with one file damaged at a time. Every case must end either refused with
// a named, bilingual error (non-zero exit) or with exactly the record and
// audit result of the undamaged data; never a Go panic, never a silently
// different record, and a refused directory is left byte for byte as it was.

// The suite's tests share one build of the binary (removed by TestMain).
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func sharedBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "yishi-faults-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "yishi")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Stderr = os.Stderr
		binErr = cmd.Run()
	})
	if binErr != nil {
		t.Fatalf("build yishi: %v", binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

type faultKit struct {
	bin  string
	demo string // pristine demo data directory: copy it, never touch it
	// what the undamaged data prints
	record, verify string
}

func newFaultKit(t *testing.T) *faultKit {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	k := &faultKit{bin: sharedBinary(t), demo: filepath.Join(t.TempDir(), "demo")}
	if out, err := exec.Command(k.bin, "demo", "--data", k.demo, "--at", "2026-12-01T10:00:00+08:00").CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	var code int
	k.record, _, code = k.run(t, "record", "1", "--data", k.demo)
	if code != 0 {
		t.Fatal("record on the pristine data failed")
	}
	k.verify, _, code = k.run(t, "audit", "verify", "--data", k.demo)
	if code != 0 || !strings.Contains(k.verify, "审计链完整") {
		t.Fatalf("verify on the pristine data: %q", k.verify)
	}
	return k
}

func (k *faultKit) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(k.bin, args...)
	cmd.Env = append(os.Environ(), "YISHI_LOG=error")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func (k *faultKit) copyDemo(t *testing.T) string {
	t.Helper()
	return copyTree(t, k.demo)
}

func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		// Holes stay holes: the logs are 80 MB of mostly nothing.
		if err := exec.Command("cp", "--sparse=always", filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())).Run(); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func treeSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel+"/"] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			out[rel] = "unreadable"
			return nil
		}
		// CRC-32C, not a cryptographic hash: it is to catch accidental
		// writes, and the logs are 80 MB.
		out[rel] = fmt.Sprintf("%d:%08x", len(b), crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
		return nil
	})
	return out
}

func largest(t *testing.T, dir, ext string) string {
	t.Helper()
	var best string
	var size int64 = -1
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ext) && fi.Mode().IsRegular() && fi.Size() > size {
			best, size = filepath.Join(dir, e.Name()), fi.Size()
		}
	}
	if best == "" {
		t.Fatalf("no %s file in %s", ext, dir)
	}
	return best
}

// outcome runs record and audit verify on a damaged copy and checks the
// rule of the suite. It returns "refused" or "same".
func (k *faultKit) outcome(t *testing.T, dir, record, verify string) string {
	t.Helper()
	before := treeSums(t, dir)
	refused := 0
	for _, c := range []struct {
		args []string
		want string
	}{{[]string{"record", "1", "--data", dir}, record}, {[]string{"audit", "verify", "--data", dir}, verify}} {
		out, e, code := k.run(t, c.args...)
		if strings.Contains(e, "panic") || strings.Contains(e, "goroutine ") || strings.Contains(e, "SIGBUS") {
			t.Fatalf("yishi %s: a Go panic reached the user:\n%s", c.args[0], e)
		}
		if code == 0 {
			if out != c.want {
				t.Fatalf("yishi %s succeeded with a different result:\n%s\nwant:\n%s", strings.Join(c.args, " "), out, c.want)
			}
			continue
		}
		for _, must := range []string{"已损坏", "damaged", "yishi restore"} {
			if !strings.Contains(e, must) {
				t.Fatalf("yishi %s: exit %d without a named damage error (%q missing):\n%s", c.args[0], code, must, e)
			}
		}
		refused++
	}
	if refused == 1 {
		t.Fatalf("record and verify disagree on %s", dir)
	}
	after := treeSums(t, dir)
	if refused > 0 {
		for f, s := range before {
			if after[f] != s {
				t.Errorf("refused directory changed: %s", f)
			}
		}
		for f := range after {
			if _, ok := before[f]; !ok {
				t.Errorf("refused directory gained %s", f)
			}
		}
		return "refused"
	}
	return "same"
}

func TestFaultInjection(t *testing.T) {
	k := newFaultKit(t)
	named := func(t *testing.T, dir, file string) {
		t.Helper()
		_, e, code := k.run(t, "audit", "verify", "--data", dir)
		if code == 0 || !strings.Contains(e, file) {
			t.Fatalf("want a refusal naming %s, got exit %d: %s", file, code, e)
		}
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string) (file string) // "" when the outcome may be "same"
	}{
		{"missing MANIFEST", func(t *testing.T, dir string) string {
			os.Remove(filepath.Join(dir, "MANIFEST"))
			return "MANIFEST"
		}},
		{"MANIFEST truncated to 5 bytes", func(t *testing.T, dir string) string {
			os.Truncate(filepath.Join(dir, "MANIFEST"), 5)
			return "MANIFEST"
		}},
		{"MANIFEST truncated to its header", func(t *testing.T, dir string) string {
			os.Truncate(filepath.Join(dir, "MANIFEST"), 8)
			return "MANIFEST"
		}},
		{"table tail zeroed", func(t *testing.T, dir string) string {
			p := largest(t, dir, ".sst")
			b, _ := os.ReadFile(p)
			clear(b[len(b)*3/4:])
			os.WriteFile(p, b, 0o600)
			return filepath.Base(p)
		}},
		{"table truncated", func(t *testing.T, dir string) string {
			p := largest(t, dir, ".sst")
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-100)
			return filepath.Base(p)
		}},
		{"table unreadable (replaced by a directory)", func(t *testing.T, dir string) string {
			p := largest(t, dir, ".sst")
			os.Remove(p)
			os.Mkdir(p, 0o700)
			return filepath.Base(p)
		}},
		{"MANIFEST unreadable (replaced by a directory)", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "MANIFEST")
			os.Remove(p)
			os.Mkdir(p, 0o700)
			return "MANIFEST"
		}},
		{"KEYREGISTRY emptied", func(t *testing.T, dir string) string {
			os.Truncate(filepath.Join(dir, "KEYREGISTRY"), 0)
			return "KEYREGISTRY"
		}},
		{"DISCARD flipped", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "DISCARD")
			b, _ := os.ReadFile(p)
			b[3] ^= 0xff
			b[len(b)/2] ^= 0xff
			os.WriteFile(p, b, 0o600)
			return ""
		}},
		{"value log header flipped", func(t *testing.T, dir string) string {
			p := largest(t, dir, ".vlog")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0xff
			os.WriteFile(p, b, 0o600)
			return ""
		}},
		{"value log zeroed", func(t *testing.T, dir string) string {
			p := largest(t, dir, ".vlog")
			fi, _ := os.Stat(p)
			os.WriteFile(p, make([]byte, fi.Size()), 0o600)
			return ""
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := k.copyDemo(t)
			file := c.damage(t, dir)
			got := k.outcome(t, dir, k.record, k.verify)
			if file != "" {
				if got != "refused" {
					t.Fatalf("outcome %s, want refused", got)
				}
				named(t, dir, file)
			}
			t.Logf("outcome: %s", got)
		})
	}

	t.Run("flipped bytes in the largest table", func(t *testing.T) {
		dir := k.copyDemo(t)
		p := largest(t, dir, ".sst")
		orig, _ := os.ReadFile(p)
		for i, off := range spread(len(orig), 24) {
			b := slices.Clone(orig)
			b[off] ^= byte(1 << (i % 8))
			os.WriteFile(p, b, 0o600)
			if got := k.outcome(t, dir, k.record, k.verify); got != "refused" {
				t.Fatalf("flip at byte %d of %d: outcome %s", off, len(orig), got)
			}
		}
	})
}

// spread returns n offsets spread over [0, size), first and last included.
func spread(size, n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		out = append(out, i*(size-1)/(n-1))
	}
	return out
}

// crashImage runs the bot on a fresh directory, proposes a topic, waits
// for its acknowledgement and kills the process with SIGKILL: the data
// directory then has a write-ahead log with the acknowledged entries and
// a tail badger must cut.
func crashImage(t *testing.T, bin string) (dir string, acked string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(bin, "--data", dir)
	cmd.Env = append(os.Environ(), "YISHI_LOG=error")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"提议", "村口修一座公厕", "村口人流多没有公厕。", "全体村民", "1", "确认"} {
		fmt.Fprintf(stdin, "[私聊] 陈小龙: %s\n", l)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "#1") && strings.Contains(sc.Text(), "已提交") {
			acked = sc.Text()
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if acked == "" {
		t.Fatal("the proposal was not acknowledged")
	}
	return dir, acked
}

// TestFaultInjectionWAL flips bytes in the write-ahead log of a killed
// bot. Badger cannot tell a flipped byte in the last entry from a torn
// write and drops it; yishi refuses a log with intact entries after a
// damaged one, and otherwise the acknowledged topic must still be there
// (or the start refused, once the engine compares the log with its
// snapshots).
func TestFaultInjectionWAL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	k := &faultKit{bin: sharedBinary(t)}
	img, acked := crashImage(t, k.bin)
	record, e, code := k.run(t, "record", "1", "--data", copyTree(t, img))
	if code != 0 || !strings.Contains(record, "村口修一座公厕") {
		t.Fatalf("acknowledged topic (%q) not readable after the kill: %d %s", acked, code, e)
	}
	verify, _, _ := k.run(t, "audit", "verify", "--data", copyTree(t, img))
	wal := ""
	ents, _ := os.ReadDir(img)
	for _, en := range ents {
		if strings.HasSuffix(en.Name(), ".mem") {
			if fi, _ := en.Info(); fi.Size() > 0 {
				wal = en.Name()
			}
		}
	}
	if wal == "" {
		t.Skip("no write-ahead log left by the kill")
	}
	orig, _ := os.ReadFile(filepath.Join(img, wal))
	used := len(bytes.TrimRight(orig, "\x00"))
	counts := map[string]int{}
	for i, off := range spread(used, 6) {
		dir := copyTree(t, img)
		b := slices.Clone(orig)
		b[off] ^= byte(1 << (i % 8))
		os.WriteFile(filepath.Join(dir, wal), b, 0o600)
		counts[k.outcome(t, dir, record, verify)]++
	}
	t.Logf("WAL flips: %v", counts)
}

// TestKillDuringBackup kills yishi backup at several moments: the previous
// backup and the data directory are untouched, and the new file is either
// absent or a complete backup that restores.
func TestKillDuringBackup(t *testing.T) {
	k := newFaultKit(t)
	dir := k.copyDemo(t)
	bdir := t.TempDir()
	prev := filepath.Join(bdir, "prev.bak")
	if _, e, code := k.run(t, "backup", "--data", dir, prev); code != 0 {
		t.Fatalf("first backup: %s", e)
	}
	prevSum := treeSums(t, bdir)["prev.bak"]
	dataSum := treeSums(t, dir)
	for _, delay := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond, 60 * time.Millisecond} {
		next := filepath.Join(bdir, "next.bak")
		os.Remove(next)
		cmd := exec.Command(k.bin, "backup", "--data", dir, next)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if got := treeSums(t, bdir)["prev.bak"]; got != prevSum {
			t.Fatalf("kill after %v: the previous backup changed", delay)
		}
		if got := treeSums(t, dir); !mapsEqual(got, dataSum) {
			t.Fatalf("kill after %v: the data directory changed", delay)
		}
		if _, err := os.Stat(next); err == nil {
			out, e, code := k.run(t, "restore", next, "--data", filepath.Join(t.TempDir(), "r"))
			if code != 0 || !strings.Contains(out, "已恢复") {
				t.Fatalf("kill after %v left a backup that does not restore: %s %s", delay, out, e)
			}
		}
	}
	// A restore of the previous backup gives the same record sheet.
	r := filepath.Join(t.TempDir(), "restored")
	if _, e, code := k.run(t, "restore", prev, "--data", r); code != 0 {
		t.Fatal(e)
	}
	if out, _, _ := k.run(t, "record", "1", "--data", r); out != k.record {
		t.Error("the restored data prints a different record")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDiskFullOnTmpfs runs the bot on a real small file system (a tmpfs
// mounted for the test; skipped where mount is not permitted), fills it to
// below the free-space margin and checks that a message is refused with
// the ENOSPACE answer, the cadres are alerted, the process stays alive (no
// SIGBUS), and it works again once space is freed.
func TestDiskFullOnTmpfs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	bin := sharedBinary(t)
	dir := filepath.Join(mnt, "data")
	cmd := exec.Command(bin, "--data", dir)
	cmd.Env = append(os.Environ(), "YISHI_LOG=error")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(what string) (seen string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the bot exited while waiting for %q", what)
				}
				seen += l + "\n"
				if strings.Contains(l, what) {
					return seen
				}
			case <-deadline:
				t.Fatalf("no %q from the bot", what)
			}
		}
	}
	fmt.Fprintln(stdin, "[私聊] 陈小龙: 帮助")
	waitFor("[私聊→陈小龙]")

	var st syscall.Statfs_t
	syscall.Statfs(mnt, &st)
	free := int64(st.Bavail) * st.Bsize
	const margin = 190 << 20 // about storage's margin with the default memory profile
	f, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, free-margin/2); err != nil {
		t.Skipf("fallocate: %v", err)
	}
	f.Close()
	fmt.Fprintln(stdin, "[私聊] 陈小龙: 提议")
	seen := waitFor("存储空间不足，本条未记录，请联系管理员。")
	if !strings.Contains(seen, "[私聊→张建国]") || !strings.Contains(seen, "存储空间不足，为了不丢失记录") {
		t.Errorf("the secretary was not alerted before the refusal:\n%s", seen)
	}
	os.Remove(filepath.Join(mnt, "filler"))
	// The check is cached for 50 ms: ask until the bot answers again.
	for i := 0; ; i++ {
		fmt.Fprintln(stdin, "[私聊] 陈小龙: 取消")
		select {
		case l := <-lines:
			if strings.Contains(l, "存储空间已恢复") || (strings.Contains(l, "[私聊→陈小龙]") && !strings.Contains(l, "存储空间不足")) {
				stdin.Close()
				if err := cmd.Wait(); err != nil {
					t.Fatalf("the bot did not exit cleanly: %v", err)
				}
				return
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the bot did not resume after space was freed")
		}
	}
}
