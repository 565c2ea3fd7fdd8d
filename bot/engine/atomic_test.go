package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/bot/engine"
)

// TestActionAppliesWholeOrNotAtAll: the last vote of a meeting is two
// events (the vote, and the close it completes). When the second cannot be
// applied, the first is undone: the topic, its ballots, the tally, the
// audit chain and the store are exactly as before, and the voter can vote
// again once the fault is gone.
func TestActionAppliesWholeOrNotAtAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	e, db := open(t, dir)
	defer db.Close()
	voters := voting(t, e)
	ctx := context.Background()
	for _, v := range voters[:len(voters)-1] {
		if _, err := e.Do(ctx, "", func(tx *engine.Tx) error {
			_, err := tx.CastVote("houchen", "1", v, bot.ChoiceFor, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	state := func() string {
		var out []byte
		e.Read(func(tx *engine.Tx) {
			tp, _ := tx.Topic("houchen", "1")
			out, _ = json.Marshal(struct {
				Topic   *bot.Topic
				Ballots map[string]bot.Choice
				Tally   bot.Tally
			}{tp, tx.Ballots("houchen", tp), tx.Tally("houchen", tp)})
		})
		return string(out)
	}
	head := func() uint64 {
		r, err := audit.Verify(db, "houchen")
		if err != nil || !r.OK {
			t.Fatalf("chain: %v %+v", err, r)
		}
		return r.Head.Seq
	}
	before, headBefore := state(), head()
	fault := errors.New("disk gremlin")
	engine.SetFailApply(e, func(r engine.Recorded) error {
		if r.Event.Kind() == engine.KindVoteClosed {
			return fault
		}
		return nil
	})
	last := voters[len(voters)-1]
	_, err := e.Do(ctx, "", func(tx *engine.Tx) error {
		_, err := tx.CastVote("houchen", "1", last, bot.ChoiceAgainst, false)
		return err
	})
	if !errors.Is(err, fault) {
		t.Fatalf("the failing action returned %v", err)
	}
	if after := state(); after != before {
		t.Errorf("state changed by a failed action:\nbefore %s\nafter  %s", before, after)
	}
	if h := head(); h != headBefore {
		t.Errorf("the chain grew from %d to %d entries", headBefore, h)
	}
	engine.SetFailApply(e, nil)
	if _, err := e.Do(ctx, "", func(tx *engine.Tx) error {
		r, err := tx.CastVote("houchen", "1", last, bot.ChoiceAgainst, false)
		if err == nil && !r.Closed {
			t.Error("the completing vote did not close the vote")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if h := head(); h != headBefore+2 {
		t.Errorf("after the retry the chain has %d entries, want %d", h, headBefore+2)
	}
}
