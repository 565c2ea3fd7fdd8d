package screencli

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/yishi-community/yishi/storage/memstore"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/screening"
)

type memStore = memstore.Store

func newMem() *memStore { return memstore.New() }

func opener(s *memStore) OpenStore { return func(string) (bot.Store, error) { return s, nil } }

func TestScreen(t *testing.T) {
	dir := t.TempDir()
	prior := filepath.Join(dir, "prior.jsonl")
	os.WriteFile(prior, []byte(`{"id":"J1","title":"关于溪滩公园建设的决议","text":"利用溪滩荒地建设休闲公园，修建步道和凉亭","decided_on":"2023-09-08"}`+"\n"), 0o644)
	in := strings.Join([]string{
		"溪滩荒地建成公园，修步道和凉亭",
		`{"id":"p2","text":"能不能允许继续土葬"}`,
		"",
		"👍",
		"建议在村委会旁边建个老年活动中心",
	}, "\n")
	var out, errb bytes.Buffer
	code := Screen(context.Background(), []string{"--prior", prior}, strings.NewReader(in), &out, &errb, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d output lines, want 5:\n%s", len(lines), out.String())
	}
	var res []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"verdict", "rules", "category", "reasons", "matches"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %s lacks %q", l, k)
			}
		}
		res = append(res, m)
	}
	if res[0]["verdict"] == "admissible" || len(res[0]["matches"].([]any)) == 0 {
		t.Errorf("repeat not flagged: %v", res[0])
	}
	if res[1]["id"] != "p2" || res[1]["verdict"] != "excluded" {
		t.Errorf("json input: %v", res[1])
	}
	if res[2]["category"] != nil {
		t.Errorf("empty line category should be null: %v", res[2])
	}
	if res[4]["verdict"] != "admissible" || res[4]["category"] != float64(1) {
		t.Errorf("plain admissible: %v", res[4])
	}
}

