package screening

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/yishi-community/yishi/bot"
)

// The category model. The packs say what a proposal is about (a road, the
// water supply, a square); that alone cannot tell category 1 (public
// affairs and public-welfare undertakings: a planned investment, a shared
// facility) from category 2 (a practical difficulty residents urgently
// raise: the road is broken, the water is off, the noise, a slope about to
// slide). The frame does: a problem told as a problem — damage, outage,
// danger or nuisance, often with how long it has lasted — is category 2
// whatever the object; a plan told as a plan (build, install, set up) is
// category 1. The facility words of the packs then count for the frame the
// proposal is in.
//
// Three sources add up per category: the packs' category entries (after
// the frame), the labelled examples nearest to the proposal (kNN over the
// bank, sim-weighted), and the community's own approvals with a category
// (see reviewed.go). The confidence of a category is its share of the
// total; the two best are shown with the words that decided them.

// problemCues mark a concrete difficulty: something broken, missing,
// dangerous or a nuisance. Whole words: 停 alone would match 停车.
var problemCues = cues(
	"坏", "破", "裂", "塌", "漏", "堵", "断了", "停水", "停电", "断水", "断电", "没水", "没电", "没得水", "水压",
	"吵", "噪", "臭", "脏", "危险", "隐患", "滑坡", "松动", "摔", "淹", "积水", "渗", "锈", "不亮", "黑漆漆",
	"黑灯", "太黑", "黑乎乎", "找不到", "没地方", "挡", "上锁", "上了锁", "着火", "起火", "火灾", "拉肚子",
	"睡不着", "不敢", "差点", "发黄", "有味道", "异味", "坑坑洼洼", "坑洼", "冒出来", "漫到", "倒灌",
	"丢件", "被偷", "失窃", "不够用", "太少", "太挤", "挤不下", "排长队", "挑水", "打水", "买水", "卡住", "困住",
	"停工", "烂尾", "一下雨", "下大雨", "飘到", "熏", "蚊子", "老鼠", "扰民", "太大声", "太响", "声音太大", "不通",
	"受影响", "采光", "太差", "信号差", "打不通", "满了", "溢出", "味道", "没有", "跑很远", "太远", "很远", "公里",
	"堆东西", "堆杂物", "乱堆", "太咸", "跳闸", "充不满", "没充满", "不方便",
	"爆满", "翘起", "翘了", "绊倒", "撞歪", "歪了", "刮到", "刮顶", "丢了", "进不来", "出不去", "停满", "占满", "堵死",
	"脱落", "掉下来", "生锈", "冒烟", "漏电", "发霉", "杂草丛生", "没法走", "过不去", "烂了", "伤人", "咬人", "被咬",
	"垮了", "冲垮", "垮", "提心吊胆", "吓哭", "乱拉电线", "飞线", "投诉", "莫人理", "没人理", "扣成", "狗粪", "到处是", "泥巴路", "骑不过去",
)

// persistCues say the difficulty has lasted or is pressing; they count
// only together with a problem cue.
var persistCues = cues(
	"天天", "老是", "总是", "经常", "一直", "又", "好几天", "半个月", "十多天", "几个月", "多次", "好久", "至今",
	"还没", "没人管", "没人修", "没人来", "怎么办", "咋整", "咋个整", "想想办法", "赶紧", "尽快", "赶快", "急", "快想",
	"反映", "好几回", "好几次", "几回了", "几次了",
)

// planCues mark a plan: something to build, install or set up.
var planCues = cues(
	"新建", "修建", "建设", "建一个", "建个", "建一座", "建一条", "办个", "办一个", "弄个", "搞个", "搞一个", "增设",
	"加装", "安装", "装个", "规划", "打造", "改造", "提升", "引进", "设个", "设一个", "开设", "开办", "多装",
	"再建", "修一条", "修一座", "建议在", "改成", "装一批", "建成", "配建", "添置", "购置",
	"多放", "加个", "加几", "放几", "装几", "建几", "设几", "重新铺",
)

