package digest_test

import (
	"strconv"
	"testing"
	"time"

	"casetrack/workflow/digest"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestWeeksAreISOWeeksInTheZone(t *testing.T) {
	for _, tc := range []struct {
		week       string
		start, end string
		prev       string
	}{
		{"2026-W47", "2026-11-16 00:00", "2026-11-23 00:00", "2026-W46"},
		{"2026-W01", "2025-12-29 00:00", "2026-01-05 00:00", "2025-W52"},
		{"2026-W53", "2026-12-28 00:00", "2027-01-04 00:00", "2026-W52"},
	} {
		w, err := digest.ParseWeek(tc.week)
		if err != nil {
			t.Fatalf("%s: %v", tc.week, err)
		}
		if !w.Start(shanghai).Equal(at(tc.start)) || !w.End(shanghai).Equal(at(tc.end)) || w.Prev().String() != tc.prev {
			t.Errorf("%s: %v – %v, before it %s", tc.week, w.Start(shanghai), w.End(shanghai), w.Prev())
		}
	}
	// Sunday 23:30 in Shanghai is still week 47, though it is Sunday 15:30 in UTC too; Monday 00:30 is week 48.
	if got := digest.WeekOf(at("2026-11-23 00:30"), shanghai); got.String() != "2026-W48" {
		t.Errorf("Monday 00:30 Shanghai is in %s", got)
	}
	if got := digest.WeekOf(at("2026-11-23 00:30"), time.UTC); got.String() != "2026-W47" {
		t.Errorf("Monday 00:30 Shanghai is Sunday in UTC, in %s", got)
	}
	for _, bad := range []string{"2026-W54", "2025-W53", "2026-W7", "2026W47", "2026-W00", ""} {
		if _, err := digest.ParseWeek(bad); err == nil {
			t.Errorf("ParseWeek(%q) accepted", bad)
		}
	}
}
