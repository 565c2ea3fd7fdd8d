// Package engine applies the deliberation process to a community's state:
// every action is authorised (bot.Authorize), validated, applied in memory,
// appended to the community's hash-chained audit log and made durable in one
// batch before the caller gets an answer. Many concurrent actions share one
// synced commit (the store's group commit); the engine lock is held only
// while an action is computed, never while the disk syncs.
package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"yishi/bot"
	"yishi/bot/audit"
	"yishi/bot/config"
)

// Options configure an Engine.
type Options struct {
	Store       bot.Store
	Communities []*config.Community
	Clock       bot.Clock
	Logger      *slog.Logger
	// Debounce is how long a live view (an Outgoing with a Key, such as the
	// tally) waits before it is sent, so that a burst of votes gives one
	// update; nil or zero: sent at once (the console).
	Debounce func(bot.Outgoing) time.Duration
}

// Engine owns the in-memory state of every community and its persistence.
type Engine struct {
	mu     sync.Mutex
	store  bot.Store
	clock  bot.Clock
	log    *slog.Logger
	comms  map[string]*community
	order  []string // community ids, config order
	seen   map[string]time.Time
	convs  map[string]*Conversation
	failed error

	outbox   *outbox
	debounce func(bot.Outgoing) time.Duration
}

type community struct {
	cfg      *config.Community
	topics   map[string]*bot.Topic
	ids      []string                      // topic ids in creation order
	next     int                           // next topic number
	nextItem int                           // next follow-up item number
	ballots  map[string]map[string]*ballot // topic → member → ballot
	chain    *audit.Chain
	bindings map[string]string // platform + "\x00" + identity → member id (from bind codes)
	codes    map[string]*bindCode

	// Indexes over the (immutable) config and the topics, so that a vote
	// costs the same with 10 members or 10,000.
	byID       map[string]*bot.Member
	byIdentity map[string]*bot.Member // platform + "\x00" + identity, from the config
	voters     map[string]*voterSet   // topic → its participants, built on first use
}

// voterSet caches who takes part in a topic; Approve replaces the
// participants and drops it.
type voterSet struct {
	parts    map[string]bool
	recused  map[string]bool // stakeholders who do not vote (recusal rule)
	expected int             // participants who vote (observers and recused excluded)
	// tally is kept up to date by CheckIn and CastVote once counted, so a
	// vote does not recount every ballot under the engine lock.
	tally   bot.Tally
	counted bool
}

func (c *community) member(id string) *bot.Member { return c.byID[id] }

func (c *community) voterSet(t *bot.Topic) *voterSet {
	if v := c.voters[t.ID]; v != nil {
		return v
	}
	v := &voterSet{parts: make(map[string]bool, len(t.Participants)), recused: map[string]bool{}}
	for _, p := range t.Participants {
		v.parts[p] = true
		if t.Recused(p) {
			v.recused[p] = true
		}
		if m := c.byID[p]; m != nil && !m.IsObserver() && !t.Recused(p) {
			v.expected++
		}
	}
	c.voters[t.ID] = v
	return v
}

type ballot struct {
	Choice  bot.Choice `json:"choice"`
	At      time.Time  `json:"at"`
	Changes int        `json:"changes"`
}

type bindCode struct {
	Code    string    `json:"code"`
	Member  string    `json:"member"`
	Expires time.Time `json:"expires"`
}

