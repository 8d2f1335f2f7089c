package workflow

import (
	"context"
	"encoding/base64"
	"fmt"
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

// CasePage is one page of a case list, newest first.
type CasePage struct {
	Items      []*Case `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// cursor is a position in the newest-first order.
type cursor struct {
	createdAt time.Time
	id        int64
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d", c.createdAt.UnixMicro(), c.id))
}

func parseCursor(s string) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		micros, id, ok := strings.Cut(string(raw), ":")
		m, err1 := strconv.ParseInt(micros, 10, 64)
		n, err2 := strconv.ParseInt(id, 10, 64)
		if ok && err1 == nil && err2 == nil {
			return cursor{time.UnixMicro(m), n}, nil
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

// ListCases returns one page of the cases the actor may see that match f.
func (s *Service) ListCases(ctx context.Context, f CaseFilter) (*CasePage, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	sc := s.scopeOf(actor)
	var where []string
	args := sc.args()
	where = append(where, fmt.Sprintf(visibleSQL, "$1", "$2", "$3"))
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if len(f.Statuses) > 0 {
		statuses := make(pq.StringArray, len(f.Statuses))
		for i, st := range f.Statuses {
			statuses[i] = string(st)
		}
		where = append(where, "c.status = ANY("+arg(statuses)+")")
	}
	deptCond := ""
	if f.Department != "" {
		deptID, err := departmentID(ctx, s.db, f.Department)
		if ErrorCodeOf(err) == ErrNotFound {
			return nil, &Error{Code: ErrInvalid, Message: "validation failed", Fields: []FieldError{{Field: "department", Message: "no such department"}}}
		}
		if err != nil {
			return nil, dbError(err)
		}
		deptCond = " AND a.department_id = " + arg(deptID)
		where = append(where, "EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id"+deptCond+")")
	}
	if f.Overdue != nil {
		overdue := "EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id AND a.status IN ('pending', 'in_progress') AND a.due_at < " + arg(s.now()) + deptCond + ")"
		if !*f.Overdue {
			overdue = "NOT " + overdue
		}
		where = append(where, overdue)
	}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		where = append(where, fmt.Sprintf(searchSQL, arg(pq.StringArray(queryGrams(q))), arg(q)))
	}
	if f.Cursor != "" {
		cur, err := parseCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		where = append(where, "(c.created_at, c.id) < ("+arg(cur.createdAt)+", "+arg(cur.id)+")")
	}
	query := `SELECT ` + caseColumns + ` FROM cases c JOIN users u ON u.id = c.reporter_id
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY c.created_at DESC, c.id DESC LIMIT ` + arg(f.Limit+1)
	var rows []caseRow
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, dbError(err)
	}
	page := &CasePage{Items: make([]*Case, 0, len(rows))}
	for i := range rows {
		page.Items = append(page.Items, rows[i].toCase())
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		last := page.Items[f.Limit-1]
		next := cursor{last.CreatedAt, last.ID}.String()
		page.NextCursor = &next
	}
	if err := s.attachAssignments(ctx, s.db, actor, sc, page.Items); err != nil {
		return nil, dbError(err)
	}
	return page, nil
}
