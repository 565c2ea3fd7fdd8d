package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// The chains in testdata/go1.26 were written by the go1.26.8 build of main
// 9b65499 (see testdata/go1.26/README.md): the demo's, as its data
// directory stores it, and one with awkward text in every field and times
// that only the JSON form holds.

// loadKV reads a dump of stored entries, one "key hexvalue" per line.
func loadKV(t *testing.T, name string) memStore {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "go1.26", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := memStore{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		k, hv, ok := strings.Cut(sc.Text(), " ")
		v, err := hex.DecodeString(hv)
		if !ok || err != nil {
			t.Fatalf("%s: bad line %q", name, sc.Text())
		}
		s[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "go1.26", name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	return lines[:len(lines)-1] // after the last newline
}

// TestGo126ChainsStillVerify: every chain written so far keeps verifying
// and keeps its hashes, whatever the toolchain's encoding/json does.
func TestGo126ChainsStillVerify(t *testing.T) {
	for _, tt := range []struct {
		community, kv, export string
		entries               int
	}{
		{"houchen", "demo.kv", "demo.export.jsonl", 45},
		{"edge", "edge.kv", "edge.export.jsonl", 22},
	} {
		s := loadKV(t, tt.kv)
		r, err := Verify(s, tt.community)
		if err != nil || !r.OK || r.Entries != tt.entries {
			t.Errorf("%s: Verify = %+v, %v; want OK with %d entries", tt.kv, r, err, tt.entries)
		}
		// The go1.26 export has each entry's hash as it was written.
		old := readLines(t, tt.export)
		if len(old) != tt.entries {
			t.Fatalf("%s: %d lines in go1.26's export", tt.kv, len(old))
		}
		for i := range old {
			var was struct {
				Seq  int    `json:"seq"`
				Hash string `json:"hash"`
			}
			if err := json.Unmarshal([]byte(old[i]), &was); err != nil {
				t.Fatal(err)
			}
			e := getEntry(t, s, tt.community, uint64(i+1))
			if was.Seq != i+1 || e.Hash != was.Hash || FormLegacy.sum(e) != was.Hash {
				t.Errorf("%s entry %d: hash %s, recomputed %s, go1.26 exported %s", tt.kv, i+1, e.Hash, FormLegacy.sum(e), was.Hash)
			}
			// go1.26's export lines were the legacy form with the hash
			// filled in: it is the same now, except for the JSON
			// entries holding bytes that are not UTF-8: go1.26 read them
			// with encoding/json, which turned their \ufffd into a real
			// U+FFFD, so its export of them (and its Verify) was wrong.
			v := s[string(Key(tt.community, uint64(i+1)))]
			misread := isLegacy(v) && bytes.Contains(v, []byte(`\ufffd`))
			if now := string(appendCanonical(nil, e, e.Hash)) + "\n"; (now != old[i]) != misread {
				t.Errorf("%s line %d (misread by go1.26: %v):\n now %s was %s", tt.kv, i+1, misread, now, old[i])
			}
		}
	}
	// The head go1.26's `yishi audit verify` printed for the demo.
	want, err := os.ReadFile(filepath.Join("testdata", "go1.26", "demo.verify.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := Verify(loadKV(t, "demo.kv"), "houchen")
	if line := fmt.Sprintf("houchen：审计链完整，共%d条记录。最后一条：%s。\n", r.Entries, FormatAnchor(r.Head.Seq, r.Head.HashPrefix)); line != string(want) {
		t.Errorf("verify now says %q, go1.26 said %q", line, want)
	}
}

// upgraded is the edge chain continued in the JCS form, as a chain written
// before the upgrade goes on after it, with the awkward texts again.
func upgraded(t *testing.T) memStore {
	s := loadKV(t, "edge.kv")
	c, err := LoadChain(s, "edge")
	if err != nil {
		t.Fatal(err)
	}
	seq, prev := c.Head()
	texts := []string{"", "普通文字", "<b>&amp;</b>", "引号\"反斜杠\\", "控制\x00\x01\b\f\n\r\t\x1f", "坏\xff\xfe字节",
		"行\u2028段\u2029", "emoji 😀👍🏽", "\x7f", "真替换符\ufffd", "𠀀", `{"kind":"vote.cast","choice":"for"}`}
	at := time.Date(2026, 12, 2, 18, 0, 0, 120_000_000, time.FixedZone("CST", 8*3600))
	for i, d := range texts {
		seq++
		e, v := appendSealed(nil, Entry{Seq: seq, Community: "edge", Prev: prev, At: at.Add(time.Duration(i) * time.Second),
			Actor: texts[(i+5)%len(texts)], Action: "vote", Topic: texts[(i+1)%len(texts)], Detail: d})
		if err := s.Commit(context.Background(), []bot.KV{{Key: Key("edge", seq), Value: v}}); err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}
	return s
}

// verifyForms checks every hash and link of a chain whose entries may be of
// either form.
func verifyForms(t *testing.T, s bot.Store, community string) (n int) {
	t.Helper()
	prefix := entryPrefix + community + "/"
	var prev string
	err := s.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		n++
		seq, _ := parseSeq(k, prefix)
		e, f, err := decodeStored(community, seq, prev, v)
		if err != nil || seq != uint64(n) || e.Prev != prev || f.sum(e) != e.Hash {
			t.Errorf("entry %d (form %d) does not check: %+v, %v", seq, f, e, err)
		}
		prev = e.Hash
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkExport runs the independent checker of testdata on an export.
func checkExport(t *testing.T, export []byte) (string, error) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the export is not checked independently")
	}
	cmd := exec.Command(python, filepath.Join("testdata", "check_export.py"))
	cmd.Stdin = bytes.NewReader(export)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return stderr.String(), err
	}
	return string(out), nil
}

// TestExportJCSIndependentCheck: `yishi audit export` writes JCS lines that
// a short standard-library Python script, not this package, checks: each
// line canonical, each hash in the form it names, each link.
func TestExportJCSIndependentCheck(t *testing.T) {
	up := upgraded(t)
	if n := verifyForms(t, up, "edge"); n != 34 {
		t.Fatalf("upgraded chain has %d entries", n)
	}
	tests := []struct {
		name      string
		s         bot.Store
		community string
		want      string
	}{
		{"demo of go1.26", loadKV(t, "demo.kv"), "houchen", "45 entries: 0 in the JCS form (v 2), 45 legacy (v 1), 0 of them lossy and not rehashed; links OK; head 第45条·4def8dfda99e1726"},
		{"edge of go1.26", loadKV(t, "edge.kv"), "edge", "22 entries: 0 in the JCS form (v 2), 22 legacy (v 1), 10 of them lossy"},
		{"upgraded", up, "edge", "34 entries: 12 in the JCS form (v 2), 22 legacy (v 1), 10 of them lossy"},
	}
	var export []byte
	for _, tt := range tests {
		var out bytes.Buffer
		if err := ExportJCS(tt.s, tt.community, &out); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		msg, err := checkExport(t, out.Bytes())
		if err != nil || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: checker says %q, %v; want %q", tt.name, msg, err, tt.want)
		}
		export = out.Bytes()
	}

	// The checker is not a rubber stamp: each change to the upgraded
	// chain's export is caught.
	lines := strings.SplitAfter(string(export), "\n")
	lines = lines[:len(lines)-1] // after the last newline
	edit := func(i int, old, new string) func() []string {
		return func() []string {
			l := append([]string(nil), lines...)
			if !strings.Contains(l[i], old) {
				t.Fatalf("line %d has no %q: %s", i+1, old, l[i])
			}
			l[i] = strings.Replace(l[i], old, new, 1)
			return l
		}
	}
	legacy := slices.IndexFunc(lines, func(l string) bool { return strings.HasSuffix(l, `"v":1}`+"\n") && !strings.Contains(l, "lossy") })
	changes := []struct {
		name string
		do   func() []string
		want string
	}{
		{"detail of a JCS entry", edit(23, `"普通文字"`, `"普通文学"`), "line 24: hash"},
		{"action of a legacy entry", edit(legacy, `{"action":"`, `{"action":"x`), fmt.Sprintf("line %d: hash", legacy+1)},
		{"vote changed in the event JSON", edit(33, `\"for\"`, `\"against\"`), "line 34: hash"},
		{"members reordered", edit(30, `{"action":"vote",`, `{`), "line 31: members"},
		{"a space", edit(25, `","actor":`, `", "actor":`), "line 26: not in JCS canonical form"},
		{"escaped where JCS is not", edit(31, "真替换符", `\u771f替换符`), "line 32: not in JCS canonical form"},
		{"lossy claimed for a JCS entry", edit(22, `,"prev":`, `,"lossy":true,"prev":`), "line 23: v 2 with lossy True"},
		{"an entry removed", func() []string { return append(append([]string(nil), lines[:10]...), lines[11:]...) }, "line 11: seq 12, want 11"},
		{"two entries swapped", func() []string {
			l := append([]string(nil), lines...)
			l[24], l[25] = l[25], l[24]
			return l
		}, "line 25: seq 26"},
	}
	for _, c := range changes {
		msg, err := checkExport(t, []byte(strings.Join(c.do(), "")))
		if err == nil || !strings.Contains(msg, c.want) {
			t.Errorf("%s: checker says %q, %v; want a failure with %q", c.name, msg, err, c.want)
		}
	}
}

// TestExportJCSStopsAtABrokenEntry: like Export, the lines before an entry
// that does not decode are written, then the error.
func TestExportJCSStopsAtABrokenEntry(t *testing.T) {
	s := loadKV(t, "demo.kv")
	s[string(Key("houchen", 4))] = []byte{binaryV2, 0x80}
	var out bytes.Buffer
	err := ExportJCS(s, "houchen", &out)
	if err == nil || !strings.Contains(err.Error(), "entry 4 cannot be decoded") || !strings.Contains(err.Error(), "第4条无法解析") {
		t.Errorf("ExportJCS of a broken chain: %v", err)
	}
	if n := strings.Count(out.String(), "\n"); n != 3 {
		t.Errorf("%d lines before the broken entry, want 3", n)
	}
	s[string(Key("houchen", 4))+"x"] = []byte{binaryV1}
	delete(s, string(Key("houchen", 4)))
	if err := ExportJCS(s, "houchen", &out); err == nil || !strings.Contains(err.Error(), "unrecognised key") {
		t.Errorf("ExportJCS with a foreign key: %v", err)
	}
}
