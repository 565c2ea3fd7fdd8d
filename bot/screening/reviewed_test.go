package screening

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// policyProposals are proposals about carrying out a county or town policy
// locally (六必议 category 3) that the screening wrongly flags under rule 2
// ("the higher level has explicit requirements"): the kind of flag a party
// organisation overrides again and again.
func policyProposals(t *testing.T, s *Screener) []string {
	t.Helper()
	heads := []string{"县里要求", "镇里规定", "上级要求", "县里规定", "上面要求", "街道要求", "市里要求"}
	pols := []string{"推进农村生活污水治理", "开展人居环境整治", "实施垃圾分类", "推行殡葬改革", "做好秸秆综合利用",
		"开展农房安全排查", "建设美丽庭院", "推进厕所革命", "落实河长制", "开展电动车进楼整治", "推广生态葬", "开展烟花爆竹禁放宣传"}
	dets := []string{"村里打算先在三组试点，请大家议", "村里想按自己的情况定一个实施方案", "具体怎么搞我们村自己定",
		"本村先搞个试点再说，大家商量", "村里准备结合实际自己定细则"}
	var out []string
	for _, d := range dets {
		for _, p := range pols {
			for _, h := range heads {
				text := h + p + "，" + d
				if slices.Contains(s.Screen(text).Rules, 2) {
					out = append(out, text)
				}
			}
		}
	}
	return out
}

func flaggedRule(s *Screener, comm string, texts []string, rule int) int {
	n := 0
	for _, x := range texts {
		if slices.Contains(s.ScreenFor(comm, x).Rules, rule) {
			n++
		}
	}
	return n
}

// TestLearnOverridesLowerFalseFlags is the learning test: 30
// overrides of rule 2 for local implementation of a policy, replayed,
// lower the rule-2 flags on 30 unseen similar proposals by at least half.
func TestLearnOverridesLowerFalseFlags(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	all := policyProposals(t, s)
	if len(all) < 60 {
		t.Fatalf("only %d flagged policy proposals to learn from, want 60", len(all))
	}
	var train, test []string
	for i, x := range all[:60] {
		if i%2 == 0 {
			train = append(train, x)
		} else {
			test = append(test, x)
		}
	}
	before := flaggedRule(s, "v1", test, 2)
	for i, x := range train {
		err := s.Learn("v1", ReviewedExample{ID: fmt.Sprintf("o%d", i), Kind: ReviewOverride, Text: x, Flagged: []int{2},
			Reason: "这是上级政策在本村怎么落实，属于六必议第3类，可以议", DecidedOn: "2026-10-12"})
		if err != nil {
			t.Fatal(err)
		}
	}
	after := flaggedRule(s, "v1", test, 2)
	t.Logf("rule-2 flags on 30 unseen policy proposals: %d before, %d after 30 overrides", before, after)
	if before != 30 || after*2 > before {
		t.Errorf("flags %d → %d, want 30 → at most 15", before, after)
	}
	// Another community learnt nothing.
	if other := flaggedRule(s, "v2", test, 2); other != before {
		t.Errorf("community v2 flags %d, want %d: reviewed examples are per community", other, before)
	}
	// A lifted flag is still shown to the reviewer, with the precedent.
	r := s.ScreenFor("v1", test[0])
	if !slices.Contains(r.Rules, 2) {
		if !slices.Contains(r.Lifted, 2) || len(r.Precedents) == 0 || !strings.Contains(strings.Join(r.Notes, ""), "曾被党组织推翻") {
			t.Errorf("lifted flag without its note and precedent: %+v", r)
		}
	}
}

