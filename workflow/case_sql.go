package workflow

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// caseRow is a case as stored.
type caseRow struct {
	ID           int64           `db:"id"`
	Ref          string          `db:"ref"`
	Title        string          `db:"title"`
	Description  string          `db:"description"`
	Category     string          `db:"category"`
	Address      string          `db:"address"`
	Lat          sql.NullFloat64 `db:"lat"`
	Lng          sql.NullFloat64 `db:"lng"`
	Priority     string          `db:"priority"`
	Status       string          `db:"status"`
	ReporterID   int64           `db:"reporter_id"`
	ReporterName string          `db:"reporter_name"`
	Rating       sql.NullInt32   `db:"rating"`
	Round        int             `db:"round"`
	CreatedAt    time.Time       `db:"created_at"`
	UpdatedAt    time.Time       `db:"updated_at"`
	Version      int             `db:"version"`
	// LeadWantedSince is kept by the Service (leadWanted, syncLeadWanted).
	LeadWantedSince *time.Time `db:"lead_wanted_since"`
}

func (r *caseRow) toCase() *Case {
	c := &Case{
		ID: r.ID, Ref: r.Ref, Title: r.Title, Description: r.Description, Category: r.Category,
		Location: Location{Address: r.Address},
		Priority: Priority(r.Priority), Status: CaseStatus(r.Status),
		Reporter:  UserRef{ID: r.ReporterID, Name: r.ReporterName},
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version, Round: r.Round,
		Assignments: []*Assignment{}, AllowedActions: []Action{},
		leadWantedSince: r.LeadWantedSince,
	}
	if r.Lat.Valid && r.Lng.Valid {
		c.Location.Lat, c.Location.Lng = &r.Lat.Float64, &r.Lng.Float64
	}
	if r.Rating.Valid {
		score := int(r.Rating.Int32)
		c.Rating = &score
	}
	return c
}

const caseColumns = `c.id, c.ref, c.title, c.description, c.category, c.address, c.lat, c.lng,
	c.priority, c.status, c.reporter_id, u.name AS reporter_name, c.rating, c.round,
	c.created_at, c.updated_at, c.version, c.lead_wanted_since`

// fields returns the destinations of caseColumns, in their order.
func (r *caseRow) fields() []any {
	return []any{&r.ID, &r.Ref, &r.Title, &r.Description, &r.Category, &r.Address, &r.Lat, &r.Lng,
		&r.Priority, &r.Status, &r.ReporterID, &r.ReporterName, &r.Rating, &r.Round,
		&r.CreatedAt, &r.UpdatedAt, &r.Version, &r.LeadWantedSince}
}

