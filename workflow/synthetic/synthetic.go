// Package synthetic fills a database with realistic cases for benchmarks:
// every case and assignment state, with the events that led there, spread
// over past weeks. It writes with COPY, so a million cases take under a minute.
package synthetic

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"

	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Options says how much to generate.
type Options struct {
	Cases int
	// Departments is how many departments share the work; missing ones are created.
	Departments int
	RefPrefix   string
	Location    *time.Location
	Now         time.Time
	// Seed makes the data reproducible.
	Seed uint64
	// RebuildIndexes drops the tables' secondary indexes and foreign keys and
	// builds them once at the end, which is several times faster from about
	// a hundred thousand cases on, but locks the tables until the seed commits.
	RebuildIndexes bool
}

// RebuildIndexesFrom is the seed size from which rebuilding indexes pays.
const RebuildIndexesFrom = 100_000

// Result counts what was written.
type Result struct {
	Cases, Assignments, Events int
	Elapsed                    time.Duration
}

// Rows are planned and copied a chunk of cases at a time, to bound memory.
const chunkSize = 50_000

// Seed adds opt.Cases cases in one transaction.
func Seed(ctx context.Context, db *sqlx.DB, opt Options) (Result, error) {
	start := time.Now()
	if opt.Cases <= 0 {
		return Result{}, fmt.Errorf("--cases must be positive")
	}
	if opt.Departments <= 0 {
		opt.Departments = 4
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return Result{}, err
	}
	g := &generator{rng: rand.New(rand.NewPCG(opt.Seed, 2026)), opt: opt}
	if g.depts, err = ensureDepartments(ctx, tx, opt.Departments); err != nil {
		return Result{}, err
	}
	if g.reporter, g.coordinator, g.staff, err = ensureUsers(ctx, tx); err != nil {
		return Result{}, err
	}
	var res Result
	write := func() error {
		for done := 0; done < opt.Cases; done += chunkSize {
			g.plan(min(chunkSize, opt.Cases-done))
			if err := g.reserve(ctx, tx); err != nil {
				return err
			}
			res.Cases, res.Assignments, res.Events = res.Cases+len(g.cases), res.Assignments+len(g.assignments), res.Events+len(g.events)
			if err := g.copy(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	}
	if opt.RebuildIndexes {
		err = withoutSecondaryIndexes(ctx, tx, write)
	} else {
		err = write()
	}
	if err != nil {
		return Result{}, err
	}
	if err := tx.Commit(); err != nil {
		return Result{}, err
	}
	_, err = db.ExecContext(ctx, `ANALYZE cases; ANALYZE assignments; ANALYZE events`)
	res.Elapsed = time.Since(start)
	return res, err
}

// ensureDepartments returns the ids of n departments, creating syn-NNN ones as needed.
func ensureDepartments(ctx context.Context, tx *sqlx.Tx, n int) ([]int64, error) {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM departments ORDER BY id LIMIT $1`, n); err != nil {
		return nil, err
	}
	for i := len(ids); i < n; i++ {
		var id int64
		err := tx.GetContext(ctx, &id, `INSERT INTO departments (code, name, email) VALUES ($1, $2, $3)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id`,
			fmt.Sprintf("syn-%03d", i+1), fmt.Sprintf("合成部门%03d", i+1), fmt.Sprintf("syn-%03d@example.gov.cn", i+1))
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// ensureUsers returns the synthetic reporter, coordinator and department staff
// member the events name as actors; none of them can sign in.
func ensureUsers(ctx context.Context, tx *sqlx.Tx) (reporter, coordinator, staff int64, err error) {
	ids := make([]int64, 3)
	for i, login := range []string{"synthetic.reporter", "synthetic.coordinator", "synthetic.staff"} {
		err = tx.GetContext(ctx, &ids[i], `INSERT INTO users (login, name, password_hash) VALUES ($1, $2, '!')
			ON CONFLICT (login) DO UPDATE SET name = excluded.name RETURNING id`, login, "合成用户 "+login)
		if err != nil {
			return 0, 0, 0, err
		}
	}
	return ids[0], ids[1], ids[2], nil
}

// reserve takes ids and reference numbers for everything planned.
func (g *generator) reserve(ctx context.Context, tx *sqlx.Tx) error {
	var caseIDs, assignmentIDs pq.Int64Array
	if err := tx.GetContext(ctx, &caseIDs, `SELECT array_agg(nextval('cases_id_seq')) FROM generate_series(1, $1)`, len(g.cases)); err != nil {
		return err
	}
	if len(g.assignments) > 0 {
		if err := tx.GetContext(ctx, &assignmentIDs, `SELECT array_agg(nextval('assignments_id_seq')) FROM generate_series(1, $1)`, len(g.assignments)); err != nil {
			return err
		}
	}
	perYear := map[int]int64{}
	for _, c := range g.cases {
		perYear[c.createdAt.In(g.opt.Location).Year()]++
	}
	next := map[int]int64{}
	for year, n := range perYear {
		var last int64
		err := tx.GetContext(ctx, &last, `INSERT INTO case_ref_counters (year, last) VALUES ($1, $2)
			ON CONFLICT (year) DO UPDATE SET last = case_ref_counters.last + $2 RETURNING last`, year, n)
		if err != nil {
			return err
		}
		next[year] = last - n + 1
	}
	prefix := g.opt.RefPrefix
	if prefix == "" {
		prefix = "CT"
	}
	for i, c := range g.cases {
		c.id = caseIDs[i]
		year := c.createdAt.In(g.opt.Location).Year()
		c.ref = fmt.Sprintf("%s-%d-%06d", prefix, year, next[year])
		next[year]++
	}
	for i, a := range g.assignments {
		a.id = assignmentIDs[i]
	}
	return nil
}

// copy streams the planned rows into the three tables.
func (g *generator) copy(ctx context.Context, tx *sqlx.Tx) error {
	stmt, err := tx.PrepareContext(ctx, `COPY cases (id, ref, title, description, category, address, priority, status,
		reporter_id, rating, round, created_at, updated_at, version, search_grams) FROM STDIN`)
	if err != nil {
		return err
	}
	for _, c := range g.cases {
		if _, err := stmt.ExecContext(ctx, c.id, c.ref, c.title, c.description, c.category, c.address, c.priority,
			c.status, g.reporter, c.rating, c.round, c.createdAt, c.updatedAt, c.version,
			pq.StringArray(workflow.CaseSearchGrams(c.title, c.description, c.ref, c.address))); err != nil {
			return err
		}
	}
	if err := closeCopy(ctx, stmt); err != nil {
		return err
	}
	stmt, err = tx.PrepareContext(ctx, `COPY assignments (id, case_id, department_id, role, round, instructions, status, due_at,
		extension_until, extension_reason, extension_status, resolution, dispatched_at, accepted_at, completed_at,
		created_at, updated_at, version) FROM STDIN`)
	if err != nil {
		return err
	}
	for _, a := range g.assignments {
		if _, err := stmt.ExecContext(ctx, a.id, a.c.id, a.deptID, a.role, a.round, a.instructions, a.status, a.dueAt,
			a.extUntil, a.extReason, a.extStatus, a.resolution, a.dispatchedAt, a.acceptedAt, a.completedAt,
			a.dispatchedAt, a.updatedAt, a.version); err != nil {
			return err
		}
	}
	if err := closeCopy(ctx, stmt); err != nil {
		return err
	}
	stmt, err = tx.PrepareContext(ctx, `COPY events (case_id, assignment_id, actor_id, at, kind, from_state, to_state, visibility, data) FROM STDIN`)
	if err != nil {
		return err
	}
	for _, e := range g.events {
		var assignmentID, actorID any
		if e.a != nil {
			assignmentID = e.a.id
		}
		if e.actor != 0 {
			actorID = e.actor
		}
		if _, err := stmt.ExecContext(ctx, e.c.id, assignmentID, actorID, e.at, e.kind, e.from, e.to, e.visibility, string(e.data)); err != nil {
			return err
		}
	}
	return closeCopy(ctx, stmt)
}

func closeCopy(ctx context.Context, stmt *sql.Stmt) error {
	if _, err := stmt.ExecContext(ctx); err != nil {
		return err
	}
	return stmt.Close()
}
