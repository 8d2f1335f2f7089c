package digest

import (
	"context"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Run produces the weekly digests on the schedule and delivers the outbox
// until ctx ends. On start it catches up on the latest scheduled run, in
// case every instance was down then: producing is idempotent, so a run that
// happened produces nothing the second time.
func (d *Digester) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { d.runSchedule(ctx) })
	d.runWorker(ctx)
	wg.Wait()
}

// runSchedule produces, at each scheduled time, the digests of the ISO week before it.
func (d *Digester) runSchedule(ctx context.Context) {
	if last, ok := lastRun(d.schedule, d.now()); ok {
		d.produceWeekBefore(ctx, last)
	}
	for {
		next := d.schedule.Next(d.now())
		timer := time.NewTimer(next.Sub(d.now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
			d.produceWeekBefore(ctx, next)
		}
	}
}

func (d *Digester) produceWeekBefore(ctx context.Context, at time.Time) {
	week := WeekOf(at, d.loc).Prev()
	queued, err := d.Enqueue(ctx, week)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		d.log.Error("digests not produced", "week", week.String(), "error", err)
	}
	if d.onRun != nil {
		d.onRun(queued, err)
	}
}

// catchUpWithin is how far back the start-up looks for a missed run.
const catchUpWithin = 8 * 24 * time.Hour

// lastRun is the latest time up to now that the schedule fired, within catchUpWithin.
func lastRun(s cron.Schedule, now time.Time) (time.Time, bool) {
	var last time.Time
	for t := s.Next(now.Add(-catchUpWithin)); !t.IsZero() && !t.After(now); t = s.Next(t) {
		last = t
	}
	return last, !last.IsZero()
}

// runWorker delivers the outbox every poll interval.
func (d *Digester) runWorker(ctx context.Context) {
	ticker := time.NewTicker(d.pollInterval)
	defer ticker.Stop()
	for {
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("outbox delivery", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
