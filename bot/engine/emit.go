package engine

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
)

// secretVote is a secret VoteCast with the choice that only the live engine
// knows: the event in the log carries none (secret.go keeps it, encrypted,
// until the vote closes).
type secretVote struct {
	VoteCast
	choice bot.Choice
}

// emit is how an action changes state: its events are sealed as the next
// entries of community c's chain and applied, in order, through apply. It
// applies whole or not at all: if any event fails, every earlier one is
// undone, the chain head is moved back and nothing is written, so the
// state is exactly as before the action.
func (tx *Tx) emit(c *community, topic, actor string, evs ...Event) error {
	if tx.readOnly {
		panic("engine: emit in a read-only transaction")
	}
	if l := bot.CommunityLease(c.cfg.ID); tx.e.holder != "" && !slices.Contains(tx.fences, l) {
		tx.fences = append(tx.fences, l)
	}
	seq0, hash0 := c.chain.Head()
	n0 := len(tx.batch)
	u := &undoLog{}
	recs := make([]record, 0, len(evs))
	for _, ev := range evs {
		// UTC, as the log stores it: live and replayed state are the same.
		r := record{Recorded: Recorded{At: tx.now.UTC(), Actor: actor, Topic: topic, Event: ev}}
		if s, ok := ev.(secretVote); ok {
			r.Event, r.secret = s.VoteCast, s.choice
		}
		sealed, writes := c.chain.Append(audit.Entry{At: tx.now, Actor: actor, Action: string(r.Event.Kind()),
			Topic: topic, Detail: encodeEvent(r.Event)})
		r.Seq, r.Hash = sealed.Seq, sealed.Hash
		err := c.apply(&r, u)
		if err == nil && tx.e.failApply != nil {
			err = tx.e.failApply(r.Recorded)
		}
		if err != nil {
			u.rollback()
			c.chain.Rewind(seq0, hash0)
			tx.batch = tx.batch[:n0]
			tx.e.log.Error("an action's event could not be applied; nothing was recorded", "community", c.cfg.ID,
				"topic", topic, "event", r.Event.Kind(), "err", err)
			return fmt.Errorf("engine: apply %s to #%s: %w", r.Event.Kind(), topic, err)
		}
		tx.batch = append(tx.batch, writes...)
		recs = append(recs, r)
	}
	for i := range recs {
		tx.persist(c, &recs[i])
		if tx.e.observe != nil {
			tx.kinds = append(tx.kinds, recs[i].Event.Kind())
		}
	}
	return nil
}

// persist queues the snapshot writes an applied event implies: the topic
// document (once per unit of work, at commit), and the per-member keys that
// keep a large meeting from rewriting the whole topic at every check-in and
// vote.
func (tx *Tx) persist(c *community, r *record) {
	comm := c.cfg.ID
	if keptBeside(r.Event) {
		tx.touch(c, "") // the community's log position only (apply.go)
	} else {
		tx.touch(c, r.Topic)
	}
	switch e := r.Event.(type) {
	case CheckedIn:
		tx.put(attendKey(comm, r.Topic, e.Member), []byte(r.At.UTC().Format(time.RFC3339Nano)))
	case CheckedOut:
		tx.put(attendKey(comm, r.Topic, e.Member), nil)
	case VoteCast:
		b := c.ballots[r.Topic][e.Member]
		if b == nil {
			break // a secret round this same action closed: nothing to keep
		}
		if t := c.topics[r.Topic]; t.Plan.Ballot == bot.BallotSecret {
			tx.putSecretBallot(c, t, e.Member, b)
		} else {
			tx.put(ballotKey(comm, r.Topic, e.Member), b.encode())
		}
	case VoteOpened:
		if t := c.topics[r.Topic]; t.Plan.Ballot == bot.BallotSecret {
			tx.newSecretRound(c, t)
		}
	case VoteClosed:
		if t := c.topics[r.Topic]; t.Plan.Ballot == bot.BallotSecret {
			tx.eraseSecretRound(c, t)
		}
	case Planned:
		if r.archived {
			// A new round: the earlier one is archived in the topic document.
			tx.dropPrefix("ballot/" + comm + "/" + r.Topic + "/")
			tx.dropPrefix("attend/" + comm + "/" + r.Topic + "/")
		}
	case Bound:
		tx.put(bindKey(comm, e.Platform, e.Identity), []byte(e.Member))
	}
}

// touch marks a topic (and its community's log position) for the snapshot
// written at commit.
func (tx *Tx) touch(c *community, topic string) {
	if tx.dirty == nil {
		tx.dirty = map[*community]map[string]bool{}
	}
	if tx.dirty[c] == nil {
		tx.dirty[c] = map[string]bool{}
	}
	if topic != "" {
		tx.dirty[c][topic] = true
	}
}

// flushSnapshots writes, once per unit of work, every changed topic's
// document stamped with its log position, and each community's position:
// the last entry of its log that the snapshots cover.
func (tx *Tx) flushSnapshots() {
	for c, topics := range tx.dirty {
		for id := range topics {
			if t := c.topics[id]; t != nil {
				doc := *t
				doc.Attendance = nil // stored apart, one key per check-in
				b, err := json.Marshal(&doc)
				if err != nil {
					panic(fmt.Sprintf("engine: marshal topic %s: %v", id, err)) // our own types always marshal
				}
				tx.put(topicKey(c.cfg.ID, id), b)
			}
		}
		seq, _ := c.chain.Head()
		tx.put(snapKey(c.cfg.ID), strconv.AppendUint(nil, seq, 10))
	}
	tx.dirty = nil
}

// snapKey holds the log position that a community's snapshots cover.
func snapKey(comm string) []byte { return []byte("snap/" + comm) }
