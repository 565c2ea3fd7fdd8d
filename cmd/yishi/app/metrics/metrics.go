// Package metrics is the bot's Prometheus instrumentation: counters of
// messages, actions and reminders, the vote acknowledgement latency, and
// gauges read at scrape time (outbox depth, backup age, store size). Every
// series is named yishi_…, the Go runtime's and the process's included
// (prefixed), so one job name selects all of them. The core (bot/) knows
// nothing of it: the app feeds it through the engine's Observe hook, the
// reminder scheduler's OnRun hook and its own message paths.
package metrics

import (
	"math"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/reminders"
)

// Results of actions (label result of yishi_actions_total) besides the
// bot error codes (invalid, forbidden, not_found, conflict, internal,
// no_space).
const ResultOK = "ok"

// KindMessage labels a refusal or a failure whose action is not known
// (nothing was recorded, so no event names it).
const KindMessage = "message"

// Metrics holds the bot's collectors, in a registry of its own (nothing
// global: two bots in one test process do not share counts).
type Metrics struct {
	reg         *prometheus.Registry
	messagesIn  *prometheus.CounterVec
	messagesOut *prometheus.CounterVec
	actions     *prometheus.CounterVec
	voteAck     prometheus.Histogram
	reminders   *prometheus.CounterVec
	remindFails prometheus.Counter
}

// New builds the collectors and registers them, with the Go runtime and
// process collectors under the yishi_ prefix.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		messagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yishi_messages_in_total",
			Help: "Messages received from people, by platform (adapter)."}, []string{"platform"}),
		messagesOut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yishi_messages_out_total",
			Help: "Delivery attempts of outgoing messages, by platform and result (sent, failed: kept and retried)."}, []string{"platform", "result"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yishi_actions_total",
			Help: "Actions: recorded events by kind (result ok), and refusals or failures by error code (kind message)."}, []string{"kind", "result"}),
		voteAck: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "yishi_vote_ack_seconds",
			Help: "Time from a vote reaching the engine until it is durable and its acknowledgement queued (lock wait and disk sync included).",
			// From a warm group commit (~1 ms) to a disk in trouble.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}),
		reminders: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yishi_reminders_sent_total",
			Help: "Reminders queued for delivery (durably, with their marks), by kind (digest, escalation, meeting)."}, []string{"kind"}),
		remindFails: prometheus.NewCounter(prometheus.CounterOpts{Name: "yishi_reminder_runs_failed_total",
			Help: "Reminder runs that failed (nothing recorded; the next check tries again)."}),
	}
	m.reg.MustRegister(m.messagesIn, m.messagesOut, m.actions, m.voteAck, m.reminders, m.remindFails)
	prefixed := prometheus.WrapRegistererWithPrefix("yishi_", m.reg)
	prefixed.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format. A collector
// that fails (the process collector where a sandbox hides part of /proc)
// leaves its series out rather than failing the whole page.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is the registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// MessageIn counts a message received on platform.
func (m *Metrics) MessageIn(platform string) { m.messagesIn.WithLabelValues(platform).Inc() }

// MessageOut counts one delivery attempt on platform.
func (m *Metrics) MessageOut(platform string, err error) {
	result := "sent"
	if err != nil {
		result = "failed"
	}
	m.messagesOut.WithLabelValues(platform, result).Inc()
}

// Action counts a finished unit of work of the engine (engine.Options.Observe).
func (m *Metrics) Action(o engine.Observation) {
	for _, k := range o.Events {
		m.actions.WithLabelValues(string(k), ResultOK).Inc()
	}
	for _, code := range o.Refusals {
		m.actions.WithLabelValues(KindMessage, code).Inc()
	}
	if o.Code != "" {
		m.actions.WithLabelValues(KindMessage, o.Code).Inc()
	}
	if o.Code == "" && o.Has(engine.KindVoteCast) {
		m.voteAck.Observe(o.Elapsed.Seconds())
	}
}

// RemindersRun counts a reminder check (reminders.Options.OnRun).
func (m *Metrics) RemindersRun(rep reminders.Report, err error) {
	if err != nil {
		m.remindFails.Inc()
	}
	m.reminders.WithLabelValues("digest").Add(float64(rep.Digests))
	m.reminders.WithLabelValues("escalation").Add(float64(rep.Escalations))
	m.reminders.WithLabelValues("meeting").Add(float64(rep.Meetings))
}

// Gauges are read at every scrape.
type Gauges struct {
	OutboxDepth func() int
	// BackupAge is how long ago the newest backup was written; ok false:
	// no backup is configured (the series is then absent).
	BackupAge  func() (age time.Duration, ok bool)
	StoreBytes func() int64
	// Served is how many communities this process serves (several
	// processes share a database: each holds the leases of its own).
	Served func() int
}

// Watch registers the gauges read at scrape time.
func (m *Metrics) Watch(g Gauges) {
	if g.OutboxDepth != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yishi_outbox_depth",
			Help: "Outgoing messages queued, not yet accepted by their platform."}, func() float64 { return float64(g.OutboxDepth()) }))
	}
	if g.StoreBytes != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yishi_store_bytes",
			Help: "Bytes of the files in the data directory."}, func() float64 { return float64(g.StoreBytes()) }))
	}
	if g.BackupAge != nil {
		m.reg.MustRegister(backupAge{g.BackupAge})
	}
	if g.Served != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yishi_communities_served",
			Help: "Communities this process serves now (it holds their leases)."}, func() float64 { return float64(g.Served()) }))
	}
}

// backupAge is a collector rather than a GaugeFunc so that the series is
// absent when no backup is configured (alerts then say "absent", not 0).
type backupAge struct {
	age func() (time.Duration, bool)
}

var backupAgeDesc = prometheus.NewDesc("yishi_backup_age_seconds",
	"Seconds since the newest scheduled backup file was written; +Inf when backups are configured and none exists yet.", nil, nil)

func (b backupAge) Describe(ch chan<- *prometheus.Desc) { ch <- backupAgeDesc }

func (b backupAge) Collect(ch chan<- prometheus.Metric) {
	age, ok := b.age()
	if !ok {
		return
	}
	v := age.Seconds()
	if age < 0 {
		v = math.Inf(1) // configured, none written yet
	}
	ch <- prometheus.MustNewConstMetric(backupAgeDesc, prometheus.GaugeValue, v)
}