// TestPrecedentSafety: overrides of policy-implementation proposals do not
// lift rule 2 from a proposal that refuses the policy itself.
func TestPrecedentSafety(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range policyProposals(t, s) {
		if err := s.Learn("v1", ReviewedExample{ID: fmt.Sprint(i), Kind: ReviewOverride, Text: x, Flagged: []int{2}, Reason: "本地落实", DecidedOn: "2026-10-12"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range []string{
		"县里要求火化，我们村投票老人去世还是土葬",
		"镇里规定秸秆禁烧，村里表决允许在自家田里烧",
		"上面要求禁放烟花爆竹，我们小区投票过年照放",
	} {
		if r := s.ScreenFor("v1", x); !slices.Contains(r.Rules, 2) {
			t.Errorf("%s: rule 2 lifted by unrelated overrides: %+v", x, r)
		}
	}
}

// TestLearnDeclineAndApproval: a decline flags a close proposal with its
// rule and shows the precedent; an approval shows its category.
func TestLearnDeclineAndApproval(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	const declined = "把村委会后面那块集体空地长期低价租给书记的小舅子开农家乐"
	if err := s.Learn("v", ReviewedExample{ID: "d1", Kind: ReviewDeclined, Rule: 4, Text: declined, Reason: "集体资产低价给干部亲属，明显不公平", DecidedOn: "2026-09-03"}); err != nil {
		t.Fatal(err)
	}
	r := s.ScreenFor("v", "村委会后面那块集体空地低价长期租给书记小舅子开个农家乐")
	if !slices.Contains(r.Rules, 4) {
		t.Fatalf("a close paraphrase of a declined proposal is not flagged with rule 4: %+v", r)
	}
	if len(r.Precedents) == 0 || r.Precedents[0].ID != "d1" || !strings.Contains(r.Precedents[0].Line(), "曾以五不议第4条不予受理") {
		t.Errorf("precedent not shown: %+v", r.Precedents)
	}
	if !strings.Contains(r.ReviewerText(), "2026-09 同类提议曾以五不议第4条不予受理") {
		t.Errorf("reviewer text lacks the precedent:\n%s", r.ReviewerText())
	}

	const approved = "村西头的老桥桥面裂开了，每天都有学生从上面过，请尽快修好"
	if err := s.Learn("v", ReviewedExample{ID: "a1", Kind: ReviewApproved, Category: 2, ScreenCategory: 1, Text: approved, DecidedOn: "2026-10-20"}); err != nil {
		t.Fatal(err)
	}
	r = s.ScreenFor("v", "村西头老桥的桥面裂开了，学生每天从桥上过，请尽快修")
	if r.Category != 2 {
		t.Errorf("category %d, want 2 from the approval (%s)", r.Category, r.CategoryLine())
	}
	if len(r.Precedents) == 0 || !strings.Contains(r.Precedents[0].Line(), "2026-10 同类提议经党组织审定为六必议第2类") {
		t.Errorf("approval precedent not shown: %+v", r.Precedents)
	}
	// Replacing an example by ID keeps one copy.
	if err := s.Learn("v", ReviewedExample{ID: "a1", Kind: ReviewApproved, Category: 1, Text: approved, DecidedOn: "2026-10-21"}); err != nil {
		t.Fatal(err)
	}
	if n := s.ReviewedCount("v"); n != 2 {
		t.Errorf("ReviewedCount = %d, want 2 after replacing a1", n)
	}
}

func TestReviewedExampleValidate(t *testing.T) {
	ok := ReviewedExample{ID: "x", Kind: ReviewReturned, Text: "修路", DecidedOn: "2026-01-02"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mod  func(*ReviewedExample)
		want string
	}{
		{"no id", func(e *ReviewedExample) { e.ID = "" }, "缺少 id"},
		{"empty text", func(e *ReviewedExample) { e.Text = "😀。" }, "提议内容"},
		{"bad kind", func(e *ReviewedExample) { e.Kind = "maybe" }, "kind"},
		{"approve no category", func(e *ReviewedExample) { e.Kind = ReviewApproved }, "六必议类别"},
		{"decline no rule", func(e *ReviewedExample) { e.Kind = ReviewDeclined; e.Rule = 7 }, "五不议条目"},
		{"override no reason", func(e *ReviewedExample) { e.Kind = ReviewOverride; e.Flagged = []int{2} }, "理由"},
		{"override nothing", func(e *ReviewedExample) { e.Kind = ReviewOverride; e.Reason = "r" }, "flagged"},
		{"bad date", func(e *ReviewedExample) { e.DecidedOn = "2026/1/2" }, "decided_on"},
		{"bad flagged", func(e *ReviewedExample) { e.Flagged = []int{9} }, "flagged 中的条目 9"},
	}
	for _, tt := range tests {
		e := ok
		tt.mod(&e)
		err := e.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
	s, _ := New()
	if err := s.Learn("v", ReviewedExample{ID: "bad"}); err == nil || s.ReviewedCount("v") != 0 {
		t.Errorf("Learn accepted an invalid example (err %v)", err)
	}
}

func TestAgreement(t *testing.T) {
	exs := []ReviewedExample{
		{Kind: ReviewDeclined, Rule: 2, Flagged: []int{2}},
		{Kind: ReviewOverride, Flagged: []int{2}},
		{Kind: ReviewOverride, Flagged: []int{2, 4}},
		{Kind: ReviewDeclined, Rule: 5},
		{Kind: ReviewApproved, Category: 2, ScreenCategory: 2},
		{Kind: ReviewApproved, Category: 2, ScreenCategory: 1},
	}
	a := AgreementOf(exs)
	if got, want := a.Rules[2], (RuleAgreement{Flagged: 3, Confirmed: 1, Overridden: 2}); got != want {
		t.Errorf("rule 2: %+v, want %+v", got, want)
	}
	if got, want := a.Rules[5], (RuleAgreement{Missed: 1}); got != want {
		t.Errorf("rule 5: %+v, want %+v", got, want)
	}
	if got, want := a.Categories[1], (CategoryAgreement{Proposed: 1}); got != want {
		t.Errorf("category 1: %+v, want %+v", got, want)
	}
	if got, want := a.Categories[2], (CategoryAgreement{Proposed: 1, Agreed: 1}); got != want {
		t.Errorf("category 2: %+v, want %+v", got, want)
	}
	text := a.Text()
	for _, w := range []string{"五不议第2条", "初筛标记 3 次，审定认可 1 次，推翻 2 次（认可率 33%）", "初筛未标记而审定适用 1 次", "六必议第1类"} {
		if !strings.Contains(text, w) {
			t.Errorf("stats text lacks %q:\n%s", w, text)
		}
	}
}

// TestLearnWhileScreening: examples are added while proposals are screened
// (run under -race).
func TestLearnWhileScreening(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			s.Learn("v", ReviewedExample{ID: fmt.Sprint(i % 50), Kind: ReviewDeclined, Rule: 4, Text: fmt.Sprintf("集体鱼塘低价包给主任的侄子第%d次", i), DecidedOn: "2026-01-02"})
		}
	}()
	for i := 0; i < 200; i++ {
		s.ScreenFor("v", "集体鱼塘低价包给主任侄子")
	}
	<-done
	if n := s.ReviewedCount("v"); n != 50 {
		t.Errorf("ReviewedCount = %d, want 50 (IDs replaced)", n)
	}
	if got := len(s.Reviewed("v")); got != 50 {
		t.Errorf("Reviewed has %d examples, want 50", got)
	}
}

// TestLearnAcrossWording: once overriding a rule is the community's habit
// (ten overrides or more, hardly any confirmation), overrides told in other
// words still lift that kind of flag, and proposals that refuse the policy
// itself stay flagged.
func TestLearnAcrossWording(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var train, test []string
	for _, x := range policyProposals(t, s) {
		if strings.Contains(x, "试点") || strings.Contains(x, "自己定细则") {
			test = append(test, x)
		} else if len(train) < 30 {
			train = append(train, x)
		}
	}
	before := flaggedRule(s, "v", test, 2)
	for i, x := range train {
		if err := s.Learn("v", ReviewedExample{ID: fmt.Sprint(i), Kind: ReviewOverride, Text: x, Flagged: []int{2}, Reason: "本地落实", DecidedOn: "2026-10-12"}); err != nil {
			t.Fatal(err)
		}
	}
	after := flaggedRule(s, "v", test, 2)
	t.Logf("rule-2 flags on %d proposals worded unlike the 30 overrides: %d before, %d after", len(test), before, after)
	// At least 60 to learn against (there were over 100 before policy
	// topics named with how to carry them out stopped being flagged at all).
	if before < 60 || after*10 > before*6 {
		t.Errorf("flags %d → %d, want at least 40%% fewer", before, after)
	}
	for _, x := range []string{
		"县里要求火化，我们村投票老人去世还是土葬",
		"镇里规定秸秆禁烧，村里表决允许在自家田里烧",
		"上面要求禁放烟花爆竹，我们小区投票过年照放",
		"县里规定禁养区不能养猪，我们组投票继续养",
	} {
		if r := s.ScreenFor("v", x); !slices.Contains(r.Rules, 2) {
			t.Errorf("%s: rule 2 lifted by overrides of policy implementation: %+v", x, r)
		}
	}
	// One confirmation in ten or more ends the habit.
	for i := 0; i < 4; i++ {
		s.Learn("v", ReviewedExample{ID: fmt.Sprint("d", i), Kind: ReviewDeclined, Rule: 2, Text: "县里要求火化，村里投票土葬", DecidedOn: "2026-11-01"})
	}
	if s.bank("v", false).habitual(2) {
		t.Error("rule 2 still habitual after 4 confirmations against 30 overrides")
	}
}
