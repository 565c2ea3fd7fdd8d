package screening

import (
	"slices"
	"strings"
)

// An enforcement request reports what someone else does against a law,
// a rule or the plan and asks for it to be stopped or undone ("有人私自
// 搭彩钢棚，希望依法拆除"). Its words are a violation's words, but it asks
// the opposite of a 五不议 proposal: not to set a rule aside by a vote,
// but to have it applied. Such a proposal is not flagged under rules 1,
// 2 and 4 for those words; the reviewer is told that the violation itself
// is for the authorities (or the committee's own lawful action) and that
// the deliberation can agree how residents help.
//
// The cues are kinds of words, not phrases of any example set: a violation
// word, an ask to enforce, someone other than the proposers doing it, and
// no ask to keep, excuse or legalise what was done.

var violationCues = cues("私自", "违规", "违法", "违章", "违建", "偷偷", "非法", "乱搭", "乱建", "乱倒", "乱扔", "乱排", "乱停",
	"霸占", "圈占", "侵占", "强占", "占用公共", "占道", "偷排", "偷倒", "擅自", "私搭", "私建", "私占", "毁坏", "破坏")

var enforceCues = cues("整治", "拆除", "拆掉", "制止", "管管", "管一管", "管一下", "要管", "处理一下", "依法处理", "取缔", "查处", "恢复",
	"清理", "清除", "举报", "依法", "治理", "禁止", "收回", "追回", "处罚", "罚款", "纠正", "停止", "叫停", "清退", "还给", "归还")

// strongEnforceCues ask for enforcement whoever the subject is.
var strongEnforceCues = cues("举报", "查处", "取缔", "整治", "依法处理", "依法拆除", "叫停", "制止")

var thirdPartyCues = cues("有人", "有的人", "有些人", "一些人", "个别", "某些", "某户", "谁家", "他家", "他们家", "人家", "楼上", "楼下",
	"隔壁", "商户", "摊贩", "摊主", "老板", "企业", "工厂", "厂家", "厂子", "车主", "住户", "开发商", "施工队", "外来")

// legitimiseCues ask to keep, excuse or make lawful what was done: the
// 五不议 reading stands.
var legitimiseCues = cues("保留", "别拆", "不拆", "不要拆", "补手续", "补办", "补个手续", "暂缓", "缓拆", "照旧", "允许", "留下", "留着",
	"继续用", "合法化", "通融", "网开一面", "免于", "不处罚", "不罚", "不追究", "算了", "表决同意", "投票同意", "投个票", "表决一下", "通过一下")

func containsAny(s string, cues []string) bool {
	return slices.ContainsFunc(cues, func(c string) bool { return strings.Contains(s, c) })
}

// enforcementFrame reports whether a proposal asks for a violation by
// someone else to be stopped or undone.
func enforcementFrame(prepared string) bool {
	if !containsAny(prepared, violationCues) || containsAny(prepared, legitimiseCues) {
		return false
	}
	if containsAny(prepared, strongEnforceCues) {
		return true
	}
	return containsAny(prepared, enforceCues) && (containsAny(prepared, thirdPartyCues) || containsAny(prepared, collectiveActorCues))
}

// collectiveActorCues: the village or community itself sets out to clear
// what was built or done against the rules (村里打算…分批拆除).
var collectiveActorCues = cues("村里打算", "村里准备", "村里计划", "社区打算", "社区准备", "社区计划", "统一清理", "集中清理", "分批拆除", "集中整治", "统一整治", "摸底登记")

// enforcementNote is what the reviewer reads on such a proposal.
const enforcementNote = "这是反映他人违法违规行为、要求依法制止或纠正的提议，不是要求通过表决变通法规政策，所以没有按五不议第1、2、4条标记。违法行为本身由村(居)委会依法劝阻并报告有关部门处理；议事协商可以商量居民怎样配合、事后怎样管好。"

// enforcementCategory is why such a proposal is filed under 六必议 2.
const enforcementCategory = "群众反映的违法违规行为造成的实际问题，要求解决。"

// firstOf returns the first cue found in s ("" if none).
func firstOf(s string, cues []string) string {
	for _, c := range cues {
		if strings.Contains(s, c) {
			return c
		}
	}
	return ""
}
