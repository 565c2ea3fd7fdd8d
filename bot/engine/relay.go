package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"

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
	// Key is the entry's key in the store; it is the update id under
	// which the message is handled here, and the batch that handles it
	// deletes it.
	Key       string
	Community string
	In        bot.Incoming
}

var relaySeq atomic.Uint64

// Relay writes in to the inbox of community comm, served by another
// process, in this unit of work. Keys sort by arrival, so one chat's
// messages are handled in the order this process read them.
func (tx *Tx) Relay(comm string, in bot.Incoming) {
	b, err := json.Marshal(in)
	if err != nil {
		panic(fmt.Sprintf("engine: marshal a relayed message: %v", err)) // plain strings and a time
	}
	key := fmt.Sprintf("%s%s/%020d/%s/%08d", inboxPrefix, comm, tx.now.UnixNano(), strings.TrimPrefix(tx.e.node, "@"), relaySeq.Add(1)%1e8)
	tx.put([]byte(key), b)
	tx.relayed = append(tx.relayed, comm)
}

// Relayed reports the communities this unit of work relayed a message to.
func (tx *Tx) RelayedTo() []string { return tx.relayed }

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
			// Never handled, never lost: left in place and logged.
			e.log.Error("a relayed message cannot be decoded; left in the inbox", "key", string(k), "err", err)
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

// DoneRelayed deletes a relayed message in this unit of work: it is
// handled once this unit is durable.
func (tx *Tx) DoneRelayed(key string) { tx.put([]byte(key), nil) }

// BindCodeElsewhere finds which community served by another process issued
// a bind code, so the bind can be relayed there ("" when none did). Codes
// are few and short-lived; the scan runs only for a code unknown here.
func (e *Engine) BindCodeElsewhere(code string) string {
	if e.holder == "" || code == "" {
		return ""
	}
	suffix := "/" + strings.TrimSpace(code)
	found := ""
	err := e.store.Scan([]byte("bindcode/"), func(k, v []byte) (bool, error) {
		rest := string(k[len("bindcode/"):])
		if !strings.HasSuffix(rest, suffix) {
			return true, nil
		}
		comm := strings.TrimSuffix(rest, suffix)
		e.mu.Lock()
		elsewhere := e.servedElsewhere(comm) != nil
		e.mu.Unlock()
		if elsewhere {
			found = comm
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		e.log.Warn("looking up a bind code among the communities served elsewhere failed", "err", err)
		return ""
	}
	return found
}
