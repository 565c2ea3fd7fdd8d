package engine

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
)

// Migration of a data directory written before the event log.
//
// Such a directory holds topic documents, ballots and check-ins as the
// state, and an audit chain whose entries describe actions in words. On the
// first start (not by the read-only tools) the engine, after the
// BeforeMigration hook has made a backup copy, appends one topic_imported
// event per topic to the same chain, carrying the topic as it was stored
// (with its open ballots), and from then on the log is the record. The old
// entries stay where they are, so every 审计存证 printed before still
// verifies, and each imported topic's publication points at the old entry
// that recorded it. What the old version had already lost (the earlier
// rounds of a topic held again) cannot be recovered; a closed secret
// ballot's choices are not carried over and are erased.

// hasLegacyState reports whether a community has state stored by a
// version before the event log (documents without a snapshot position).
func (e *Engine) hasLegacyState(comm string) (bool, error) {
	found := false
	for _, p := range []string{"topic/", "bind/"} {
		err := e.store.Scan([]byte(p+comm+"/"), func(_, _ []byte) (bool, error) {
			found = true
			return false, nil
		})
		if err != nil || found {
			return found, err
		}
	}
	return false, nil
}

func (e *Engine) migrateCommunity(c *community) (*community, error) {
	legacy := newCommunity(c.cfg)
	legacy.chain = c.chain
	if err := e.loadSnapshots(legacy); err != nil {
		return nil, fmt.Errorf("read the data of the version before the event log: %w", err)
	}
	published, err := legacyPublications(e.store, c.cfg.ID)
	if err != nil {
		return nil, err
	}
	c.bindings, c.codes = legacy.bindings, legacy.codes
	tx := &Tx{e: e, now: e.clock.Now()}
	var erase []string
	for _, id := range legacy.ids {
		t := *legacy.topics[id]
		ev := Imported{Topic: t}
		upgradeLegacyTopic(c, &ev.Topic, published[id])
		secret := t.Plan.Ballot == bot.BallotSecret
		bs := legacy.ballots[id]
		switch {
		case len(bs) > 0 && !secret:
			ev.Ballots = map[string]importedBallot{}
			for m, b := range bs {
				ev.Ballots[m] = importedBallot{Choice: b.Choice, At: b.At, Changes: b.Changes}
			}
		case len(bs) > 0 && t.Stage == bot.StageVoting:
			// An open secret round: the log names the voters only, the
			// choices move to the encrypted store.
			ev.Ballots = map[string]importedBallot{}
			for m, b := range bs {
				ev.Ballots[m] = importedBallot{At: b.At, Changes: b.Changes}
			}
		}
		if secret {
			erase = append(erase, "ballot/"+c.cfg.ID+"/"+id+"/")
		}
		if err := tx.emit(c, id, "system", ev); err != nil {
			return nil, fmt.Errorf("migrate topic #%s: %w", id, err)
		}
		if secret && t.Stage == bot.StageVoting {
			nt := c.topics[id]
			tx.newSecretRound(c, nt)
			for m, b := range bs {
				c.ballots[id][m] = b
				tx.putSecretBallot(c, nt, m, b)
			}
		}
	}
	tx.touch(c, "")
	tx.flushSnapshots()
	if e.readOnly {
		// The read-only tools see the migrated state without writing it.
		return c, nil
	}
	if e.beforeMigration != nil {
		if err := e.beforeMigration(c.cfg.ID); err != nil {
			return nil, fmt.Errorf("backup before migrating %s: %w", c.cfg.ID, err)
		}
	}
	if err := e.store.Commit(context.Background(), tx.batch); err != nil {
		return nil, fmt.Errorf("migrate %s to the event log: %w", c.cfg.ID, err)
	}
	// Dropped, not deleted: a deleted key's old versions stay in badger's
	// files, and DropPrefix does nothing for a prefix without live keys.
	if pd, ok := e.store.(bot.PrefixDropper); ok {
		for _, p := range erase {
			if err := pd.DropPrefix([]byte(p)); err != nil {
				return nil, fmt.Errorf("erase the closed secret ballots of %s: %w", c.cfg.ID, err)
			}
		}
	}
	head, _ := c.chain.Head()
	c.snapSeq = head
	e.log.Warn("migrated a community to the event log", "community", c.cfg.ID, "topics", len(legacy.ids), "log_head", head)
	return c, nil
}

// upgradeLegacyTopic fills what the version before the event log did not
// store: the round, the observers, the typed reason a vote closed, and the
// publication with its entry.
func upgradeLegacyTopic(c *community, t *bot.Topic, pub *audit.Entry) {
	t.Attendance = maps.Clone(t.Attendance)
	if !t.Plan.Time.IsZero() && t.Round == 0 {
		t.Round = 1
	}
	if t.Observers == nil && len(t.Participants) > 0 {
		t.Observers = []string{}
		for _, p := range t.Participants {
			if m := c.member(p); m == nil || m.IsObserver() {
				t.Observers = append(t.Observers, p)
			}
		}
	}
	if r := t.Result; r != nil && r.Closed == "" {
		cp := *r
		switch cp.ClosedBy {
		case "deadline":
			cp.Closed, cp.ClosedBy = bot.ClosedByDeadline, ""
		case "all_voted":
			cp.Closed, cp.ClosedBy = bot.ClosedAllVoted, ""
		default:
			cp.Closed = bot.ClosedByChair
		}
		t.Result = &cp
	}
	if pub != nil && t.Result != nil && t.Published == nil {
		t.Published = &bot.Publication{By: pub.Actor, At: pub.At, Seq: pub.Seq, Hash: pub.Hash, Digest: t.Result.Digest()}
	}
}

// legacyPublications finds, per topic, the last entry of the old chain that
// recorded its 公示 (the 审计存证 the old version printed named it).
func legacyPublications(s bot.Store, comm string) (map[string]*audit.Entry, error) {
	out := map[string]*audit.Entry{}
	err := audit.Walk(s, comm, 1, func(en audit.Entry) error {
		if strings.HasPrefix(en.Action, "stage:") && en.Action == "stage:"+string(bot.StagePublished) {
			cp := en
			out[en.Topic] = &cp
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the audit log of %s before migrating: %w", comm, err)
	}
	return out, nil
}
