package screening

import (
	"testing"
	"time"
)

// TestChatParaphrasesOfDecisions: residents ask in chat words for what a
// resolution already settled in formal ones (主路两边装灯 for 村内主干道两侧
// 安装路灯); rule 3 must find the decision. Written by the team as a
// training set for the lexicon (testdata/paraphrase*.jsonl: 26 decisions
// of roads, water, services, fees, rules and facilities), two chat
// paraphrases per decision; not an evaluation set.
func TestChatParaphrasesOfDecisions(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) })
	for _, d := range readJSONL[Decision](t, "testdata/paraphrase_archive.jsonl") {
		s.AddDecision(d)
	}
	type para struct {
		Text     string `json:"text"`
		Decision string `json:"decision"`
	}
	cases := readJSONL[para](t, "testdata/paraphrase.jsonl")
	found := 0
	for _, c := range cases {
		r := s.Screen(c.Text)
		if len(r.Matches) > 0 && r.Matches[0].ID == c.Decision {
			found++
			continue
		}
		t.Logf("not matched to %s: %s (matches %+v)", c.Decision, c.Text, r.Matches)
	}
	// One archive for all 26 decisions (as a village has): scores near the
	// review threshold move with it. 44 of 52 when this was written.
	recall := float64(found) / float64(len(cases))
	t.Logf("rule 3 found %d of %d chat paraphrases (%.2f)", found, len(cases), recall)
	if recall < 0.8 {
		t.Errorf("rule 3 found %d of %d chat paraphrases (%.2f); want at least 0.80", found, len(cases), recall)
	}
}