// Two kinds of matter are told by their structure, not their subject:
// carrying out what a higher level decided (县里推行…, 镇里布置了…, 列入
// 了…计划) is category 3; a matter that a rule says the assembly must
// decide (按规定要由村民会议讨论决定, 分配方案) is category 4.
var (
	directiveRE = mustGated(`(县|镇|乡|街道|区里|市里|省里|上级|上面|政府|国家|党委|部门|文件)[^，。,！？]{0,6}` +
		`(布置|部署|要求|推行|推进|开展|下达|出台|号召|统一安排|印发|下发|在推|出了新的|说要)|列入[^，。,]{0,12}(计划|名单|试点|项目)|(按|按照|根据)(上级|县里|镇里|文件|政策)`)
	statutoryRE = mustGated(`(按规定|依法|按照规定|法律规定|规定)?[^，。,]{0,4}(要|须|需|应|必须|得)(由|经|提交|交|上)?(村民|居民|业主|股东|社员)(代表)?(会议|大会)` +
		`|(村民|居民|业主)(代表)?(会议|大会)(讨论|表决)?决定|分配方案|分红方案|补偿方案|补贴标准|误工补贴|承包方案|指标收益` +
		`|(提交|交|提请|交给)(村民|居民|业主)(代表)?(会议|大会)|账目|把账|公布下账|账贴出来|承包费|广告(费|收入|的钱)|共有账户|公共收益|选(一家|聘)物业|招标条件`)
)

// structureCategories adds the categories the structure of a proposal
// tells (see directiveRE, statutoryRE).
func structureCategories(prepared string, c *catScores) {
	if w := directiveRE.FindString(prepared); w != "" {
		c.add(3, 2.5, "属于上级党委政府部署的政策、重点工作在本地如何落实的事项。", w)
	}
	if w := statutoryRE.FindString(prepared); w != "" {
		c.add(4, 2.5, "属于法律法规和政策明确要求应由村（居）民会议、业主大会等议事协商决定的事项。", w)
	}
}

// catKNN are the category vote's parameters: neighbours, their similarity
// floor, and the weight of one neighbour of similarity 1 against one pack
// hit of weight 1.
const (
	catK      = 5
	catFloor  = 0.15
	catWeight = 3.0
)

// frame is how a proposal is told: the problem and plan cues it holds.
type frame struct {
	problem, persist, plan []string
}

// cuesIn returns the cues found in text, without a cue that is part of a
// longer one found (坑洼 in 坑坑洼洼 is one cue, not two).
func cuesIn(text string, cues []string) []string {
	var found []string
	for _, c := range cues {
		if strings.Contains(text, c) {
			found = append(found, c)
		}
	}
	out := found[:0:0]
	for _, c := range found {
		if !slices.ContainsFunc(found, func(o string) bool { return len(o) > len(c) && strings.Contains(o, c) }) {
			out = append(out, c)
		}
	}
	return out
}

func frameOf(prepared string) frame {
	f := frame{problem: cuesIn(prepared, problemCues), plan: cuesIn(prepared, planCues)}
	if len(f.problem) > 0 {
		f.persist = cuesIn(prepared, persistCues)
	}
	return f
}

// isProblem reports whether the proposal is told as a difficulty.
func (f frame) isProblem() bool {
	return len(f.problem) > 0 && len(f.problem)+len(f.persist) > len(f.plan)
}

// catScores accumulates the evidence for each category.
type catScores struct {
	score [7]float64
	words [7][]string
	why   [7]string
	// late are votes added after the frame (the community's approvals:
	// the frame must not move them).
	late []lateVote
}

type lateVote struct {
	cat       int
	w         float64
	why, word string
}

func (c *catScores) add(cat int, w float64, why string, words ...string) {
	if cat < 1 || cat > 6 || w <= 0 {
		return
	}
	c.score[cat] += w
	if c.why[cat] == "" {
		c.why[cat] = why
	}
	for _, x := range words {
		if x != "" && !slices.Contains(c.words[cat], x) && len(c.words[cat]) < 6 {
			c.words[cat] = append(c.words[cat], x)
		}
	}
}

