package screening

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// archiveText rewrites prepared text into the form that rule 3 compares:
// the same matter said by a resident in a chat and by the clerk who wrote
// the resolution should share its terms. Both the proposal and every
// archived decision go through it, so every rewrite is symmetric.
//
// Three kinds of rewrite, in one pass:
//   - wording: colloquial and formal words for the same thing become one
//     (电瓶车/电动自行车, 栏杆/护栏, 上午/早上, 块/元, 安装/装);
//   - request framing (建议, 能不能, 大家商量一下, 怎么办) becomes a gap:
//     it says how a matter is asked, not which matter, and in a short
//     proposal it would otherwise dilute what is shared with a decision;
//   - particles (的, 了, 吧) are dropped so that the words around them form
//     the bigrams a decision written without them has (礼堂的门前 → 礼堂门前).
func archiveText(prepared string) string { return archiveReplacer.Replace(prepared) }

// lexicon: each line is the canonical form, then the forms folded onto it.
// General community-affairs vocabulary; a word that has other meanings in
// common use (e.g. 回, 前面) is left out.
var lexicon = [][]string{
	{"监控", "摄像头", "探头", "监控器", "摄像机"},
	{"门前", "门口"},
	{"电动车", "电动自行车", "电瓶车", "小电驴", "电驴", "电单车"},
	{"儿童", "小孩子", "小孩", "孩子", "小朋友", "娃娃"},
	{"老人", "老年人", "老人家"},
	{"费用", "经费", "资金", "钱"},
	{"清淤", "清淤泥", "淤泥"},
	{"硬化", "水泥路", "水泥"},
	{"优惠", "便宜"},
	{"搬迁到", "搬到", "迁到", "挪到", "搬去"},
	{"更换为", "换成"},
	{"保洁", "打扫", "清扫"},
	{"轮值", "轮流"},
	{"养犬", "养狗"},
	{"遛犬", "遛狗"},
	{"犬", "狗"},
	{"粪便", "屎", "粪"},
	{"牵绳", "拴绳", "栓绳", "拴狗绳", "牵狗绳"},
	{"大型犬", "大犬"},
	{"自行清理", "自己清理", "自己捡走", "自己捡", "自己收拾", "自己清走", "自己搬走", "自己拉走"},
	{"不得", "不准", "不许", "不让", "不能让", "禁止"},
	{"太阳能路灯", "太阳能灯"},
	{"护栏", "栏杆", "围栏"},
	{"小学", "村小学", "村小", "学校"},
	{"村民小组", "村小组"},
	{"村委会", "村委", "村部"},
	{"快递驿站", "快递点", "快递站", "菜鸟驿站", "快递代收点", "驿站"},
	{"开放", "开门", "关门", "营业"},
	{"周末", "周六周日", "周六、周日", "星期六星期天", "星期六、星期天", "星期六星期日", "礼拜六礼拜天", "双休日"},
	{"早", "早上", "上午", "早晨", "清早"},
	{"晚", "晚上", "晚间", "夜里", "夜间"},
	{"到", "至", "通往", "直到", "往"},
	{"路段", "那段路", "这段路", "段路", "那条路", "这条路", "道路"},
	{"装", "安装"},
	{"建", "新建", "建设", "修建", "建造", "盖"},
	{"设", "设置", "增设", "设立", "开设"},
	{"补贴", "补助"},
	{"用餐", "吃饭", "就餐"},
	{"每餐", "每顿饭", "一顿饭", "每顿", "一顿"},
	{"每月", "每个月", "一个月"},
	{"每年", "一年"},
	{"每天", "一天", "每日", "天天"},
	{"次", "趟"},
	{"免费", "不收费用", "不收费", "不要费用", "不收钱"},
	{"首小时", "第1个小时", "第1小时", "头1个小时"},
	{"外来车辆", "外面的车", "外来车", "外来的车", "外部车辆"},
	{"停车位", "车位"},
	{"酒席", "酒桌", "宴席", "酒宴", "摆酒", "办酒"},
	{"红白喜事", "婚丧嫁娶", "红白事", "婚丧喜事"},
	{"不超过", "最多", "以内", "上限"},
	{"人口", "人头"},
	{"平均分配", "平均分", "平分", "均分"},
	{"候车亭", "公交站台", "候车棚"},
	{"公交", "公交车", "公共汽车"},
	{"座椅", "椅子", "长椅", "凳子", "长凳"},
	{"雨棚", "遮雨棚", "遮雨", "挡雨"},
	{"垃圾桶", "垃圾箱"},
	{"广场舞", "跳广场舞", "跳舞"},
	{"音量", "声音", "音响"},
	{"健身器材", "运动器材", "健身设施", "锻炼器材", "锻炼身体的器械", "锻炼器械", "健身的器材", "健身器械", "运动器械"},
	{"停放", "停车"},
	// Roads, banks and water: how residents name what a resolution calls
	// by its formal name.
	{"主干道", "主路", "大路", "主街", "主干路", "干道"},
	{"两侧", "两边", "两旁"},
	{"沿岸", "岸边"},
	{"旁边", "边上", "旁", "附近"},
	{"溪流", "小溪", "溪沟", "小河沟"},
	{"落水", "掉进水里", "掉水里", "掉河里", "掉进河里", "掉下去", "掉进去"},
	{"安装路灯", "装路灯", "装灯", "安路灯"},
	// Land, rent and shares.
	{"土地流转", "地租出去", "地租给", "土地出租", "出租土地", "租出去地", "流转土地"},
	{"租金", "租钱", "地租"},
	// Household waste and points.
	{"分类", "分好类", "分门别类", "分开投放", "分类投放"},
	{"兑换", "换东西", "换购"},
	{"超市", "小卖部", "商店", "小店"},
	// Buildings.
	{"加装电梯", "装电梯", "安电梯", "加电梯"},
	{"老旧小区", "老小区", "老楼", "旧小区"},
	// Services and their hours.
	{"卫生室", "医务室", "诊所", "卫生站", "医疗室"},
	{"延长服务", "开晚一点", "晚点关门", "晚一点关门", "多开一会"},
	{"开诊", "看病"},
	{"助餐点", "老年食堂", "吃饭的地方", "老人食堂", "长者食堂"},
	// Stairways, clutter, clearing.
	{"楼道", "楼梯间", "楼梯口", "过道"},
	{"杂物", "乱七八糟的东西", "破烂", "堆满了东西", "堆东西"},
	{"清理", "清一清", "清掉", "清走", "搬走", "拉走", "清运"},
	// Roads and surfaces.
	{"村道", "土路", "村里的路", "乡间小路"},
	{"硬化", "打成水泥路", "浇水泥", "铺水泥", "打水泥"},
	{"非机动车", "自行车电动车", "电动车自行车", "单车", "自行车"},
	{"停放区", "停车的地方", "停车区", "停的地方"},
	// Rivers and their keeping.
	{"打捞", "捞"},
	{"河道", "河里", "河沟", "小河"},
	{"工资", "工钱", "报酬", "人工成本", "人工费"},
	// Straw burning and the village rules.
	{"秸秆", "稻草", "麦秆", "玉米秆"},
	{"焚烧秸秆", "烧秸秆", "烧稻草", "烧麦秆", "烧玉米秆"},
	{"村规民约", "村规"},
	// Cameras, funds, fitness, shade.
	{"公共维修资金", "维修基金", "维修资金", "大修基金"},
	{"更换", "换掉", "换新的", "换新"},
	{"接送", "接孩子", "送孩子", "接小孩", "等孩子"},
	{"遮阳棚", "遮阳的棚子", "遮阳篷", "凉棚", "棚子"},
	{"遮阳", "太晒", "晒得慌", "挡太阳"},
	// Water pipes, lights, lifts and graves.
	{"自来水管网", "自来水管子", "自来水管", "水管子", "水管"},
	{"管道", "管子"},
	{"受益户", "用水的人家", "用水户", "受益的人家", "受益的住户"},
	{"照明", "打球的灯", "球场的灯", "球场灯", "灯光"},
	{"进入楼道", "推进楼里", "推上楼", "进楼道", "进楼", "上楼"},
	// Money, people and duties as a resolution names them and as a chat does.
	{"收益", "收入", "赚的钱", "挣的钱", "卖的钱"},
	{"承担", "出钱", "掏钱", "负担", "出资"},
	{"出租", "租出去", "租给别人", "往外租"},
	{"发放", "发给", "发到"},
	{"慰问金", "慰问红包", "过节费"},
	{"周岁以上", "岁以上", "多岁的", "岁往上"},
	{"周岁", "岁"},
	{"拆除", "拆掉", "拆了"},
	{"维修", "修理", "修一修", "修修"},
	{"翻新", "改一改", "重新弄"},
	{"巡查", "巡逻", "巡河", "转一转"},
	{"志愿者", "义工", "志愿服务队"},
	{"村集体", "集体"},
	{"居民", "住户", "老百姓", "群众"},
	{"收费", "收钱", "交钱"},
	{"占用", "占了", "占着"},
	{"统一", "集中"},
	// The verbs of a resolution and of a chat for one act.
	{"销售", "出售", "卖掉"},
	{"统一销售", "统一卖"},
	{"采伐", "砍伐", "砍竹子", "砍竹", "砍树"},
	{"扣除", "扣掉", "扣去"},
	{"驶入", "开进", "开入"},
	{"改走", "绕道", "绕行"},
	{"砂石", "沙石"},
	{"小时", "个钟头", "钟头"},
	{"每人", "1个人", "每个人", "每位"},
	{"不低于", "至少", "起码", "最少"},
	{"30分钟", "半小时", "半个小时", "半个钟头"},
	{"采光补偿", "采光费"},
	{"访客", "客人", "来客"},
	{"升学", "考学", "考上大学"},
	{"乔迁", "搬新房", "搬新家"},
	{"寿辰", "做寿", "过生日", "过生"},
	{"报备", "提前告诉", "提前说"},
	{"续聘", "接着用", "继续用", "续签"},
	{"公示", "公布", "贴出来"},
	{"每平方米", "一平米", "一平", "1平米", "1平", "每平"},
	{"分摊", "平摊", "均摊"},
	{"公益性公墓", "公益墓地", "公墓", "墓地"},
	{"乱埋乱葬", "随便葬", "随便埋", "乱埋", "乱葬"},
}

