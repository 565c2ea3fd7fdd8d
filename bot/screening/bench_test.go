package screening

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// Synthetic vocabulary for the benchmark archive and the 10,000-phrase pack.
var (
	benchPlaces  = strings.Fields("东溪村 西溪村 南山村 北岙村 后陈村 前林村 上塘村 下湾村 中心广场 文化广场 滨河公园 溪滩公园 1号楼 2号楼 3号楼 5号楼 8号楼 幸福小区 和平小区 阳光小区 新村 老街 东门 西门 村口 桥头 菜场 学校 卫生院 文化礼堂 祠堂 老粮站 晒谷场 水库 山塘 溪边 河边 老年活动中心 村委会 社区服务中心")
	benchObjects = strings.Fields("路灯 停车位 健身器材 护栏 监控 垃圾投放点 充电棚 凉亭 步道 公厕 座椅 绿化 排水沟 自来水管 电梯 楼道灯 快递柜 候车亭 篮球场 儿童游乐设施 宣传栏 车棚 污水管网 消防栓 休闲长廊 农家书屋 老年食堂 助餐点 文化墙 晾晒场")
	benchActions = strings.Fields("安装 增设 维修 更换 改造 新建 拆除 修缮 扩建 搬迁 清理 提升 铺设 划设 整治")
	benchFunds   = []string{"费用由村集体承担", "申请上级补助", "由物业公司负责实施", "由公共收益列支", "由乡贤捐赠", "住户按楼层分摊", "村民自筹一部分"}
)

func benchDecision(r *rand.Rand, i int) Decision {
	p := benchPlaces[r.IntN(len(benchPlaces))]
	o := benchObjects[r.IntN(len(benchObjects))]
	a := benchActions[r.IntN(len(benchActions))]
	y := 2015 + r.IntN(10)
	return Decision{
		ID:        fmt.Sprintf("B%06d", i),
		Title:     fmt.Sprintf("关于%s%s%s的决议", p, a, o),
		Text:      fmt.Sprintf("在%s%s%s%d处，%s，%d月底前完成。", p, a, o, 2+r.IntN(30), benchFunds[r.IntN(len(benchFunds))], 1+r.IntN(12)),
		DecidedOn: fmt.Sprintf("%d-%02d-%02d", y, 1+r.IntN(12), 1+r.IntN(28)),
	}
}

func benchProposal(r *rand.Rand) string {
	p := benchPlaces[r.IntN(len(benchPlaces))]
	o := benchObjects[r.IntN(len(benchObjects))]
	a := benchActions[r.IntN(len(benchActions))]
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("建议在%s%s一些%s，方便大家。", p, a, o)
	case 1:
		return fmt.Sprintf("%s的%s坏了很久了，希望尽快%s。", p, o, a)
	case 2:
		return fmt.Sprintf("%s那边没有%s，老人孩子都不方便，能不能%s一下？", p, o, a)
	}
	return fmt.Sprintf("我家和隔壁因为%s的%s吵了好几次，请村里议一议。", p, o)
}

// benchPack is a pack with n synthetic phrases (two- to five-character
// strings over common characters) spread over rule and category entries.
func benchPack(tb testing.TB, n int) *Pack {
	r := rand.New(rand.NewPCG(7, 7))
	chars := []rune("村民社区道路灯桥河塘山林田地房屋楼院门口广场公园水电气网车位棚厕所垃圾分类绿化健身老人儿童学校医院食堂文化礼堂集体经济合作社承包租金补偿收益分配安全消防监控排水污水卫生环境停车充电快递物业业主电梯维修改造建设拆除整治管理服务活动志愿")
	var b strings.Builder
	b.WriteString("name: bench\nrules:\n")
	per := 100
	for e := 0; e*per < n; e++ {
		fmt.Fprintf(&b, "  - id: r%d\n    rule: %d\n    reason: 基准测试\n    any: [", e, []int{1, 2, 4, 5}[e%4])
		for i := 0; i < per && e*per+i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			l := 3 + r.IntN(3)
			for j := 0; j < l; j++ {
				b.WriteRune(chars[r.IntN(len(chars))])
			}
		}
		b.WriteString("]\n")
	}
	p, err := LoadPack("bench.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func heapMB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkScreen measures one proposal against the default packs plus a
// 10,000-phrase pack and 100,000 archived decisions; it reports the p99
// latency and the archive's heap size.
func BenchmarkScreen(b *testing.B) { benchScreen(b, 0) }

// BenchmarkScreenReviewed is BenchmarkScreen with 10,000 reviewed examples
// of the community (issue 16).
func BenchmarkScreenReviewed(b *testing.B) { benchScreen(b, 10000) }

// benchReviewed is a synthetic reviewer decision.
func benchReviewed(r *rand.Rand, i int) ReviewedExample {
	text := benchProposal(r)
	d := fmt.Sprintf("%d-%02d-%02d", 2020+r.IntN(6), 1+r.IntN(12), 1+r.IntN(28))
	switch i % 4 {
	case 0:
		return ReviewedExample{ID: fmt.Sprintf("R%06d", i), Kind: ReviewApproved, Category: 1 + r.IntN(6), Text: text, DecidedOn: d}
	case 1:
		return ReviewedExample{ID: fmt.Sprintf("R%06d", i), Kind: ReviewDeclined, Rule: []int{1, 2, 4, 5}[r.IntN(4)], Text: text, Reason: "基准", DecidedOn: d}
	case 2:
		return ReviewedExample{ID: fmt.Sprintf("R%06d", i), Kind: ReviewOverride, Flagged: []int{1 + r.IntN(5)}, Text: text, Reason: "基准", DecidedOn: d}
	}
	return ReviewedExample{ID: fmt.Sprintf("R%06d", i), Kind: ReviewReturned, Text: text, DecidedOn: d}
}

func benchScreen(b *testing.B, reviewed int) {
	packs := append(DefaultPacks(), benchPack(b, 10000))
	s, err := New(packs...)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	before := heapMB()
	for i := 0; i < 100000; i++ {
		s.AddDecision(benchDecision(r, i))
	}
	archMB := heapMB() - before
	before = heapMB()
	for i := 0; i < reviewed; i++ {
		if err := s.Learn("bench", benchReviewed(r, i)); err != nil {
			b.Fatal(err)
		}
	}
	revMB := heapMB() - before
	props := make([]string, 1000)
	for i := range props {
		props[i] = benchProposal(r)
	}
	lat := make([]time.Duration, 0, b.N)
	runtime.GC()
	cpu0 := cpuTime()
	n := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		s.ScreenFor("bench", props[i%len(props)])
		lat = append(lat, time.Since(t0))
		n++
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-µs/op")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(archMB, "archive-MB")
	if reviewed > 0 {
		b.ReportMetric(revMB, "reviewed-MB")
	}
	b.ReportMetric(float64(s.PhraseCount()), "phrases")
}

// BenchmarkAddDecision measures one incremental addition to a 100,000-
// decision archive.
func BenchmarkAddDecision(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100000; i++ {
		s.AddDecision(benchDecision(r, i))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.AddDecision(benchDecision(r, 100000+i))
	}
}

// BenchmarkLearn measures one incremental reviewed example added to
// 10,000.
func BenchmarkLearn(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 10000; i++ {
		if err := s.Learn("bench", benchReviewed(r, i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := s.Learn("bench", benchReviewed(r, 10000+i)); err != nil {
			b.Fatal(err)
		}
	}
}
