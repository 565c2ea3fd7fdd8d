package screening

import (
	"context"
	"errors"
	"fmt"
	"github.com/yishi-community/yishi/storage/memstore"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

func TestDefaultPacksLoad(t *testing.T) {
	packs := DefaultPacks()
	if len(packs) == 0 {
		t.Fatal("no default packs")
	}
	s, err := New(packs...)
	if err != nil {
		t.Fatal(err)
	}
	if s.PhraseCount() < 300 {
		t.Errorf("default packs hold %d phrases; expected a few hundred", s.PhraseCount())
	}
}

func TestLoadPackErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
		msg        string
	}{
		{"syntax", "name: x\nrules:\n  - id: a\n    rule: [1\n", 4, ""},
		{"bad rule", "name: x\nrules:\n  - id: a\n    rule: 1\n    reason: r\n    any: [甲]\n  - id: b\n    rule: 3\n    reason: r\n    any: [乙]\n", 7, "rule"},
		{"bad regex", "name: x\nrules:\n  - id: a\n    rule: 5\n    reason: r\n    any: [\"re:(\"]\n", 3, "正则"},
		{"no reason", "name: x\nrules:\n  - id: a\n    rule: 1\n    any: [甲]\n", 3, "reason"},
		{"dup id", "name: x\ncategories:\n  - id: a\n    category: 1\n    any: [甲]\n  - id: a\n    category: 2\n    any: [乙]\n", 6, "重复"},
		{"unknown field", "name: x\nrulez: []\n", 2, ""},
		{"bad verdict", "name: x\nrules:\n  - id: a\n    rule: 1\n    verdict: maybe\n    reason: r\n    any: [甲]\n", 3, "verdict"},
		{"no signals", "name: x\nnotices:\n  - id: n\n    note: 提示\n", 3, "any"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPack("community.yaml", []byte(tt.yaml))
			var pe *PackError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *PackError", err)
			}
			if pe.File != "community.yaml" || pe.Line != tt.line {
				t.Errorf("got %s:%d, want community.yaml:%d (%v)", pe.File, pe.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), "community.yaml:") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q should name the file and mention %q", err, tt.msg)
			}
		})
	}
}