// applyFrame moves the weight of the packs' category-1 words to category 2
// when the proposal is told as a difficulty, and adds the cues themselves.
func (c *catScores) applyFrame(f frame) {
	if f.isProblem() {
		moved := c.score[1] * 0.8
		c.score[1] -= moved
		w := moved + 1.5*float64(len(f.problem)) + 0.5*float64(len(f.persist))
		c.add(2, w, "群众反映的具体困难或问题（"+strings.Join(first(f.problem, 3), "、")+"），属于迫切需要解决的实际困难。", append(first(f.problem, 3), first(f.persist, 2)...)...)
		// The facility words now speak for category 2.
		for _, w := range c.words[1] {
			if !slices.Contains(c.words[2], w) && len(c.words[2]) < 6 {
				c.words[2] = append(c.words[2], w)
			}
		}
		return
	}
	if len(f.plan) > 0 && len(f.problem) == 0 && c.score[1] > 0 {
		c.add(1, 0.5*float64(len(f.plan)), "", first(f.plan, 2)...)
	}
}

// maximalWords drops a word that is part of another in the list (坏 beside
// 坏了, 礼堂 beside 文化礼堂).
func maximalWords(ws []string) []string {
	var out []string
	for _, w := range ws {
		if !slices.ContainsFunc(ws, func(o string) bool { return len(o) > len(w) && strings.Contains(o, w) }) {
			out = append(out, w)
		}
	}
	return out
}

// altCategory is the category most often confused with each.
var altCategory = [7]int{0: 6, 1: 2, 2: 1, 3: 4, 4: 3, 5: 1, 6: 1}

func first(xs []string, n int) []string {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

// catVote adds the categories of the admissible labelled examples nearest
// to the proposal.
func (b *exampleBank) catVote(aq string, near []candidate, c *catScores) {
	if b == nil || len(b.ex) == 0 || utf8.RuneCountInString(aq) < 4 {
		return
	}
	n := 0
	for _, cd := range near {
		if cd.score < catFloor {
			break
		}
		e := b.ex[cd.doc]
		if e.Rule != 0 || e.Category == 0 {
			continue
		}
		c.add(e.Category, catWeight*cd.score, "", "近似提议“"+clip(e.Text, 12)+"”")
		if n++; n == catK {
			break
		}
	}
}

// rank turns the scores into the result's category, its reason, and the
// two best categories with confidence and words.
func (c *catScores) rank(res *Result) {
	explained := [7]bool{}
	for _, v := range c.late {
		c.add(v.cat, v.w, v.why, v.word)
		// A reviewer's decision explains a category better than a pack
		// entry; the closest one (first) says it.
		if v.cat >= 1 && v.cat <= 6 && !explained[v.cat] {
			c.why[v.cat] = v.why
			explained[v.cat] = true
		}
	}
	order := []int{1, 2, 3, 4, 5, 6}
	sort.SliceStable(order, func(i, j int) bool { return c.score[order[i]] > c.score[order[j]] })
	total := 0.0
	for _, k := range order {
		total += c.score[k]
	}
	best := 0
	if c.score[order[0]] > 0 {
		best = order[0]
	}
	if best == 0 && len(res.Rules) == 0 {
		best = 6
		c.why[6] = "未识别出具体类别，暂归入“其他需要开展议事协商的事项”，请审核人确认。"
	}
	res.Category = best
	if total > 0 {
		// The usual alternative of a category stands second when nothing
		// else scored: 1 and 2 are confused most, then 3 and 4.
		if c.score[order[1]] == 0 {
			alt := altCategory[order[0]]
			c.score[alt] = total * 0.1
			total += c.score[alt]
			order[1] = alt
		}
		for _, k := range order[:2] {
			res.TopCategories = append(res.TopCategories, CategoryScore{Category: k, Confidence: round2(c.score[k] / total), Words: maximalWords(c.words[k])})
		}
	} else if best == 6 {
		res.TopCategories = []CategoryScore{{Category: 6, Confidence: 0.5}, {Category: 1, Confidence: 0.5}}
	}
	if best > 0 {
		why := c.why[best]
		if why == "" {
			why = "属于“" + bot.Categories[best] + "”。"
		}
		res.CategoryReason = fmt.Sprintf("六必议第%d类：%s", best, why)
		res.Reasons = append(res.Reasons, res.CategoryReason)
	}
}

// CategoryLine is the reviewer's view of the two best categories, e.g.
// "第2类 72%（坏、路灯）；第1类 20%（路灯）".
func (r Result) CategoryLine() string {
	var parts []string
	for _, c := range r.TopCategories {
		s := fmt.Sprintf("第%d类 %d%%", c.Category, int(c.Confidence*100+0.5))
		if len(c.Words) > 0 {
			s += "（依据：" + strings.Join(c.Words, "、") + "）"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "；")
}
