package engine

import (
	"time"

	"github.com/yishi-community/yishi/bot"
)

// Observation describes one finished Engine.Do for an outside observer
// (the app's metrics): the kinds of the events it recorded, the refusals
// the flows answered inside it, its error code and how long it took, lock
// wait and disk sync included — the time before whoever acted is answered.
type Observation struct {
	Events   []Kind
	Refusals []string // bot error codes (bot.EFORBIDDEN, …), one per refusal answered
	Code     string   // bot.ErrorCode of Do's error ("" when it succeeded)
	Elapsed  time.Duration
}

// Has reports whether the unit of work recorded an event of kind k.
func (o Observation) Has(k Kind) bool {
	for _, e := range o.Events {
		if e == k {
			return true
		}
	}
	return false
}

// NoteRefusal records, for the observer only, that an action inside this
// unit of work was refused with err (answered to the person, nothing
// recorded). It writes nothing.
func (tx *Tx) NoteRefusal(err error) {
	if err != nil && tx.e.observe != nil {
		tx.refusals = append(tx.refusals, bot.ErrorCode(err))
	}
}

// observed reports a finished Do to the observer, if any.
func (e *Engine) observed(tx *Tx, began time.Time, err error) {
	if e.observe == nil {
		return
	}
	e.observe(Observation{Events: tx.kinds, Refusals: tx.refusals, Code: bot.ErrorCode(err), Elapsed: time.Since(began)})
}