func TestSetPacksKeepsOldOnError(t *testing.T) {
	p, err := LoadPack("a.yaml", []byte("name: a\nrules:\n  - id: mahjong\n    rule: 4\n    verdict: excluded\n    reason: 测试理由\n    any: [麻将馆]\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	s.SetExamples(nil) // packs only: labelled examples about gambling would flag 4 too
	if r := s.Screen("开个麻将馆"); r.Verdict != Excluded || !slices.Equal(r.Rules, []int{4}) {
		t.Fatalf("got %v %v", r.Verdict, r.Rules)
	}
	if err := s.SetPacks(nil); err == nil {
		t.Fatal("SetPacks(nil) succeeded")
	}
	if r := s.Screen("开个麻将馆"); r.Verdict != Excluded {
		t.Fatalf("old pack lost after a failed reload: %v", r.Verdict)
	}
	if err := s.SetPacks(DefaultPacks()...); err != nil {
		t.Fatal(err)
	}
	if r := s.Screen("开个麻将馆"); slices.Contains(r.Rules, 4) {
		t.Fatalf("new packs not in force: %v", r.Rules)
	}
}

func TestDisableEntry(t *testing.T) {
	p, err := LoadPack("c.yaml", []byte("name: c\ndisable: [illegal-fines]\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(append(DefaultPacks(), p)...)
	if err != nil {
		t.Fatal(err)
	}
	s.SetExamples(nil) // packs only: a labelled example says the same
	if r := s.Screen("乱扔垃圾的罚款200元"); slices.Contains(r.Rules, 1) {
		t.Errorf("disabled entry still fired: %+v", r.Evidence)
	}
}

func TestScreenCases(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(evalClock)
	s.AddDecision(Decision{ID: "D1", Title: "关于中心广场安装健身器材的决议", Text: "在中心广场东侧安装健身器材一套。", DecidedOn: "2024-06-12"})
	tests := []struct {
		text    string
		verdict Verdict
		rule    int // 0: none expected
		cat     int // -1: do not check
	}{
		{"如何落实殡葬改革，公益性公墓选在哪里，请大家议一议", Admissible, 0, 3},
		{"能不能取消殡葬改革，允许继续土葬", Excluded, 2, -1},
		{"我家和隔壁老王家因为宅基地边界吵了三年", Excluded, 5, -1},
		{"把宅基地卖给城里人", Excluded, 1, -1},
		{"中心广场东边装一套健身器材", Excluded, 3, -1}, // near-identical to D1
		{"文化广场也装一套健身器材吧", Admissible, 0, 1},
		{"村口路燈壞了，請盡快維修", Admissible, 0, 2}, // a broken light to repair: a difficulty residents raise (as in eval.jsonl)
		{"ｗｉｆｉ信号不好，建议在村委会装个公共ＷＩＦＩ", Admissible, 0, 1},
		{"我和我哥为了爹留下的老屋怎么分吵翻了，想让村民代表给断一断", Excluded, 5, -1},
		{"广场舞太吵了 我妈天天晚上睡不着", Admissible, 0, 2}, // noise a family suffers, not a family quarrel
		{"县里推行林长制，咱村的山林巡护是包给各组还是请专人，请大家议一议", Admissible, 0, 3},
		{"村北那条排水沟被几户人家填了一段，一下雨附近的田都淹了，请村里组织把沟挖开", Admissible, 0, 2}, // many harmed: not two parties
	}
	for _, tt := range tests {
		r := s.Screen(tt.text)
		if r.Verdict != tt.verdict {
			t.Errorf("%s: verdict %s, want %s (%v)", tt.text, r.Verdict, tt.verdict, r.Reasons)
		}
		if tt.rule > 0 && !slices.Contains(r.Rules, tt.rule) {
			t.Errorf("%s: rules %v, want %d", tt.text, r.Rules, tt.rule)
		}
		if tt.cat >= 0 && r.Category != tt.cat {
			t.Errorf("%s: category %d, want %d", tt.text, r.Category, tt.cat)
		}
		for _, rule := range r.Rules {
			if !slices.ContainsFunc(r.Evidence, func(e Evidence) bool { return e.Rule == rule }) {
				t.Errorf("%s: rule %d without evidence", tt.text, rule)
			}
		}
		for _, ev := range r.Evidence {
			if ev.Reason == "" || (ev.Phrase == "" && ev.Match == nil) {
				t.Errorf("%s: evidence without reason or phrase: %+v", tt.text, ev)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.AddDecision(Decision{ID: "D1", Title: "关于修路的决议", DecidedOn: "2024-01-01"})
	big := strings.Repeat("村里的路灯坏了需要维修。", 100<<10/36)
	for name, in := range map[string]string{
		"empty":       "",
		"spaces":      " \t\n ",
		"emoji":       "👍👍🙏🇨🇳",
		"punctuation": "？？？！！！……。。，,.!?",
		"mixed":       "Please fix the 路燈 ✨ в деревне 123",
		"invalid":     "\xff\xfe\x00路",
		"100KB":       big,
	} {
		t.Run(name, func(t *testing.T) {
			r := s.Screen(in)
			if r.Verdict == "" || r.Rules == nil || r.Reasons == nil || r.Matches == nil {
				t.Fatalf("incomplete result %+v", r)
			}
			if p := r.ProposerText(); p == "" || strings.Contains(p, "拒绝") {
				t.Errorf("proposer text %q", p)
			}
			if r.ReviewerText() == "" {
				t.Error("empty reviewer text")
			}
		})
	}
	for _, in := range []string{"", "👍", "。。。"} {
		if r := s.Screen(in); !r.Empty || r.Verdict != Review {
			t.Errorf("Screen(%q) = %+v, want Empty review", in, r)
		}
	}
}

func TestTexts(t *testing.T) {
	s, _ := New()
	r := s.Screen("我家和隔壁李家因为滴水檐吵架，请村里议一议")
	p := r.ProposerText()
	for _, want := range []string{"第5条", "人民调解", "审核"} {
		if !strings.Contains(p, want) {
			t.Errorf("proposer text lacks %q: %s", want, p)
		}
	}
	rv := r.ReviewerText()
	for _, want := range []string{"五不议第5条", "依据", "理由", "改判"} {
		if !strings.Contains(rv, want) {
			t.Errorf("reviewer text lacks %q: %s", want, rv)
		}
	}
	r = s.Screen("村集体厂房出租的租金怎么用，请大家议一议")
	if len(r.Notes) == 0 || !strings.Contains(r.ReviewerText(), "第二十四条") {
		t.Errorf("art. 24 notice missing: %+v", r.Notes)
	}
	if bs := r.Screening(); bs.Verdict != string(r.Verdict) || bs.Category != r.Category {
		t.Errorf("Screening() = %+v", bs)
	}
}

func TestAddDecisionReplaceAndConcurrent(t *testing.T) {
	s, _ := New()
	s.SetClock(evalClock)
	s.AddDecision(Decision{ID: "X", Title: "关于溪滩公园建设步道凉亭的决议", DecidedOn: "2024-01-01"})
	s.AddDecision(Decision{ID: "X", Title: "关于溪滩公园建设步道凉亭的决议", DecidedOn: "2024-02-01"})
	if s.ArchiveSize() != 1 {
		t.Fatalf("archive size %d after replacing, want 1", s.ArchiveSize())
	}
	r := s.Screen("溪滩公园里建设步道和凉亭")
	if len(r.Matches) != 1 || r.Matches[0].DecidedOn != "2024-02-01" {
		t.Fatalf("matches %+v", r.Matches)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				s.AddDecision(Decision{ID: fmt.Sprintf("C%d-%d", g, i), Title: "关于村口停车位的决议", DecidedOn: "2024-03-01"})
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				s.Screen("村口划停车位")
			}
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.SetPacks(DefaultPacks()...) }()
	wg.Wait()
	if s.ArchiveSize() != 201 {
		t.Errorf("archive size %d, want 201", s.ArchiveSize())
	}
}

func TestArchiveStoreRoundTrip(t *testing.T) {
	st := memstore.New()
	d := Decision{ID: "J1", Title: "关于溪滩公园建设的决议", Text: "修建步道和凉亭", DecidedOn: "2023-09-08"}
	if err := st.Commit(context.Background(), DecisionWrites("c1", d)); err != nil {
		t.Fatal(err)
	}
	_ = st.Commit(context.Background(), DecisionWrites("c2", Decision{ID: "J9", Title: "别的社区", DecidedOn: "2023-01-01"}))
	s, _ := New()
	n, err := LoadArchive(st, "c1", s)
	if err != nil || n != 1 || s.ArchiveSize() != 1 {
		t.Fatalf("LoadArchive = %d, %v (size %d)", n, err, s.ArchiveSize())
	}
	_ = st.Commit(context.Background(), []bot.KV{{Key: []byte("decision/c1/bad"), Value: []byte("{")}})
	if _, err := LoadArchive(st, "c1", s); err == nil || !strings.Contains(err.Error(), "decision/c1/bad") {
		t.Errorf("bad value error %v should name the key", err)
	}
}

func TestParseDecisions(t *testing.T) {
	jsonl := `{"id":"1","title":"修路","text":"","decided_on":"2024-01-02"}
{"id":"2","title":"","decided_on":"2024-01-02"}
not json

{"id":"1","title":"重复","decided_on":"2024-01-02"}
{"id":"3","title":"日期错","decided_on":"2024/01/02"}
{"id":"4","title":"好","decided_on":"2024-03-04","extra":1}`
	good, bad, err := ParseDecisions("x.jsonl", strings.NewReader(jsonl))
	if err != nil {
		t.Fatal(err)
	}
	var rows []int
	for _, b := range bad {
		rows = append(rows, b.Row)
	}
	if len(good) != 1 || !slices.Equal(rows, []int{2, 3, 5, 6, 7}) {
		t.Errorf("good %d, bad rows %v (%v)", len(good), rows, bad)
	}
	csvText := "\ufeff编号,标题,内容,日期\nA1,修路,\"浇水泥, 5米宽\",2024-01-02\nA2,,x,2024-01-02\nA3,\"未闭合,2024-01-01\n"
	good, bad, err = ParseDecisions("x.csv", strings.NewReader(csvText))
	if err != nil {
		t.Fatal(err)
	}
	if len(good) != 1 || good[0].Text != "浇水泥, 5米宽" || len(bad) != 2 || bad[0].Row != 3 {
		t.Errorf("csv: good %+v bad %+v", good, bad)
	}
	if _, bad, _ := ParseDecisions("x.csv", strings.NewReader("a,b\n1,2\n")); len(bad) != 1 || bad[0].Row != 1 {
		t.Errorf("missing header columns: %+v", bad)
	}
}

// TestPolicyTopicsNamedNotContested: residents name a higher level's
// requirement when they ask about living with it; only a sign of setting
// it aside (voting it away, asking to delay or drop it) is a rule-2 matter.
func TestPolicyTopicsNamedNotContested(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"垃圾分类的桶放哪比较好",
		"小区垃圾分类的桶太少了 每次都满",
		"秸秆不让烧了 那堆在田里的秸秆咋整",
		"电动车不让上楼了 充电桩啥时候装",
		"疫情防控的时候村里垫的钱什么时候能报",
		"森林防火期间上山的路口安排几个人值班",
		"烟花爆竹禁放了 春节村里能不能搞个灯会热闹一下",
		"河长制的公示牌被撞倒了 找人扶起来",
	} {
		if r := s.Screen(text); r.Verdict != Admissible {
			t.Errorf("%s: %s %v (%v), want admissible", text, r.Verdict, r.Rules, r.Reasons)
		}
	}
	for _, text := range []string{
		"秸秆禁烧太麻烦了，咱村投票还是照旧烧",
		"垃圾分类我们小区能不能暂停半年",
		"禁渔期还有半个月，提前下网行不行",
	} {
		if r := s.Screen(text); !contains(r.Rules, 2) {
			t.Errorf("%s: %s %v, want rule 2", text, r.Verdict, r.Rules)
		}
	}
}

// TestEverydayQuestionsNotFlagged: questions residents ask every day that
// touch what the 五不议 rules are about (homesteads, insurance, elections,
// fines, feasts, contracts, neighbours) without asking to set a rule aside.
func TestEverydayQuestionsNotFlagged(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"宅基地审批要交哪些材料", "医保今年每人交多少 在哪交", "低保评议啥时候开会", "村委会换届选举的投票点设在哪",
		"承包地确权的证啥时候发", "耕地上的大棚被风吹坏了 有没有补助", "孩子结婚想在文化礼堂办酒 要登记吗",
		"罚款的钱去哪了 能不能公开", "红白理事会定的酒席标准 今年要不要调整", "村里鱼塘承包到期了 重新招标的方案请大家议",
		"外来务工人员的孩子能不能在村幼儿园入学 请大家想办法", "村庄规划公示了 大家去看看有没有意见",
		"邻里节想搞个百家宴 大家出个菜", "隔壁村的路修好了 我们村的啥时候修", "楼上楼下的邻居都说电梯老坏",
		"我家门口的路灯坏了 晚上黑", "我们小区好几户家里漏水 是楼顶防水坏了", "物业费涨了 业主们想问问为啥涨",
		"停车费收了以后 钱用在哪了", "我爸八十了 高龄补贴咋申请", "隔壁老王家的狗天天晚上叫 好多户睡不着",
		"村集体果园今年收益不错，分红方案请村民代表大会讨论。",
		"村里打算对违章搭建的棚子进行清理，先摸底登记，再分批拆除，请大家议一议具体步骤。",
		"外嫁女的分红权益怎么保障，请村里按法律规定定个办法。",
		"两个村民小组共用的灌溉水渠年久失修，两个组都想修，费用怎么分摊请大家议。",
		"婚丧嫁娶的随礼越来越高，大家负担重，建议红白理事会定个上限。",
		"部分村民反映征地补偿款发放进度慢，希望村里公开发放明细并说明时间表。",
		// Found by review: words of new entries inside ordinary proposals.
		// (小区业委会定的停车位租金太贵了，建议表决同意降低一点 is still
		// sent to review by the similarity layer, which reads it like 小区
		// 花园改成业委会主任的私家停车位.)
		"小区里的停车规定太死了，能不能放开让亲友的车临时停一下？",
		// (自家地里种的橘子卖不出去，建议村里帮忙联系销路 likewise, for a
		// rule-5 example about rent; both are left to the reviewer.)
		"责任田旁边的小路太窄，建议拓宽一下。",
		"小学生放学后家长还在上班，没人接送，建议村里设个接送点。",
		"建议给父母在外打工的小学生办个暑假托管班。",
		"孩子满10岁办酒席太铺张，建议村规里倡导简办。",
		"我爸腿脚不好，村里的台阶太陡，他不肯出门，建议加个扶手。",
		"读小学的孩子放学后没人管，建议村里办个四点半课堂，每月交钱100元。",
	} {
		if r := s.Screen(text); r.Verdict != Admissible {
			t.Errorf("%s: %s %v (%v), want admissible", text, r.Verdict, r.Rules, r.Reasons)
		}
	}
}

// TestDefaultPacksCompiledOnce: screeners on the default packs share one
// compiled matcher; changing one screener's packs leaves the others alone.
func TestDefaultPacksCompiledOnce(t *testing.T) {
	a, _ := New()
	b, _ := New(DefaultPacks()...)
	if a.m.Load() != b.m.Load() {
		t.Fatal("two screeners on the default packs compiled them twice")
	}
	if err := a.SetPacks(emptyPackOf(t)); err != nil {
		t.Fatal(err)
	}
	if r := b.Screen("把宅基地卖给城里人"); !contains(r.Rules, 1) {
		t.Errorf("b lost its packs when a changed: %v", r.Rules)
	}
	if r := a.Screen("把宅基地卖给城里人"); contains(r.Rules, 1) && r.Evidence[0].Entry != "" {
		t.Errorf("a still matches the default packs: %+v", r.Evidence)
	}
}
