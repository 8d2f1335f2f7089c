package workflow

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// CaseFilter selects cases for a list; the zero value lists every visible case.
type CaseFilter struct {
	Statuses   []CaseStatus
	Department string
	// Overdue, when set, keeps cases that have (true) or lack (false) an overdue assignment.
	Overdue *bool
	// Query matches title, description, reference and address, Chinese included.
	Query string
	// Limit is 1..MaxLimit; 0 means DefaultLimit.
	Limit  int
	Cursor string
}

// List limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// CasePage is one page of a case list, newest filed first.
type CasePage struct {
	Items      []*Case `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// cursor is a position in a case list: the id of the last case of a page.
// Lists run newest filed first, which is id order: ids are given out as
// cases are filed, where created_at may lie in the past (backdated data), and
// id order is what the indexes below read without sorting.
type cursor struct {
	id int64
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt(nil, c.id, 10))
}

func parseCursor(s string) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		if id, err := strconv.ParseInt(string(raw), 10, 64); err == nil && id > 0 {
			return cursor{id}, nil
		}
	}
	return cursor{}, &Error{Code: ErrInvalid, Message: "invalid cursor", Fields: []FieldError{{Field: "cursor", Message: "is not a cursor this server gave out"}}}
}

// Validate checks a filter and fills in the default limit.
func (f *CaseFilter) Validate() error {
	var errs fieldErrors
	for _, s := range f.Statuses {
		if !slices.Contains(CaseStatuses, s) {
			errs.add("status", fmt.Sprintf("unknown status %q", s))
		}
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	if f.Limit < 1 || f.Limit > MaxLimit {
		errs.add("limit", fmt.Sprintf("must be between 1 and %d", MaxLimit))
	}
	checkText(&errs, "q", f.Query, 0, 200)
	return errs.err()
}

// ListCases returns one page of the cases the actor may see that match f,
// newest filed first.
func (s *Service) ListCases(ctx context.Context, f CaseFilter) (*CasePage, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	// Without a cursor the list starts above every id, so that the
	// statement is the same for the first page as for the next ones.
	after := cursor{math.MaxInt64}
	if f.Cursor != "" {
		var err error
		if after, err = parseCursor(f.Cursor); err != nil {
			return nil, err
		}
	}
	noSuchDepartment := &Error{Code: ErrInvalid, Message: "validation failed", Fields: []FieldError{{Field: "department", Message: "no such department"}}}
	if f.Department != "" && !departmentCode.MatchString(f.Department) {
		return nil, noSuchDepartment
	}
	sc := s.scopeOf(actor)
	query, args := listSQL(sc, f, after, s.now())
	rows, err := scanRows[caseRow](ctx, s.db, query, args...)
	if err != nil {
		return nil, dbError(err)
	}
	// The statement looks the department up itself; only an empty page
	// leaves open whether it exists.
	if len(rows) == 0 && f.Department != "" {
		_, err := departmentID(ctx, s.pool(), f.Department)
		if ErrorCodeOf(err) == ErrNotFound {
			return nil, noSuchDepartment
		}
		if err != nil {
			return nil, dbError(err)
		}
	}
	page := &CasePage{Items: make([]*Case, 0, len(rows))}
	for _, row := range rows {
		page.Items = append(page.Items, row.toCase())
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		next := cursor{page.Items[f.Limit-1].ID}.String()
		page.NextCursor = &next
	}
	if err := s.attachAssignments(ctx, s.pool(), actor, sc, page.Items); err != nil {
		return nil, dbError(err)
	}
	return page, nil
}

// listSQL returns the statement that reads one page of a list: the first
// Limit+1 cases after the cursor, in descending id order, that sc may see
// and that match f. It looks f.Department up by its code itself; an unknown
// one matches nothing.
//
// It stays fast at a million cases by reading candidates from an index in
// that order and stopping when the page is full, never sorting them:
//   - with a department, from its assignments (assignments_department_case),
//     or only its overdue ones (assignments_department_live_case) when
//     overdue=true;
//   - for an actor who sees every case, with overdue=true, from the live
//     assignments (assignments_live_case);
//   - for an actor who sees only some cases, from the cases they reported
//     (cases_reporter) and each of their departments' assignments, one
//     branch each, which PostgreSQL merges in id order;
//   - otherwise from the cases themselves (the primary key), or from the
//     search index when the planner expects few matches.
//
// A candidate comes once per branch and assignment it is found through;
// DISTINCT ON drops the repeats, which in id order follow one another. Each
// branch is a subquery with its own ORDER BY: planned apart, it finds that
// its index yields that order, which PostgreSQL does not see for a UNION ALL
// branch's own conditions once the union is flattened into the query.
func listSQL(sc scope, f CaseFilter, after cursor, now time.Time) (string, []any) {
	q := &sqlBuilder{}
	before := q.arg(after.id)
	var dept string
	if f.Department != "" {
		dept = "(SELECT d.id FROM departments d WHERE d.code = " + q.arg(f.Department) + ")"
	}
	// assignedCases reads the cases of assignments, of one department when
	// department is an SQL expression, and only overdue ones when overdue.
	assignedCases := func(department string, overdue bool) string {
		branch := "(SELECT a.case_id FROM assignments a WHERE a.case_id < " + before
		if department != "" {
			branch += " AND a.department_id = " + department
		}
		if overdue {
			branch += " AND a.status IN ('pending', 'in_progress') AND a.due_at < " + q.arg(now)
		}
		return branch + " ORDER BY a.case_id DESC)"
	}
	var candidates []string
	overdueByCandidates := f.Overdue != nil && *f.Overdue && (dept != "" || sc.all)
	switch {
	case dept != "" || overdueByCandidates:
		candidates = append(candidates, assignedCases(dept, overdueByCandidates))
	case !sc.all:
		candidates = append(candidates, "(SELECT r.id FROM cases r WHERE r.reporter_id = "+q.arg(sc.userID)+" AND r.id < "+before+" ORDER BY r.id DESC)")
		for _, id := range sc.deptIDs {
			candidates = append(candidates, assignedCases(q.arg(id), false))
		}
	}
	selectCases, from, order := "SELECT ", "cases c", "c.id"
	if len(candidates) > 0 {
		// Each candidate's case is looked up by its id (OFFSET 0 keeps the
		// lookup a subquery of its own), never merge-joined with the cases in
		// id order, which the planner may prefer when it expects many
		// candidates: it cannot know that the first of them come after
		// hundreds of thousands of cases (overdue=true, the newest cases
		// being not yet due).
		selectCases, order = "SELECT DISTINCT ON (x.case_id) ", "x.case_id"
		from = "(" + strings.Join(candidates, "\n\t\tUNION ALL ") + ") x (case_id)\n\t\tCROSS JOIN LATERAL (SELECT * FROM cases WHERE id = x.case_id OFFSET 0) c"
	}
	where := []string{"c.id < " + before}
	// The candidates of an actor who sees only some cases are those they may
	// see; a global actor's visibility folds into true at planning time.
	if sc.all || dept != "" {
		where = append(where, fmt.Sprintf(visibleSQL, q.arg(sc.all), q.arg(sc.userID), q.arg(sc.deptIDs)))
	}
	if len(f.Statuses) > 0 {
		statuses := make(pq.StringArray, len(f.Statuses))
		for i, st := range f.Statuses {
			statuses[i] = string(st)
		}
		where = append(where, "c.status = ANY("+q.arg(statuses)+")")
	}
	if f.Overdue != nil && !overdueByCandidates {
		overdue := "EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id AND a.status IN ('pending', 'in_progress') AND a.due_at < " + q.arg(now)
		if dept != "" {
			overdue += " AND a.department_id = " + dept
		}
		overdue += ")"
		if !*f.Overdue {
			overdue = "NOT " + overdue
		}
		where = append(where, overdue)
	}
	if text := strings.ToLower(strings.TrimSpace(f.Query)); text != "" {
		where = append(where, fmt.Sprintf(searchSQL, q.arg(pq.StringArray(queryGrams(text))), q.arg(text)))
	}
	query := selectCases + caseColumns + ` FROM ` + from + `
		JOIN users u ON u.id = c.reporter_id
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY ` + order + ` DESC LIMIT ` + q.arg(f.Limit+1)
	return query, q.args
}

// sqlBuilder numbers the arguments of a statement as it is put together.
type sqlBuilder struct {
	args []any
}

// arg adds v to the arguments and returns its placeholder.
func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}
