package app

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/reminders"
)

// metrics are the bot's Prometheus series, on a registry of their own (no
// global state: several Apps in one test binary do not collide). Every
// series is named yishi_….
type metrics struct {
	reg        *prometheus.Registry
	in         *prometheus.CounterVec // messages in, by platform
	out        *prometheus.CounterVec // messages delivered, by platform
	sendFailed *prometheus.CounterVec // deliveries that failed (retried), by platform
	actions    *prometheus.CounterVec // events recorded, by kind; refusals, by code
	voteAck    prometheus.Histogram   // a vote's message in → durably recorded
	handle     prometheus.Histogram   // any message in → handled
	reminders  *prometheus.CounterVec // reminder messages queued, by kind; failed runs

	mu         sync.Mutex
	lastBackup time.Time
}

func newMetrics(a *App) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.in = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yishi_messages_in_total", Help: "Messages received, by platform."}, []string{"platform"})
	m.out = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yishi_messages_out_total", Help: "Messages the platform accepted, by platform."}, []string{"platform"})
	m.sendFailed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yishi_messages_send_failed_total", Help: "Deliveries that failed and wait for a retry, by platform."}, []string{"platform"})
	m.actions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yishi_actions_total",
		Help: "Actions by kind and result: result=recorded counts each durable event by its kind; result=refused counts answered refusals by error code."}, []string{"kind", "result"})
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	m.voteAck = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "yishi_vote_ack_seconds",
		Help: "From a vote's message reaching the bot to the vote being durably recorded.", Buckets: buckets})
	m.handle = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "yishi_message_handle_seconds", Help: "Time to handle one incoming message.", Buckets: buckets})
	m.reminders = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yishi_reminders_total",
		Help: "Reminder messages queued by kind (digest, owner, escalation, meeting); kind=failed_run counts runs that failed."}, []string{"kind"})
	m.reg.MustRegister(m.in, m.out, m.sendFailed, m.actions, m.voteAck, m.handle, m.reminders,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yishi_outbox_depth", Help: "Messages waiting in the durable outbox."},
			func() float64 { return float64(a.Engine.OutboxLen()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yishi_backup_age_seconds", Help: "Seconds since the last successful backup of this process; -1 before the first."},
			func() float64 { return m.backupAge(a.opts.Clock.Now()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yishi_store_size_bytes", Help: "Bytes used by the data directory."},
			func() float64 { return float64(dirSize(a.opts.DataDir)) }),
	)
	return m
}

// handleTrace travels with a message's context so the engine's Observe,
// called in the same Do, can tell the handler a vote was recorded.
type handleTrace struct{ vote bool }

type traceKey struct{}

func (m *metrics) observe(ctx context.Context, kinds []engine.Kind) {
	for _, k := range kinds {
		m.actions.WithLabelValues(string(k), "recorded").Inc()
	}
	if tr, ok := ctx.Value(traceKey{}).(*handleTrace); ok && slices.Contains(kinds, engine.KindVoteCast) {
		tr.vote = true
	}
}

func (m *metrics) refused(code string) { m.actions.WithLabelValues(code, "refused").Inc() }

func (m *metrics) reminderRun(r reminders.Report, err error) {
	if err != nil {
		m.reminders.WithLabelValues("failed_run").Inc()
		return
	}
	m.reminders.WithLabelValues("digest").Add(float64(r.Digests))
	m.reminders.WithLabelValues("owner").Add(float64(r.Owners))
	m.reminders.WithLabelValues("escalation").Add(float64(r.Escalations))
	m.reminders.WithLabelValues("meeting").Add(float64(r.Meetings))
}

func (m *metrics) backedUp(at time.Time) {
	m.mu.Lock()
	m.lastBackup = at
	m.mu.Unlock()
}

func (m *metrics) backupAge(now time.Time) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lastBackup.IsZero() {
		return -1
	}
	return now.Sub(m.lastBackup).Seconds()
}

// dirSize sums the sizes of the files under dir (0 when it cannot be read).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}
