package digest_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"casetrack/workflow/digest"
)

// TestAStartingInstanceCatchesUpAndReportsTheRun starts the scheduler after
// Monday's run time with nothing produced yet: it produces last week's
// digests at once and reports how many it queued.
func TestAStartingInstanceCatchesUpAndReportsTheRun(t *testing.T) {
	w := bishan(t)
	reported := make(chan int, 1)
	d, err := digest.New(digest.Config{DB: w.db, BaseURL: "https://casetrack.bishan.example", Location: shanghai,
		Now: w.clock.Now, Secret: testSecret, Authorizer: w.authz, PollInterval: 10 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler), OnRun: func(queued int, err error) {
			if err != nil {
				t.Errorf("the caught-up run failed: %v", err)
			}
			reported <- queued
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	queued := <-reported
	cancel()
	<-done
	if queued == 0 || queued != w.count(`SELECT count(*) FROM outbox WHERE kind LIKE 'digest\_%'`) {
		t.Fatalf("the run reported %d digests queued; the outbox holds %d", queued, w.count(`SELECT count(*) FROM outbox WHERE kind LIKE 'digest\_%'`))
	}
}
