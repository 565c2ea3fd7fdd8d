package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// Relayed messages. Several processes share one store (Holder set) but a
// chat platform account is read by one of them (one Telegram token is
// polled by one process; a webhook behind a load balancer reaches any).
// A message for a community another process serves is not refused: it is
// written to that community's inbox in the store, in the same batch that
// records its update id as seen (so a redelivery is not relayed twice),
// and the community's holder handles it from there as if it had read it
// itself (Relayed, flows.HandleRelayed), deleting the entry in the batch
// that records what the message did.

// inboxPrefix holds the relayed messages, by community.
const inboxPrefix = "inbox/"

// Relayed is a message another process received for a community served
// here.
type Relayed struct {
	// Key is the entry's key in the store; the batch that handles the
	// message deletes it.
	Key       string
	Community string
	In        bot.Incoming
}

var relaySeq atomic.Uint64

// badRelays are inbox keys already logged as undecodable.
var badRelays sync.Map

// Relay writes in to the inbox of community comm, served by another
// process, in this unit of work. Keys sort by arrival, so one chat's
// messages are handled in the order this process read them.
func (tx *Tx) Relay(comm string, in bot.Incoming) {
	b, err := json.Marshal(in)
	if err != nil {
		panic(fmt.Sprintf("engine: marshal a relayed message: %v", err)) // plain strings and a time
	}
	at := tx.now.UnixNano()
	if tx.e.draining[comm] {
		// Behind what other processes relayed before, whatever their clocks.
		if lf, ok := tx.e.store.(bot.LastFinder); ok {
			if k, _, err := lf.Last([]byte(inboxPrefix + comm + "/")); err == nil && k != nil {
				ts, _, _ := strings.Cut(string(k[len(inboxPrefix)+len(comm)+1:]), "/")
				if n, err := strconv.ParseInt(ts, 10, 64); err == nil && n >= at {
					at = n + 1
				}
			}
		}
	}
	key := fmt.Sprintf("%s%s/%020d/%s/%08d", inboxPrefix, comm, at, strings.TrimPrefix(tx.e.node, "@"), relaySeq.Add(1)%1e8)
	tx.put([]byte(key), b)
}

// CanRelay reports whether messages for communities served elsewhere can
// be relayed (several processes share the store).
func (tx *Tx) CanRelay() bool { return tx.e.holder != "" && !tx.e.readOnly }

// Inbox lists the relayed messages waiting for the communities served
// here, oldest first. One scan covers every community, so an idle process
// costs the database one read per poll whatever it serves.
func (e *Engine) Inbox() ([]Relayed, error) {
	var out []Relayed
	e.mu.Lock()
	served := make(map[string]bool, len(e.comms))
	for id := range e.comms {
		served[id] = true
	}
	e.mu.Unlock()
	if len(served) == 0 {
		return nil, nil
	}
	err := e.store.Scan([]byte(inboxPrefix), func(k, v []byte) (bool, error) {
		comm, _, ok := strings.Cut(string(k[len(inboxPrefix):]), "/")
		if !ok || !served[comm] {
			return true, nil
		}
		var in bot.Incoming
		if err := json.Unmarshal(v, &in); err != nil {
			// Never handled, never lost: left in place and logged once.
			if _, seen := badRelays.LoadOrStore(string(k), true); !seen {
				e.log.Error("a relayed message cannot be decoded; left in the inbox", "key", string(k), "err", err)
			}
			return true, nil
		}
		out = append(out, Relayed{Key: string(bytes.Clone(k)), Community: comm, In: in})
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the inbox of relayed messages: %w", err)
	}
	return out, nil
}

// BindCodeElsewhere finds which community served by another process issued
// a bind code still valid, and the code, so the bind can be relayed there
// ("" when none did). Codes are few and short-lived; the scan runs only
// for a code unknown here.
func (e *Engine) BindCodeElsewhere(code string) (comm, member string) {
	if e.holder == "" || code == "" {
		return "", ""
	}
	bc := e.scanCode(strings.TrimSpace(code), e.clock.Now(), func(c string) bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.notServedLocked(c)
	})
	if bc == nil {
		return "", ""
	}
	return bc.comm, bc.Member
}

