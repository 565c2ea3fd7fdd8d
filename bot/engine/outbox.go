package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/yishi-community/yishi/bot"
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
	// storeKey is where the entry is stored: outboxKey(owner, seq) when it
	// was written, or, for a secret ballot's receipt, sealed under its
	// round's prefix (SendSealed), so that the erasure at the close takes
	// it too. Seq is this process's order; after a start or a takeover it
	// differs from the seq in the key.
	storeKey []byte
}

// key is where the entry is stored.
func (o *OutboxEntry) key() []byte { return o.storeKey }

// maxMergedRunes bounds one merged message (Telegram allows 4,096
// characters); the rest of a burst goes in the next one.
const maxMergedRunes = 3000

// Attempts is how many deliveries failed so far in this process.
func (o OutboxEntry) Attempts() int { return o.attempts }

type outbox struct {
	mu      sync.Mutex
	next    uint64
	pending []*OutboxEntry // seq order; removed entries are marked gone and compacted later
	bySeq   map[uint64]*OutboxEntry
	byKey   map[string]*OutboxEntry // the pending entry of each Outgoing.Key, and the newest of each MergeKey
	gone    int
	signal  chan struct{}
	// away holds the communities handed over to another process: their
	// messages are that process's to deliver, so one still arriving here
	// (committed during the hand-over, or put back after a failed try) is
	// dropped from memory; it stays in the store.
	away map[string]bool
	// merged holds, for a message handed to the dispatcher that carries
	// other pending messages' text (same MergeKey), their seqs: delivered or
	// put back together.
	merged map[uint64][]uint64
}

func newOutbox() *outbox {
	return &outbox{next: 1, signal: make(chan struct{}, 1), bySeq: map[uint64]*OutboxEntry{}, byKey: map[string]*OutboxEntry{},
		merged: map[uint64][]uint64{}, away: map[string]bool{}}
}

// outboxKey is "outbox/", the owner, "/" and seq in 20 zero-padded digits
// (built by hand: it is on every message's path). The owner is the
// message's community, so that the process that takes a community over
// finds its pending messages, or the node ("@…") for a message of none.
// Versions before several processes kept "outbox/" + seq (legacyOutbox).
func outboxKey(owner string, seq uint64) []byte {
	const prefix, digits = "outbox/", 20
	k := make([]byte, len(prefix)+len(owner)+1+digits)
	copy(k, prefix)
	copy(k[len(prefix):], owner)
	k[len(prefix)+len(owner)] = '/'
	for i := len(k) - 1; i >= len(k)-digits; i-- {
		k[i] = byte('0' + seq%10)
		seq /= 10
	}
	return k
}

// owner is where a message of this engine is kept (outboxKey).
func (e *Engine) owner(out bot.Outgoing) string {
	if out.Community != "" {
		return out.Community
	}
	return e.node
}

// scanOutbox reads the entries stored under prefix ("outbox/<owner>/").
func scanOutbox(s bot.Store, prefix string) ([]*OutboxEntry, error) {
	var out []*OutboxEntry
	err := s.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		n, err := strconv.ParseUint(string(k[len(prefix):]), 10, 64)
		if err != nil {
			return true, nil // not an entry of this owner ("outbox/c/" is also a prefix of "outbox/c/x/…" keys of no kind we write)
		}
		e, err := decodeOutbox(n, v)
		if err != nil {
			return false, fmt.Errorf("decode %s: %w", k, err)
		}
		e.storeKey = bytes.Clone(k)
		out = append(out, e)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the outbox %s: %w", prefix, err)
	}
	return out, nil
}

