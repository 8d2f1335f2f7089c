// Package synthetic fills a database with realistic cases for benchmarks:
// every case and assignment state, with the events that led there, spread
// over past weeks. It formats the rows as COPY text itself, the cases in the
// order they were filed and the events in time order, as a database grown by
// use holds them. PostgreSQL's work, the COPY and the index builds, takes
// nearly all of the time: about two minutes of one core for a million cases.
package synthetic

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

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
const chunkSize = 10_000

// Seed adds opt.Cases cases in one transaction. The cases are filed in id
// order and the events written in time order, as a database grown by use
// holds them, so that newest-first lists and time ranges read neighbouring
// rows.
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
	if opt.RefPrefix == "" {
		opt.RefPrefix = "CT"
	}
	// The COPY text goes to lib/pq's connection directly (see copyRows),
	// within the transaction held on the same connection.
	conn, err := db.Connx(ctx)
	if err != nil {
		return Result{}, err
	}
	defer conn.Close()
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return Result{}, err
	}
	depts, err := ensureDepartments(ctx, tx, opt.Departments)
	if err != nil {
		return Result{}, err
	}
	users, err := ensureUsers(ctx, tx)
	if err != nil {
		return Result{}, err
	}
	skeletons := skeletons(rand.New(rand.NewPCG(opt.Seed, 2026)), opt.Cases, len(depts), opt.Now)
	caseIDs, asgIDs, nextRef, err := reserve(ctx, tx, skeletons, opt.Location)
	if err != nil {
		return Result{}, err
	}
	g := newGenerator(opt, depts, users, skeletons, caseIDs, asgIDs, nextRef)
	write := func() error { return stream(ctx, conn, g) }
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
	return Result{Cases: len(caseIDs), Assignments: len(asgIDs), Events: g.events, Elapsed: time.Since(start)}, err
}

const (
	copyCases = `COPY cases (id, ref, title, description, category, address, priority, status,
		reporter_id, rating, round, created_at, updated_at, version, lead_wanted_since, search_grams) FROM STDIN`
	copyAssignments = `COPY assignments (id, case_id, department_id, role, round, instructions, status, due_at,
		extension_until, extension_reason, extension_status, extension_requested_at, resolution, dispatched_at, accepted_at, completed_at,
		created_at, updated_at, version) FROM STDIN`
	copyEvents = `COPY events (case_id, assignment_id, at, actor_id, kind, from_state, to_state, visibility, data) FROM STDIN`
)

// stream copies the generator's chunks while it plans the next one: the
// planning takes about as long as the server's COPY of a chunk.
func stream(ctx context.Context, conn *sqlx.Conn, g *generator) error {
	ctx, cancel := context.WithCancel(ctx)
	chunks := make(chan chunk, 1)
	go func() {
		defer close(chunks)
		for lo := 0; lo < len(g.skeletons); lo += chunkSize {
			select {
			case chunks <- g.chunk(lo, min(lo+chunkSize, len(g.skeletons))):
			case <-ctx.Done():
				return
			}
		}
	}()
	// On an error the generator stops at its next chunk; g is not read
	// before it has.
	defer func() {
		cancel()
		for range chunks {
		}
	}()
	for c := range chunks {
		for _, t := range []struct {
			query  string
			blocks [][]byte
		}{{copyCases, c.cases}, {copyAssignments, c.assignments}, {copyEvents, c.events}} {
			if err := copyRows(ctx, conn, t.query, t.blocks); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyStream is what lib/pq's COPY statement offers beyond driver.Stmt:
// CopyData sends COPY text as it is, and Exec(nil) ends the COPY and
// reports its errors.
type copyStream interface {
	CopyData(ctx context.Context, line string) (driver.Result, error)
	Exec(args []driver.Value) (driver.Result, error)
	Close() error
}

// copyRows runs a COPY FROM STDIN of the blocks of COPY text on the
// connection that holds the transaction. database/sql converts the
// arguments of each row one by one, which took more time than producing them.
func copyRows(ctx context.Context, conn *sqlx.Conn, query string, blocks [][]byte) error {
	if len(blocks) == 0 {
		return nil
	}
	return conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("the driver's connection %T cannot prepare a COPY", dc)
		}
		st, err := prep.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		s, ok := st.(copyStream)
		if !ok {
			st.Close()
			return fmt.Errorf("the driver's COPY statement %T takes no COPY text", st)
		}
		for _, b := range blocks {
			if _, err := s.CopyData(ctx, string(b)); err != nil {
				s.Close()
				return err
			}
		}
		_, err = s.Exec(nil)
		if closeErr := s.Close(); err == nil {
			err = closeErr
		}
		return err
	})
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

// ensureUsers returns the ids of the synthetic reporter, coordinator and
// department staff member the events name as actors, by actor; none of them
// can sign in.
func ensureUsers(ctx context.Context, tx *sqlx.Tx) (ids [4]int64, err error) {
	for _, u := range []struct {
		actor actor
		login string
	}{{reporter, "synthetic.reporter"}, {coordinator, "synthetic.coordinator"}, {staff, "synthetic.staff"}} {
		err = tx.GetContext(ctx, &ids[u.actor], `INSERT INTO users (login, name, password_hash) VALUES ($1, $2, '!')
			ON CONFLICT (login) DO UPDATE SET name = excluded.name RETURNING id`, u.login, "合成用户 "+u.login)
		if err != nil {
			return ids, err
		}
	}
	return ids, nil
}

// reserve takes ids for the cases and their assignments, in order, and
// reference numbers for each year the cases were filed in; it returns the
// next number of each year.
func reserve(ctx context.Context, tx *sqlx.Tx, skeletons []skeleton, loc *time.Location) (caseIDs, asgIDs []int64, nextRef map[int]int64, err error) {
	assignments := 0
	perYear := map[int]int64{}
	for _, s := range skeletons {
		assignments += int(s.assignments)
		perYear[time.UnixMicro(s.created).In(loc).Year()]++
	}
	if caseIDs, err = nextIDs(ctx, tx, "cases_id_seq", len(skeletons)); err != nil {
		return nil, nil, nil, err
	}
	if asgIDs, err = nextIDs(ctx, tx, "assignments_id_seq", assignments); err != nil {
		return nil, nil, nil, err
	}
	nextRef = map[int]int64{}
	for year, n := range perYear {
		var last int64
		err := tx.GetContext(ctx, &last, `INSERT INTO case_ref_counters (year, last) VALUES ($1, $2)
			ON CONFLICT (year) DO UPDATE SET last = case_ref_counters.last + $2 RETURNING last`, year, n)
		if err != nil {
			return nil, nil, nil, err
		}
		nextRef[year] = last - n + 1
	}
	return caseIDs, asgIDs, nextRef, nil
}

// nextIDs takes n values of a sequence, in ascending order.
func nextIDs(ctx context.Context, tx *sqlx.Tx, sequence string, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	var ids pq.Int64Array
	if err := tx.GetContext(ctx, &ids, `SELECT array_agg(nextval($1)) FROM generate_series(1, $2)`, sequence, n); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}
