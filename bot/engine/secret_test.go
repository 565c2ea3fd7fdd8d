package engine_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/storage"
)

// TestSecretBallotSurvivesRestart: while a secret vote is open every choice
// is kept durably (encrypted), so a restart counts the votes already cast
// and a voter may still change theirs; once the vote closes the choices
// are erased from the store.
func TestSecretBallotSurvivesRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	e, db := open(t, dir)
	ctx := context.Background()
	sec := member(t, e, "张建国")
	proposer := member(t, e, "陈小龙")
	var voters []*bot.Member
	if _, err := e.Do(ctx, "", func(tx *engine.Tx) error {
		c := tx.Community("houchen")
		var ids []string
		for i := range c.Roster {
			if !c.Roster[i].IsObserver() {
				ids = append(ids, c.Roster[i].ID)
				voters = append(voters, &c.Roster[i])
			}
		}
		tp, err := tx.Propose("houchen", proposer, engine.Draft{Title: "修缮礼堂", Content: "礼堂屋顶漏雨。", Affected: "全体村民", Channel: bot.ChannelSelf}, bot.Screening{Verdict: "admissible"})
		if err != nil {
			return err
		}
		if _, err := tx.Approve("houchen", tp.ID, sec, engine.Approval{Category: 1, Participants: ids, Chair: sec.ID, Recorder: "huliping", Supervisor: "hudeming"}); err != nil {
			return err
		}
		if _, err := tx.SetPlan("houchen", tp.ID, sec, bot.Plan{Time: now.Add(time.Hour), Place: "议事厅", Form: bot.FormOnSite, Ballot: bot.BallotSecret}); err != nil {
			return err
		}
		if _, err := tx.OpenMeeting("houchen", tp.ID, sec); err != nil {
			return err
		}
		for _, v := range voters {
			if _, _, err := tx.CheckIn("houchen", tp.ID, v); err != nil {
				return err
			}
		}
		_, err = tx.OpenVote("houchen", tp.ID, sec, "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	vote := func(e *engine.Engine, v *bot.Member, c bot.Choice) engine.VoteReceipt {
		var r engine.VoteReceipt
		if _, err := e.Do(ctx, "", func(tx *engine.Tx) (err error) {
			r, err = tx.CastVote("houchen", "1", v, c, true)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	half := len(voters) / 2
	for _, v := range voters[:half] {
		vote(e, v, bot.ChoiceFor)
	}
	// The voter's own receipt names the choice: it is queued sealed.
	receipt := bot.Outgoing{Platform: "console", Chat: "private:" + voters[0].ID, Private: true, Community: "houchen",
		Text: "您投了「赞成」"}
	if _, err := e.Do(ctx, "", func(tx *engine.Tx) error { tx.SendSealed("houchen", "1", receipt); return nil }); err != nil {
		t.Fatal(err)
	}
	plainReceipt := func(db *storage.DB) (found []string) {
		db.EveryVersion(func(k, v []byte) error {
			if bytes.Contains(v, []byte("您投了")) {
				found = append(found, string(k))
			}
			return nil
		})
		return found
	}
	if f := plainReceipt(db); len(f) != 0 {
		t.Errorf("a secret ballot's receipt is stored in the clear: %v", f)
	}
	db.Close()

	e, db = open(t, dir)
	defer db.Close()
	if tl := tally(e); tl.For != half || tl.Voted() != half {
		t.Fatalf("after a restart the secret tally is %+v, want %d FOR", tl, half)
	}
	// Not yet delivered: the receipt is back in the outbox after the restart.
	var got []engine.OutboxEntry
	for _, o := range e.OutboxReady(now, 1000) {
		if o.Out.Text == receipt.Text && o.Out.Chat == receipt.Chat {
			got = append(got, o)
		}
	}
	if len(got) != 1 {
		t.Fatalf("after a restart the sealed receipt is queued %d times, want once", len(got))
	}
	if err := e.OutboxDone(ctx, got[0].Seq); err != nil {
		t.Fatal(err)
	}
	if r := vote(e, voters[0], bot.ChoiceAgainst); !r.Changed || r.Tally.For != half-1 || r.Tally.Against != 1 {
		t.Fatalf("changed vote after a restart: %+v", r)
	}
	var r engine.VoteReceipt
	for _, v := range voters[half:] {
		r = vote(e, v, bot.ChoiceFor)
	}
	if !r.Closed {
		t.Fatal("the last vote did not close the vote")
	}
	e.WaitErasures()
	left := 0
	db.Scan([]byte("secret/"), func(k, _ []byte) (bool, error) {
		left++
		return true, nil
	})
	if left != 0 {
		t.Errorf("%d secret ballot keys left after the close", left)
	}
	if f := plainReceipt(db); len(f) != 0 {
		t.Errorf("a secret ballot's receipt is stored in the clear after the close: %v", f)
	}
	versions := 0
	db.EveryVersion(func(k, _ []byte) error {
		if bytes.HasPrefix(k, []byte("secret/")) {
			versions++
		}
		return nil
	})
	if versions != 0 {
		t.Errorf("%d versions of secret ballot keys (ballots or receipts) left after the close", versions)
	}
	e.Read(func(tx *engine.Tx) {
		tp, _ := tx.Topic("houchen", "1")
		if res := tp.Result; res == nil || res.For != len(voters)-1 || res.Against != 1 || !strings.Contains(res.Arithmetic, "") {
			t.Errorf("result %+v", res)
		}
		if tx.Ballots("houchen", tp) != nil {
			t.Error("a secret ballot's choices are readable after the close")
		}
	})
}
