package handlers

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// instrument times every request by route and status, and serves the
// Prometheus metrics at GET /metrics: the request durations, the database
// pool, the outbox and, through extra, whatever else the process counts
// (the digest runs, see DigestRuns). Each Server has its own registry, so
// that tests may start several servers in one process.
func (s *Server) instrument(e *echo.Echo, extra ...prometheus.Collector) {
	reg := prometheus.NewRegistry()
	durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "casetrack_http_request_duration_seconds",
		Help:    "Time from the request reaching its route to the response, by method, route pattern and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route", "status"})
	reg.MustRegister(durations,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if s.svc != nil {
		db := s.svc.DB().DB
		reg.MustRegister(collectors.NewDBStatsCollector(db, "casetrack"), newOutboxCollector(db))
	}
	for _, c := range extra {
		if c != nil {
			reg.MustRegister(c)
		}
	}
	e.Use(timeRequests(durations))
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError, Registry: reg})))
}

// timeRequests observes each request's duration under its route pattern
// (c.Path(), never the raw URL, whose ids would make a series per case). It
// hands errors to the error handler itself, as logRequests does, so that
// the status observed is the one sent.
func timeRequests(durations *prometheus.HistogramVec) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			durations.WithLabelValues(c.Request().Method, route, strconv.Itoa(c.Response().Status)).
				Observe(time.Since(start).Seconds())
			return nil
		}
	}
}

// outboxCollector reads the outbox's depth and the age of its oldest
// queued message at each scrape: the table is shared by every instance, so
// no process could count it alone.
type outboxCollector struct {
	db              *sql.DB
	depth, oldest   *prometheus.Desc
	scrapeTimeLimit time.Duration
}

func newOutboxCollector(db *sql.DB) *outboxCollector {
	return &outboxCollector{db: db, scrapeTimeLimit: 2 * time.Second,
		depth: prometheus.NewDesc("casetrack_outbox_depth",
			"Messages in the outbox waiting to be sent (queued) or being sent (sending), by kind.", []string{"kind", "status"}, nil),
		oldest: prometheus.NewDesc("casetrack_outbox_oldest_queued_age_seconds",
			"Age of the oldest queued outbox message; 0 when none is queued.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- o.depth; ch <- o.oldest }

// Collect implements prometheus.Collector. Only the queued and sending rows
// are read, through their partial indexes: sent mail piles up for ever.
func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), o.scrapeTimeLimit)
	defer cancel()
	const q = `SELECT kind, status, count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
		FROM outbox WHERE status IN ('queued', 'sending') GROUP BY kind, status`
	rows, err := o.db.QueryContext(ctx, q)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(o.depth, err)
		return
	}
	defer rows.Close()
	oldest := 0.0
	for rows.Next() {
		var kind, status string
		var n, age float64
		if err := rows.Scan(&kind, &status, &n, &age); err != nil {
			ch <- prometheus.NewInvalidMetric(o.depth, err)
			return
		}
		ch <- prometheus.MustNewConstMetric(o.depth, prometheus.GaugeValue, n, kind, status)
		if status == "queued" {
			oldest = max(oldest, age)
		}
	}
	if err := rows.Err(); err != nil {
		ch <- prometheus.NewInvalidMetric(o.depth, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(o.oldest, prometheus.GaugeValue, oldest)
}

// DigestRuns counts this process's weekly digest runs by result, and the
// messages they queued. Create one with NewDigestRuns, pass it to the
// server (Config.Collectors) and its Observe to the digest scheduler.
type DigestRuns struct {
	runs     *prometheus.CounterVec
	messages prometheus.Counter
}

// Results of a digest run, the values of the result label.
const (
	DigestRunQueued  = "queued"  // the run queued messages
	DigestRunNothing = "nothing" // every digest of the week had been produced already (by this or another instance)
	DigestRunFailed  = "failed"  // the run returned an error
)

// NewDigestRuns returns counters at zero for every result.
func NewDigestRuns() *DigestRuns {
	r := &DigestRuns{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "casetrack_digest_runs_total",
			Help: "Weekly digest runs of this process, by result (queued, nothing, failed)."}, []string{"result"}),
		messages: prometheus.NewCounter(prometheus.CounterOpts{Name: "casetrack_digest_messages_queued_total",
			Help: "Digest messages this process queued in the outbox."}),
	}
	for _, result := range []string{DigestRunQueued, DigestRunNothing, DigestRunFailed} {
		r.runs.WithLabelValues(result)
	}
	return r
}

// Observe records one run that queued n messages and ended with err; its
// signature is that of the digest producer's result, (n, err).
func (r *DigestRuns) Observe(n int, err error) {
	switch {
	case err != nil:
		r.runs.WithLabelValues(DigestRunFailed).Inc()
	case n == 0:
		r.runs.WithLabelValues(DigestRunNothing).Inc()
	default:
		r.runs.WithLabelValues(DigestRunQueued).Inc()
	}
	r.messages.Add(float64(n))
}

// Describe implements prometheus.Collector.
func (r *DigestRuns) Describe(ch chan<- *prometheus.Desc) {
	r.runs.Describe(ch)
	r.messages.Describe(ch)
}

// Collect implements prometheus.Collector.
func (r *DigestRuns) Collect(ch chan<- prometheus.Metric) {
	r.runs.Collect(ch)
	r.messages.Collect(ch)
}

// DebugHandler serves Go's profiles (net/http/pprof) under /debug/pprof/.
// It is for a separate listener on a private address (DEBUG_ADDR), never
// for the public one: a profile reveals the program's internals.
func DebugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
