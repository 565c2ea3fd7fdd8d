package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"yishi/bot"
)

// The outbox is a transactional outbox: messages are written in the same
// batch as the state change that caused them, so an acknowledged action
// never loses its notices, and a dispatcher delivers them afterwards,
// deleting each only once its platform accepted it.

// OutboxEntry is one pending message.
type OutboxEntry struct {
	Seq     uint64       `json:"seq"`
	Out     bot.Outgoing `json:"out"`
	Created time.Time    `json:"created"`

	notBefore time.Time
	attempts  int
	inFlight  bool
	removed   bool
	// ephemeral entries (a live view such as the tally, Outgoing.Key set)
	// live in memory only: the next change regenerates them, so they are
	// not worth a disk write per vote.
	ephemeral bool
	claimed   bool // being replaced by a message not yet committed
}

// Attempts is how many deliveries failed so far in this process.
func (o OutboxEntry) Attempts() int { return o.attempts }

type outbox struct {
	mu      sync.Mutex
	next    uint64
	pending []*OutboxEntry // seq order; removed entries are marked gone and compacted later
	bySeq   map[uint64]*OutboxEntry
	byKey   map[string]*OutboxEntry // the pending entry of each Outgoing.Key
	gone    int
	signal  chan struct{}
}

func newOutbox() *outbox {
	return &outbox{next: 1, signal: make(chan struct{}, 1), bySeq: map[uint64]*OutboxEntry{}, byKey: map[string]*OutboxEntry{}}
}

func outboxKey(seq uint64) []byte { return fmt.Appendf(nil, "outbox/%020d", seq) }

func (o *outbox) load(s bot.Store) error {
	return s.Scan([]byte("outbox/"), func(k, v []byte) (bool, error) {
		n, err := strconv.ParseUint(string(k[len("outbox/"):]), 10, 64)
		if err != nil {
			return false, fmt.Errorf("outbox key %s: %w", k, err)
		}
		e, err := decodeOutbox(n, v)
		if err != nil {
			return false, fmt.Errorf("decode %s: %w", k, err)
		}
		if n >= o.next {
			o.next = n + 1
		}
		o.add(e)
		return true, nil
	})
}

// add appends an entry with a higher seq than any pending one, or inserts
// it in order.
func (o *outbox) add(e *OutboxEntry) {
	if n := len(o.pending); n == 0 || o.pending[n-1].Seq < e.Seq {
		o.pending = append(o.pending, e)
	} else {
		i, _ := slices.BinarySearchFunc(o.pending, e.Seq, func(p *OutboxEntry, s uint64) int { return compareSeq(p.Seq, s) })
		o.pending = slices.Insert(o.pending, i, e)
	}
	o.bySeq[e.Seq] = e
	if ck := coalesceKey(e.Out); ck != "" {
		o.byKey[ck] = e
	}
}

