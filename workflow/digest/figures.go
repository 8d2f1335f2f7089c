package digest

import (
	"cmp"
	"math"
	"slices"
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

func (a Average) plus(o Average) Average { return Average{a.Sum + o.Sum, a.N + o.N} }

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

// ItemList is one section of a digest: its first items in order, at most
// ItemsShown of them, and how many items the section has in all.
type ItemList struct {
	Items []Item
	Total int
	// kept is how many items trim last kept.
	kept int
}

// add appends it to the list and counts it.
func (l *ItemList) add(it Item) {
	l.Items = append(l.Items, it)
	l.Total++
}

// merge adds o's items and count to l.
func (l *ItemList) merge(o ItemList) {
	l.Items = append(l.Items, o.Items...)
	l.Total += o.Total
}

// trim keeps, once the list holds twice as many items as it last kept
// (and at least 2n), the first n items by key and those tied with the
// last of them: whatever their tie-break, no other item can be among the
// first n (keepFirst), and the list holds few items however many it counts.
func (l *ItemList) trim(n int, key func(Item) time.Time) {
	if len(l.Items) < max(2*n, 2*l.kept) {
		return
	}
	slices.SortFunc(l.Items, func(a, b Item) int { return key(a).Compare(key(b)) })
	last, end := key(l.Items[n-1]), n
	for end < len(l.Items) && !key(l.Items[end]).After(last) {
		end++
	}
	l.Items, l.kept = slices.Clip(l.Items[:end]), end
}

// keepFirst sorts the items by order and keeps the first n.
func (l *ItemList) keepFirst(n int, order func(a, b Item) int) {
	slices.SortFunc(l.Items, order)
	l.Items = l.Items[:min(len(l.Items), n)]
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

	OverdueItems, DueSoonItems, LaterItems         ItemList
	DispatchedItems, AcceptedItems, CompletedItems ItemList
	ExtensionItems, UrgeItems                      ItemList
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

	TriageItems, DispatchItems, ConfirmationItems ItemList
	// LongestOverdue is a selection, not a section to complete: its Total is how many it lists.
	LongestOverdue ItemList
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

// deptStats is what one department's work looked like in one period: each
// list counts all its items and holds those that can make the digest.
type deptStats struct {
	overdue, dueSoon, later              ItemList
	dispatched, accepted, completed      ItemList
	extensions, urges, awaitConfirmation ItemList
	response, onTime                     Rate
	satisfaction                         Average
}

func (s *deptStats) open() int { return s.overdue.Total + s.dueSoon.Total + s.later.Total }

// lists names every list of s with the time that orders its items.
func (s *deptStats) lists() []struct {
	list *ItemList
	key  func(Item) time.Time
} {
	return []struct {
		list *ItemList
		key  func(Item) time.Time
	}{
		{&s.overdue, dueOf}, {&s.dueSoon, dueOf}, {&s.later, dueOf}, {&s.awaitConfirmation, dueOf},
		{&s.dispatched, atOf}, {&s.accepted, atOf}, {&s.completed, atOf}, {&s.urges, atOf},
		{&s.extensions, untilOf},
	}
}

// merge adds o's work to s.
func (s *deptStats) merge(o *deptStats) {
	mine, theirs := s.lists(), o.lists()
	for i := range mine {
		mine[i].list.merge(*theirs[i].list)
	}
	s.response = s.response.plus(o.response)
	s.onTime = s.onTime.plus(o.onTime)
	s.satisfaction = s.satisfaction.plus(o.satisfaction)
}

// finish counts the work still overdue against the on-time rate, and keeps
// the first ItemsShown items of each list, in order.
func (s *deptStats) finish() {
	s.onTime.Den += s.overdue.Total
	for _, l := range s.lists() {
		l.list.keepFirst(ItemsShown, orderBy(l.key))
	}
}

// trim drops from s's lists the items that cannot make the first
// ItemsShown, so that a list holds few items however many it counts.
func (s *deptStats) trim() {
	for _, l := range s.lists() {
		l.list.trim(ItemsShown, l.key)
	}
}

// Items are shown by due date, by when their event happened, or by the date an extension asks for.
func dueOf(it Item) time.Time   { return it.DueAt }
func atOf(it Item) time.Time    { return it.At }
func untilOf(it Item) time.Time { return it.Until }

// orderBy orders items by key, then by tieBreak.
func orderBy(key func(Item) time.Time) func(a, b Item) int {
	return func(a, b Item) int { return cmp.Or(key(a).Compare(key(b)), a.tieBreak(b)) }
}

var byDue, byAt = orderBy(dueOf), orderBy(atOf)

// tieBreak orders items that fall on the same time, so that a digest reads the same every time.
func (it Item) tieBreak(o Item) int {
	return cmp.Or(cmp.Compare(it.Ref, o.Ref), cmp.Compare(it.Department, o.Department), it.DueAt.Compare(o.DueAt), it.At.Compare(o.At))
}

// openDays is how many days work open at asOf is overdue by, or has left
// when it is due soon; 0 when it is due later.
func openDays(due, asOf time.Time) int {
	switch {
	case due.Before(asOf):
		return ceilDays(asOf.Sub(due))
	case due.Before(asOf.Add(DueSoonWithin)):
		return ceilDays(due.Sub(asOf))
	}
	return 0
}

// ceilDays counts started days: 1 hour overdue is "逾期 1 天".
func ceilDays(d time.Duration) int { return int((d + 24*time.Hour - 1) / (24 * time.Hour)) }
