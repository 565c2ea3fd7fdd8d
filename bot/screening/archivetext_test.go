package screening

import (
	"slices"
	"testing"
)

func TestArchiveText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"３号楼旁边建个电瓶车充电棚吧", "3号楼旁边建个电动车充电棚"},
		{"上午8点至晚上9点开放", "早8点到晚9点开放"},
		{"每顿补贴三块钱", "每餐补贴3元"},
		{"那块空地", "空地"}, // 块 without a number is a plot, not money; 那块 is dropped
		{"那块地六成收益归集体", "地60%收益归村集体"},
		{"隔一年砍一回", "每2年砍1次"},
		{"集体竹林砍竹子", "村集体竹林采伐"},
		{"下班回来", "下班回来"},
		{"建议大家商量一下装栏杆", "    装护栏"}, // framing leaves gaps, not bigrams
		{"文化礼堂的门口", "文化礼堂门前"},
		{"快递驿站", "快递驿站"}, // the canonical form is not rewritten again
	}
	for _, tt := range tests {
		if got := archiveText(prepare(tt.in)); got != tt.want {
			t.Errorf("archiveText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlaces(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"在西溪村口装太阳能路灯", []string{"西溪", "西溪村"}}, // 路灯 is not a road
		{"写进村规民约", nil},
		{"3号楼和7号楼之间", []string{"3号楼", "7号楼"}},
	}
	for _, tt := range tests {
		if got := extractPlaces(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("extractPlaces(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	cmp := []struct {
		ps, qs         []string
		conflict, same bool
	}{
		{[]string{"文化广场"}, []string{"中心广场"}, true, false},
		{[]string{"中心广场", "文化广场"}, []string{"中心广场"}, true, true}, // the model and another place
		{[]string{"中心广场"}, []string{"中心广场"}, false, true},
		{[]string{"3号楼"}, []string{"中心广场"}, false, false},
	}
	for _, c := range cmp {
		if conflict, same := comparePlaces(c.ps, c.qs); conflict != c.conflict || same != c.same {
			t.Errorf("comparePlaces(%q, %q) = %v, %v, want %v, %v", c.ps, c.qs, conflict, same, c.conflict, c.same)
		}
	}
}

// A decision's place named as the model for another place is not a repeat.
func TestRepeatElsewhere(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(evalClock)
	s.AddDecision(Decision{ID: "D1", Title: "关于中心广场安装健身器材的决议", Text: "在中心广场东侧安装健身器材一套。", DecidedOn: "2024-06-12"})
	for text, want := range map[string]bool{
		"中心广场装一套健身器材吧":               true,
		"中心广场已经装好了健身器材，文化广场也装一套健身器材": false,
	} {
		if got := slices.Contains(s.Screen(text).Rules, 3); got != want {
			t.Errorf("%s: rule 3 %v, want %v", text, got, want)
		}
	}
}

// TestSupervisionIsNotARepeat: asking how a decided matter was carried out
// or where its money went is supervision (a new matter), while asking for
// the decided thing again is a repeat.
func TestSupervisionIsNotARepeat(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(evalClock)
	s.AddDecision(Decision{ID: "S1", Title: "关于屋顶光伏发电收益使用的决议", Text: "村集体屋顶光伏电站的发电收益用于重阳节慰问老人和村道路灯电费。", DecidedOn: "2024-07-06"})
	for _, tc := range []struct {
		text   string
		repeat bool
	}{
		{"屋顶光伏电站的发电收益用来重阳节慰问老人、交路灯电费", true},
		{"屋顶光伏电站的发电收益账目公开一下，重阳慰问金发了没", false},
		{"光伏发电收益用于重阳慰问老人的决议执行得怎么样了", false},
	} {
		r := s.Screen(tc.text)
		if got := contains(r.Rules, 3); got != tc.repeat {
			t.Errorf("%s: rule 3 %v, want %v (matches %+v)", tc.text, got, tc.repeat, r.Matches)
		}
	}
}

// TestArchiveTextKeepsOtherWords: a fold must not eat into the words
// around it (found by review).
func TestArchiveTextKeepsOtherWords(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"把闲置的仓库拿出来出租", "把闲置仓库拿出来出租"},
		{"需要钱", "需要费用"},
		{"围绕主题", "围绕主题"},
		{"砍价", "砍价"},
		{"买卖", "买卖"},
		{"12成", "12成"},
		{"两成", "20%"},
		{"每天7时至19时", "每天7点到7点"},
		{"至少一半", "不低于50%"},
		{"两米半宽", "2.5米宽"},
		{"3小时", "3小时"},
		{"物业费一块六一平", "物业费1.6元每平方米"},
		{"半个钟头以内不收钱", "30分钟不超过免费"},
	} {
		if got := archiveText(prepare(tt.in)); got != tt.want {
			t.Errorf("archiveText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