func (o *outbox) publish(es []outboxEntry) {
	if len(es) == 0 {
		return
	}
	o.mu.Lock()
	for _, e := range es {
		if e.supersedes != 0 {
			o.remove(e.supersedes)
		}
		if e.entry != nil {
			o.add(e.entry)
		}
	}
	o.mu.Unlock()
	select {
	case o.signal <- struct{}{}:
	default:
	}
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (o *outbox) remove(seq uint64) {
	e := o.bySeq[seq]
	if e == nil {
		return
	}
	delete(o.bySeq, seq)
	if ck := coalesceKey(e.Out); ck != "" && o.byKey[ck] == e {
		delete(o.byKey, ck)
	}
	e.removed = true
	o.gone++
	if o.gone > 64 && o.gone > len(o.pending)/2 {
		o.pending = slices.DeleteFunc(o.pending, func(p *OutboxEntry) bool { return p.removed })
		o.gone = 0
	}
}

type outboxEntry struct {
	entry      *OutboxEntry
	supersedes uint64 // a claimed pending message this one replaces
}

// Send queues an outgoing message in this unit of work. A message with a
// Key supersedes a queued, undelivered one with the same Key.
func (tx *Tx) Send(out bot.Outgoing) {
	o := tx.e.outbox
	ck := coalesceKey(out)
	var old *OutboxEntry
	o.mu.Lock()
	seq := o.next
	o.next++
	if ck != "" {
		// Claim a pending message with the same key that is not being sent
		// right now: this one replaces it (Key) or carries its text too
		// (MergeKey). A claimed message is never handed to the dispatcher.
		if p := o.byKey[ck]; p != nil && !p.inFlight && !p.removed && !p.claimed {
			p.claimed = true
			old = p
		}
	}
	o.mu.Unlock()
	var notBefore time.Time
	if ck != "" {
		var texts []string
		if old != nil {
			texts = append(texts, old.Out.Text)
			notBefore = old.notBefore
			if !old.ephemeral {
				tx.put(outboxKey(old.Seq), nil)
			}
		}
		for i, s := range tx.sent { // earlier in this unit of work
			if s.entry != nil && coalesceKey(s.entry.Out) == ck {
				texts = append(texts, s.entry.Out.Text)
				if !s.entry.ephemeral {
					tx.put(outboxKey(s.entry.Seq), nil)
				}
				tx.sent[i].entry = nil
			}
		}
		if out.MergeKey != "" && len(texts) > 0 {
			out.Text = strings.Join(append(texts, out.Text), "\n")
		}
	}
	// Live views (Key) are derived from stored state and kept in memory
	// only; everything else is written with the action that caused it.
	e := &OutboxEntry{Seq: seq, Out: out, Created: tx.now, ephemeral: out.Key != ""}
	if ck != "" && tx.e.debounce != nil {
		if d := tx.e.debounce(out); d > 0 {
			e.notBefore = tx.now.Add(d)
		}
		// A burst keeps the first deadline: late by one interval at most.
		if !notBefore.IsZero() && notBefore.Before(e.notBefore) {
			e.notBefore = notBefore
		}
	}
	if !e.ephemeral {
		tx.put(outboxKey(seq), encodeOutbox(e))
	}
	var sup uint64
	if old != nil {
		sup = old.Seq
	}
	tx.sent = append(tx.sent, outboxEntry{entry: e, supersedes: sup})
}

// coalesceKey is the key under which pending messages replace (Key) or
// merge with (MergeKey) each other; "" for ordinary messages.
func coalesceKey(out bot.Outgoing) string {
	switch {
	case out.Key != "":
		return "k:" + out.Key
	case out.MergeKey != "":
		return "m:" + out.MergeKey
	}
	return ""
}

// OutboxSignal is signalled when new messages are queued.
func (e *Engine) OutboxSignal() <-chan struct{} { return e.outbox.signal }

// OutboxReady returns up to max queued messages that may be tried now, in
// order, and marks them in flight.
func (e *Engine) OutboxReady(now time.Time, max int) []OutboxEntry {
	o := e.outbox
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []OutboxEntry
	for _, p := range o.pending {
		if len(out) == max {
			break
		}
		if p.removed || p.claimed || p.inFlight || now.Before(p.notBefore) {
			continue
		}
		p.inFlight = true
		out = append(out, *p)
	}
	return out
}

// OutboxNextRetry is the earliest time a deferred message becomes ready
// (zero when none is deferred).
func (e *Engine) OutboxNextRetry() time.Time {
	o := e.outbox
	o.mu.Lock()
	defer o.mu.Unlock()
	var t time.Time
	for _, p := range o.pending {
		if !p.removed && !p.inFlight && !p.notBefore.IsZero() && (t.IsZero() || p.notBefore.Before(t)) {
			t = p.notBefore
		}
	}
	return t
}

// OutboxLen is the number of queued messages.
func (e *Engine) OutboxLen() int {
	e.outbox.mu.Lock()
	defer e.outbox.mu.Unlock()
	return len(e.outbox.bySeq)
}

// OutboxDone records that messages were delivered (durably removes them).
func (e *Engine) OutboxDone(ctx context.Context, seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	batch := make([]bot.KV, 0, len(seqs))
	e.outbox.mu.Lock()
	for _, s := range seqs {
		if p := e.outbox.bySeq[s]; p == nil || !p.ephemeral {
			batch = append(batch, bot.KV{Key: outboxKey(s)})
		}
	}
	e.outbox.mu.Unlock()
	if len(batch) > 0 {
		if err := e.store.Commit(ctx, batch); err != nil {
			return fmt.Errorf("remove delivered messages from the outbox: %w", err)
		}
	}
	e.outbox.mu.Lock()
	for _, s := range seqs {
		e.outbox.remove(s)
	}
	e.outbox.mu.Unlock()
	return nil
}

// OutboxRetry puts a message back, to be tried again at notBefore.
func (e *Engine) OutboxRetry(seq uint64, notBefore time.Time) {
	o := e.outbox
	o.mu.Lock()
	defer o.mu.Unlock()
	if p := o.bySeq[seq]; p != nil {
		p.inFlight = false
		p.attempts++
		p.notBefore = notBefore
	}
}

// OutboxWake makes every deferred message to member ready now (they just
// opened a private chat with the bot, or a platform came back).
func (e *Engine) OutboxWake(member string) {
	o := e.outbox
	o.mu.Lock()
	for _, p := range o.pending {
		if !p.removed && (member == "" || p.Out.Member == member) {
			p.notBefore = time.Time{}
		}
	}
	o.mu.Unlock()
	select {
	case o.signal <- struct{}{}:
	default:
	}
}
