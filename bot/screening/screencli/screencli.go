// Package screencli is the command line of the screening: `yishi screen`
// (proposals on stdin, one JSON result per line on stdout) and `yishi
// decisions import` (load past resolutions into the archive). cmd/yishi
// wires these functions in; they take the store opener as a parameter so
// that this package does not depend on the storage implementation.
package screencli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/screening"
)

// OpenStore opens the bot's store in a data directory (storage.Open).
type OpenStore func(dir string) (bot.Store, error)

const defaultCommunity = "default"

// parseArgs parses flags anywhere among args and returns the positionals.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// output is one line of `yishi screen`.
type output struct {
	ID       string               `json:"id,omitempty"`
	Verdict  screening.Verdict    `json:"verdict"`
	Rules    []int                `json:"rules"`
	Category *int                 `json:"category"`
	Reasons  []string             `json:"reasons"`
	Matches  []screening.Match    `json:"matches"`
	Notes    []string             `json:"notes,omitempty"`
	Evidence []screening.Evidence `json:"evidence,omitempty"`
	// TopCategories: the two most likely categories with confidence and words.
	TopCategories []screening.CategoryScore `json:"top_categories,omitempty"`
	// Precedents: the community's reviewer decisions on similar proposals.
	Precedents []screening.Precedent `json:"precedents,omitempty"`
}

// Screen implements `yishi screen [--prior FILE] [--data DIR] [--community ID]`.
// It reads proposals from stdin, one per line (plain text, or a JSON object
// with a "text" field and optionally an "id" that is echoed), and writes
// one JSON object per input line. Exit codes: 0 ok, 1 runtime error,
// 2 usage error.
func Screen(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, openStore OpenStore) int {
	fs := flag.NewFlagSet("screen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prior := fs.String("prior", "", "JSONL or CSV file of past decisions to add to the archive for this run")
	data := fs.String("data", "", "bot data directory: use its stored archive and its packs/ directory")
	community := fs.String("community", defaultCommunity, "community ID of the archive in --data")
	evidence := fs.Bool("evidence", false, "also print the evidence of every fired rule")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "用法: yishi screen [--prior FILE] [--data DIR] [--community ID] [--evidence] < proposals")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "yishi screen: 多余的参数 %q（提议从标准输入读取）\n", pos)
		return 2
	}
	packs := screening.DefaultPacks()
	var store bot.Store
	if *data != "" {
		extra, err := screening.LoadPackDir(filepath.Join(*data, "packs"))
		if err != nil {
			fmt.Fprintf(stderr, "yishi screen: 规则包有误: %v\n", err)
			return 1
		}
		packs = append(packs, extra...)
		if openStore == nil {
			fmt.Fprintln(stderr, "yishi screen: 无法打开数据目录（未提供存储）")
			return 1
		}
		store, err = openStore(*data)
		if err != nil {
			fmt.Fprintf(stderr, "yishi screen: 打开数据目录 %s: %v\n", *data, err)
			return 1
		}
		defer store.Close()
	}
	sc, err := screening.New(packs...)
	if err != nil {
		fmt.Fprintf(stderr, "yishi screen: %v\n", err)
		return 1
	}
	if store != nil {
		if _, err := screening.LoadArchive(store, *community, sc); err != nil {
			fmt.Fprintf(stderr, "yishi screen: %v\n", err)
			return 1
		}
		if _, err := screening.LoadReviewed(store, *community, sc); err != nil {
			fmt.Fprintf(stderr, "yishi screen: %v\n", err)
			return 1
		}
	}
	if *prior != "" {
		good, bad, err := readDecisionFile(*prior)
		if err != nil {
			fmt.Fprintf(stderr, "yishi screen: %v\n", err)
			return 1
		}
		for _, e := range bad {
			fmt.Fprintf(stderr, "%s: %v（已跳过）\n", *prior, e)
		}
		for _, d := range good {
			sc.AddDecision(d)
		}
	}

	in := bufio.NewReaderSize(stdin, 64<<10)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for lineNo := 1; ; lineNo++ {
		if err := ctx.Err(); err != nil {
			fmt.Fprintf(stderr, "yishi screen: %v\n", err)
			return 1
		}
		line, err := in.ReadString('\n')
		if line == "" && errors.Is(err, io.EOF) {
			return 0
		}
		if err != nil && !errors.Is(err, io.EOF) {
			fmt.Fprintf(stderr, "yishi screen: 读取第 %d 行: %v\n", lineNo, err)
			return 1
		}
		id, text := proposalText(strings.TrimRight(line, "\r\n"))
		r := sc.ScreenFor(*community, text)
		o := output{ID: id, Verdict: r.Verdict, Rules: r.Rules, Reasons: r.Reasons, Matches: r.Matches, Notes: r.Notes,
			TopCategories: r.TopCategories, Precedents: r.Precedents}
		if r.Category > 0 {
			c := r.Category
			o.Category = &c
		}
		if *evidence {
			o.Evidence = r.Evidence
		}
		if err := enc.Encode(o); err != nil {
			fmt.Fprintf(stderr, "yishi screen: 写出结果: %v\n", err)
			return 1
		}
		if errors.Is(err, io.EOF) {
			return 0
		}
	}
}