func TestImportDecisions(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("id,title,text,decided_on\nA1,关于修路的决议,硬化村道,2024-01-02\nA2,关于路灯的决议,,2024-02-03\n"), 0o644)
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"B1","title":"好","decided_on":"2024-01-01"}`+"\n"+`{"id":"B2","title":"","decided_on":"2024-01-01"}`+"\n"), 0o644)

	st := newMem()
	var out, errb bytes.Buffer
	if code := ImportDecisions(context.Background(), []string{bad, "--data", dir, "--community", "c1"}, nil, &out, &errb, opener(st)); code != 1 {
		t.Fatalf("bad file: exit %d", code)
	}
	if st.Len() != 0 || !strings.Contains(errb.String(), "第 2 行") {
		t.Fatalf("bad file wrote %d keys; stderr %s", st.Len(), errb.String())
	}
	errb.Reset()
	if code := ImportDecisions(context.Background(), []string{"--partial", bad, "--data", dir, "--community", "c1"}, nil, &out, &errb, opener(st)); code != 0 {
		t.Fatalf("partial: exit %d %s", code, errb.String())
	}
	if v, _ := st.Get([]byte("decision/c1/B1")); v == nil || st.Len() != 1 {
		t.Fatalf("partial import wrote %d keys", st.Len())
	}
	if code := ImportDecisions(context.Background(), []string{good, "--data", dir, "--community", "c1"}, nil, &out, &errb, opener(st)); code != 0 {
		t.Fatalf("good: exit %d %s", code, errb.String())
	}
	if st.Len() != 3 {
		t.Fatalf("store has %d keys, want 3", st.Len())
	}
	if code := ImportDecisions(context.Background(), []string{good}, nil, &out, &errb, opener(st)); code != 2 {
		t.Errorf("missing --data: exit %d, want 2", code)
	}

	// --data screens against the stored archive and the community packs.
	os.MkdirAll(filepath.Join(dir, "packs"), 0o755)
	os.WriteFile(filepath.Join(dir, "packs", "local.yaml"), []byte("name: local\nrules:\n  - id: mj\n    rule: 4\n    reason: 本村约定不议\n    any: [麻将馆]\n"), 0o644)
	out.Reset()
	code := Screen(context.Background(), []string{"--data", dir, "--community", "c1"}, strings.NewReader("村道硬化\n开麻将馆\n"), &out, &errb, opener(st))
	if code != 0 {
		t.Fatalf("exit %d %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.Contains(lines[0], "A1") || !strings.Contains(lines[1], "本村约定不议") {
		t.Errorf("output:\n%s", out.String())
	}
	// A broken community pack is reported with file and line.
	os.WriteFile(filepath.Join(dir, "packs", "zz.yaml"), []byte("name: z\nrules:\n  - id: x\n    rule: 9\n    reason: r\n    any: [甲]\n"), 0o644)
	errb.Reset()
	if code := Screen(context.Background(), []string{"--data", dir}, strings.NewReader("x\n"), &out, &errb, opener(st)); code != 1 || !strings.Contains(errb.String(), "zz.yaml:3") {
		t.Errorf("broken pack: exit %d, stderr %s", code, errb.String())
	}
}

func TestDecisionsExportImportReviewed(t *testing.T) {
	src := newMem()
	ctx := context.Background()
	exs := []screening.ReviewedExample{
		{ID: "r1", Kind: screening.ReviewDeclined, Rule: 4, Text: "集体鱼塘低价包给主任的侄子", Reason: "明显不公平", DecidedOn: "2026-09-01"},
		{ID: "r2", Kind: screening.ReviewApproved, Category: 2, ScreenCategory: 1, Text: "村口的桥裂了要修", DecidedOn: "2026-10-02"},
	}
	var batch []bot.KV
	for _, e := range exs {
		batch = append(batch, screening.ReviewWrites("houchen", e)...)
	}
	if err := src.Commit(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := ExportDecisions(ctx, []string{"--data", "x", "--community", "houchen"}, &out, &errb, opener(src)); code != 0 {
		t.Fatalf("export exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"community":"houchen"`) || !strings.Contains(lines[0], `"kind":"declined"`) {
		t.Fatalf("export output:\n%s", out.String())
	}

	dst := newMem()
	file := filepath.Join(t.TempDir(), "shared.jsonl")
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	own := screening.ReviewedExample{ID: "houchen:r1", Kind: screening.ReviewReturned, Text: "本地的记录", DecidedOn: "2026-01-01"}
	if err := dst.Commit(ctx, screening.ReviewWrites("other", own)); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := ImportDecisions(ctx, []string{file, "--data", "y", "--community", "other"}, nil, &out, &errb, opener(dst)); code != 0 {
		t.Fatalf("import exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "已合并 1 条审定记录") || !strings.Contains(out.String(), "1 条已存在") {
		t.Errorf("import output: %s", out.String())
	}
	got, err := screening.StoredReviewed(dst, "other")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "houchen:r1" || got[0].Kind != screening.ReviewReturned || got[1].ID != "houchen:r2" || got[1].Category != 2 {
		t.Errorf("merged examples: %+v", got)
	}

	// A bad row stops the import unless --partial.
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"z1","kind":"approved","text":"修路","decided_on":"2026-01-01"}`+"\n"), 0o644)
	errb.Reset()
	if code := ImportDecisions(ctx, []string{bad, "--data", "y", "--community", "other"}, nil, &out, &errb, opener(dst)); code != 1 || !strings.Contains(errb.String(), "六必议类别") {
		t.Errorf("bad row: exit %d, %s", code, errb.String())
	}
}

func TestScreenUsesStoredReviewed(t *testing.T) {
	st := newMem()
	ctx := context.Background()
	ex := screening.ReviewedExample{ID: "d1", Kind: screening.ReviewDeclined, Rule: 4, Text: "把村委会后面那块集体空地长期低价租给书记的小舅子开农家乐", Reason: "不公平", DecidedOn: "2026-09-03"}
	if err := st.Commit(ctx, screening.ReviewWrites("houchen", ex)); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	in := strings.NewReader("村委会后面那块集体空地低价长期租给书记小舅子开个农家乐\n")
	if code := Screen(ctx, []string{"--data", t.TempDir(), "--community", "houchen"}, in, &out, &errb, opener(st)); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), `"precedents":[{"id":"d1"`) {
		t.Errorf("output lacks the precedent: %s", out.String())
	}
}