// notServedLocked reports whether comm is configured and served by
// another process. Call with e.mu held.
func (e *Engine) notServedLocked(comm string) bool { return e.servedElsewhere(comm) != nil }

// foundCode is a stored bind code and its community.
type foundCode struct {
	bindCode
	comm string
}

// scanCode finds an unexpired code in the store among the communities for
// which elsewhere is true (nil: none).
func (e *Engine) scanCode(code string, now time.Time, elsewhere func(string) bool) *foundCode {
	if e.holder == "" || code == "" {
		return nil
	}
	suffix := "/" + code
	var found *foundCode
	err := e.store.Scan([]byte("bindcode/"), func(k, v []byte) (bool, error) {
		rest := string(k[len("bindcode/"):])
		if !strings.HasSuffix(rest, suffix) {
			return true, nil
		}
		comm := strings.TrimSuffix(rest, suffix)
		var bc bindCode
		if json.Unmarshal(v, &bc) != nil || !now.Before(bc.Expires) || !elsewhere(comm) {
			return true, nil // expired codes stay until their community's holder drops them
		}
		found = &foundCode{bc, comm}
		return false, nil
	})
	if err != nil {
		e.log.Warn("looking up a bind code among the communities served elsewhere failed", "err", err)
		return nil
	}
	return found
}

// boundElsewhere lists the communities served by another process in which
// identity was bound with a code (bindIndexKey). Call with e.mu held.
func (e *Engine) boundElsewhere(platform, identity string) []string {
	if e.holder == "" || identity == "" {
		return nil
	}
	prefix := string(bindIndexKey(platform, identity, ""))
	var out []string
	err := e.store.Scan([]byte(prefix), func(k, _ []byte) (bool, error) {
		if comm := string(k[len(prefix):]); e.notServedLocked(comm) {
			out = append(out, comm)
		}
		return true, nil
	})
	if err != nil {
		e.log.Warn("looking up a bound member among the communities served elsewhere failed", "err", err)
	}
	return out
}

// Serves reports whether community comm is served by this process now.
func (tx *Tx) Serves(comm string) bool { return tx.e.comms[comm] != nil }

// TakeRelayed deletes a relayed message in this unit of work, fenced by its
// community's lease: it is handled once this unit is durable. It reports
// false, writing nothing, when the community is no longer served here (it
// was handed over after the inbox was read): the entry is the new
// holder's, and the unit should do nothing (ErrSkip).
func (tx *Tx) TakeRelayed(r Relayed) bool {
	if tx.e.comms[r.Community] == nil {
		return false
	}
	tx.put([]byte(r.Key), nil)
	if l := bot.CommunityLease(r.Community); !slices.Contains(tx.fences, l) {
		tx.fences = append(tx.fences, l)
	}
	return true
}

// inboxPending reports whether community comm has relayed messages waiting.
func (e *Engine) inboxPending(comm string) (bool, error) {
	found := false
	err := e.store.Scan([]byte(inboxPrefix+comm+"/"), func(k, _ []byte) (bool, error) {
		if _, bad := badRelays.Load(string(k)); bad {
			return true, nil // never handled: must not hold the community's order back
		}
		found = true
		return false, nil
	})
	if err != nil {
		return false, fmt.Errorf("read the inbox of %s: %w", comm, err)
	}
	return found, nil
}

// Draining reports whether community comm, served here, still has relayed
// messages from before its adoption to handle: a message read directly for
// it is then relayed too, behind them (see Engine.draining).
func (tx *Tx) Draining(comm string) bool { return tx.e.draining[comm] }

// Drained ends the draining of the communities among comms whose inbox is
// empty now (checked under the lock, so nothing is relayed behind the check).
func (e *Engine) Drained(comms ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range comms {
		if !e.draining[c] {
			continue
		}
		if pending, err := e.inboxPending(c); err == nil && !pending {
			delete(e.draining, c)
		}
	}
}

// DrainingCommunities lists the communities still draining their inbox.
func (e *Engine) DrainingCommunities() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.draining))
	for c := range e.draining {
		out = append(out, c)
	}
	return out
}
