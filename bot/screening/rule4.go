package screening

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Rule 4 (明显不公平、有悖长远规划和公序良俗) beyond the packs' phrase
// lists. Each detector reads the structure of the proposal — who gains,
// what of the collective they gain, on what terms; which planned use is
// diverted to what; which group loses a right or which custom is imposed —
// and names the parts it found, with what the reviewer should check. They
// only ever raise a review flag.

// rule4Finding is one structural reading of rule 4.
type rule4Finding struct {
	kind   string   // entry id: rule4-few, rule4-plan, rule4-custom
	parts  []string // the words found, in the order of the reading
	reason string
	checks []string
}

var surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"

var (
	// A named few: officials and their kin, a named person or household,
	// "a few households".
	fewRE = mustGated(`(书记|主任|村长|组长|队长|干部|会计|委员|老板)(家|的?(亲戚|亲属|外甥|侄子|侄女|儿子|女儿|女婿|小舅子|连襟|妻弟|家族|家里人|老婆|老表|表哥|表弟|弟弟|哥哥|家属|朋友|同学))?` +
		`|[` + surnames + `](家|某|总|老板)|(老|小)[` + surnames + `]` +
		`|几户|少数人|个别人|一家人|他一个人|几家|他家|她家|某户|某人|几个老党员|部分人|自己人|关系户|亲戚|一个老板|老板个人`)
	officialRE   = lits(`书记|主任|村长|组长|干部|会计|委员`)
	exemptRE     = lits(`不动|不拆|免交|不用交|不交|除外|例外|优先|不算|照顾|奖金|每人发|发给`)
	collectiveRE = lits(`集体|村里的|公共|公家|山林|山场|鱼塘|水库|圩埂|林地|空地|厂房|仓库|礼堂|征地款|补偿款|分红|收益|车位|门面|店面|场地|广场|公款|集体的钱|村里的钱|承包费|租金|资产|工程|项目|果园|茶园`)
	transferRE   = lits(`租给|包给|承包|卖给|分给|留给|转给|让给|交给|只分给|优先给|先给|归|给`)
	// Terms that make the transfer one-sided.
	unfairTermRE = lits(`低价|便宜|免费|白送|无偿|只分|只给|不分|先给|留着|延长|一次交齐|一次性交|降到|降为|不变|几十年|二十年|三十年|四十年|五十年|长期|不用招标|不招标|不公开|私下|老价钱|内部价|半价|打折|优先|都包给|全包给|全给|都给|全部给|多分|多拿`)
	strongUnfair = lits(`低价|免费|白送|无偿|降到|降为|私下|不用招标|不招标|不公开|内部价|半价|只分给|只给`)
	notUnfairRE  = lits(`公开招标|公开竞价|招投标|公示|回避|一视同仁|按规定|依法|查处|举报|追回|收回|纠正|整改|清理`)

	// A planned use and its diversion.
	plannedRE = mustGated(`(村庄规划|国土空间规划|规划)(里|中|上)?(定的|确定的|划的|划定的|好的|的)?[^，。,;；]{0,8}?(用地|绿地|公园|道路|村道|线路|路线|消防通道|广场|停车场|学校|绿化|地块|那块地)|消防通道|公共绿地`)

	// A public space handed to a few users.
	publicSpaceRE = lits(`绿地|草坪|花园|篮球场|球场|广场|儿童乐园|游乐场|晒谷场|晒场|楼道|公共区域|公共空间|活动室|公园|绿化带|公共通道|公共车位`)
	privatiseRE   = lits(`改成|圈起来|圈占|铲掉|租给|卖给|分给|占用|包给`)
	// The few users must receive the space ("卖给1号楼的业主", "私家花园");
	// residents merely named as affected ("周边住户") are not.
	privateUserRE = mustGated(`(给|卖给|租给|分给|包给|归)[^，。,]{0,6}(业主|住户|老板|个人|各家|他家|她家|亲戚|几户)|私家|自用|几户|1楼住户|先交钱|谁交钱|买断|个人使用`)
	publicOKRE    = lits(`整治|清理|恢复|收回|制止|不得|禁止|反对|被占|被人|乱占|共用|公共使用|大家用|方便村民|方便大家|方便居民|村民停车|大家停车|公共停车|供大家|给大家|全体`)

	// The collective sold off or shared out at once (the gate is cheap).
	liquidateGate = lits(`分掉|分光|卖掉|卖光|全分`)
	liquidateRE   = mustGated(`全部分掉|分光|全部卖掉|卖光|1次性分掉|全分了|卖掉[^，。]{0,6}分`)

	// The collective paying for a private event or a superstition.
	publicPayRE  = lits(`村里出|集体出|费用集体|村里给补贴|村里补贴|集体补贴|公款|村里掏|集体承担|村里承担|村集体出|村里来出钱|村里的钱|集体的钱`)
	privateEvRE  = lits(`结婚|婚礼|婚宴|办酒|摆酒|大寿|做寿|寿宴|丧事|白事|葬礼|满月|升学宴|乔迁|流水席|风水|算命|请道士|开光`)
	gamblingRE   = lits(`麻将|棋牌室|牌局|赌|扑克|打牌`)
	gambleCashRE = lits(`赌钱|抽水|抽的水|收的钱|带彩|打点小钱|玩点小钱|抽成|抽头`)
	divertRE     = regexp.MustCompile(`改成|改为|改作|建一排|建|盖|画成|卖给|租出去|出租|占用|改线|改个线|改道|绕开|挪|变成|分给|做成`)
	planOKRE     = lits(`是消防通道|有消防通道|让出消防通道|按规划|按照规划|符合规划|落实规划|规划编制|征求意见|修编|规划建设|规划一个|规划建|恢复|清理|整治|不得|禁止|别占`)

	// A group deprived of an equal share or use.
	groupRE   = regexp.MustCompile(`外嫁女|出嫁|嫁出去|嫁出|闺女|女儿|媳妇|离婚|离了婚|丧偶|寡妇|入赘|上门女婿|女婿|残疾|外地人|外地的|外来户|外来人员|外来务工|打工的|租户|租房的|租房子的|新村民|超生|闺女们|妇女|外姓|大姓|小姓|少数民族|信教|低保户|贫困户|单亲|举报过|上访过|告过状|提过意见|[` + surnames + `]姓|姓[` + surnames + `]|本组|外组|[一二三四五六七八九十0-9]+组|迁来|搬来|后来的`)
	depriveRE = lits(`不能进|不让进|不准进|不许进|不能参加|不让参加|不准参加|不能用|不让用|不准用|扣一半|扣掉|扣除|不给|不分|不能分|不算|取消|别给|剥夺|不让|没份|没有份|少分|减半|一律不|不准|不许|收回|多分|多拿|少拿|只分给|只分|只从|只收|只向|多收`)
	equalOKRE = lits(`一样分|同等|平等|一视同仁|依法|也要分|也分|照样分|保障|维护`)
	benefitRE = lits(`幼儿园|学校|上学|入学|看病|医疗|低保|救助|分红|收益|分配|补偿|股|福利|宅基地|承包地|征地款|分钱|份|待遇|使用|用|钱`)
	// Driving a group out of where it lives: no share needs naming.
	expelRE    = lits(`赶出|赶走|撵走|撵出|轰走|驱逐|不让住|不准住|不许住`)
	customRE   = lits(`哭丧|流水席|大操大办|随礼|烧纸|磕头|彩礼|连办三天|三天三夜|请道士|跳大神|算命|风水`)
	coerceRE   = lits(`按户摊|每户摊|按户分摊|按人头摊|每户必须|不办就|不办的|谁家不|必须|一律|写进村规|定成规矩|不随礼|就不让|就是不孝|强制`)
	customOKRE = lits(`简办|移风易俗|上限|不超过|倡导|禁止|取消|不准|新风|文明`)
	raiseRE    = lits(`提高到|统一提高|涨到|加到|不低于`)
)

