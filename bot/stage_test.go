package bot

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var allStages = []Stage{StageDraft, StagePendingReview, StageReturned, StageDeclined, StageApproved,
	StageNotified, StageDeliberating, StageVoting, StageVoted, StagePublished, StageImplementing,
	StageCompleted, StageRedeliberate, StageTerminated}

// legal is the graph of PROCESS.md written out by hand, independently of
// stage.go: every pair listed here must be allowed and every other refused.
var legal = map[[2]Stage]bool{
	{StageDraft, StagePendingReview}:    true, // submitted for 审定
	{StagePendingReview, StageReturned}: true, // 退回修改
	{StagePendingReview, StageDeclined}: true, // 五不议: 不予受理
	{StagePendingReview, StageApproved}: true, // 审定同意
	{StageReturned, StagePendingReview}: true, // resubmitted
	{StageApproved, StageNotified}:      true, // plan made, people notified
	{StageNotified, StageNotified}:      true, // plan changed, notified again
	{StageNotified, StageDeliberating}:  true, // meeting opens
	{StageDeliberating, StageVoting}:    true, // step 4
	{StageVoting, StageVoted}:           true, // vote closed, result frozen
	{StageVoted, StagePublished}:        true, // 公示、备案
	{StagePublished, StageImplementing}: true, // agreed: follow-ups
	{StagePublished, StageRedeliberate}: true, // not agreed, held again later
	{StagePublished, StageTerminated}:   true, // not agreed, ended
	{StageImplementing, StageCompleted}: true, // all follow-ups confirmed
	{StageRedeliberate, StageNotified}:  true, // a new plan for the second round
}

func TestStageNamesComplete(t *testing.T) {
	if len(allStages) != len(stageNames) {
		t.Fatalf("test knows %d stages, stage.go names %d", len(allStages), len(stageNames))
	}
	for _, s := range allStages {
		if n, ok := stageNames[s]; !ok || n == "" || s.Chinese() != n {
			t.Errorf("stage %q has no Chinese name", s)
		}
	}
	for from, tos := range transitions {
		for _, to := range append([]Stage{from}, tos...) {
			if !slices.Contains(allStages, to) {
				t.Errorf("transition graph mentions unknown stage %q", to)
			}
		}
	}
	if got := Stage("bogus").Chinese(); got != "bogus" {
		t.Errorf("unknown stage Chinese() = %q, want the key", got)
	}
}

func TestEveryStagePair(t *testing.T) {
	at := time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)
	for _, from := range allStages {
		for _, to := range allStages {
			want := legal[[2]Stage{from, to}]
			if got := from.CanMove(to); got != want {
				t.Errorf("%s → %s: CanMove = %v, want %v", from, to, got, want)
			}
			topic := &Topic{ID: "3", Stage: from, History: []Transition{{To: from, By: "seed"}}}
			err := topic.Move(to, "zhangsan", at, "理由")
			if want {
				if err != nil {
					t.Errorf("%s → %s refused: %v", from, to, err)
					continue
				}
				if topic.Stage != to || len(topic.History) != 2 {
					t.Errorf("%s → %s: stage %s, history %d entries", from, to, topic.Stage, len(topic.History))
					continue
				}
				h := topic.History[1]
				if h != (Transition{From: from, To: to, By: "zhangsan", At: at, Why: "理由"}) {
					t.Errorf("%s → %s recorded %+v", from, to, h)
				}
				continue
			}
			if ErrorCode(err) != ECONFLICT {
				t.Errorf("%s → %s: got %v, want ECONFLICT", from, to, err)
				continue
			}
			msg := ErrorMessage(err)
			if !strings.Contains(msg, from.Chinese()) || !strings.Contains(msg, to.Chinese()) || !strings.Contains(msg, "#3") {
				t.Errorf("%s → %s: message %q should name the topic and both stages", from, to, msg)
			}
			if topic.Stage != from || len(topic.History) != 1 {
				t.Errorf("%s → %s refused but the topic changed: %s, %d history", from, to, topic.Stage, len(topic.History))
			}
		}
	}
}

func TestNextAndFinal(t *testing.T) {
	finals := []Stage{StageDeclined, StageCompleted, StageTerminated}
	for _, s := range allStages {
		var want []Stage
		for _, to := range allStages {
			if legal[[2]Stage{s, to}] {
				want = append(want, to)
			}
		}
		got := s.Next()
		if !sameSet(got, want) {
			t.Errorf("%s.Next() = %v, want %v", s, got, want)
		}
		if f := s.Final(); f != slices.Contains(finals, s) {
			t.Errorf("%s.Final() = %v", s, f)
		}
		// Next returns a copy: changing it must not change the graph.
		if len(got) > 0 {
			got[0] = StageTerminated
			if !sameSet(s.Next(), want) {
				t.Errorf("%s.Next() shares the graph's slice", s)
			}
		}
	}
}

// Every stage is reachable from a draft, and every non-final stage can
// still reach a final one, so no topic gets stuck.
func TestGraphReachability(t *testing.T) {
	reach := func(from Stage) map[Stage]bool {
		seen := map[Stage]bool{from: true}
		queue := []Stage{from}
		for len(queue) > 0 {
			s := queue[0]
			queue = queue[1:]
			for _, n := range s.Next() {
				if !seen[n] {
					seen[n] = true
					queue = append(queue, n)
				}
			}
		}
		return seen
	}
	fromDraft := reach(StageDraft)
	for _, s := range allStages {
		if !fromDraft[s] {
			t.Errorf("%s is unreachable from a draft", s)
		}
		ends := false
		for r := range reach(s) {
			ends = ends || r.Final()
		}
		if !ends {
			t.Errorf("%s can never reach a final stage", s)
		}
	}
}

func TestHappyPathHistory(t *testing.T) {
	topic := &Topic{ID: "1", Stage: StageDraft}
	at := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	path := []struct {
		to      Stage
		by, why string
	}{
		{StagePendingReview, "zhang", "提交审定"},
		{StageApproved, "secretary", "符合六必议第1项"},
		{StageNotified, "director", "已通知参会人员"},
		{StageDeliberating, "chair", ""},
		{StageVoting, "chair", "进入表决"},
		{StageVoted, "deadline", "表决截止"},
		{StagePublished, "recorder", "已公示备案"},
		{StageImplementing, "system", ""},
		{StageCompleted, "supervisor", "全部落实"},
	}
	for i, p := range path {
		if err := topic.Move(p.to, p.by, at.Add(time.Duration(i)*time.Hour), p.why); err != nil {
			t.Fatalf("step %d → %s: %v", i, p.to, err)
		}
	}
	if len(topic.History) != len(path) {
		t.Fatalf("history has %d entries, want %d", len(topic.History), len(path))
	}
	prev := StageDraft
	for i, h := range topic.History {
		p := path[i]
		if h.From != prev || h.To != p.to || h.By != p.by || h.Why != p.why || !h.At.Equal(at.Add(time.Duration(i)*time.Hour)) {
			t.Errorf("history[%d] = %+v", i, h)
		}
		prev = h.To
	}
	if !topic.Stage.Final() {
		t.Errorf("completed topic is not final")
	}
}

func sameSet(a, b []Stage) bool {
	if len(a) != len(b) {
		return false
	}
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}
