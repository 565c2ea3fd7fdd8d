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
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/bot/config"
)

// Options configure an Engine.
type Options struct {
	Store       bot.Store
	Communities []*config.Community
	Clock       bot.Clock
	Logger      *slog.Logger
	// FromLog rebuilds every community from its event log alone, ignoring
	// the stored snapshots (yishi record and audit verify): what the log
	// says, never a document that could have been edited.
	FromLog bool
	// ReadOnly: nothing is written, not even the migration of an old data
	// directory, which is then done in memory only (the read-only tools).
	ReadOnly bool
	// BeforeMigration runs before a data directory written by a version
	// before the event log is migrated (the app makes a backup copy).
	BeforeMigration func(community string) error
	// Debounce is how long a live view (an Outgoing with a Key, such as the
	// tally) waits before it is sent, so that a burst of votes gives one
	// update; nil or zero: sent at once (the console).
	Debounce func(bot.Outgoing) time.Duration
	// Observe, when set, is told about every finished Do (observe.go): the
	// app counts actions and vote latencies with it. It must not block.
	Observe func(Observation)
	// Holder, when set, names this process's run among several that share
	// the store (lease.go): Open then loads no community; Adopt loads each
	// one whose lease this process won, and every write that records a
	// community's events is fenced by its lease (bot.FencedQueuer).
	Holder string
	// Node is this machine's stable name (the host name): messages that
	// belong to no community are kept in the outbox under it, so the same
	// node delivers them after a restart. Default "@".
	Node string
}

// Engine owns the in-memory state of every community and its persistence.
type Engine struct {
	mu    sync.Mutex
	store bot.Store
	clock bot.Clock
	log   *slog.Logger
	comms map[string]*community // the communities served here
	order []string              // their ids, config order
	// configs and cfgOrder are every configured community, served here or
	// not (with Holder, another process may serve some).
	configs  map[string]*config.Community
	cfgOrder []string
	// rosterOf maps platform + "\x00" + identity to the communities whose
	// configured roster names it, in config order.
	rosterOf map[string][]string
	holder   string
	node     string
	// parked holds outbox entries in the form before per-community keys,
	// by community, until the community is adopted.
	parked map[string][]*OutboxEntry
	// draining holds the communities adopted with relayed messages still
	// in their inbox: until it is empty, what arrives directly for them is
	// relayed behind those, so that one chat's messages keep their order.
	draining map[string]bool
	seen     map[string]time.Time
	convs    map[string]*Conversation
	failed   error

	outbox *outbox
	// unreach holds "community/member" of members whose private messages
	// fail until they open a chat with the bot (MarkUnreachable).
	unreach  sync.Map
	debounce func(bot.Outgoing) time.Duration
	observe  func(Observation)

	fromLog         bool
	readOnly        bool
	beforeMigration func(string) error
	// failApply, when set (tests), fails the application of an event after
	// apply itself succeeded: an action failing part-way.
	failApply func(Recorded) error
	dropMu    sync.Mutex // serialises erasures of secret rounds
	drops     sync.WaitGroup
	// commitMu is read-held by every write from its place in the commit
	// order until it is durable, so HandOver can wait for them all.
	commitMu sync.RWMutex
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
	secrets  map[string]*secretRound // topic → key of its open secret round
	// snapSeq is the log position the loaded snapshots covered; replayed is
	// how many entries after it were replayed at the start.
	snapSeq  uint64
	replayed int

	// Indexes over the (immutable) config and the topics, so that a vote
	// costs the same with 10 members or 10,000.
	byID       map[string]*bot.Member
	byIdentity map[string]*bot.Member // platform + "\x00" + identity, from the config
	voters     map[string]*voterSet   // topic → its participants, built on first use
	// receipts are the sealed outbox entries of open secret rounds read at
	// the load, handed to the outbox once the community is served.
	receipts []*OutboxEntry
}

