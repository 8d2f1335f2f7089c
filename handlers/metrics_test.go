package handlers

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"casetrack/workflow"
	"casetrack/workflow/workflowtest"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// newInstrumentedEcho is an Echo with instrument and two routes of its own,
// over a fresh database: one that answers, one that fails with not found.
func newInstrumentedEcho(t *testing.T, extra ...prometheus.Collector) (*httptest.Server, *workflow.Service) {
	t.Helper()
	svc := workflow.NewService(workflow.Config{DB: workflowtest.NewDB(t)})
	s := &Server{svc: svc, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e := echo.New()
	e.HTTPErrorHandler = s.handleError
	s.instrument(e, extra...)
	e.GET("/api/v1/things/:id", func(c echo.Context) error { return c.String(http.StatusOK, c.Param("id")) })
	e.POST("/api/v1/things/:id/actions/:action", func(c echo.Context) error {
		return workflow.Errorf(workflow.ErrNotFound, "thing %s not found", c.Param("id"))
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, svc
}

// scrape returns the text exposition of GET /metrics.
func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", res.StatusCode, body)
	}
	return string(body)
}

// sample returns the value of the series whose name and labels start with prefix.
func sample(t *testing.T, metrics, prefix string) float64 {
	t.Helper()
	for line := range strings.SplitSeq(metrics, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "{")) {
			fields := strings.Fields(line)
			v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("no series %s in\n%s", prefix, metrics)
	return 0
}

func TestMetricsTimeRequestsByRoutePatternAndStatus(t *testing.T) {
	srv, _ := newInstrumentedEcho(t)
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/v1/things/1"}, {"GET", "/api/v1/things/2"}, {"GET", "/api/v1/things/3"},
		{"POST", "/api/v1/things/4/actions/progress"}, {"GET", "/no/such/page"},
	} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, nil)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	m := scrape(t, srv.URL)
	const name = "casetrack_http_request_duration_seconds_count"
	if n := sample(t, m, name+`{method="GET",route="/api/v1/things/:id",status="200"}`); n != 3 {
		t.Errorf("three GETs of one route make one series of 3, got %v", n)
	}
	if n := sample(t, m, name+`{method="POST",route="/api/v1/things/:id/actions/:action",status="404"}`); n != 1 {
		t.Errorf("a failed action is counted with the status sent, got %v", n)
	}
	if n := sample(t, m, name+`{method="GET",route="unmatched",status="404"}`); n != 1 {
		t.Errorf("a path no route matches is counted as unmatched, got %v", n)
	}
	// Raw URLs never become labels: one series per case would exhaust Prometheus.
	if regexp.MustCompile(`route="[^"]*/things/[0-9]`).MatchString(m) {
		t.Errorf("a raw URL became a route label:\n%s", m)
	}
	if sample(t, m, `casetrack_http_request_duration_seconds_bucket{method="GET",route="/api/v1/things/:id",status="200",le="+Inf"}`) != 3 {
		t.Error("the histogram's +Inf bucket holds every request")
	}
}

func TestMetricsShowThePoolTheOutboxAndTheProcess(t *testing.T) {
	srv, svc := newInstrumentedEcho(t)
	m := scrape(t, srv.URL)
	if sample(t, m, `casetrack_outbox_oldest_queued_age_seconds`) != 0 {
		t.Error("an empty outbox has no age")
	}
	_, err := svc.DB().Exec(`INSERT INTO outbox (kind, recipient, language, message_id, dedupe_key, created_at)
		VALUES ('notice_dispatch', 'a@example.gov.cn', 'zh-CN', 'm1', 'k1', now() - interval '1 hour'),
		       ('notice_dispatch', 'b@example.gov.cn', 'zh-CN', 'm2', 'k2', now() - interval '1 minute'),
		       ('digest_overview', 'c@example.gov.cn', 'zh-CN', 'm3', 'k3', now())`)
	if err != nil {
		t.Fatal(err)
	}
	m = scrape(t, srv.URL)
	if n := sample(t, m, `casetrack_outbox_depth{kind="notice_dispatch",status="queued"}`); n != 2 {
		t.Errorf("two queued notices, got %v", n)
	}
	if n := sample(t, m, `casetrack_outbox_depth{kind="digest_overview",status="queued"}`); n != 1 {
		t.Errorf("one queued digest, got %v", n)
	}
	if age := sample(t, m, `casetrack_outbox_oldest_queued_age_seconds`); age < 3590 || age > 3700 {
		t.Errorf("the oldest queued message is an hour old, got %vs", age)
	}
	for _, series := range []string{
		`go_sql_max_open_connections{db_name="casetrack"}`, `go_sql_open_connections{db_name="casetrack"}`,
		`go_sql_wait_count_total{db_name="casetrack"}`, `process_resident_memory_bytes`, `go_goroutines`,
	} {
		sample(t, m, series)
	}
}

func TestMetricsCountDigestRunsByResult(t *testing.T) {
	runs := NewDigestRuns()
	srv, _ := newInstrumentedEcho(t, runs)
	if n := sample(t, scrape(t, srv.URL), `casetrack_digest_runs_total{result="failed"}`); n != 0 {
		t.Errorf("every result is exported from the start, at 0; failed = %v", n)
	}
	runs.Observe(101, nil)
	runs.Observe(0, nil)
	runs.Observe(3, errors.New("database gone"))
	m := scrape(t, srv.URL)
	for result, want := range map[string]float64{DigestRunQueued: 1, DigestRunNothing: 1, DigestRunFailed: 1} {
		if n := sample(t, m, `casetrack_digest_runs_total{result="`+result+`"}`); n != want {
			t.Errorf("runs %s = %v, want %v", result, n, want)
		}
	}
	if n := sample(t, m, `casetrack_digest_messages_queued_total`); n != 104 {
		t.Errorf("messages queued = %v, want 104", n)
	}
}
