package handlers

import (
	"fmt"
	"math"
	"time"
)

// Times are written the same way in both languages, in the configured zone:
// unambiguous, sortable and short.
const (
	webTimeLayout = "2006-01-02 15:04"
	webDateLayout = "2006-01-02"
	// webInputLayout is what <input type="datetime-local"> sends and expects.
	webInputLayout = "2006-01-02T15:04"
)

// dueText says how a due date stands at now, as a message id and a day count:
// "还剩 2 天" (due_left), "今天到期" (due_today), "逾期 3 天" (due_overdue),
// "今天已逾期" (due_overdue_today). Days are calendar days in loc, so that
// "due tomorrow at 09:00" reads "1 day left" all day today.
func dueText(due, now time.Time, loc *time.Location) (id string, days int) {
	days = calendarDays(now.In(loc), due.In(loc))
	switch {
	case due.Before(now) && days < 0:
		return "due_overdue", -days
	case due.Before(now):
		return "due_overdue_today", 0
	case days == 0:
		return "due_today", 0
	default:
		return "due_left", days
	}
}

// calendarDays counts the midnights from the day of a to the day of b (negative when b is earlier).
func calendarDays(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(math.Round(db.Sub(da).Hours() / 24))
}

// percent writes a rate as a whole percentage.
func percent(rate float64) string { return fmt.Sprintf("%.0f%%", rate*100) }