// voterSet caches who takes part in a topic; Approve replaces the
// participants and drops it.
type voterSet struct {
	parts     map[string]bool
	recused   map[string]bool // stakeholders who do not vote (recusal rule)
	observers map[string]bool // 列席/旁听
	expected  int             // participants who vote (observers and recused excluded)
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
	v := &voterSet{parts: make(map[string]bool, len(t.Participants)), recused: map[string]bool{}, observers: map[string]bool{}}
	for _, o := range t.Observers {
		v.observers[o] = true
	}
	for _, p := range t.Participants {
		v.parts[p] = true
		if t.Recused(p) {
			v.recused[p] = true
		}
		// Topics approved before the event log carry no observer list: the
		// roster decides for them.
		if t.Observers == nil {
			if m := c.byID[p]; m == nil || m.IsObserver() {
				v.observers[p] = true
			}
		}
		if !v.observers[p] && !t.Recused(p) {
			v.expected++
		}
	}
	c.voters[t.ID] = v
	return v
}

// votes reports whether member m is a voting participant.
func (v *voterSet) votes(m string) bool { return v.parts[m] && !v.observers[m] && !v.recused[m] }

// tally counts the ballots of present voters, once, then keeps the count
// up to date as check-ins and votes are applied.
func (c *community) tally(t *bot.Topic) bot.Tally {
	vs := c.voterSet(t)
	if !vs.counted {
		vs.tally = bot.Tally{Expected: vs.expected}
		for m := range t.Attendance {
			if vs.votes(m) {
				vs.tally.Present++
			}
		}
		for m, b := range c.ballots[t.ID] {
			if t.Present(m) {
				vs.tally = addChoice(vs.tally, b.Choice, 1)
				if b.Choice == "" {
					vs.tally.Unknown++
				}
			}
		}
		vs.counted = true
	}
	tl := vs.tally
	tl.Eligible = t.Plan.Eligible
	tl.Present += t.HeadCount // counted in the room by the clerk (现场人数)
	// Walk-ins the chair confirmed as 协商主体 are present voters; they vote
	// in the room count (they have no ballot of their own).
	tl.Present += t.WalkInVoters()
	// Counted in the room and confirmed by a second person (现场计票).
	f, a, ab := t.ConfirmedRoomCount()
	tl.For, tl.Against, tl.Abstain = tl.For+f, tl.Against+a, tl.Abstain+ab
	return tl
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
		convs: map[string]*Conversation{}, outbox: newOutbox(), debounce: opts.Debounce, observe: opts.Observe, fromLog: opts.FromLog,
		readOnly: opts.ReadOnly, beforeMigration: opts.BeforeMigration,
		configs: map[string]*config.Community{}, holder: opts.Holder, node: cmp.Or(opts.Node, "@"), parked: map[string][]*OutboxEntry{}, draining: map[string]bool{},
	}
	if e.node[0] != '@' {
		e.node = "@" + e.node
	}
	e.rosterOf = map[string][]string{}
	for _, cfg := range opts.Communities {
		if _, dup := e.configs[cfg.ID]; dup {
			return nil, fmt.Errorf("community %q configured twice", cfg.ID)
		}
		e.configs[cfg.ID] = cfg
		e.cfgOrder = append(e.cfgOrder, cfg.ID)
		for _, m := range cfg.Roster {
			for p, id := range m.Identities {
				if k := p + "\x00" + id; !slices.Contains(e.rosterOf[k], cfg.ID) {
					e.rosterOf[k] = append(e.rosterOf[k], cfg.ID)
				}
			}
		}
	}
	if e.holder == "" {
		for _, id := range e.cfgOrder {
			if err := e.Adopt(context.Background(), id); err != nil {
				return nil, err
			}
		}
	}
	if e.readOnly {
		e.failed = errReadOnly
	}
	if err := e.loadGlobal(); err != nil {
		return nil, err
	}
	return e, nil
}

