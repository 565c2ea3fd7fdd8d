package bot

import "fmt"

// Choice is a vote.
type Choice string

const (
	ChoiceFor     Choice = "for"     // 赞成
	ChoiceAgainst Choice = "against" // 反对
	ChoiceAbstain Choice = "abstain" // 弃权
)

// Chinese returns the choice's Chinese name.
func (c Choice) Chinese() string {
	switch c {
	case ChoiceFor:
		return "赞成"
	case ChoiceAgainst:
		return "反对"
	case ChoiceAbstain:
		return "弃权"
	}
	return string(c)
}

// Tally is the count of a vote. Every figure is an integer: the decision is
// never made in floating point (PROCESS.md, "The decision rule").
type Tally struct {
	Expected int // 应到: voters invited (observers excluded)
	Present  int // 实到: voters checked in
	For      int
	Against  int
	Abstain  int
	// Eligible is the statutory base of an assembly preset (adults or
	// household representatives); 0 means Expected.
	Eligible int
	// Unknown counts ballots whose choice is not known: an open secret vote
	// rebuilt from the log alone (the log never holds a secret choice).
	Unknown int
}

// Valid reports whether c is one of the three choices.
func (c Choice) Valid() bool { return c == ChoiceFor || c == ChoiceAgainst || c == ChoiceAbstain }

// Voted is how many have voted.
func (t Tally) Voted() int { return t.For + t.Against + t.Abstain }

// Preset is a decision rule from LEGAL.md. Quorum and Agreed use integers only.
type Preset struct {
	Key       string
	Name      string
	Source    string
	QuorumDoc string // the attendance rule in words
	RuleDoc   string // the decision rule in words
	quorum    func(t Tally) bool
	agreed    func(t Tally) bool
	// needFor is how many more FOR votes are needed given the present count.
	minFor func(present int) int
}

// DefaultPreset is the guideline's own rule.
const DefaultPreset = "yishi"

// Presets are the rule presets a community may choose per topic.
var Presets = map[string]*Preset{
	DefaultPreset: {
		Key: DefaultPreset, Name: "议事协商", Source: "金市民〔2023〕43号 附件2",
		QuorumDoc: "无法定到会人数要求", RuleDoc: "赞成票超过实到会人数的三分之二(赞成×3 > 实到×2)",
		quorum: func(Tally) bool { return true },
		agreed: func(t Tally) bool { return t.Present > 0 && t.For*3 > t.Present*2 },
		minFor: func(p int) int { return p*2/3 + 1 },
	},
	"representatives": {
		Key: "representatives", Name: "村民代表会议", Source: "村民委员会组织法 第二十六条",
		QuorumDoc: "三分之二以上组成人员到会(实到×3 ≥ 应到×2)", RuleDoc: "赞成票超过实到人数的一半(赞成×2 > 实到)",
		quorum: func(t Tally) bool { return t.Present > 0 && t.Present*3 >= base(t)*2 },
		agreed: func(t Tally) bool { return t.For*2 > t.Present },
		minFor: func(p int) int { return p/2 + 1 },
	},
	"villagers": {
		Key: "villagers", Name: "村民会议", Source: "村民委员会组织法 第二十二条",
		QuorumDoc: "本村十八周岁以上村民过半数到会(实到×2 > 应到)", RuleDoc: "赞成票超过实到人数的一半(赞成×2 > 实到)",
		quorum: func(t Tally) bool { return t.Present > 0 && t.Present*2 > base(t) },
		agreed: func(t Tally) bool { return t.For*2 > t.Present },
		minFor: func(p int) int { return p/2 + 1 },
	},
	"residents": {
		Key: "residents", Name: "居民会议", Source: "城市居民委员会组织法 第九条",
		QuorumDoc: "过半数成年居民(或户代表、居民小组代表)到会(实到×2 > 应到)", RuleDoc: "赞成票超过实到人数的一半(赞成×2 > 实到)",
		quorum: func(t Tally) bool { return t.Present > 0 && t.Present*2 > base(t) },
		agreed: func(t Tally) bool { return t.For*2 > t.Present },
		minFor: func(p int) int { return p/2 + 1 },
	},
}

func base(t Tally) int {
	if t.Eligible > 0 {
		return t.Eligible
	}
	return t.Expected
}

// PresetByName finds a preset by key or Chinese name.
func PresetByName(s string) (*Preset, bool) {
	if p, ok := Presets[s]; ok {
		return p, true
	}
	for _, p := range Presets {
		if p.Name == s {
			return p, true
		}
	}
	return nil, false
}

// Outcome is the rule applied to a tally.
type Outcome struct {
	QuorumMet  bool
	Agreed     bool // only meaningful when QuorumMet
	NeedFor    int  // more FOR votes needed to pass (0 when already enough)
	Arithmetic string
}

// Decide applies the preset to the tally.
func (p *Preset) Decide(t Tally) Outcome {
	o := Outcome{QuorumMet: p.quorum(t)}
	o.Agreed = o.QuorumMet && p.agreed(t)
	if need := p.minFor(t.Present) - t.For; need > 0 {
		o.NeedFor = need
	}
	var verdict string
	switch {
	case !o.QuorumMet:
		verdict = fmt.Sprintf("到会人数不足(%s：应到%d，实到%d)，表决不产生决定", p.QuorumDoc, base(t), t.Present)
	case o.Agreed:
		verdict = "通过"
	default:
		verdict = "未通过"
	}
	o.Arithmetic = fmt.Sprintf("适用规则「%s」(%s)：%s。实到%d人，赞成%d人，反对%d人，弃权%d人；通过需赞成至少%d人。结果：%s。",
		p.Name, p.Source, p.RuleDoc, t.Present, t.For, t.Against, t.Abstain, p.minFor(t.Present), verdict)
	return o
}

// Percent formats n/d as a percentage with one decimal, computed in integers
// (rounded half up) so the record sheet never disagrees with the decision.
func Percent(n, d int) string {
	if n < 0 || d <= 0 {
		return "0.0"
	}
	tenths := (n*1000*2 + d) / (2 * d)
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}