// loadOutbox reads, at the start, the messages of no community kept under
// this node and those in the form before per-community keys: the latter
// go to their community if it is served here, or wait for its adoption.
func (e *Engine) loadOutbox() error {
	mine, err := scanOutbox(e.store, "outbox/"+e.node+"/")
	if err != nil {
		return err
	}
	const digits = 20
	var legacy []*OutboxEntry
	err = e.store.Scan([]byte("outbox/"), func(k, v []byte) (bool, error) {
		rest := k[len("outbox/"):]
		if len(rest) != digits || bytes.IndexByte(rest, '/') >= 0 {
			return true, nil
		}
		n, err := strconv.ParseUint(string(rest), 10, 64)
		if err != nil {
			return false, fmt.Errorf("outbox key %s: %w", k, err)
		}
		en, err := decodeOutbox(n, v)
		if err != nil {
			return false, fmt.Errorf("decode %s: %w", k, err)
		}
		en.storeKey = bytes.Clone(k)
		legacy = append(legacy, en)
		return true, nil
	})
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, en := range legacy {
		c := en.Out.Community
		if c == "" || e.comms[c] != nil || e.configs[c] == nil {
			mine = append(mine, en)
		} else {
			e.parked[c] = append(e.parked[c], en)
		}
	}
	e.outbox.adopt(mine)
	return nil
}

// adopt adds entries read from the store, in the order of their stored
// seqs, under new seqs of this process above every stored one, so that
// neither an entry of another process nor one written later here can take
// the same place.
func (o *outbox) adopt(entries []*OutboxEntry) {
	if len(entries) == 0 {
		return
	}
	slices.SortStableFunc(entries, func(a, b *OutboxEntry) int { return compareSeq(a.Seq, b.Seq) })
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, en := range entries {
		if en.Seq >= o.next {
			o.next = en.Seq + 1
		}
	}
	for _, en := range entries {
		en.Seq = o.next
		o.next++
		o.add(en)
	}
	select {
	case o.signal <- struct{}{}:
	default:
	}
}

// forget drops, from memory only, the pending messages of a community
// handed over to another process (they stay in the store for it). One
// being delivered finishes its delivery.
func (o *outbox) forget(comm string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.away[comm] = true
	var seqs []uint64
	for _, en := range o.pending {
		if !en.removed && !en.inFlight && en.Out.Community == comm {
			seqs = append(seqs, en.Seq)
		}
	}
	for _, s := range seqs { // remove may compact o.pending
		o.remove(s)
	}
}

