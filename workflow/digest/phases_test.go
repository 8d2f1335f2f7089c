package digest

import (
	"testing"
	"time"
)

func TestAssignmentStandsWhereItsTimesPutIt(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		a                        assignmentPhases
		endOfPrevWeek, endOfWeek string
	}{
		{"dispatched during the week, not accepted",
			assignmentPhases{Dispatched: inWeek, Accepted: never, Completed: never, Finished: never}, "", "pending"},
		{"accepted after the as-of",
			assignmentPhases{Dispatched: inPrevWeek, Accepted: afterAsOf, Completed: never, Finished: never}, "pending", "pending"},
		{"completed during the week, confirmed since",
			assignmentPhases{Dispatched: beforePrevWeek, Accepted: inPrevWeek, Completed: inWeek, Finished: afterAsOf}, "in_progress", "completed"},
		{"completed the week before, confirmed during the week",
			assignmentPhases{Dispatched: beforePrevWeek, Accepted: beforePrevWeek, Completed: inPrevWeek, Finished: inWeek}, "completed", ""},
		{"declined long ago",
			assignmentPhases{Dispatched: beforePrevWeek, Accepted: never, Completed: never, Finished: beforePrevWeek}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.stateAt(inPrevWeek); got != tc.endOfPrevWeek {
				t.Errorf("at the end of the week before: %q, want %q", got, tc.endOfPrevWeek)
			}
			if got := tc.a.stateAt(inWeek); got != tc.endOfWeek {
				t.Errorf("at the end of the week: %q, want %q", got, tc.endOfWeek)
			}
		})
	}
}

func TestDueBandsTellOverdueAndDueSoon(t *testing.T) {
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	for _, asOf := range []time.Time{start.AddDate(0, 0, 7), start.Add(50 * time.Hour)} {
		bands := newDueBands(start, asOf)
		for _, due := range []time.Time{start.Add(-time.Hour), start, asOf.Add(-time.Second), asOf, asOf.Add(DueSoonWithin - 1), asOf.Add(DueSoonWithin)} {
			band := 0
			for _, b := range bands {
				if !due.Before(b) {
					band++
				}
			}
			for _, t0 := range []time.Time{start, asOf, start.Add(DueSoonWithin), asOf.Add(DueSoonWithin)} {
				if got, want := bands.dueBefore(band, t0), due.Before(t0); got != want {
					t.Errorf("due %v, as of %v: before %v is %v, want %v", due, asOf, t0, got, want)
				}
			}
		}
	}
}
