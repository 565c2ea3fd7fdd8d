package bot

import (
	"testing"
	"time"
)

// TestRecusedStakeholderDoesNotVote: with the recusal rule, a stakeholder
// who is present may speak but not vote; without it, they vote.
func TestRecusedStakeholderDoesNotVote(t *testing.T) {
	m := &Member{ID: "wang", Name: "王卫东", Roles: []Role{RoleCommittee}}
	topic := &Topic{ID: "1", Participants: []string{"wang"}, Stakeholders: []string{"wang"},
		Attendance: map[string]time.Time{"wang": time.Now()}}
	if err := Authorize(Actor{Member: m}, ActVote, topic); err != nil {
		t.Fatalf("without recusal: %v", err)
	}
	topic.Plan.Recusal = true
	err := Authorize(Actor{Member: m}, ActVote, topic)
	if ErrorCode(err) != EFORBIDDEN || ErrorMessage(err) == "" {
		t.Fatalf("with recusal: %v", err)
	}
	if err := Authorize(Actor{Member: m}, ActSpeak, topic); err != nil {
		t.Fatalf("a recused stakeholder may still speak: %v", err)
	}
}
