package screening

import (
	"strings"
	"testing"
)

// TestCategoryFrame: the four difficulties the issue names are category 2
// however the object is named; planned investments and shared facilities
// are category 1.
func TestCategoryFrame(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want int
	}{
		{"东山脚那条村道被大车压坏了，到处是坑，电瓶车天天有人摔", 2},
		{"我们三组已经停水四天了，老人只能去邻村挑水", 2},
		{"夜市的音响每天放到半夜，吵得孩子没法睡觉", 2},
		{"学校后面的土坡下雨后开裂往下滑，太危险了", 2},
		{"小区的路灯一个月前就不亮了，物业也不来修", 2},
		{"建议在村东头新建一个停车场，方便过年返乡的车辆", 1},
		{"村里规划建设一个居家养老服务中心", 1},
		{"给老年活动室添置一批健身器材", 1},
	}
	for _, tt := range tests {
		r := s.Screen(tt.text)
		if r.Category != tt.want {
			t.Errorf("%s: category %d, want %d (%s)", tt.text, r.Category, tt.want, r.CategoryLine())
		}
		if len(r.TopCategories) == 0 || r.TopCategories[0].Category != r.Category {
			t.Errorf("%s: top categories %+v do not start with the category %d", tt.text, r.TopCategories, r.Category)
			continue
		}
		sum := 0.0
		for i, c := range r.TopCategories {
			sum += c.Confidence
			if c.Confidence <= 0 || c.Confidence > 1 {
				t.Errorf("%s: confidence %v out of (0, 1]", tt.text, c.Confidence)
			}
			if i > 0 && c.Confidence > r.TopCategories[i-1].Confidence {
				t.Errorf("%s: top categories not best first: %+v", tt.text, r.TopCategories)
			}
		}
		if sum > 1.001 {
			t.Errorf("%s: confidences sum to %v", tt.text, sum)
		}
		if len(r.TopCategories[0].Words) == 0 {
			t.Errorf("%s: no words decided category %d", tt.text, r.Category)
		}
		if !strings.Contains(r.ReviewerText(), "可能的类别：第") {
			t.Errorf("%s: reviewer text does not show the top categories:\n%s", tt.text, r.ReviewerText())
		}
	}
}

func TestCuesInDropsNestedCues(t *testing.T) {
	got := cuesIn("门口坑坑洼洼的", []string{"坑洼", "坑坑洼洼"})
	if len(got) != 1 || got[0] != "坑坑洼洼" {
		t.Errorf("cuesIn = %v, want [坑坑洼洼]", got)
	}
}

// TestStructureCategories: a higher level's directive carried out here is
// category 3, a matter a rule gives to the assembly category 4, told by
// the structure alone (no labelled examples to lean on).
func TestStructureCategories(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.SetExamples(nil)
	for _, tt := range []struct {
		text string
		want int
	}{
		{"乡里布置了农房安全排查，咱们组先查哪几户、查出问题的怎么安置，请大家商量", 3},
		{"社区列入了明年的雨污分流试点项目，先弄哪几幢楼请居民议一议", 3},
		{"村干部的误工补贴标准按规定要由村民会议讨论决定，请大家议一议", 4},
		{"今年果园的分配方案请村民代表讨论", 4},
	} {
		if r := s.Screen(tt.text); r.Category != tt.want {
			t.Errorf("%s: category %d, want %d (%s)", tt.text, r.Category, tt.want, r.CategoryLine())
		}
	}
}
