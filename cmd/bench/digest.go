package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"time"

	"casetrack/workflow/digest"

	"github.com/jmoiron/sqlx"
)

// digestResult is one production of every weekly digest of a week.
type digestResult struct {
	Week     string
	Messages int
	Elapsed  time.Duration
}

// produceDigests times the digest producer for the last complete week, as
// the Monday schedule runs it: every department's digest and the
// overview, rendered and queued in the outbox. The week's earlier
// production by a previous bench run is removed first, so that it is
// produced again rather than skipped.
func produceDigests(ctx context.Context, db *sqlx.DB, loc *time.Location) (digestResult, error) {
	week := digest.WeekOf(time.Now(), loc).Prev()
	if _, err := db.ExecContext(ctx, `DELETE FROM outbox WHERE kind IN ('digest_department', 'digest_overview')
		AND starts_with(dedupe_key, kind || '/' || $1)`, week.String()); err != nil {
		return digestResult{}, err
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM digest_runs WHERE week = $1`, week.String()); err != nil {
		return digestResult{}, err
	}
	secret, err := digest.LoadSecret(ctx, db)
	if err != nil {
		return digestResult{}, err
	}
	d, err := digest.New(digest.Config{DB: db, BaseURL: "http://casetrack.bench.invalid", Location: loc, Secret: secret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return digestResult{}, err
	}
	start := time.Now()
	n, err := d.Enqueue(ctx, week)
	return digestResult{Week: week.String(), Messages: n, Elapsed: time.Since(start)}, err
}

// previewResult is one preview of a week's overview through serve.
type previewResult struct {
	Week    string
	Elapsed time.Duration
	Err     string
}

// previewOverview times one preview of the last complete week's overview,
// as the coordinator: serve computes the week's figures, as Monday's run does.
func previewOverview(ctx context.Context, c *client, p *people, loc *time.Location) previewResult {
	week := digest.WeekOf(time.Now(), loc).Prev().String()
	start := time.Now()
	err := c.api(ctx, "GET", "/api/v1/digests/preview?week="+week, p.coordinator(), nil, nil, http.StatusOK)
	r := previewResult{Week: week, Elapsed: time.Since(start)}
	if err != nil {
		r.Err = err.Error()
	}
	return r
}

var nsPerOp = regexp.MustCompile(`(?m)^BenchmarkAllowed-\d+\s+\d+\s+([0-9.]+) ns/op`)

// benchmarkAuthorization runs policy's BenchmarkAllowed (a cached decision,
// as on nearly every request) and returns the median of its runs.
func benchmarkAuthorization(ctx context.Context, repo string) (time.Duration, string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^BenchmarkAllowed$", "-count", "5", "./policy/")
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, string(out), err
	}
	var runs []float64
	for _, m := range nsPerOp.FindAllStringSubmatch(string(out), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		runs = append(runs, v)
	}
	if len(runs) == 0 {
		return 0, string(out), errNoBenchmark
	}
	slices.Sort(runs)
	return time.Duration(runs[len(runs)/2] * float64(time.Nanosecond)), string(out), nil
}

var errNoBenchmark = errorString("go test printed no BenchmarkAllowed result")

type errorString string

func (e errorString) Error() string { return string(e) }
