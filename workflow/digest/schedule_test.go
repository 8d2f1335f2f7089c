package digest

import (
	"testing"
	"time"
)

func TestTheLatestScheduledRunIsCaughtUpInTheZone(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	s, err := parseSchedule(DefaultSchedule, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ now, last, week string }{
		// Monday 10:00 in Shanghai: the 09:00 run of that morning, for the week that ended.
		{"2026-11-23T10:00:00+08:00", "2026-11-23T09:00:00+08:00", "2026-W47"},
		// Monday 08:00: today's run has not come; the last was a week ago.
		{"2026-11-23T08:00:00+08:00", "2026-11-16T09:00:00+08:00", "2026-W46"},
		// Sunday night in UTC is already Monday 09:30 in Shanghai.
		{"2026-11-23T01:30:00Z", "2026-11-23T09:00:00+08:00", "2026-W47"},
	} {
		now, _ := time.Parse(time.RFC3339, tc.now)
		want, _ := time.Parse(time.RFC3339, tc.last)
		last, ok := lastRun(s, now)
		if !ok || !last.Equal(want) {
			t.Errorf("at %s the last run was %v (%v), want %v", tc.now, last, ok, want)
		}
		if got := WeekOf(last, shanghai).Prev().String(); got != tc.week {
			t.Errorf("at %s the run produces %s, want %s", tc.now, got, tc.week)
		}
	}
	if _, err := parseSchedule("every monday", shanghai); err == nil {
		t.Error("a schedule that is not cron parsed")
	}
}
