package flows

import (
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

// TestSecretRevealWarning: a secret ballot's published counts say who
// chose what when fewer than five voted or all chose alike; the result
// then says so, and an open ballot or a large split one says nothing.
func TestSecretRevealWarning(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ballot   bot.Ballot
		f, a, ab int
		want     string
	}{
		{"four voters", bot.BallotSecret, 3, 1, 0, "只有4人表决"},
		{"unanimous", bot.BallotSecret, 9, 0, 0, "全体表决人的选择相同"},
		{"all abstain", bot.BallotSecret, 0, 0, 6, "全体表决人的选择相同"},
		{"split and large", bot.BallotSecret, 6, 2, 1, ""},
		{"open ballot", bot.BallotOpen, 3, 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := &bot.Topic{Plan: bot.Plan{Ballot: tc.ballot},
				Result: &bot.Result{For: tc.f, Against: tc.a, Abstain: tc.ab, Voters: tc.f + tc.a + tc.ab}}
			got := secretRevealWarning(tp)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("warning %q, want %q", got, tc.want)
			}
		})
	}
}