// proposalText accepts a JSON object with "text" (and optional "id"), or
// takes the line as plain text.
func proposalText(line string) (id, text string) {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "{") {
		var v struct {
			ID   json.RawMessage `json:"id"`
			Text *string         `json:"text"`
		}
		if json.Unmarshal([]byte(t), &v) == nil && v.Text != nil {
			if len(v.ID) > 0 {
				var s string
				if json.Unmarshal(v.ID, &s) == nil {
					id = s
				} else {
					id = string(v.ID)
				}
			}
			return id, *v.Text
		}
	}
	return "", line
}

func readDecisionFile(name string) ([]screening.Decision, []screening.RowError, error) {
	var r io.Reader
	if name == "-" {
		return nil, nil, fmt.Errorf("--prior 不能是标准输入（提议从标准输入读取）")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("打开 %s: %w", name, err)
	}
	defer f.Close()
	r = f
	return screening.ParseDecisions(name, r)
}

// ImportDecisions implements `yishi decisions import FILE [--data DIR]
// [--community ID] [--partial]`. Every row is validated first; bad rows are
// reported with their row numbers and nothing is written unless all rows
// are good, or --partial is given (then the good rows are written).
// FILE "-" reads stdin (JSONL, or CSV when it does not start with "{").
func ImportDecisions(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, openStore OpenStore) int {
	fs := flag.NewFlagSet("decisions import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data0 := fs.String("data", "", "bot data directory (required)")
	community := fs.String("community", defaultCommunity, "community ID")
	partial := fs.Bool("partial", false, "import the good rows even if some rows are bad")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "用法: yishi decisions import FILE --data DIR [--community ID] [--partial]")
		fmt.Fprintln(stderr, "FILE 为 JSONL（每行 {\"id\",\"title\",\"text\",\"decided_on\"}）或带表头的 CSV；- 表示标准输入。")
		fmt.Fprintln(stderr, "FILE 也可以是 yishi decisions export 导出的审定记录（每行带 \"kind\"），合并进本社区的审定先例。")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	if *data0 == "" {
		fmt.Fprintln(stderr, "yishi decisions import: 需要 --data DIR（机器人数据目录）")
		return 2
	}
	if strings.ContainsAny(*community, "/\n") || *community == "" {
		fmt.Fprintf(stderr, "yishi decisions import: 社区编号 %q 无效\n", *community)
		return 2
	}
	name := pos[0]
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "yishi decisions import: 打开 %s: %v\n", name, err)
			return 1
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		fmt.Fprintf(stderr, "yishi decisions import: 读取 %s: %v\n", name, err)
		return 1
	}
	if screening.IsReviewedJSONL(data) {
		return importReviewed(ctx, name, data, *data0, *community, *partial, stdout, stderr, openStore)
	}
	good, bad, err := screening.ParseDecisions(name, bytes.NewReader(data))
	if err != nil {
		fmt.Fprintf(stderr, "yishi decisions import: %v\n", err)
		return 1
	}
	for _, e := range bad {
		fmt.Fprintf(stderr, "%s: %v\n", name, e)
	}
	if len(bad) > 0 && !*partial {
		fmt.Fprintf(stderr, "有 %d 行有误，未导入任何决议。改正后重新导入，或加 --partial 只导入正确的 %d 行。\n", len(bad), len(good))
		return 1
	}
	if len(good) == 0 {
		fmt.Fprintln(stderr, "没有可导入的决议。")
		return 1
	}
	if openStore == nil {
		fmt.Fprintln(stderr, "yishi decisions import: 无法打开数据目录（未提供存储）")
		return 1
	}
	store, err := openStore(*data0)
	if err != nil {
		fmt.Fprintf(stderr, "yishi decisions import: 打开数据目录 %s: %v\n", *data0, err)
		return 1
	}
	defer store.Close()
	var batch []bot.KV
	for _, d := range good {
		batch = append(batch, screening.DecisionWrites(*community, d)...)
	}
	// One batch: the import is all or nothing at the store level too.
	if err := store.Commit(ctx, batch); err != nil {
		fmt.Fprintf(stderr, "yishi decisions import: 写入失败，未导入: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "已导入 %d 条决议到社区 %s", len(good), *community)
	if len(bad) > 0 {
		fmt.Fprintf(stdout, "（跳过有误的 %d 行）", len(bad))
	}
	fmt.Fprintln(stdout, "。")
	return 0
}

// importReviewed merges a file of reviewed examples (yishi decisions
// export) into community: examples from another community keep their
// origin in their ID (ImportedID), so they never replace local decisions;
// an example already stored under the same ID is left as it is.
func importReviewed(ctx context.Context, name string, data []byte, dir, community string, partial bool, stdout, stderr io.Writer, openStore OpenStore) int {
	good, bad, err := screening.ParseReviewed(name, bytes.NewReader(data))
	if err != nil {
		fmt.Fprintf(stderr, "yishi decisions import: %v\n", err)
		return 1
	}
	for _, e := range bad {
		fmt.Fprintf(stderr, "%s: %v\n", name, e)
	}
	if len(bad) > 0 && !partial {
		fmt.Fprintf(stderr, "有 %d 行有误，未导入任何审定记录。改正后重新导入，或加 --partial 只导入正确的 %d 行。\n", len(bad), len(good))
		return 1
	}
	if len(good) == 0 {
		fmt.Fprintln(stderr, "没有可导入的审定记录。")
		return 1
	}
	if openStore == nil {
		fmt.Fprintln(stderr, "yishi decisions import: 无法打开数据目录（未提供存储）")
		return 1
	}
	store, err := openStore(dir)
	if err != nil {
		fmt.Fprintf(stderr, "yishi decisions import: 打开数据目录 %s: %v\n", dir, err)
		return 1
	}
	defer store.Close()
	var batch []bot.KV
	kept := 0
	for _, ex := range good {
		ex.ID = screening.ImportedID(community, ex)
		v, err := store.Get(screening.ReviewKey(community, ex.ID))
		if err != nil {
			fmt.Fprintf(stderr, "yishi decisions import: 读取 %s: %v\n", ex.ID, err)
			return 1
		}
		if v != nil {
			kept++
			continue
		}
		batch = append(batch, screening.ReviewWrites(community, ex)...)
	}
	if len(batch) > 0 {
		if err := store.Commit(ctx, batch); err != nil {
			fmt.Fprintf(stderr, "yishi decisions import: 写入失败，未导入: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "已合并 %d 条审定记录到社区 %s", len(batch), community)
	if kept > 0 {
		fmt.Fprintf(stdout, "（%d 条已存在，保留原记录）", kept)
	}
	if len(bad) > 0 {
		fmt.Fprintf(stdout, "（跳过有误的 %d 行）", len(bad))
	}
	fmt.Fprintln(stdout, "。重启机器人后生效。")
	return 0
}

// ExportDecisions implements `yishi decisions export --data DIR
// [--community ID] [--out FILE]`: the community's reviewed examples
// (reviewer decisions) as JSONL, for another community to import.
func ExportDecisions(ctx context.Context, args []string, stdout, stderr io.Writer, openStore OpenStore) int {
	fs := flag.NewFlagSet("decisions export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "", "bot data directory (required)")
	community := fs.String("community", defaultCommunity, "community ID")
	outFile := fs.String("out", "", "write to FILE instead of stdout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "用法: yishi decisions export --data DIR [--community ID] [--out FILE]")
		fmt.Fprintln(stderr, "导出本社区的审定记录（同意及类别、退回、不予受理及条目、推翻初筛及理由），每行一个 JSON 对象。")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "yishi decisions export: 多余的参数 %q\n", pos)
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "yishi decisions export: 需要 --data DIR（机器人数据目录）")
		return 2
	}
	if openStore == nil {
		fmt.Fprintln(stderr, "yishi decisions export: 无法打开数据目录（未提供存储）")
		return 1
	}
	store, err := openStore(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "yishi decisions export: 打开数据目录 %s: %v\n", *dir, err)
		return 1
	}
	defer store.Close()
	exs, err := screening.StoredReviewed(store, *community)
	if err != nil {
		fmt.Fprintf(stderr, "yishi decisions export: %v\n", err)
		return 1
	}
	w := stdout
	var f *os.File
	if *outFile != "" {
		f, err = os.Create(*outFile)
		if err != nil {
			fmt.Fprintf(stderr, "yishi decisions export: %v\n", err)
			return 1
		}
		w = f
	}
	bw := bufio.NewWriter(w)
	err = screening.WriteReviewedJSONL(bw, *community, exs)
	if err == nil {
		err = bw.Flush()
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "yishi decisions export: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "已导出社区 %s 的 %d 条审定记录。\n", *community, len(exs))
	return 0
}
