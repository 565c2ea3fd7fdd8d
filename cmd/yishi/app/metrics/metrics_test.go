package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/reminders"
)

func TestAction(t *testing.T) {
	m := New()
	for _, o := range []engine.Observation{
		{Events: []engine.Kind{engine.KindVoteCast}, Elapsed: 3 * time.Millisecond},
		{Events: []engine.Kind{engine.KindCheckedIn, engine.KindVoteCast}, Elapsed: time.Second},
		{Refusals: []string{bot.EFORBIDDEN, bot.EINVALID}},
		{Code: bot.ENOSPACE},
		{Events: []engine.Kind{engine.KindVoteCast}, Code: bot.EINTERNAL}, // the commit failed: not acknowledged
	} {
		m.Action(o)
	}
	for _, tc := range []struct {
		kind, result string
		want         float64
	}{
		{"vote_cast", ResultOK, 3},
		{"checked_in", ResultOK, 1},
		{KindMessage, bot.EFORBIDDEN, 1},
		{KindMessage, bot.EINVALID, 1},
		{KindMessage, bot.ENOSPACE, 1},
		{KindMessage, bot.EINTERNAL, 1},
	} {
		if got := testutil.ToFloat64(m.actions.WithLabelValues(tc.kind, tc.result)); got != tc.want {
			t.Errorf("actions{%s,%s} = %v, want %v", tc.kind, tc.result, got, tc.want)
		}
	}
	// Only acknowledged votes have an acknowledgement latency.
	const want = `
# HELP yishi_vote_ack_seconds Time from a vote reaching the engine until it is durable and its acknowledgement queued (lock wait and disk sync included).
# TYPE yishi_vote_ack_seconds histogram
yishi_vote_ack_seconds_bucket{le="0.001"} 0
yishi_vote_ack_seconds_bucket{le="0.0025"} 0
yishi_vote_ack_seconds_bucket{le="0.005"} 1
yishi_vote_ack_seconds_bucket{le="0.01"} 1
yishi_vote_ack_seconds_bucket{le="0.025"} 1
yishi_vote_ack_seconds_bucket{le="0.05"} 1
yishi_vote_ack_seconds_bucket{le="0.1"} 1
yishi_vote_ack_seconds_bucket{le="0.25"} 1
yishi_vote_ack_seconds_bucket{le="0.5"} 1
yishi_vote_ack_seconds_bucket{le="1"} 2
yishi_vote_ack_seconds_bucket{le="2.5"} 2
yishi_vote_ack_seconds_bucket{le="5"} 2
yishi_vote_ack_seconds_bucket{le="+Inf"} 2
yishi_vote_ack_seconds_sum 1.003
yishi_vote_ack_seconds_count 2
`
	if err := testutil.CollectAndCompare(m.voteAck, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestRemindersRun(t *testing.T) {
	m := New()
	m.RemindersRun(reminders.Report{Digests: 3, Escalations: 1, Meetings: 2}, nil)
	m.RemindersRun(reminders.Report{}, errors.New("disk"))
	for kind, want := range map[string]float64{"digest": 3, "escalation": 1, "meeting": 2} {
		if got := testutil.ToFloat64(m.reminders.WithLabelValues(kind)); got != want {
			t.Errorf("reminders{%s} = %v, want %v", kind, got, want)
		}
	}
	if got := testutil.ToFloat64(m.remindFails); got != 1 {
		t.Errorf("failed runs = %v, want 1", got)
	}
}

func TestBackupAgeAbsentWithoutBackups(t *testing.T) {
	m := New()
	configured := false
	m.Watch(Gauges{BackupAge: func() (time.Duration, bool) { return time.Hour, configured }})
	if n := testutil.CollectAndCount(m.reg, "yishi_backup_age_seconds"); n != 0 {
		t.Errorf("backup age reported without backups configured (%d series)", n)
	}
	configured = true
	if n := testutil.CollectAndCount(m.reg, "yishi_backup_age_seconds"); n != 1 {
		t.Errorf("backup age series = %d, want 1", n)
	}
}
