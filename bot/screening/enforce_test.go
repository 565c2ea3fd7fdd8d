package screening

import (
	"slices"
	"testing"
)

// A report of someone else's violation that asks for the law to be
// applied is not a 五不议 proposal; one that asks to keep or excuse the
// violation still is.
func TestEnforcementRequests(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text    string
		enforce bool
		flagged bool // under rule 1, 2 or 4
	}{
		{"小区里有人违规占道经营，早上菜摊把路都堵了，建议整治一下", true, false},
		{"有人偷偷在耕地上盖房子，违法占用基本农田，村里要管", true, false},
		{"河边有个厂子偷排污水，鱼都死了，要求查处", true, false},
		{"村口那块公共场地被个别人私自圈占堆杂物，希望收回来", true, false},
		{"举报：后山有人非法采砂", true, false},
		// Asking to keep, excuse or vote a violation through: 五不议 stands.
		{"老李家的违章搭建住了好多年了，大家表决一下就保留吧，别拆了。", false, true},
		{"违章搭的彩钢棚拆了可惜，让大家投票给它补个手续", false, true},
		{"违建拆除别搞一刀切了，我们村暂缓执行吧。", false, true},
		// No violation named: not this frame.
		{"村里的垃圾站臭得不行，夏天苍蝇多，建议搬远一点", false, false},
	}
	for _, tt := range tests {
		prepared := prepare(tt.text)
		if got := enforcementFrame(prepared); got != tt.enforce {
			t.Errorf("enforcementFrame(%q) = %v, want %v", tt.text, got, tt.enforce)
		}
		r := s.Screen(tt.text)
		flagged := slices.ContainsFunc(r.Rules, func(n int) bool { return n == 1 || n == 2 || n == 4 })
		switch {
		case tt.enforce && flagged:
			t.Errorf("%q: flagged under %v although it asks for the law to be applied: %v", tt.text, r.Rules, r.Reasons)
		case tt.enforce && !slices.Contains(r.Notes, enforcementNote):
			t.Errorf("%q: the reviewer is not told why it was not flagged: notes %v", tt.text, r.Notes)
		case !tt.enforce && tt.flagged != flagged:
			t.Errorf("%q: flagged under rule 1, 2 or 4 = %v, want %v (rules %v)", tt.text, flagged, tt.flagged, r.Rules)
		}
	}
}

func TestCollectiveEnforcement(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Screen("村里打算对违章搭建的棚子进行清理，先摸底登记，再分批拆除，请大家议一议具体步骤。"); r.Verdict != Admissible {
		t.Errorf("the village clearing violations: %s %v (%v), want admissible", r.Verdict, r.Rules, r.Reasons)
	}
	if r := s.Screen("村里打算对违章搭建的棚子投票表决，保留下来不拆"); r.Verdict == Admissible {
		t.Error("voting to keep violations: admissible, want flagged")
	}
}
