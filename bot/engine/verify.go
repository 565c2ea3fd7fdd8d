package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
)

// Divergence is the first place where what is stored (the snapshots) is
// not what the log says.
type Divergence struct {
	Community string
	Topic     string // "" for the community as a whole
	Round     int    // 0 when not about one round
	Field     string // path in the topic, e.g. result.for, attendance.zhangsan, rounds[0].result.for
	FromLog   string // the value recomputed from the log
	Stored    string // the value stored
}

func (d Divergence) String() string {
	where := "社区 " + d.Community
	if d.Topic != "" {
		where += " 议题 #" + d.Topic
	}
	if d.Round > 0 {
		where += fmt.Sprintf(" 第%d轮", d.Round)
	}
	return fmt.Sprintf("%s 字段 %s：按审计日志重算为 %s，存储的快照为 %s / %s topic #%s round %d field %s: from the log %s, stored %s",
		where, d.Field, d.FromLog, d.Stored, d.Community, d.Topic, d.Round, d.Field, d.FromLog, d.Stored)
}

// ReplayReport is what VerifyReplay found for one community.
type ReplayReport struct {
	Community string
	Events    int // entries replayed as events
	Topics    int
	Rounds    int
	// Diverged is the first divergence, nil when the snapshots are exactly
	// what the log rebuilds.
	Diverged *Divergence
	// Failed is set when the log itself cannot be replayed (an event that
	// does not decode or contradicts the events before it).
	Failed error
}

// VerifyReplay rebuilds every community of the store from its log alone,
// from the first entry, and compares every topic and round with the stored
// snapshots. It writes nothing. Communities without a configuration are
// replayed with a bare one (the log carries every fact it needs).
func VerifyReplay(store bot.Store, comms []*config.Community, only string) ([]ReplayReport, error) {
	var out []ReplayReport
	quiet := slog.New(slog.DiscardHandler)
	for _, cfg := range comms {
		if only != "" && cfg.ID != only {
			continue
		}
		r := ReplayReport{Community: cfg.ID}
		fromLog, err := Open(context.Background(), Options{Store: store, Communities: []*config.Community{cfg}, FromLog: true, ReadOnly: true, Logger: quiet})
		if err != nil {
			r.Failed = err
			out = append(out, r)
			continue
		}
		lc := fromLog.comms[cfg.ID]
		r.Events = lc.replayed
		r.Topics = len(lc.ids)
		for _, t := range lc.topics {
			r.Rounds += t.RoundCount()
		}
		stored := &Engine{store: store, log: quiet, readOnly: true}
		sc := newCommunity(cfg)
		if err := stored.loadSnapshots(sc); err != nil {
			return nil, err
		}
		if _, err := stored.loadSecrets(sc); err != nil {
			return nil, err
		}
		snap, _, err := stored.snapSeq(cfg.ID)
		if err != nil {
			return nil, err
		}
		head, _ := lc.chain.Head()
		if legacy, err := stored.hasLegacyState(cfg.ID); err == nil && legacy && snap == 0 {
			// Not migrated yet: the log holds no events to compare with.
			out = append(out, r)
			continue
		}
		if snap != head {
			r.Diverged = &Divergence{Community: cfg.ID, Field: "snapshot position", FromLog: strconv.FormatUint(head, 10), Stored: strconv.FormatUint(snap, 10)}
		} else {
			r.Diverged = compareCommunity(lc, sc)
		}
		out = append(out, r)
	}
	return out, nil
}

// compareCommunity returns the first divergence between the state rebuilt
// from the log (lc) and the stored snapshots (sc), topic by topic in order.
func compareCommunity(lc, sc *community) *Divergence {
	ids := slices.Clone(lc.ids)
	for _, id := range sc.ids {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return atoi(a) - atoi(b) })
	for _, id := range ids {
		lt, st := lc.topics[id], sc.topics[id]
		d := &Divergence{Community: lc.cfg.ID, Topic: id}
		switch {
		case lt == nil:
			d.Field, d.FromLog, d.Stored = "topic", "(不存在 / absent)", "(存在 / present)"
			return d
		case st == nil:
			d.Field, d.FromLog, d.Stored = "topic", "(存在 / present)", "(不存在 / absent)"
			return d
		}
		d.Round = lt.Round
		if path, a, b, ok := firstDiff(toTree(lt), toTree(st), ""); ok {
			d.Field, d.FromLog, d.Stored = path, a, b
			if strings.HasPrefix(path, "rounds[") {
				if i, err := strconv.Atoi(path[len("rounds["):strings.IndexByte(path, ']')]); err == nil && i < len(lt.Rounds) {
					d.Round = lt.Rounds[i].No
				}
			}
			return d
		}
		if d := compareBallots(d, lc.ballots[id], sc.ballots[id], lt.Plan.Ballot == bot.BallotSecret); d != nil {
			return d
		}
	}
	return nil
}

// toTree is a topic as generic JSON, to compare field by field.
func toTree(t *bot.Topic) any {
	b, err := json.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("engine: marshal topic: %v", err))
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		panic(fmt.Sprintf("engine: unmarshal topic: %v", err))
	}
	return v
}

// compareBallots finds the first member (in id order) whose ballot differs;
// for a secret round only whether they voted (the log never says what).
func compareBallots(d *Divergence, fromLog, stored map[string]*ballot, secret bool) *Divergence {
	members := make([]string, 0, len(fromLog)+len(stored))
	for m := range fromLog {
		members = append(members, m)
	}
	for m := range stored {
		if fromLog[m] == nil {
			members = append(members, m)
		}
	}
	slices.Sort(members)
	say := func(b *ballot) string {
		switch {
		case b == nil:
			return "(未投票 / no ballot)"
		case secret:
			return "(已投票 / voted)"
		}
		return fmt.Sprintf("%s %s (改票%d次)", b.Choice, b.At.UTC().Format(time.RFC3339Nano), b.Changes)
	}
	for _, m := range members {
		a, b := fromLog[m], stored[m]
		if (a == nil) != (b == nil) || (!secret && (a.Choice != b.Choice || !a.At.Equal(b.At) || a.Changes != b.Changes)) {
			d.Field, d.FromLog, d.Stored = "ballots."+m, say(a), say(b)
			return d
		}
	}
	return nil
}

// firstDiff walks two JSON trees in key order and returns the first path
// where they differ, with both values.
func firstDiff(a, b any, path string) (string, string, string, bool) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, ok := av[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if p, x, y, ok := firstDiff(av[k], bv[k], join(k)); ok {
				return p, x, y, true
			}
		}
		return "", "", "", false
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		for i := 0; i < len(av) || i < len(bv); i++ {
			var x, y any
			if i < len(av) {
				x = av[i]
			}
			if i < len(bv) {
				y = bv[i]
			}
			if p, s1, s2, ok := firstDiff(x, y, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, s1, s2, true
			}
		}
		return "", "", "", false
	}
	if reflect.DeepEqual(a, b) {
		return "", "", "", false
	}
	return path, show(a), show(b), true
}

func show(v any) string {
	if v == nil {
		return "(无 / none)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