func firstMatch(re finder, s string) string { return re.FindString(s) }

// finder finds the first match of a word list or an expression.
type finder interface{ FindString(string) string }

// litSet is a list of literal words: most of the readings need no more
// than that, and a word list is much cheaper than a regular expression.
type litSet []string

func lits(alt string) litSet { return cues(strings.Split(alt, "|")...) }

// FindString returns the first word of the list found in s (list order,
// not leftmost).
func (l litSet) FindString(s string) string {
	for _, w := range l {
		if strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

// MatchString reports whether a word of the list is in s.
func (l litSet) MatchString(s string) bool { return l.FindString(s) != "" }

// MatchAffirmed reports whether a word of the list occurs in s other than
// negated: 不公开招标 is the opposite of 公开招标.
func (l litSet) MatchAffirmed(s string) bool {
	for _, w := range l {
		for rest := s; ; {
			i := strings.Index(rest, w)
			if i < 0 {
				break
			}
			if r, _ := utf8.DecodeLastRuneInString(rest[:i]); !strings.ContainsRune("不没未别免", r) {
				return true
			}
			rest = rest[i+len(w):]
		}
	}
	return false
}

// allOf returns the first match of every expression in s, or false at the
// first that does not match: callers list the rarest first, so that an
// ordinary proposal costs one or two scans.
func allOf(s string, res ...finder) ([]string, bool) {
	out := make([]string, len(res))
	for i, re := range res {
		if out[i] = re.FindString(s); out[i] == "" {
			return nil, false
		}
	}
	return out, true
}

// rule4Structure returns the structural readings of rule 4 in prepared.
func rule4Structure(prepared string) []rule4Finding {
	var out []rule4Finding
	if f, ok := namedFew(prepared); ok {
		out = append(out, f)
	}
	if f, ok := plannedUseDiverted(prepared); ok {
		out = append(out, f)
	} else if f, ok := protectedPlaceBuilt(prepared); ok {
		out = append(out, f)
	}
	if f, ok := rightDenied(prepared); ok {
		out = append(out, f)
	}
	if f, ok := publicOrder(prepared); ok {
		out = append(out, f)
	}
	return out
}

// publicOrder: the collective pays for a private event or a superstition,
// or a gambling venue is to earn money.
func publicOrder(s string) (rule4Finding, bool) {
	if m, ok := allOf(s, publicPayRE, privateEvRE); ok && !customOKRE.MatchString(s) {
		pay, ev := m[0], m[1]
		return rule4Finding{kind: "rule4-custom", parts: []string{"事项：" + ev, "出资：" + pay},
			reason: "提议由集体出钱办个人、家庭的" + ev + "一类事，集体的钱给少数人用，明显不公平，也有悖移风易俗。",
			checks: []string{"费用是否来自集体收入", "是否与村规民约中的红白事、移风易俗约定相抵触"}}, true
	}
	if m, ok := allOf(s, gambleCashRE, gamblingRE); ok && !notUnfairRE.MatchAffirmed(s) {
		c, g := m[0], m[1]
		return rule4Finding{kind: "rule4-custom", parts: []string{"场所：" + g, "钱：" + c},
			reason: "提议开设带输赢钱物的" + g + "并从中得利，有悖公序良俗，也违反治安管理处罚法。",
			checks: []string{"是否带有输赢财物、抽头渔利"}}, true
	}
	return rule4Finding{}, false
}

// namedFew: a named few gain something of the collective on one-sided
// terms (低价、长期、不招标…).
func namedFew(s string) (rule4Finding, bool) {
	if m, ok := allOf(s, officialRE, exemptRE); ok && !notUnfairRE.MatchAffirmed(s) && strings.Index(s, m[0]) < strings.LastIndex(s, m[1]) {
		off, ex := m[0], m[1]
		return rule4Finding{kind: "rule4-few", parts: []string{"受益方：" + off, "待遇：" + ex},
			reason: "提议让" + off + "（或其亲属）" + ex + "，与其他群众区别对待，明显不公平。",
			checks: []string{"受益方是否为村（社区）干部或其亲属", "同样情况的其他群众是否同样对待"}}, true
	}
	if m, ok := allOf(s, privatiseRE, privateUserRE, publicSpaceRE); ok && !publicOKRE.MatchString(s) {
		pr, user, sp := m[0], m[1], m[2]
		return rule4Finding{kind: "rule4-few", parts: []string{"公共场地：" + sp, "处理：" + pr, "使用者：" + user},
			reason: "提议把公共的" + sp + pr + "给" + user + "使用，少数人占用大家的公共空间，明显不公平，也可能违背规划用途。",
			checks: []string{"该场地是否为全体村（居）民共有或规划确定的公共用途", "改变共有部分用途是否经业主共同决定（民法典第二百七十八条）"}}, true
	}
	if m, ok := allOf(s, liquidateGate, liquidateRE, collectiveRE); ok {
		m = m[1:]
		liq, coll := m[0], m[1]
		return rule4Finding{kind: "rule4-few", parts: []string{"集体的：" + coll, "处理：" + liq},
			reason: "提议把集体的" + coll + liq + "，只顾眼前、损害集体长远利益和以后的成员，有悖长远发展。",
			checks: []string{"集体资产处置是否经村民会议依法决定", "是否影响集体经济的持续收入"}}, true
	}
	m, ok := allOf(s, unfairTermRE, fewRE, collectiveRE)
	if !ok || notUnfairRE.MatchAffirmed(s) {
		return rule4Finding{}, false
	}
	term, few, coll := m[0], m[1], m[2]
	// The few must be the ones who gain: named after the transfer ("包给
	// 会计的表弟"), or with their privilege ("干部家属优先承包"), or on
	// terms that are one-sided whoever gains. A household merely named as
	// affected does not count.
	tr := firstMatch(transferRE, s)
	fi := strings.Index(s, few)
	gains := tr != "" && strings.Index(s, tr) < fi
	if !gains {
		after := s[fi+len(few):]
		if len(after) > 18 {
			after = after[:18]
		}
		gains = unfairTermRE.MatchString(after)
	}
	if !gains && !strongUnfair.MatchString(s) {
		return rule4Finding{}, false
	}
	parts := []string{"受益方：" + few, "集体的：" + coll, "条件：" + term}
	return rule4Finding{kind: "rule4-few", parts: parts,
		reason: "提议把集体的资产、收益或机会以" + term + "等条件给" + few + "，少数人得利、集体受损，明显不公平。",
		checks: []string{"受益方与村（社区）干部是否有亲属等利害关系", "价格、期限是否明显低于或长于同类", "是否经公开竞价、民主决策和公示"}}, true
}

// plannedUseDiverted: a use fixed by the published plan turned to another.
func plannedUseDiverted(s string) (rule4Finding, bool) {
	if !strings.Contains(s, "规划") && !strings.Contains(s, "消防通道") && !strings.Contains(s, "公共绿地") {
		return rule4Finding{}, false
	}
	loc := plannedRE.FindStringIndex(s)
	if loc == nil || planOKRE.MatchString(s) {
		return rule4Finding{}, false
	}
	if strings.HasPrefix(s[loc[1]:], "用地") {
		loc[1] += len("用地")
	}
	planned := s[loc[0]:loc[1]]
	dloc := divertRE.FindStringIndex(s[loc[1]:])
	if dloc == nil {
		// "把规划的绿地…" may name the diversion first: "建商铺占用规划绿地".
		dloc = divertRE.FindStringIndex(s[:loc[0]])
		if dloc == nil {
			return rule4Finding{}, false
		}
	} else {
		dloc[0], dloc[1] = dloc[0]+loc[1], dloc[1]+loc[1]
	}
	what := s[dloc[0]:min(len(s), dloc[1]+18)]
	what = strings.TrimRight(cutAtPunct(what), " ")
	return rule4Finding{kind: "rule4-plan", parts: []string{"规划用途：" + planned, "提议：" + what},
		reason: "提议把规划确定用途的“" + planned + "”改作他用（" + what + "），与本地长远规划相冲突。",
		checks: []string{"对照已公布的村庄规划或国土空间规划，核对该地块、线路的规划用途", "改变用途是否须依法报批"}}, true
}

// Places a long-term plan protects whatever a village decides, and uses
// that harm them: a pig farm by the water source, a chemical works beside
// the school.
var (
	protectedRE = mustGated(`水源地|水源保护区|饮用水源|水库边|水库旁|河道里|河道上|行洪区|河滩上|生态红线|公益林|风景区|学校(旁边|边上|隔壁|附近|门口)|幼儿园(旁边|边上|隔壁|附近|门口)|卫生院(旁边|边上|隔壁)|居民区(旁边|中间|里)|小区(旁边|里面|中间)`)
	harmfulRE   = mustGated(`(建|开|办|盖|搞|引进|上)[^，。,]{0,4}(养猪场|养殖场|养鸡场|化工厂|化工|砖厂|石料厂|采石场|砂场|洗砂|塑料厂|废品站|废品收购站|垃圾场|焚烧炉|KTV|歌厅|酒吧|网吧|棋牌室|加油站|屠宰场)`)
)

// protectedPlaceBuilt: a harmful use proposed in a place a plan protects.
func protectedPlaceBuilt(s string) (rule4Finding, bool) {
	place := protectedRE.FindString(s)
	if place == "" || planOKRE.MatchString(s) {
		return rule4Finding{}, false
	}
	use := harmfulRE.FindString(s)
	if use == "" {
		return rule4Finding{}, false
	}
	return rule4Finding{kind: "rule4-plan", parts: []string{"地点：" + place, "提议：" + use},
		reason: "提议在" + place + use + "，与水源、学校、居住区等的长远规划和保护要求相冲突，也影响公共安全。",
		checks: []string{"对照村庄规划、国土空间规划和水源保护、生态保护范围，核对该地点能否作此用途", "是否须经环评等依法审批"}}, true
}

func cutAtPunct(s string) string {
	if i := strings.IndexAny(s, "，。,;；！!？?"); i >= 0 {
		return s[:i]
	}
	return s
}

// rightDenied: a group loses the equal share or use others keep, or a
// costly custom is imposed on every household.
func rightDenied(s string) (rule4Finding, bool) {
	if m, ok := allOf(s, depriveRE, groupRE, benefitRE); ok && !equalOKRE.MatchString(s) {
		d, g := m[0], m[1]
		return rule4Finding{kind: "rule4-custom", parts: []string{"群体：" + g, "处理：" + d},
			reason: "提议因" + g + "的身份让其" + d + "，与其他成员区别对待，明显不公平，有悖公序良俗（成员平等享有集体收益等权利）。",
			checks: []string{"当事人是否为本集体经济组织成员（户籍、承包地、生产生活关系）", "妇女权益保障法、农村集体经济组织法关于平等分配的规定"}}, true
	}
	if d := firstMatch(expelRE, s); d != "" && !equalOKRE.MatchString(s) {
		if g := peopleGroup(s); g != "" {
			return rule4Finding{kind: "rule4-custom", parts: []string{"群体：" + g, "处理：" + d},
				reason: "提议要把" + g + "作为一类人" + d + "，按身份区别对待，明显不公平，有悖公序良俗。",
				checks: []string{"当事人是否有合法居住、租住的权利", "是否针对具体违法违规行为(应依法处理)而非针对一类人"}}, true
		}
	}
	c := firstMatch(customRE, s)
	if c == "" {
		return rule4Finding{}, false
	}
	k := firstMatch(coerceRE, s)
	if k == "" {
		k = firstMatch(raiseRE, s)
	}
	if k != "" && !customOKRE.MatchString(s) {
		return rule4Finding{kind: "rule4-custom", parts: []string{"习俗：" + c, "强制：" + k},
			reason: "提议以" + k + "的方式要求各家" + c + "，加重群众负担，有悖移风易俗和公序良俗。",
			checks: []string{"是否与本地移风易俗要求、已通过的村规民约相抵触"}}, true
	}
	return rule4Finding{}, false
}

// peopleGroup is the first group of people groupRE names, leaving out
// the village groups (3组, 本组): driving "3组的流浪狗" away is no
// one's exclusion.
func peopleGroup(s string) string {
	for _, g := range groupRE.FindAllString(s, -1) {
		if !strings.HasSuffix(g, "组") {
			return g
		}
	}
	return ""
}
