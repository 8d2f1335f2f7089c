package digest

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"

	"casetrack/workflow"
)

// Count is a figure of the week and the same figure a week earlier.
type Count struct{ Now, Prev int }

// Delta is the change since the week before.
func (c Count) Delta() int { return c.Now - c.Prev }

// Rate is a share Num ÷ Den; it is undefined when Den is 0.
type Rate struct{ Num, Den int }

// Defined reports whether the rate has a denominator.
func (r Rate) Defined() bool { return r.Den > 0 }

// Percent is the rate in whole per cent, rounded half up.
func (r Rate) Percent() int { return int(math.Floor(float64(100*r.Num)/float64(r.Den) + 0.5)) }

func (r Rate) plus(o Rate) Rate { return Rate{r.Num + o.Num, r.Den + o.Den} }

// ComparedRate is a rate of the week and a week earlier.
type ComparedRate struct{ Now, Prev Rate }

// Average is the mean of N ratings summing to Sum; undefined when N is 0.
type Average struct{ Sum, N int }

// Defined reports whether anything was rated.
func (a Average) Defined() bool { return a.N > 0 }

// Value is the mean rounded to one decimal.
func (a Average) Value() float64 { return math.Floor(10*float64(a.Sum)/float64(a.N)+0.5) / 10 }

func (a Average) add(score int) Average { return Average{a.Sum + score, a.N + 1} }

// ComparedAverage is an average of the week and a week earlier.
type ComparedAverage struct{ Now, Prev Average }

// Item is one assignment or case in a digest; every item links to its case.
type Item struct {
	CaseID         int64
	Ref            string
	Title          string
	URL            string
	Department     string
	DepartmentName string
	Role           workflow.AssignmentRole
	DueAt          time.Time
	// Days is how many days an item is overdue by, or has left.
	Days int
	// At is when the item's event happened, or since when a case waits.
	At time.Time
	// Until is the due date an extension request asks for.
	Until time.Time
	// Note is an urge's note.
	Note string
}

// DepartmentDigest is one department's week: what it has open, what
// happened to its work, compared with the week before.
type DepartmentDigest struct {
	Week       Week
	Start, End time.Time
	// AsOf is when the open work is counted: the end of the week, or now for the current week.
	AsOf       time.Time
	Department workflow.Department
	// ListURL is the department's work queue in the web view.
	ListURL string

	Open, Dispatched, Accepted, Completed, Overdue, DueSoon, Extensions, Urges Count

	OverdueItems, DueSoonItems, LaterItems         []Item
	DispatchedItems, AcceptedItems, CompletedItems []Item
	ExtensionItems, UrgeItems                      []Item
}

// DepartmentRow is one line of the overview's table.
type DepartmentRow struct {
	Department                    workflow.Department
	Open, New, Completed, Overdue Count
	Response, OnTime              ComparedRate
	Satisfaction                  ComparedAverage
}

// Overview is the coordinators' and viewers' week: every department, what
// waits for the coordination office, and the longest-overdue work.
type Overview struct {
	Week             Week
	Start, End, AsOf time.Time
	// ListURL is the list of cases in the web view.
	ListURL string
	Rows    []DepartmentRow
	Total   DepartmentRow

	AwaitingTriage, AwaitingDispatch, AwaitingConfirmation Count

	TriageItems, DispatchItems, ConfirmationItems, LongestOverdue []Item
}

// LongestOverdueShown is how many of the longest-overdue items the overview lists.
const LongestOverdueShown = 10

// DueSoonWithin is how far ahead "due soon" (即将到期) looks.
const DueSoonWithin = 7 * 24 * time.Hour

// ResponseWithin is how soon after dispatch an acceptance counts towards the response rate.
const ResponseWithin = 24 * time.Hour

// period is one week as the figures see it: events in [start, end), open
// work as it stood just before asOf.
type period struct{ start, end, asOf time.Time }

// periodsOf returns the week asked for (up to now) and the week before it.
func periodsOf(w Week, loc *time.Location, now time.Time) (cur, prev period) {
	start, end := w.Start(loc), w.End(loc)
	asOf := end
	if now.Before(end) {
		// The current week: open work as it stands now.
		asOf = now
	}
	cur = period{start: start, end: end, asOf: asOf}
	prevStart := w.Prev().Start(loc)
	return cur, period{start: prevStart, end: start, asOf: start}
}

func (p period) contains(t time.Time) bool {
	return !t.Before(p.start) && t.Before(p.end) && t.Before(p.asOf)
}

// deptStats is what one department's work looked like in one period.
type deptStats struct {
	overdue, dueSoon, later              []Item
	dispatched, accepted, completed      []Item
	extensions, urges, awaitConfirmation []Item
	response, onTime                     Rate
	satisfaction                         Average
}

func (s *deptStats) open() int { return len(s.overdue) + len(s.dueSoon) + len(s.later) }