// scanRows runs a query and scans each row into a new T through its fields
// method, which lists the destinations of the query's columns in order. A
// case list reads 50 cases and some 120 assignments a request, where sqlx's
// mapping of columns to fields by reflection, per row, took a third of the
// scan's CPU time in profiles of the list benchmark.
func scanRows[T any, P interface {
	*T
	fields() []any
}](ctx context.Context, q sqlx.QueryerContext, query string, args ...any) ([]*T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		// A row of its own each time: what is made of it may keep pointers into it.
		row := new(T)
		if err := rows.Scan(P(row).fields()...); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// caseKey names one case: by its id, or by the id of one of its
// assignments, which spares an action on an assignment a statement of its
// own to look its case up before locking it.
type caseKey struct {
	id         int64
	assignment bool
}

func byCase(id int64) caseKey       { return caseKey{id: id} }
func byAssignment(id int64) caseKey { return caseKey{id: id, assignment: true} }

// selectVisibleCase reads one case the scope may see, locking it when lock is set.
func selectVisibleCase(ctx context.Context, q sqlx.QueryerContext, sc scope, key caseKey, lock bool) (*Case, error) {
	id, missing := "$1", "case %d not found"
	if key.assignment {
		id, missing = "(SELECT a.case_id FROM assignments a WHERE a.id = $1)", "assignment %d not found"
	}
	query := `SELECT ` + caseColumns + ` FROM cases c JOIN users u ON u.id = c.reporter_id
		WHERE c.id = ` + id + ` AND ` + fmt.Sprintf(visibleSQL, "$2", "$3", "$4")
	if lock {
		query += ` FOR UPDATE OF c`
	}
	var row caseRow
	if err := sqlx.GetContext(ctx, q, &row, query, append([]any{key.id}, sc.args()...)...); err != nil {
		if err == sql.ErrNoRows {
			return nil, Errorf(ErrNotFound, missing, key.id)
		}
		return nil, err
	}
	return row.toCase(), nil
}

// nextRef takes the next reference number of year; the row lock of the
// counter serialises concurrent creates, so two cases never share a number.
func nextRef(ctx context.Context, tx prepared, year int) (int64, error) {
	const q = `INSERT INTO case_ref_counters (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = case_ref_counters.last + 1
		RETURNING last`
	var n int64
	err := tx.GetContext(ctx, &n, q, year)
	return n, err
}

func insertCase(ctx context.Context, tx prepared, ref string, in NewCase, reporterID int64, now time.Time) (int64, error) {
	const q = `INSERT INTO cases (ref, title, description, category, address, lat, lng, priority, status, reporter_id, created_at, updated_at, search_grams)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'submitted', $9, $10, $10, $11) RETURNING id`
	grams := CaseSearchGrams(in.Title, in.Description, ref, in.Location.Address)
	var id int64
	err := tx.GetContext(ctx, &id, q, ref, in.Title, in.Description, in.Category, in.Location.Address,
		in.Location.Lat, in.Location.Lng, in.Priority, reporterID, now, pq.StringArray(grams))
	return id, err
}

// caseChange is what a case action writes to the case row.
type caseChange struct {
	status CaseStatus
	rating *int
	round  int
}

// updateCase writes a case's change.
func updateCase(ctx context.Context, tx prepared, c *Case, ch caseChange, now time.Time) error {
	const q = `UPDATE cases SET status = $2, rating = coalesce($3, rating), round = $4,
		updated_at = $5, version = version + 1 WHERE id = $1`
	_, err := tx.ExecContext(ctx, q, c.ID, ch.status, ch.rating, ch.round, now)
	return err
}

// syncLeadWanted stores whether case c waits for a new lead (since now, if
// it did not already), writing only when that changed: the write path of
// most actions leaves it alone.
func syncLeadWanted(ctx context.Context, tx prepared, c *Case, wanted bool, now time.Time) error {
	if wanted == (c.leadWantedSince != nil) {
		return nil
	}
	var since *time.Time
	if wanted {
		since = &now
	}
	_, err := tx.ExecContext(ctx, `UPDATE cases SET lead_wanted_since = $2 WHERE id = $1`, c.ID, since)
	if err == nil {
		c.leadWantedSince = since
	}
	return err
}

// eventRecord is one event to append.
type eventRecord struct {
	caseID       int64
	assignmentID *int64
	actorID      *int64
	at           time.Time
	kind         string
	from, to     string
	visibility   Visibility
	data         any
}

func appendEvent(ctx context.Context, tx prepared, e eventRecord) (int64, error) {
	data := []byte("{}")
	if e.data != nil {
		var err error
		if data, err = json.Marshal(e.data); err != nil {
			return 0, err
		}
	}
	if e.visibility == "" {
		e.visibility = VisibilityInternal
	}
	const q = `INSERT INTO events (case_id, assignment_id, actor_id, at, kind, from_state, to_state, visibility, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`
	// JSON goes as text: with lib/pq's binary_parameters, a []byte would be
	// sent in binary form, which jsonb reads as its own binary format.
	var id int64
	err := tx.GetContext(ctx, &id, q, e.caseID, e.assignmentID, e.actorID, e.at, e.kind, e.from, e.to, e.visibility, string(data))
	return id, err
}

// eventRow is an event as stored, with its actor's name and department code.
type eventRow struct {
	ID           int64          `db:"id"`
	At           time.Time      `db:"at"`
	ActorID      sql.NullInt64  `db:"actor_id"`
	ActorName    sql.NullString `db:"actor_name"`
	Kind         string         `db:"kind"`
	AssignmentID sql.NullInt64  `db:"assignment_id"`
	Department   sql.NullString `db:"department"`
	From         string         `db:"from_state"`
	To           string         `db:"to_state"`
	Visibility   string         `db:"visibility"`
	Data         []byte         `db:"data"`
}

func (r *eventRow) toEvent() *Event {
	e := &Event{ID: r.ID, At: r.At, Kind: r.Kind, From: r.From, To: r.To,
		Visibility: Visibility(r.Visibility), Department: r.Department.String, Data: json.RawMessage(r.Data)}
	if r.ActorID.Valid {
		e.Actor = &UserRef{ID: r.ActorID.Int64, Name: r.ActorName.String}
	}
	if r.AssignmentID.Valid {
		id := r.AssignmentID.Int64
		e.AssignmentID = &id
	}
	return e
}

func selectEvents(ctx context.Context, q sqlx.QueryerContext, caseID int64) ([]*Event, error) {
	const query = `SELECT e.id, e.at, e.actor_id, u.name AS actor_name, e.kind, e.assignment_id,
			d.code AS department, e.from_state, e.to_state, e.visibility, e.data
		FROM events e
		LEFT JOIN users u ON u.id = e.actor_id
		LEFT JOIN assignments a ON a.id = e.assignment_id
		LEFT JOIN departments d ON d.id = a.department_id
		WHERE e.case_id = $1 ORDER BY e.id`
	var rows []eventRow
	if err := sqlx.SelectContext(ctx, q, &rows, query, caseID); err != nil {
		return nil, err
	}
	events := make([]*Event, 0, len(rows))
	for i := range rows {
		events = append(events, rows[i].toEvent())
	}
	return events, nil
}

// departmentID returns the id of the department with code, or ErrNotFound.
func departmentID(ctx context.Context, q sqlx.QueryerContext, code string) (int64, error) {
	if !departmentCode.MatchString(code) {
		return 0, Errorf(ErrNotFound, "no department %q", code)
	}
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `SELECT id FROM departments WHERE code = $1`, code)
	if err == sql.ErrNoRows {
		return 0, Errorf(ErrNotFound, "no department %q", code)
	}
	return id, err
}
