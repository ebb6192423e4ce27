// Package metrics exposes the service's Prometheus metrics: request durations, checks by
// status and type, overdue checks, escalations by rule, the outbox, send attempts and
// failures, and the last scheduler run. It has its own registry: nothing is registered
// globally.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// Sources are where the gauges read their values.
type Sources struct {
	// CountChecks counts checks by status and type, and the overdue ones.
	CountChecks func(ctx context.Context) ([]checks.CheckCount, int, error)
	// OutboxCounts counts emails by outbox status.
	OutboxCounts func(ctx context.Context) (map[notify.Status]int, error)
	// LastRun tells when the last daily escalation run started and how long it took.
	LastRun func() (time.Time, time.Duration)
}

// Metrics holds the registry and the metrics other parts record.
type Metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.HistogramVec
	escalations  *prometheus.CounterVec
	sendAttempts prometheus.Counter
	sendFailures prometheus.Counter
}

// New registers every metric. The database gauges are read at scrape time, at most once a
// minute (a count scans the checks on the embedded server).
func New(src Sources) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "safeguarding_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route, method and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "safeguarding_escalations_recorded_total",
			Help: "Rungs of the escalation ladder recorded on checks, by rule.",
		}, []string{"rule"}),
		sendAttempts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "safeguarding_email_send_attempts_total",
			Help: "Emails handed to the mailer.",
		}),
		sendFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "safeguarding_email_send_failures_total",
			Help: "Emails the mailer failed to deliver (to be retried, or dead).",
		}),
	}
	// Every rule of the ladder is shown from the start, at 0 until it is first recorded, so
	// that a dashboard or an alert on one rule has a series to read before it ever fires.
	for _, rule := range notify.Rules() {
		m.escalations.WithLabelValues(string(rule))
	}
	m.registry.MustRegister(m.requests, m.escalations, m.sendAttempts, m.sendFailures,
		newGauges(src, time.Minute),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// ObserveRequest records one answered request. route must come from a fixed set (the routes
// served, or one name for the rest); the method is the client's, so it is reduced to one.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, methodLabel(method), strconv.Itoa(status)).Observe(d.Seconds())
}

// methodLabel keeps the methods HTTP defines and makes any other "other": each label value is
// a series kept for ever, so a client must not be able to make up new ones.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// Recorded counts a rung recorded on a check.
func (m *Metrics) Recorded(rule notify.Rule) { m.escalations.WithLabelValues(string(rule)).Inc() }

// Attempted counts an email handed to the mailer, and whether it failed.
func (m *Metrics) Attempted(failed bool) {
	m.sendAttempts.Inc()
	if failed {
		m.sendFailures.Inc()
	}
}

// gauges reads the database gauges, keeping them for ttl.
type gauges struct {
	src Sources
	ttl time.Duration

	checksDesc, overdue, outbox, lastRun, lastTook, up *prometheus.Desc

	mu       sync.Mutex
	at       time.Time
	checks   []checks.CheckCount
	overdueN int
	outboxN  map[notify.Status]int
	ok       bool
}

func newGauges(src Sources, ttl time.Duration) *gauges {
	return &gauges{
		src: src, ttl: ttl,
		checksDesc: prometheus.NewDesc("safeguarding_checks", "Open checks (required, requested, responded) by status and type.", []string{"status", "type"}, nil),
		overdue: prometheus.NewDesc("safeguarding_checks_overdue",
			"Checks overdue today: not requested after their request-by date, or not answered after their due date.", nil, nil),
		outbox:   prometheus.NewDesc("safeguarding_outbox_emails", "Emails in the outbox, by status.", []string{"status"}, nil),
		lastRun:  prometheus.NewDesc("safeguarding_scheduler_last_run_timestamp_seconds", "When the last daily escalation run started (0: none yet).", nil, nil),
		lastTook: prometheus.NewDesc("safeguarding_scheduler_last_run_duration_seconds", "How long the last daily escalation run took.", nil, nil),
		up:       prometheus.NewDesc("safeguarding_metrics_database_up", "Whether the last read of the database gauges succeeded (1) or not (0).", nil, nil),
	}
}

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{g.checksDesc, g.overdue, g.outbox, g.lastRun, g.lastTook, g.up} {
		ch <- d
	}
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.at) > g.ttl {
		g.refresh()
	}
	for _, c := range g.checks {
		ch <- prometheus.MustNewConstMetric(g.checksDesc, prometheus.GaugeValue, float64(c.Count), string(c.Status), string(c.Type))
	}
	ch <- prometheus.MustNewConstMetric(g.overdue, prometheus.GaugeValue, float64(g.overdueN))
	for _, st := range notify.Statuses() {
		ch <- prometheus.MustNewConstMetric(g.outbox, prometheus.GaugeValue, float64(g.outboxN[st]), string(st))
	}
	up := 0.0
	if g.ok {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(g.up, prometheus.GaugeValue, up)
	if g.src.LastRun != nil {
		at, took := g.src.LastRun()
		ts := 0.0
		if !at.IsZero() {
			ts = float64(at.Unix())
		}
		ch <- prometheus.MustNewConstMetric(g.lastRun, prometheus.GaugeValue, ts)
		ch <- prometheus.MustNewConstMetric(g.lastTook, prometheus.GaugeValue, took.Seconds())
	}
}

func (g *gauges) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g.ok = true
	if cs, n, err := g.src.CountChecks(ctx); err == nil {
		g.checks, g.overdueN = cs, n
	} else {
		g.ok = false
	}
	if o, err := g.src.OutboxCounts(ctx); err == nil {
		g.outboxN = o
	} else {
		g.ok = false
	}
	if g.ok {
		g.at = time.Now()
	}
}