// back ends forget: the community is served here again.
func (o *outbox) back(comm string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.away, comm)
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
		if e.entry != nil && !o.away[e.entry.Out.Community] {
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
// Key supersedes a queued, undelivered one with the same Key. Messages with
// one MergeKey are stored one by one (a vote's acknowledgement is one small
// write) and joined when the dispatcher takes them (OutboxReady).
func (tx *Tx) Send(out bot.Outgoing) { tx.send(out, nil) }

// send queues out; seal, when set, stores the entry in its own place and
// form (SendSealed) instead of under outboxKey.
func (tx *Tx) send(out bot.Outgoing, seal func(e *OutboxEntry)) {
	o := tx.e.outbox
	ck := coalesceKey(out)
	var notBefore time.Time
	var sup uint64
	o.mu.Lock()
	seq := o.next
	o.next++
	if p := o.byKey[ck]; ck != "" && p != nil && !p.inFlight && !p.removed && !p.claimed {
		notBefore = p.notBefore // read under the lock: OutboxRetry sets it
		if out.Key != "" {
			// Claim the pending message with the same key that is not
			// being sent right now: this one replaces it. A claimed
			// message is never handed to the dispatcher.
			p.claimed = true
			sup = p.Seq
		}
	}
	o.mu.Unlock()
	if out.Key != "" {
		for i, s := range tx.sent { // earlier in this unit of work
			if s.entry != nil && s.entry.Out.Key == out.Key {
				tx.sent[i].entry = nil
			}
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
	switch {
	case seal != nil:
		seal(e)
	case !e.ephemeral:
		e.storeKey = outboxKey(tx.e.owner(out), seq)
		tx.put(e.storeKey, encodeOutbox(e))
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
// order, and marks them in flight. Ready messages with one MergeKey come as
// one message at the place of the first, their texts joined line by line
// (up to maxMergedRunes); OutboxDone and OutboxRetry on it cover them all.
func (e *Engine) OutboxReady(now time.Time, max int) []OutboxEntry {
	o := e.outbox
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []OutboxEntry
	// Receipts first: a pressed button waits for its answer (Telegram shows
	// a spinner), and a receipt is a pop-up or a private line, so taking it
	// ahead of a burst of group notices reorders nothing anyone reads in
	// sequence.
	for _, p := range o.pending {
		if len(out) == max {
			return out
		}
		if p.Out.For == "" || p.removed || p.claimed || p.inFlight || now.Before(p.notBefore) {
			continue
		}
		p.inFlight = true
		out = append(out, *p)
	}
	open := map[string]int{} // merge key → index in out still taking text
	runes := make([]int, len(out))
	for _, p := range o.pending {
		if p.removed || p.claimed || p.inFlight || now.Before(p.notBefore) {
			continue
		}
		if mk := p.Out.MergeKey; mk != "" {
			if i, ok := open[mk]; ok {
				n := utf8.RuneCountInString(p.Out.Text)
				if runes[i]+1+n <= maxMergedRunes {
					p.inFlight = true
					out[i].Out.Text += "\n" + p.Out.Text
					runes[i] += 1 + n
					o.merged[out[i].Seq] = append(o.merged[out[i].Seq], p.Seq)
					continue
				}
				delete(open, mk) // full: this one starts the next message
			}
		}
		if len(out) == max {
			break
		}
		p.inFlight = true
		if p.Out.MergeKey != "" {
			open[p.Out.MergeKey] = len(out)
		}
		out = append(out, *p)
		runes = append(runes, utf8.RuneCountInString(p.Out.Text))
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
	seqs = e.outbox.withMerged(seqs)
	for _, s := range seqs {
		if p := e.outbox.bySeq[s]; p != nil && !p.ephemeral {
			batch = append(batch, bot.KV{Key: p.key()})
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

// withMerged adds to seqs the messages merged into them and forgets the
// merges. Call with o.mu held.
func (o *outbox) withMerged(seqs []uint64) []uint64 {
	var all []uint64
	for _, s := range seqs {
		if m, ok := o.merged[s]; ok {
			if all == nil {
				all = slices.Clone(seqs)
			}
			all = append(all, m...)
			delete(o.merged, s)
		}
	}
	if all == nil {
		return seqs
	}
	return all
}

// OutboxRetry puts a message back (with those merged into it), to be tried
// again at notBefore.
func (e *Engine) OutboxRetry(seq uint64, notBefore time.Time) {
	o := e.outbox
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.withMerged([]uint64{seq}) {
		if p := o.bySeq[s]; p != nil && o.away[p.Out.Community] {
			o.remove(s) // the next holder has it from the store
		} else if p != nil {
			p.inFlight = false
			p.attempts++
			p.notBefore = notBefore
		}
	}
}

// OutboxWake makes every deferred message to member ready now (they just
// opened a private chat with the bot, or a platform came back).
func (e *Engine) OutboxWake(member string) {
	if member != "" { // they opened a private chat: reachable again in every community
		e.unreach.Range(func(k, _ any) bool {
			if strings.HasSuffix(k.(string), "/"+member) {
				e.unreach.Delete(k)
			}
			return true
		})
	}
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

// MarkUnreachable records that a private message to member of comm failed
// because they have no private chat with the bot (bot.ErrCannotReach); it
// lasts until they open one (OutboxWake). Kept in memory: after a restart
// the next failed send marks them again.
func (e *Engine) MarkUnreachable(comm, member string) { e.unreach.Store(comm+"/"+member, true) }

func (e *Engine) unreachable(comm, member string) bool {
	_, ok := e.unreach.Load(comm + "/" + member)
	return ok
}