// frameWords are replaced by a gap (see archiveText).
var frameWords = cues(
	"建议", "提议", "希望", "请求", "能不能", "能否", "可不可以", "可否", "是否", "要不要",
	"行不行", "好不好", "怎么样", "怎么办", "合适", "大家", "我们", "咱们", "一下",
	"要得不", "要得", "咋个", "啥子", "嘛",
	"商量", "讨论", "议一议", "议议", "定个规矩", "定规矩", "立个规矩", "定个规定", "出个规定", "定一下", "定下来", "提出", "开始", "结束",
)

// demonstratives are dropped like particles: 楼顶那块平台 is 楼顶平台.
var demonstratives = cues("那块", "这块", "那个", "这个", "那座", "这座", "那片", "这片")

// particles are dropped (see archiveText).
const particles = "的了吧吗呢啊呀嘛哦"

var archiveReplacer = func() *strings.Replacer {
	pairs := map[string]string{}
	for _, line := range lexicon {
		for _, w := range line {
			// Keys as prepared text has them (开晚一点 is 开晚1点 by then).
			pairs[normPhrase(w)] = normPhrase(line[0])
		}
	}
	for _, w := range frameWords {
		pairs[w] = " "
	}
	for _, r := range particles {
		pairs[string(r)] = ""
	}
	for _, w := range demonstratives {
		pairs[w] = ""
	}
	// shares, intervals and times as resolutions write them: 六成 → 60%,
	// 隔1年 → 每2年, 一回 → 1次 (numerals before 年 are digits by now).
	for v, c := range []rune("〇一二三四五六七八九") {
		if v > 0 {
			pairs[string(c)+"成"] = strconv.Itoa(v) + "0%"
			pairs[strconv.Itoa(v)+"成"] = strconv.Itoa(v) + "0%"
			pairs["隔"+strconv.Itoa(v)+"年"] = "每" + strconv.Itoa(v+1) + "年"
			pairs[string(c)+"回"] = strconv.Itoa(v) + "次" // 回 alone is 回来, 回家
			pairs[strconv.Itoa(v)+"回"] = strconv.Itoa(v) + "次"
		}
	}
	pairs["一半"] = "50%"
	// Clock hours as resolutions write them: 19时 is 7点 (12-hour, as
	// canonNumbers writes 点); N米半 is N.5米, N块半 N.5元.
	for h := 0; h < 24; h++ {
		pairs[strconv.Itoa(h)+"时"] = strconv.Itoa((h+11)%12+1) + "点"
		if h < 10 {
			pairs[strconv.Itoa(h)+"米半"] = strconv.Itoa(h) + ".5米"
			pairs[strconv.Itoa(h)+"块半"] = strconv.Itoa(h) + ".5元"
		}
	}
	// 1块6 is 1.6元.
	for d := 0; d <= 9; d++ {
		for v, c := range []rune("〇一二三四五六七八九") {
			pairs[strconv.Itoa(d)+"块"+string(c)] = strconv.Itoa(d) + "." + strconv.Itoa(v) + "元"
			pairs[strconv.Itoa(d)+"块"+strconv.Itoa(v)] = strconv.Itoa(d) + "." + strconv.Itoa(v) + "元"
		}
	}
	pairs["两成"] = "20%"
	pairs["两回"] = "2次"
	// 12成 is not 1 and 20%: a two-digit number before 成 stays as it is.
	for n := 10; n < 100; n++ {
		pairs[strconv.Itoa(n)+"成"] = strconv.Itoa(n) + "成"
	}
	// money: N块(钱) → N元, N毛(钱) → N角 (块 alone is also a plot: 那块地).
	for d := '0'; d <= '9'; d++ {
		pairs[string(d)+"块钱"] = string(d) + "元"
		pairs[string(d)+"块"] = string(d) + "元"
		pairs[string(d)+"毛钱"] = string(d) + "角"
		pairs[string(d)+"毛"] = string(d) + "角"
	}
	keys := make([]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	// Longest key first: at one position strings.Replacer takes the first
	// key in argument order that matches.
	sort.Slice(keys, func(i, j int) bool {
		li, lj := utf8.RuneCountInString(keys[i]), utf8.RuneCountInString(keys[j])
		if li != lj {
			return li > lj
		}
		return keys[i] < keys[j]
	})
	args := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, k, pairs[k])
	}
	return strings.NewReplacer(args...)
}()
