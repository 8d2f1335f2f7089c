package digest_test

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"casetrack/workflow/digest"
	"casetrack/workflow/synthetic"
	"casetrack/workflow/workflowtest"

	"github.com/jmoiron/sqlx"
)

// BenchmarkEnqueueWeek produces every digest of the last complete week, as
// Monday's run does: each department's and the overview, rendered and
// queued in the outbox. The database is seeded with DIGEST_BENCH_CASES
// synthetic cases (default 2,000) over DIGEST_BENCH_DEPARTMENTS departments
// (default 10), or is DIGEST_BENCH_DATABASE_URL, a database seeded
// beforehand with `casetrack seed synthetic` (a million cases take minutes
// to seed, so a big one is best reused). Each round first removes the
// week's digests, so that they are produced again rather than skipped.
//
//	DIGEST_BENCH_DATABASE_URL=postgres://... go test ./workflow/digest -run '^$' -bench EnqueueWeek -benchtime 3x
func BenchmarkEnqueueWeek(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b)
	loc := shanghai
	week := digest.WeekOf(time.Now(), loc).Prev()
	secret, err := digest.LoadSecret(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	d, err := digest.New(digest.Config{DB: db, BaseURL: "https://casetrack.bench.example", Location: loc, Secret: secret,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	var departments int
	if err := db.GetContext(ctx, &departments, `SELECT count(*) FROM departments`); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		forgetWeek(b, db, week)
		b.StartTimer()
		if _, err := d.Enqueue(ctx, week); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var runs int
	if err := db.GetContext(ctx, &runs, `SELECT count(*) FROM digest_runs WHERE week = $1`, week.String()); err != nil {
		b.Fatal(err)
	}
	if runs != departments+1 {
		b.Fatalf("%d digest runs for %d departments and the overview", runs, departments)
	}
	forgetWeek(b, db, week)
}

// benchDB is DIGEST_BENCH_DATABASE_URL, or a new database seeded with synthetic cases.
func benchDB(b *testing.B) *sqlx.DB {
	if url := os.Getenv("DIGEST_BENCH_DATABASE_URL"); url != "" {
		db, err := sqlx.Open("postgres", url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		return db
	}
	db := workflowtest.NewDB(b)
	opt := synthetic.Options{Cases: envInt(b, "DIGEST_BENCH_CASES", 2000), Departments: envInt(b, "DIGEST_BENCH_DEPARTMENTS", 10),
		Location: shanghai, Now: time.Now(), Seed: 1}
	opt.RebuildIndexes = opt.Cases >= synthetic.RebuildIndexesFrom
	if _, err := synthetic.Seed(context.Background(), db, opt); err != nil {
		b.Fatal(err)
	}
	return db
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// forgetWeek removes the digests of week, so that Enqueue produces them again.
func forgetWeek(b *testing.B, db *sqlx.DB, week digest.Week) {
	b.Helper()
	if _, err := db.Exec(`DELETE FROM outbox WHERE kind IN ('digest_department', 'digest_overview')
		AND starts_with(dedupe_key, kind || '/' || $1)`, week.String()); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM digest_runs WHERE week = $1`, week.String()); err != nil {
		b.Fatal(err)
	}
}
