package digest

import (
	"context"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// readWaiting counts the cases waiting for triage and for dispatch at the
// end of the week and of the week before, and lists those of the week,
// longest-waiting first.
func (f *weekFigures) readWaiting(ctx context.Context, tx *sqlx.Tx, b bounds) error {
	counts, err := selectWaitingCounts(ctx, tx, b)
	if err != nil {
		return err
	}
	f.triage.Total, f.triagePrev = counts.before(true, "submitted"), counts.before(false, "submitted")
	f.dispatch.Total = counts.before(true, "triaged") + counts.before(true, "reopened")
	f.dispatchPrev = counts.before(false, "triaged") + counts.before(false, "reopened")

	unchanged, err := selectWaitingUnchanged(ctx, tx, b.asOf)
	if err != nil {
		return err
	}
	// A case that has changed since the as-of can only be among the first
	// if it was filed before the last of the first unchanged ones began to
	// wait: a case waits at the earliest since it was filed.
	triageBy, dispatchBy := b.asOf, b.asOf
	var triage, dispatch []waitingRow
	for _, w := range unchanged {
		if w.Status == "submitted" {
			triage = append(triage, w)
		} else {
			dispatch = append(dispatch, w)
		}
	}
	if len(triage) >= ItemsShown {
		triageBy = lastSince(triage)
	}
	if len(dispatch) >= ItemsShown {
		dispatchBy = lastSince(dispatch)
	}
	changed, err := selectWaitingChanged(ctx, tx, b.asOf, later(triageBy, dispatchBy))
	if err != nil {
		return err
	}
	var ids pq.Int64Array
	var statuses pq.StringArray
	for _, w := range changed {
		switch {
		case w.Status == "submitted" && !w.Since.After(triageBy):
			// A submitted case has waited since it was filed.
			triage = append(triage, w)
		case w.Status != "submitted" && !w.Since.After(dispatchBy):
			ids, statuses = append(ids, w.CaseID), append(statuses, w.Status)
		}
	}
	if len(ids) > 0 {
		since, err := selectWaitingSince(ctx, tx, ids, statuses, b.asOf)
		if err != nil {
			return err
		}
		for _, w := range changed {
			if s, ok := since[w.CaseID]; ok {
				w.Since = s
				dispatch = append(dispatch, w)
			}
		}
	}
	f.triage.Items, f.dispatch.Items = f.waitingItems(triage), f.waitingItems(dispatch)
	return nil
}

// before is how many cases waited in status just before the week's as-of
// (asOf) or its start: those waiting now, less those filed since and those
// that came to the status since, plus those that left it since.
func (c *waitingCounts) before(asOf bool, status string) int {
	since := func(sinceStart, sinceAsOf int) int {
		if asOf {
			return sinceAsOf
		}
		return sinceStart
	}
	n := c.now[status]
	if status == "submitted" {
		n -= since(c.createdSinceStart, c.createdSinceAsOf)
	}
	for _, ch := range c.changes {
		if ch.To == status {
			n -= since(ch.SinceStart, ch.SinceAsOf)
		}
		if ch.From == status {
			n += since(ch.SinceStart, ch.SinceAsOf)
		}
	}
	return n
}

func lastSince(rows []waitingRow) time.Time {
	last := rows[0].Since
	for _, w := range rows[1:] {
		last = later(last, w.Since)
	}
	return last
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// waitingItems are the first ItemsShown of rows, longest-waiting first.
func (f *weekFigures) waitingItems(rows []waitingRow) []Item {
	var items []Item
	for _, w := range rows {
		items = append(items, Item{CaseID: w.CaseID, Ref: w.Ref, Title: w.Title, URL: f.collector.caseURL(w.CaseID), At: w.Since})
	}
	slices.SortFunc(items, byAt)
	return items[:min(len(items), ItemsShown)]
}
