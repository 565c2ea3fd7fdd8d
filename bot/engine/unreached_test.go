package engine_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
)

// TestUnreachedChecklist: after 公示 the recorder's checklist holds the
// stakeholders outside the roster and the participants the bot cannot
// reach privately (they never opened a chat); a member drops off once they
// open one, and anyone once 已通报 records how they were told.
func TestUnreachedChecklist(t *testing.T) {
	e, db := open(t, filepath.Join(t.TempDir(), "d"))
	defer db.Close()
	a, b := member(t, e, "陈美华"), member(t, e, "陈海峰")
	tp := &bot.Topic{ID: "1", Community: "houchen", Stakeholders: []string{"王大爷", b.ID}, Participants: []string{a.ID, b.ID}}
	list := func() (names []string) {
		e.Read(func(tx *engine.Tx) { names = tx.Unreached("houchen", tp, nil) })
		return names
	}
	if got := list(); !slices.Equal(got, []string{"王大爷"}) {
		t.Fatalf("before any failed send: %v, want only the outside stakeholder", got)
	}
	e.MarkUnreachable("houchen", a.ID)
	e.MarkUnreachable("houchen", b.ID)
	if got := list(); !slices.Equal(got, []string{"王大爷", "陈海峰", "陈美华"}) {
		t.Fatalf("with two members who never opened a chat: %v", got)
	}
	e.OutboxWake(a.ID) // 陈美华 opened a private chat
	tp.Notices = []bot.Notice{{Name: "王大爷", Method: "上门"}}
	if got := list(); !slices.Equal(got, []string{"陈海峰"}) {
		t.Fatalf("after 陈美华 opened a chat and 王大爷 was told at the door: %v", got)
	}
}
