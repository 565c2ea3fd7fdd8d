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
