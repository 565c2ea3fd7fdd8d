package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/storage"
)

// legacyScript plays three topics: the demo, a 13-member secret ballot
// with a changed vote, and a failed open vote held again (再议) that passes
// in its second round. The same script made the migration fixture with the
// version before the event log.
func legacyScript(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("testdata", "legacy-9b65499", "script.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// Meetings there open days before their plan: the chair confirms (是).
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		out = append(out, l)
		if strings.Contains(l, "张建国: 开始协商 #") {
			out = append(out, "[后陈村议事群] 张建国: 是")
		}
	}
	return strings.Join(out, "\n")
}

// TestRoundsKept: a topic held again keeps every round, and record prints
// either one.
func TestRoundsKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if _, e, code := run(t, legacyScript(t), "--data", dir); code != 0 {
		t.Fatalf("script: %s", e)
	}
	latest, e, code := run(t, "", "record", "3", "--data", dir)
	if code != 0 {
		t.Fatalf("record 3: %s", e)
	}
	for _, want := range []string{"本表为第2轮协商的记录(本议题共协商2轮)", "第1轮(未通过，赞成5 反对6 弃权1 / 实到12)", "赞成人数：11 人"} {
		if !strings.Contains(latest, want) {
			t.Errorf("record 3 lacks %q:\n%s", want, latest)
		}
	}
	first, e, code := run(t, "", "record", "3", "--round", "1", "--data", dir)
	if code != 0 {
		t.Fatalf("record 3 --round 1: %s", e)
	}
	for _, want := range []string{"本表为第1轮协商的记录", "赞成人数：5 人", "反对人数：6 人", "征求更多村民意见后再议"} {
		if !strings.Contains(first, want) {
			t.Errorf("round 1 lacks %q:\n%s", want, first)
		}
	}
	// Round 1 keeps its own check-ins, statements, signature and 公示.
	if !strings.Contains(first, "第3号议题我先说两句") || !strings.Contains(first, "胡丽萍(于") {
		t.Errorf("round 1 lost its minutes or signature:\n%s", first)
	}
	if _, e, code := run(t, "", "record", "3", "--round", "3", "--data", dir); code == 0 || !strings.Contains(e, "没有第3轮") {
		t.Errorf("round 3 of 2: code %d %s", code, e)
	}
	out, _, code := run(t, "", "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "重建3个议题、4轮协商") {
		t.Errorf("verify: code %d\n%s", code, out)
	}
	stats, e, code := run(t, "", "stats", "--period", "all", "--data", dir)
	if code != 0 || !strings.Contains(stats, "议题3个，协商表决4轮(再议的议题1个)") || !strings.Contains(stats, "第1轮") {
		t.Errorf("stats: code %d %s\n%s", code, e, stats)
	}
}

// TestSecretBallotErasedAtRest: once the secret round of topic #2 (12
// voters, one changed vote) has closed, no key or value the store still
// holds, in any version, links a voter to a choice, and neither do the raw
// files of the data directory.
func TestSecretBallotErasedAtRest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if _, e, code := run(t, legacyScript(t), "--data", dir); code != 0 {
		t.Fatalf("script: %s", e)
	}
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	choice := regexp.MustCompile(`\b(for|against|abstain)\b|赞成|反对|弃权`)
	n := 0
	err = db.EveryVersion(func(k, v []byte) error {
		n++
		key := string(k)
		if strings.HasPrefix(key, "secret/") {
			t.Errorf("secret ballot data left after the close: %s", key)
		}
		if strings.HasPrefix(key, "ballot/houchen/2/") {
			t.Errorf("a ballot of the secret round is stored: %s = %s", key, v)
		}
		if bytes.Contains(v, []byte("您投了")) { // a voter's private receipt names the choice
			t.Errorf("a secret ballot's receipt is left in the store: %s", key)
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("scanned nothing")
	}
	// Export: topic #2's vote_cast lines carry no choice.
	out, _, code := run(t, "", "audit", "export", "houchen", "--data", dir)
	if code != 0 {
		t.Fatal("export failed")
	}
	votes := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `"vote_cast"`) && strings.Contains(line, `"topic":"2"`) {
			votes++
			if strings.Contains(line, "choice") {
				t.Errorf("a secret vote's entry carries a choice: %s", line)
			}
		}
	}
	if votes != 13 { // 12 voters, one changed vote
		t.Errorf("secret round has %d vote entries, want 13", votes)
	}
	// The raw files: no member id within 64 bytes of a choice word.
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("您投了")) {
			t.Errorf("%s holds a secret ballot's receipt", f.Name())
		}
		for _, m := range []string{"chenxiuying", "lixiulan", "chenmeihua"} {
			for i := bytes.Index(b, []byte(m)); i >= 0; {
				lo, hi := max(0, i-64), min(len(b), i+len(m)+64)
				if w := b[lo:hi]; bytes.Contains(w, []byte(`"topic":"2"`)) && choice.Match(w) || bytes.Contains(w, []byte("ballot/houchen/2/")) {
					t.Errorf("%s: %s near a secret choice: %q", f.Name(), m, w)
				}
				j := bytes.Index(b[i+1:], []byte(m))
				if j < 0 {
					break
				}
				i += 1 + j
			}
		}
	}
}

// TestRoundInChat: 记录 #N 第K轮 in a private chat prints round K.
func TestRoundInChat(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	out, e, code := run(t, legacyScript(t)+"\n[私聊] 胡德明: 记录 #3 第1轮\n[私聊] 胡德明: 记录 #3 第5轮\n", "--data", dir)
	if code != 0 {
		t.Fatalf("script: %s", e)
	}
	tail := out
	for _, want := range []string{"本表为第1轮协商的记录", "没有第5轮(共协商2轮)"} {
		if !strings.Contains(tail, want) {
			t.Errorf("chat lacks %q:\n%s", want, tail)
		}
	}
}
