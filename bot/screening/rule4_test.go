package screening

import (
	"slices"
	"strings"
	"testing"
)

func TestRule4Structure(t *testing.T) {
	tests := []struct {
		text string
		kind string // "" = no finding
		part string // a word the evidence must name
	}{
		{"村里那片集体茶园按十年前的老价钱包给会计的表弟，再签二十年", "rule4-few", "受益方：会计的表弟"},
		{"村道拓宽占地都按最低价补，主任家的院子不动", "rule4-few", "受益方：主任"},
		{"小区东门那块草坪铲掉，改成停车位卖给3号楼业主", "rule4-few", "公共场地：草坪"},
		{"集体的竹林全部卖掉，钱按人头分掉", "rule4-few", "处理：全部卖掉"},
		{"村庄规划里定的学校用地先拿来建几间厂房出租", "rule4-plan", "规划用途：村庄规划里定的学校用地"},
		{"离婚回娘家的妇女，今年的分红不给", "rule4-custom", "群体：离婚"},
		{"谁家老人过世不请道士做法事就不让进祠堂，写进村规", "rule4-custom", "强制："},
		{"主任孙子办升学宴，村里出钱包场", "rule4-custom", "出资：村里出"},
		{"祠堂里摆几桌麻将，抽的水给老年协会", "rule4-custom", "钱：抽的水"},
		{"把外地人都赶出我们小区", "rule4-custom", "群体：外地人"},
		{"残疾人家庭的孩子不能进村里的幼儿园", "rule4-custom", "处理：不能进"},
		{"举报过村里问题的人家，今年的分红扣一半", "rule4-custom", "群体：举报过"},
		{"每年清明组织全村烧纸钱祭山神，费用按户摊", "rule4-custom", "强制：按户摊"},
		// Not rule 4: a village group named for where, not who.
		{"把3组那边的流浪狗赶走", "", ""},
		{"3组的广场晚上十点以后不准放音乐", "", ""},
		// Not rule 4: open tender, carrying out the plan, equal shares.
		{"集体茶园承包到期，公开招标重新发包", "", ""},
		{"按村庄规划建设村道，线路征求大家意见", "", ""},
		{"户口在村的出嫁女儿和大家一样分红", "", ""},
		{"红白事简办，酒席不超过二十桌", "", ""},
		// Households named only as affected (the propose flow appends them).
		{"晒谷场改建停车场。晒谷场平时空着，想改成停车场，方便村民停车。5组村民和晒谷场周边住户", "", ""},
		{"村里的鱼塘长期没人管，水都臭了，想清一下淤。涉及：老王家、李家", "", ""},
	}
	for _, tt := range tests {
		fs := rule4Structure(prepare(tt.text))
		if tt.kind == "" {
			if len(fs) > 0 {
				t.Errorf("%s: unexpected finding %+v", tt.text, fs)
			}
			continue
		}
		i := slices.IndexFunc(fs, func(f rule4Finding) bool { return f.kind == tt.kind })
		if i < 0 {
			t.Errorf("%s: no %s finding (%+v)", tt.text, tt.kind, fs)
			continue
		}
		f := fs[i]
		if !strings.Contains(strings.Join(f.parts, "；"), tt.part) {
			t.Errorf("%s: evidence %v does not name %q", tt.text, f.parts, tt.part)
		}
		if f.reason == "" || len(f.checks) == 0 {
			t.Errorf("%s: finding without reason or checks: %+v", tt.text, f)
		}
	}
}

// TestRule4EvidenceShown: a structural flag reaches the reviewer with what
// it found and what to check.
func TestRule4EvidenceShown(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	r := s.Screen("村庄规划里定的学校用地先拿来建几间厂房出租")
	if !slices.Contains(r.Rules, 4) {
		t.Fatalf("rule 4 not flagged: %+v", r)
	}
	txt := r.ReviewerText()
	if !strings.Contains(txt, "请核对：") {
		t.Errorf("reviewer text lacks the checks:\n%s", txt)
	}
}

// TestNewLegalEntries: matters the law settles (rule 1), a higher level's
// requirement voted away (rule 2), dissent punished and feasts imposed
// (rule 4), a quarrel of two households (rule 5), each in words residents
// use, with the admissible proposal beside it that shares its subject.
func TestNewLegalEntries(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.SetExamples(nil) // the packs alone
	for _, tc := range []struct {
		text string
		rule int // 0: admissible
	}{
		{"队里好几户添了人口，想表决把承包地收回来按现在的人头重新分", 1},
		{"承包地撂荒的，怎么组织流转给种粮大户，请大家议一议", 0},
		{"咱们定个规矩，姑娘满18就能摆酒领证", 1},
		{"想给满18岁的年轻人办个集体成人礼", 0},
		{"未满16岁的娃暑假也让进厂打工挣点钱，大家同意就行", 1},
		{"义务教育阶段每个学生收一点班费，村里表决收", 1},
		{"镇上的危房排查，咱村投票不让他们进屋查，行不行", 2},
		{"镇上的危房排查，咱村先排查哪几户、怎么安置，请大家商量", 0},
		{"谁家不同意拆猪圈就停他家的自来水", 4},
		{"以后办酒都得摆够40桌，写进村规", 4},
		{"红白喜事酒席不超过20桌，写进村规民约", 0},
		{"村里的鱼塘不公开招标，私下低价包给会计的连襟", 4},
		{"村里的鱼塘公开招标，会计的连襟回避", 0},
		{"对门把鞋柜摆在我家门口，讲了几次都不肯搬", 5},
		{"我跟老公要离婚了，孩子归谁想请村里议一议", 5},
		{"离婚回村的妇女集体经济组织成员资格怎么认定，请大家议清楚", 0},
		{"对不戴头盔骑电瓶车的罚钱20元，账目公开", 1},
		{"有几户想在自家承包地上再盖一栋房子，村里统一同意", 1},
		{"年底用集体的钱组织村干部去海南旅游", 4},
		{"村集体出钱组织老人去敬老院慰问", 0},
		{"征地补偿谈不拢 大家明天一起去把路堵了", 4},
		{"有人把村口的路堵了 车过不去 请村里处理", 0},
	} {
		r := s.Screen(tc.text)
		switch {
		case tc.rule == 0 && r.Verdict != Admissible:
			t.Errorf("%s: %s %v, want admissible (%v)", tc.text, r.Verdict, r.Rules, r.Reasons)
		case tc.rule != 0 && !contains(r.Rules, tc.rule):
			t.Errorf("%s: %s %v, want rule %d", tc.text, r.Verdict, r.Rules, tc.rule)
		}
	}
}

func TestMatchAffirmed(t *testing.T) {
	l := lits(`公开招标|公示`)
	for _, tc := range []struct {
		s    string
		want bool
	}{{"公开招标承包", true}, {"不公开招标了", false}, {"不公开招标，但要公示", true}, {"没公示", false}, {"", false}} {
		if got := l.MatchAffirmed(tc.s); got != tc.want {
			t.Errorf("MatchAffirmed(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestProtectedPlaceBuilt(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"村里想在水库边上建个养猪场，增加集体收入", true},
		{"学校旁边那块空地租出去开网吧", true},
		{"水库边的养猪场臭味太大，请村里协调搬走", false}, // a harm reported, not a use proposed
		{"学校旁边装个红绿灯", false},
	} {
		_, got := protectedPlaceBuilt(prepare(tc.text))
		if got != tc.want {
			t.Errorf("%s: %v, want %v", tc.text, got, tc.want)
		}
	}
}
