package engine

import (
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
)

func TestBallotEncoding(t *testing.T) {
	b := &ballot{Choice: bot.ChoiceAgainst, At: time.Date(2026, 12, 5, 19, 31, 2, 5, time.UTC), Changes: 2}
	got, err := decodeBallot(b.encode())
	if err != nil || *got != *b {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if old, err := decodeBallot([]byte(`{"choice":"for","at":"2026-12-05T19:31:02Z","changes":1}`)); err != nil || old.Choice != bot.ChoiceFor || old.Changes != 1 {
		t.Fatalf("JSON ballot: %+v %v", old, err)
	}
	for _, bad := range []string{"", "for", "maybe|1|0", "for|x|0", "for|1|y", "for|1|0|9"} {
		if _, err := decodeBallot([]byte(bad)); err == nil {
			t.Errorf("decodeBallot(%q) accepted", bad)
		}
	}
}
