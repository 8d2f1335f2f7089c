package digest

import (
	"fmt"
	"time"

	"casetrack/workflow"
)

// Week is an ISO 8601 week ("2026-W48"): Monday to Sunday in the configured zone.
type Week struct {
	Year   int
	Number int
}

// ParseWeek reads "2026-W48".
func ParseWeek(s string) (Week, error) {
	var w Week
	if _, err := fmt.Sscanf(s, "%4d-W%2d", &w.Year, &w.Number); err != nil || w.String() != s || WeekOf(w.Start(time.UTC), time.UTC) != w {
		return Week{}, &workflow.Error{Code: workflow.ErrInvalid, Message: "validation failed",
			Fields: []workflow.FieldError{{Field: "week", Message: "must be an ISO week such as 2026-W48"}}}
	}
	return w, nil
}

// WeekOf returns the ISO week that t falls in, in loc.
func WeekOf(t time.Time, loc *time.Location) Week {
	y, n := t.In(loc).ISOWeek()
	return Week{Year: y, Number: n}
}

// String writes the week as ParseWeek reads it.
func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Number) }

// Start is the week's first instant: Monday 00:00 in loc.
func (w Week) Start(loc *time.Location) time.Time {
	// 4 January is always in week 1.
	jan4 := time.Date(w.Year, time.January, 4, 0, 0, 0, 0, loc)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(w.Number-1))
}

// End is the first instant after the week: the next Monday 00:00 in loc.
func (w Week) End(loc *time.Location) time.Time { return w.Start(loc).AddDate(0, 0, 7) }

// Prev is the week before.
func (w Week) Prev() Week { return WeekOf(w.Start(time.UTC).AddDate(0, 0, -7), time.UTC) }