// Open loads every community's state from the store (the cold start).
func Open(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Clock == nil {
		opts.Clock = bot.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	e := &Engine{
		store: opts.Store, clock: opts.Clock, log: opts.Logger,
		comms: map[string]*community{}, seen: map[string]time.Time{},
		convs: map[string]*Conversation{}, outbox: newOutbox(), debounce: opts.Debounce,
	}
	for _, cfg := range opts.Communities {
		if _, dup := e.comms[cfg.ID]; dup {
			return nil, fmt.Errorf("community %q configured twice", cfg.ID)
		}
		c, err := e.loadCommunity(cfg)
		if err != nil {
			return nil, fmt.Errorf("load community %s: %w", cfg.ID, err)
		}
		e.comms[cfg.ID] = c
		e.order = append(e.order, cfg.ID)
	}
	if err := e.loadGlobal(); err != nil {
		return nil, err
	}
	return e, nil
}

// Keys. Community-scoped keys start with the community id so that several
// communities share one store without mixing.
func topicKey(comm, id string) []byte { return []byte("topic/" + comm + "/" + id) }
func ballotKey(comm, topic, member string) []byte {
	return []byte("ballot/" + comm + "/" + topic + "/" + member)
}
func attendKey(comm, topic, member string) []byte {
	return []byte("attend/" + comm + "/" + topic + "/" + member)
}
func bindKey(comm, platform, identity string) []byte {
	return []byte("bind/" + comm + "/" + platform + "/" + identity)
}
func codeKey(comm, code string) []byte { return []byte("bindcode/" + comm + "/" + code) }
func seenKey(id string) []byte         { return []byte("seen/" + id) }
func convKey(key string) []byte        { return []byte("conv/" + key) }

func (e *Engine) loadCommunity(cfg *config.Community) (*community, error) {
	c := &community{cfg: cfg, topics: map[string]*bot.Topic{}, next: 1, nextItem: 1,
		ballots: map[string]map[string]*ballot{}, bindings: map[string]string{}, codes: map[string]*bindCode{},
		byID: map[string]*bot.Member{}, byIdentity: map[string]*bot.Member{}, voters: map[string]*voterSet{}}
	for i := range cfg.Roster {
		m := &cfg.Roster[i]
		c.byID[m.ID] = m
		for p, id := range m.Identities {
			c.byIdentity[p+"\x00"+id] = m
		}
	}
	err := e.store.Scan([]byte("topic/"+cfg.ID+"/"), func(k, v []byte) (bool, error) {
		var t bot.Topic
		if err := json.Unmarshal(v, &t); err != nil {
			return false, fmt.Errorf("decode %s: %w", k, err)
		}
		c.topics[t.ID] = &t
		c.ids = append(c.ids, t.ID)
		if n, err := strconv.Atoi(t.ID); err == nil && n >= c.next {
			c.next = n + 1
		}
		for _, f := range t.FollowUps {
			if f.No >= c.nextItem {
				c.nextItem = f.No + 1
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(c.ids, func(a, b string) int { return cmp.Compare(atoi(a), atoi(b)) })
	prefix := "ballot/" + cfg.ID + "/"
	err = e.store.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		topic, member, ok := strings.Cut(strings.TrimPrefix(string(k), prefix), "/")
		if !ok {
			return true, nil
		}
		b, err := decodeBallot(v)
		if err != nil {
			return false, fmt.Errorf("decode %s: %w", k, err)
		}
		if c.ballots[topic] == nil {
			c.ballots[topic] = map[string]*ballot{}
		}
		c.ballots[topic][member] = b
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	prefix = "attend/" + cfg.ID + "/"
	err = e.store.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		topic, member, ok := strings.Cut(strings.TrimPrefix(string(k), prefix), "/")
		t := c.topics[topic]
		if !ok || t == nil {
			return true, nil
		}
		at, err := time.Parse(time.RFC3339Nano, string(v))
		if err != nil {
			return false, fmt.Errorf("decode %s: %w", k, err)
		}
		if t.Attendance == nil {
			t.Attendance = map[string]time.Time{}
		}
		t.Attendance[member] = at
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	prefix = "bind/" + cfg.ID + "/"
	err = e.store.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		c.bindings[strings.Replace(strings.TrimPrefix(string(k), prefix), "/", "\x00", 1)] = string(v)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	err = e.store.Scan([]byte("bindcode/"+cfg.ID+"/"), func(k, v []byte) (bool, error) {
		var bc bindCode
		if err := json.Unmarshal(v, &bc); err != nil {
			return false, fmt.Errorf("decode %s: %w", k, err)
		}
		c.codes[bc.Code] = &bc
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	c.chain, err = audit.LoadChain(e.store, cfg.ID)
	if err != nil {
		return nil, fmt.Errorf("audit chain: %w", err)
	}
	return c, nil
}

func (e *Engine) loadGlobal() error {
	// Platforms redeliver within minutes or days; ids older than seenFor
	// are dropped at start so the set does not grow forever.
	cutoff := e.clock.Now().Add(-seenFor)
	var expired []bot.KV
	err := e.store.Scan([]byte("seen/"), func(k, v []byte) (bool, error) {
		t, _ := time.Parse(time.RFC3339, string(v))
		if t.Before(cutoff) {
			expired = append(expired, bot.KV{Key: append([]byte(nil), k...)})
			return true, nil
		}
		e.seen[strings.TrimPrefix(string(k), "seen/")] = t
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("load processed update ids: %w", err)
	}
	if len(expired) > 0 {
		if err := e.store.Commit(context.Background(), expired); err != nil {
			return fmt.Errorf("drop expired update ids: %w", err)
		}
	}
	err = e.store.Scan([]byte("conv/"), func(k, v []byte) (bool, error) {
		var c Conversation
		if err := json.Unmarshal(v, &c); err != nil {
			return false, fmt.Errorf("decode %s: %w", k, err)
		}
		e.convs[strings.TrimPrefix(string(k), "conv/")] = &c
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("load conversations: %w", err)
	}
	return e.outbox.load(e.store)
}

// seenFor is how long a processed platform update id is remembered.
const seenFor = 30 * 24 * time.Hour

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.clock.Now() }

// Do runs fn as one atomic, durable unit: fn's actions are applied under the
// engine lock, then everything they wrote (state, audit entries, outgoing
// messages, the processed update id) is committed in one synced batch, and
// only then does Do return. An update id seen before makes Do a no-op that
// reports dup=true. Each action inside fn either applies whole or not at all;
// fn's own error is returned after the actions that succeeded are committed.
func (e *Engine) Do(_ context.Context, updateID string, fn func(tx *Tx) error) (dup bool, err error) {
	e.mu.Lock()
	if e.failed != nil {
		e.mu.Unlock()
		return false, fmt.Errorf("engine stopped after a storage failure: %w", e.failed)
	}
	if updateID != "" {
		if _, ok := e.seen[updateID]; ok {
			e.mu.Unlock()
			return true, nil
		}
	}
	tx := &Tx{e: e, now: e.clock.Now()}
	fnErr := fn(tx)
	if updateID != "" {
		e.seen[updateID] = tx.now
		tx.put(seenKey(updateID), []byte(tx.now.UTC().Format(time.RFC3339)))
	}
	err = e.commit(tx.batch) // releases e.mu
	if err != nil {
		return false, err
	}
	e.outbox.publish(tx.sent)
	return false, fnErr
}

// commit makes a batch durable; it is called with e.mu held and releases
// it. The batch's place in the commit order is fixed before the lock is
// released (the audit chain and every key's last value depend on it); the
// wait for the disk happens outside the lock so concurrent actions share a
// sync. The in-memory state already includes the batch, so a failure stops
// the engine rather than let it answer from state that is not on disk.
func (e *Engine) commit(batch []bot.KV) error {
	if len(batch) == 0 {
		e.mu.Unlock()
		return nil
	}
	// The state in memory already changed: the write must not be withdrawn
	// because a caller gave up waiting.
	ctx := context.Background()
	var err error
	if q, ok := e.store.(bot.Queuer); ok {
		var wait func(context.Context) error
		wait, err = q.Enqueue(batch)
		e.mu.Unlock()
		if err == nil {
			err = wait(ctx)
		}
	} else {
		err = e.store.Commit(ctx, batch)
		e.mu.Unlock()
	}
	if err != nil {
		e.mu.Lock()
		if e.failed == nil {
			e.failed = err
		}
		e.mu.Unlock()
		e.log.Error("commit failed; the engine stops accepting actions", "err", err)
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Read runs fn under the engine lock without writing anything. Neither Read
// nor Do may be called from inside another's callback (the lock is not
// reentrant).
func (e *Engine) Read(fn func(tx *Tx)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fn(&Tx{e: e, now: e.clock.Now(), readOnly: true})
}

// Communities lists the configured communities.
func (e *Engine) Communities() []*config.Community {
	out := make([]*config.Community, 0, len(e.order))
	for _, id := range e.order {
		out = append(out, e.comms[id].cfg)
	}
	return out
}