// collector turns replayed histories into the items and figures of a period.
type collector struct {
	baseURL string
}

func (c collector) caseURL(id int64) string { return c.baseURL + "/cases/" + strconv.FormatInt(id, 10) }

// assignmentItem is the item of assignment h in state st.
func (c collector) assignmentItem(h *history, st state) Item {
	return Item{CaseID: h.CaseID, Ref: h.Ref, Title: h.Title, URL: c.caseURL(h.CaseID), Department: h.Department,
		DepartmentName: h.DepartmentName, Role: workflow.AssignmentRole(h.Role), DueAt: st.dueAt}
}

// stats replays every history over period p, by department code.
func (c collector) stats(histories []*history, ratings []rating, p period) map[string]*deptStats {
	out := map[string]*deptStats{}
	get := func(code string) *deptStats {
		if out[code] == nil {
			out[code] = &deptStats{}
		}
		return out[code]
	}
	for _, h := range histories {
		c.snapshot(get(h.Department), h, p)
		c.periodEvents(get(h.Department), h, p)
	}
	for _, r := range ratings {
		if !p.contains(r.At) {
			continue
		}
		for _, code := range r.Departments {
			s := get(code)
			s.satisfaction = s.satisfaction.add(r.Score)
		}
	}
	for _, s := range out {
		// Work still overdue counts against the on-time rate.
		s.onTime.Den += len(s.overdue)
		s.sort()
	}
	return out
}

// snapshot files h by where it stood just before p.asOf.
func (c collector) snapshot(s *deptStats, h *history, p period) {
	st, ok := h.stateBefore(p.asOf)
	if !ok {
		return
	}
	item := c.assignmentItem(h, st)
	switch {
	case st.status == workflow.AssignmentCompleted:
		s.awaitConfirmation = append(s.awaitConfirmation, item)
		return
	case !st.open():
		return
	case st.dueAt.Before(p.asOf):
		item.Days = ceilDays(p.asOf.Sub(st.dueAt))
		s.overdue = append(s.overdue, item)
	case st.dueAt.Before(p.asOf.Add(DueSoonWithin)):
		item.Days = ceilDays(st.dueAt.Sub(p.asOf))
		s.dueSoon = append(s.dueSoon, item)
	default:
		s.later = append(s.later, item)
	}
	if st.extensionPending {
		item.Until = st.extensionUntil
		s.extensions = append(s.extensions, item)
	}
}

// periodEvents counts what happened to h during p.
func (c collector) periodEvents(s *deptStats, h *history, p period) {
	completed := -1
	for i, e := range h.Events {
		if !p.contains(e.At) {
			continue
		}
		item := c.assignmentItem(h, replay(h.Events[:i+1]))
		item.At = e.At
		switch workflow.Action(e.Kind) {
		case workflow.ActionDispatch:
			s.dispatched = append(s.dispatched, item)
			s.response.Den++
			if accepted, ok := h.firstAt(workflow.ActionAccept, p.asOf); ok && accepted.Sub(e.At) <= ResponseWithin {
				s.response.Num++
			}
		case workflow.ActionAccept:
			s.accepted = append(s.accepted, item)
		case workflow.ActionComplete:
			completed = i
		case workflow.ActionUrge:
			item.Note = e.Note
			s.urges = append(s.urges, item)
		}
	}
	if completed >= 0 {
		e := h.Events[completed]
		before := replay(h.Events[:completed])
		item := c.assignmentItem(h, before)
		item.At = e.At
		s.completed = append(s.completed, item)
		s.onTime.Den++
		if !e.At.After(before.dueAt) {
			s.onTime.Num++
		}
	}
}

func (s *deptStats) sort() {
	for _, items := range [][]Item{s.overdue, s.dueSoon, s.later, s.awaitConfirmation} {
		slices.SortFunc(items, func(a, b Item) int { return cmp.Or(a.DueAt.Compare(b.DueAt), a.tieBreak(b)) })
	}
	for _, items := range [][]Item{s.dispatched, s.accepted, s.completed, s.urges} {
		slices.SortFunc(items, func(a, b Item) int { return cmp.Or(a.At.Compare(b.At), a.tieBreak(b)) })
	}
	slices.SortFunc(s.extensions, func(a, b Item) int { return cmp.Or(a.Until.Compare(b.Until), a.tieBreak(b)) })
}

// tieBreak orders items that fall on the same time, so that a digest reads the same every time.
func (it Item) tieBreak(o Item) int {
	return cmp.Or(cmp.Compare(it.Ref, o.Ref), cmp.Compare(it.Department, o.Department), it.DueAt.Compare(o.DueAt), it.At.Compare(o.At))
}

// ceilDays counts started days: 1 hour overdue is "逾期 1 天".
func ceilDays(d time.Duration) int { return int((d + 24*time.Hour - 1) / (24 * time.Hour)) }