// Adopt loads a configured community from the store — its snapshots, the
// tail of its log, its pending messages — and starts serving it. With
// Holder set, the caller holds the community's lease (bot/lease): nobody
// else writes it while it loads, so the load needs no engine lock and the
// other communities go on meanwhile.
func (e *Engine) Adopt(_ context.Context, id string) error {
	cfg := e.configs[id]
	if cfg == nil {
		return fmt.Errorf("adopt %s: no such community is configured", id)
	}
	e.mu.Lock()
	_, served := e.comms[id]
	e.mu.Unlock()
	if served {
		return nil
	}
	c, err := e.loadCommunity(cfg)
	if err != nil {
		return fmt.Errorf("load community %s: %w", id, err)
	}
	entries, err := scanOutbox(e.store, "outbox/"+id+"/")
	if err != nil {
		return err
	}
	if e.holder != "" {
		if err := e.indexBindings(c); err != nil {
			return err
		}
	}
	pending := false
	if e.holder != "" {
		if pending, err = e.inboxPending(id); err != nil {
			return err
		}
	}
	var convs map[string]*Conversation
	if e.holder != "" {
		// The conversations another process kept for this community are
		// in the store, newer than what this process read at its start.
		if convs, err = e.scanConversations(id); err != nil {
			return err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if convs != nil {
		for k, c := range e.convs {
			if c.Community == id {
				delete(e.convs, k)
			}
		}
		maps.Copy(e.convs, convs)
	}
	e.outbox.back(id)
	if pending {
		e.draining[id] = true
	}
	entries = append(entries, c.receipts...)
	entries = append(entries, e.parked[id]...)
	delete(e.parked, id)
	c.receipts = nil
	e.outbox.adopt(entries)
	e.comms[id] = c
	order := make([]string, 0, len(e.comms)) // a new slice: a copy handed out earlier stays whole
	for _, cid := range e.cfgOrder {
		if e.comms[cid] != nil {
			order = append(order, cid)
		}
	}
	e.order = order
	return nil
}

// indexBindings writes, once per community, the identity index of the
// bindings made before it existed (bindIndexKey), so that other processes
// can relay those members' private messages.
func (e *Engine) indexBindings(c *community) error {
	done := []byte("bindidx-done/" + c.cfg.ID)
	if v, err := e.store.Get(done); err != nil || v != nil {
		return err
	}
	batch := []bot.KV{{Key: done, Value: []byte("1")}}
	for k, member := range c.bindings {
		platform, identity, _ := strings.Cut(k, "\x00")
		batch = append(batch, bot.KV{Key: bindIndexKey(platform, identity, c.cfg.ID), Value: []byte(member)})
	}
	if err := e.store.Commit(context.Background(), batch); err != nil {
		return fmt.Errorf("index the bindings of %s: %w", c.cfg.ID, err)
	}
	return nil
}

// HandOver stops serving communities ids (their leases are to be released
// for another process to adopt): from now on their messages are relayed,
// and it returns once every write begun before, theirs included, is
// durable and its messages queued, so the next holder loads all of them.
// Their pending messages stay in the store for the next holder (one being
// delivered right now may then be delivered twice; never lost). One
// barrier for all of them: a process handing hundreds over does not stall
// its writes hundreds of times.
func (e *Engine) HandOver(_ context.Context, ids ...string) error {
	if e.holder == "" {
		return fmt.Errorf("hand over %v: this engine does not share its store", ids)
	}
	e.mu.Lock()
	order := slices.Clone(e.order)
	for _, id := range ids {
		if e.comms[id] == nil {
			continue
		}
		delete(e.comms, id)
		delete(e.draining, id)
		order = slices.DeleteFunc(order, func(c string) bool { return c == id })
		for k, c := range e.convs {
			if c.Community == id {
				delete(e.convs, k)
			}
		}
		e.outbox.forget(id)
	}
	e.order = order
	e.mu.Unlock()
	// A barrier: every write begun before has landed once it is taken.
	e.commitMu.Lock()
	//lint:ignore SA2001 the empty section is the barrier
	e.commitMu.Unlock()
	return nil
}

// ServedElsewhere returns the configured community that is not served by
// this process (another holds its lease), or nil.
func (e *Engine) servedElsewhere(id string) *config.Community {
	if e.comms[id] != nil {
		return nil
	}
	return e.configs[id]
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

func newCommunity(cfg *config.Community) *community {
	c := &community{cfg: cfg, topics: map[string]*bot.Topic{}, next: 1, nextItem: 1,
		ballots: map[string]map[string]*ballot{}, bindings: map[string]string{}, codes: map[string]*bindCode{},
		secrets: map[string]*secretRound{}, byID: map[string]*bot.Member{}, byIdentity: map[string]*bot.Member{},
		voters: map[string]*voterSet{}}
	for i := range cfg.Roster {
		m := &cfg.Roster[i]
		c.byID[m.ID] = m
		for p, id := range m.Identities {
			c.byIdentity[p+"\x00"+id] = m
		}
	}
	return c
}

// loadCommunity is a community's cold start: its snapshots (topic documents
// and the per-member keys beside them), then the tail of its log that they
// do not cover, replayed through apply. With FromLog the snapshots are
// ignored and the whole log is replayed. A log that is behind its snapshots
// lost acknowledged entries: the start is refused.
func (e *Engine) loadCommunity(cfg *config.Community) (*community, error) {
	c := newCommunity(cfg)
	var err error
	c.chain, err = audit.LoadChain(e.store, cfg.ID)
	if err != nil {
		return nil, fmt.Errorf("audit chain: %w", err)
	}
	head, _ := c.chain.Head()
	snap, hasSnap, err := e.snapSeq(cfg.ID)
	if err != nil {
		return nil, err
	}
	if !hasSnap {
		legacy, err := e.hasLegacyState(cfg.ID)
		if err != nil {
			return nil, err
		}
		if legacy {
			return e.migrateCommunity(c)
		}
	}
	if e.fromLog {
		snap = 0
	} else {
		if err := e.loadSnapshots(c); err != nil {
			return nil, err
		}
		if snap > head {
			return nil, fmt.Errorf("社区 %s 的审计日志只到第%d条，而快照已包含到第%d条：日志丢失了已确认的记录(可能是磁盘或预写日志损坏)。请不要继续使用此数据目录，用 yishi restore 从备份恢复，并运行 yishi audit verify 检查 / "+
				"the audit log of %s ends at entry %d but the snapshots cover entry %d: acknowledged entries were lost (disk or write-ahead log damage); restore from a backup with yishi restore and run yishi audit verify",
				cfg.ID, head, snap, cfg.ID, head, snap)
		}
	}
	c.snapSeq = snap
	if head > snap {
		if err := e.replay(c, snap+1); err != nil {
			return nil, err
		}
	}
	if !e.fromLog {
		stale, err := e.loadSecrets(c)
		if err != nil {
			return nil, err
		}
		for _, p := range stale {
			e.dropLater(p)
		}
	}
	return c, nil
}

// snapSeq reads the log position a community's snapshots cover.
func (e *Engine) snapSeq(comm string) (uint64, bool, error) {
	v, err := e.store.Get(snapKey(comm))
	if err != nil {
		return 0, false, fmt.Errorf("read snapshot position of %s: %w", comm, err)
	}
	if v == nil {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("社区 %s 的快照位置 %q 无法解析 / snapshot position of %s cannot be decoded: %w", comm, v, comm, err)
	}
	return n, true, nil
}

// replay applies the community's log from entry from on. Entries written
// before the event log (their actions are not event kinds) come first in a
// migrated chain and are skipped; an entry that is not an event after the
// first event, or an event that does not apply, stops the replay with an
// error naming it.
func (e *Engine) replay(c *community, from uint64) error {
	events := false
	return audit.Walk(e.store, c.cfg.ID, from, func(en audit.Entry) error {
		dec, known, err := decodeEvent(Kind(en.Action), en.Detail)
		switch {
		case !known && (events || from > 1):
			return fmt.Errorf("社区 %s 审计日志第%d条的动作「%s」不是已知的事件 / audit entry %d of %s is not a known event (%q)",
				c.cfg.ID, en.Seq, en.Action, en.Seq, c.cfg.ID, en.Action)
		case !known:
			return nil // an entry of the log before events (migrated data)
		case err != nil:
			return fmt.Errorf("社区 %s 审计日志第%d条无法解析：%w", c.cfg.ID, en.Seq, err)
		}
		events = true
		r := record{Recorded: Recorded{Seq: en.Seq, At: en.At, Actor: en.Actor, Topic: en.Topic, Event: dec}, Hash: en.Hash}
		if err := c.apply(&r, nil); err != nil {
			return fmt.Errorf("社区 %s 审计日志第%d条(%s，议题 #%s)与之前的记录矛盾：%w / audit entry %d of %s does not apply",
				c.cfg.ID, en.Seq, en.Action, en.Topic, err, en.Seq, c.cfg.ID)
		}
		c.replayed++
		return nil
	})
}

// loadSnapshots reads the stored documents of a community.
func (e *Engine) loadSnapshots(c *community) error {
	cfg := c.cfg
	err := e.store.Scan([]byte("topic/"+cfg.ID+"/"), func(k, v []byte) (bool, error) {
		var t bot.Topic
		if err := json.Unmarshal(v, &t); err != nil {
			return false, fmt.Errorf("社区 %s 的议题快照 %s 无法解析 / topic snapshot %s cannot be decoded: %w", cfg.ID, k, k, err)
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
		return err
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
		return err
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
		return err
	}
	prefix = "bind/" + cfg.ID + "/"
	err = e.store.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		c.bindings[strings.Replace(strings.TrimPrefix(string(k), prefix), "/", "\x00", 1)] = string(v)
		return true, nil
	})
	if err != nil {
		return err
	}
	return e.loadCodes(c)
}

func (e *Engine) loadCodes(c *community) error {
	return e.store.Scan([]byte("bindcode/"+c.cfg.ID+"/"), func(k, v []byte) (bool, error) {
		var bc bindCode
		if err := json.Unmarshal(v, &bc); err != nil {
			return false, fmt.Errorf("decode %s: %w", k, err)
		}
		c.codes[bc.Code] = &bc
		return true, nil
	})
}

func (e *Engine) loadGlobal() error {
	if err := e.loadSeen(); err != nil {
		return err
	}
	convs, err := e.scanConversations("")
	if err != nil {
		return err
	}
	maps.Copy(e.convs, convs)
	return e.loadOutbox()
}

// scanConversations reads the persisted conversations, of community comm
// only unless comm is "".
func (e *Engine) scanConversations(comm string) (map[string]*Conversation, error) {
	out := map[string]*Conversation{}
	err := e.store.Scan([]byte("conv/"), func(k, v []byte) (bool, error) {
		var c Conversation
		if err := json.Unmarshal(v, &c); err != nil {
			return false, fmt.Errorf("decode %s: %w", k, err)
		}
		if comm == "" || c.Community == comm {
			out[strings.TrimPrefix(string(k), "conv/")] = &c
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("load conversations: %w", err)
	}
	return out, nil
}

// convServed reports whether a conversation belongs here: with several
// processes on one store, one of a community another process serves is
// that process's to continue, time out or end.
func (e *Engine) convServed(c *Conversation) bool {
	return e.holder == "" || c.Community == "" || e.comms[c.Community] != nil
}

// loadSeen reads the processed update ids. Platforms redeliver within
// minutes or days; ids older than seenFor are dropped so the set does not
// grow forever.
func (e *Engine) loadSeen() error {
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
	if len(expired) > 0 && !e.readOnly {
		if err := e.store.Commit(context.Background(), expired); err != nil {
			return fmt.Errorf("drop expired update ids: %w", err)
		}
	}
	return nil
}

// dropLater erases a closed secret round's prefix in the background (the
// store blocks writes while it rewrites tables; the vote that closed is
// already answered). Erasures run one at a time; a crash before one is done
// is caught at the next start (loadSecrets).
func (e *Engine) dropLater(prefix string) {
	pd, ok := e.store.(bot.PrefixDropper)
	if !ok || e.fromLog {
		return
	}
	e.drops.Add(1)
	go func() {
		defer e.drops.Done()
		e.dropMu.Lock()
		defer e.dropMu.Unlock()
		if err := pd.DropPrefix([]byte(prefix)); err != nil {
			e.log.Error("could not erase a closed secret ballot; it is retried at the next start", "prefix", prefix, "err", err)
		}
	}()
}

// WaitErasures waits for the erasures of closed secret rounds started so far
// (before closing the store, and in tests).
func (e *Engine) WaitErasures() { e.drops.Wait() }

// errReadOnly refuses actions on an engine opened read-only.
var errReadOnly = bot.Errorf(bot.EFORBIDDEN, "数据目录以只读方式打开，不能记录新的操作。")

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
	var began time.Time
	if e.observe != nil {
		began = time.Now()
	}
	if e.holder != "" && updateID != "" {
		// Another process may have handled this update before it died and
		// this one took its communities: its ids are in the store only.
		if v, err := e.store.Get(seenKey(updateID)); err == nil && v != nil {
			return true, nil
		}
	}
	e.mu.Lock()
	if e.failed == errReadOnly {
		e.mu.Unlock()
		return false, errReadOnly
	}
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
	if sc, ok := e.store.(interface{ CheckSpace() error }); ok {
		// Refused before anything is applied: nothing to undo.
		if err := sc.CheckSpace(); err != nil {
			e.mu.Unlock()
			e.observed(&Tx{e: e}, began, err)
			return false, err
		}
	}
	tx := &Tx{e: e, now: e.clock.Now()}
	fnErr := fn(tx)
	if errors.Is(fnErr, ErrSkip) && len(tx.batch) == 0 && len(tx.sent) == 0 {
		// Nothing done and nothing to remember: not even the update id.
		e.mu.Unlock()
		return false, nil
	}
	if updateID != "" {
		e.seen[updateID] = tx.now
		tx.put(seenKey(updateID), []byte(tx.now.UTC().Format(time.RFC3339)))
	}
	tx.flushSnapshots()
	// Read-held from the batch's place in the commit order until its
	// messages are in the outbox: HandOver waits for all of it.
	e.commitMu.RLock()
	err = e.commit(tx.batch, tx.fences) // releases e.mu
	if err != nil {
		e.commitMu.RUnlock() // before e.mu: a HandOver may wait for it while a Do holds e.mu
		e.stop(err)
		tx.kinds = nil // nothing was recorded
		e.observed(tx, began, err)
		return false, err
	}
	e.outbox.publish(tx.sent)
	e.commitMu.RUnlock()
	for _, p := range tx.drops {
		e.dropLater(p)
	}
	e.observed(tx, began, fnErr)
	return false, fnErr
}

// ErrSkip, returned by a Do callback that wrote nothing, makes Do record
// nothing either, not even the update id: the update is left for whoever
// should handle it (a relayed message whose community was handed over).
var ErrSkip = errors.New("engine: nothing to do here")

// stop records a failed commit: the engine stops accepting actions, since
// its memory is ahead of the store.
func (e *Engine) stop(err error) {
	e.mu.Lock()
	if e.failed == nil {
		e.failed = err
	}
	e.mu.Unlock()
	e.log.Error("commit failed; the engine stops accepting actions", "err", err)
}

// commit makes a batch durable; it is called with e.mu held and releases
// it (the caller records a failure, Engine.stop). The batch's place in the
// commit order is fixed before the lock is released (the audit chain and every key's last value depend on it); the
// wait for the disk happens outside the lock so concurrent actions share a
// sync. The in-memory state already includes the batch, so a failure stops
// the engine rather than let it answer from state that is not on disk.
func (e *Engine) commit(batch []bot.KV, fences []string) error {
	if len(batch) == 0 {
		e.mu.Unlock()
		return nil
	}
	// The state in memory already changed: the write must not be withdrawn
	// because a caller gave up waiting.
	ctx := context.Background()
	var err error
	fq, fenced := e.store.(bot.FencedQueuer)
	if q, ok := e.store.(bot.Queuer); e.holder != "" && !fenced {
		err = fmt.Errorf("engine: the store %T cannot fence writes by lease; several processes cannot share it", e.store)
		e.mu.Unlock()
	} else if e.holder != "" && len(fences) > 0 {
		var wait func(context.Context) error
		wait, err = fq.EnqueueFenced(e.holder, fences, batch)
		e.mu.Unlock()
		if err == nil {
			err = wait(ctx)
		}
	} else if ok {
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

// Communities lists the communities served here (all configured ones,
// unless several processes share the store). Not for use inside Do or
// Read (Tx.Communities is).
func (e *Engine) Communities() []*config.Community {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.served()
}

// Configured lists every configured community, served here or not.
func (e *Engine) Configured() []*config.Community {
	out := make([]*config.Community, 0, len(e.cfgOrder))
	for _, id := range e.cfgOrder {
		out = append(out, e.configs[id])
	}
	return out
}

// Shared reports whether several processes share the store (Holder set):
// which communities are served here then changes as leases move.
func (e *Engine) Shared() bool { return e.holder != "" }

// served lists the communities served here; call with e.mu held.
func (e *Engine) served() []*config.Community {
	out := make([]*config.Community, 0, len(e.order))
	for _, id := range e.order {
		out = append(out, e.comms[id].cfg)
	}
	return out
}
