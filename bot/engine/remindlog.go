package engine

import "time"

// The reminder log: which reminder (recipient, kind, subject, period) was
// queued, and when each community's scheduled run last happened. The
// scheduler (bot/reminders) writes a mark with Tx.MarkReminded in the same
// Engine.Do as the Tx.Send that queues the reminder, so the mark and the
// outbox entry commit in one batch: after a crash either both exist (the
// outbox delivers the message, the scheduler skips it) or neither (the next
// run queues it). The marks are read from the store on demand rather than
// kept in memory, so memory grows with the reminders due, not with the
// history. Runs must be serialised by the caller (a mark written by a Do is
// visible to the next Do only once the first has returned).

func remindKey(comm, key string) []byte { return []byte("remind/" + comm + "/" + key) }
func remindRunKey(comm string) []byte   { return []byte("remindrun/" + comm) }

// Reminded reports whether a reminder with key was queued before.
func (tx *Tx) Reminded(comm, key string) bool {
	v, err := tx.e.store.Get(remindKey(comm, key))
	if err != nil {
		// Reading failed: say "sent" so that a storage fault never turns
		// into a flood of repeated reminders; the fault is logged.
		tx.e.log.Error("read reminder log", "community", comm, "key", key, "err", err)
		return true
	}
	return v != nil
}

// MarkReminded records, in this unit of work, that the reminder with key is
// queued.
func (tx *Tx) MarkReminded(comm, key string) {
	tx.put(remindKey(comm, key), []byte(tx.now.UTC().Format(time.RFC3339)))
}

// LastReminderRun is when comm's scheduled reminder run last happened (zero
// if never).
func (tx *Tx) LastReminderRun(comm string) time.Time {
	v, err := tx.e.store.Get(remindRunKey(comm))
	if err != nil || v == nil {
		if err != nil {
			tx.e.log.Error("read last reminder run", "community", comm, "err", err)
		}
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, string(v))
	return t
}

// SetLastReminderRun records comm's scheduled run at at, in this unit of work.
func (tx *Tx) SetLastReminderRun(comm string, at time.Time) {
	tx.put(remindRunKey(comm), []byte(at.UTC().Format(time.RFC3339Nano)))
}

// ReminderLog reads the reminder marks of comm (for tests and tools).
func (e *Engine) ReminderLog(comm string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	prefix := "remind/" + comm + "/"
	err := e.store.Scan([]byte(prefix), func(k, v []byte) (bool, error) {
		t, _ := time.Parse(time.RFC3339, string(v))
		out[string(k[len(prefix):])] = t
		return true, nil
	})
	return out, err
}
