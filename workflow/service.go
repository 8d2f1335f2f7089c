// Package workflow is casetrack's domain: cases, assignments, their two state
// machines and the Service that applies every use case in one transaction.
package workflow

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/crypto/bcrypt"
)

// Service applies casetrack's use cases. Each mutating method is one
// transaction: lock, authorize, transition, write (version + 1), append the
// event, commit.
type Service struct {
	db        *sqlx.DB
	st        *statements
	authz     Authorizer
	now       func() time.Time
	refPrefix string
	loc       *time.Location
	pwCost    int
	// figuresWait and figureRuns serve the dashboard's figures (dashboard_figures.go).
	figuresWait time.Duration
	figureRuns  *figureRuns
}

// Config wires a Service.
type Config struct {
	DB         *sqlx.DB
	Authorizer Authorizer
	// RefPrefix starts every case reference (CT-2026-000001).
	RefPrefix string
	// Location is the zone of due dates and of the year in case references.
	Location *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PasswordCost is the bcrypt cost of new passwords; 0 means bcrypt.DefaultCost.
	// Tests lower it: a hash at the default cost takes about a second under -race.
	PasswordCost int
	// FiguresWait is how long a dashboard request waits for figures that were
	// never computed before it shows the page without them; 0 means 2 s.
	FiguresWait time.Duration
}

// DefaultDueIn is how long a department has when a dispatch names no due date.
const DefaultDueIn = 7 * 24 * time.Hour

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	s := &Service{db: cfg.DB, st: newStatements(cfg.DB), authz: cfg.Authorizer, now: cfg.Now, refPrefix: cfg.RefPrefix, loc: cfg.Location, pwCost: cfg.PasswordCost,
		figuresWait: cfg.FiguresWait, figureRuns: newFigureRuns()}
	if s.pwCost == 0 {
		s.pwCost = bcrypt.DefaultCost
	}
	if s.figuresWait == 0 {
		s.figuresWait = 2 * time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.refPrefix == "" {
		s.refPrefix = "CT"
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	return s
}

// DB returns the service's database handle, for health checks.
func (s *Service) DB() *sqlx.DB { return s.db }

// pool runs the service's fixed statements prepared, outside transactions.
func (s *Service) pool() prepared { return prepared{st: s.st} }

// inTx runs fn in one transaction, its fixed statements prepared, and
// commits when fn succeeds.
func (s *Service) inTx(ctx context.Context, fn func(tx prepared) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return dbError(err)
	}
	// Deferred first, so run last: with the connection given back.
	defer s.st.prepareWanted(ctx)
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(prepared{tx: tx, st: s.st}); err != nil {
		return dbError(err)
	}
	return dbError(tx.Commit())
}

// dbError maps database failures to error codes in one place: no rows is
// not found, a unique violation a conflict, a lost or overloaded database
// unavailable. Errors that already carry a code pass through.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &Error{Code: ErrNotFound, Message: "not found", Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: ErrUnavailable, Message: "the database did not answer in time", Err: err}
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code.Class() {
		case "23":
			if pqErr.Code == "23505" {
				return &Error{Code: ErrConflict, Message: "conflicts with existing data", Err: err}
			}
			return &Error{Code: ErrInvalid, Message: "violates a data rule", Err: err}
		case "22":
			// data exception: input the database cannot take, such as a NUL in text.
			return &Error{Code: ErrInvalid, Message: "the input holds a value the database cannot store", Err: err}
		case "08", "53", "57", "40":
			// connection, resources, operator intervention (statement timeout,
			// shutdown), transaction rollback (serialization, deadlock).
			return &Error{Code: ErrUnavailable, Message: "the database is unavailable", Err: err}
		}
		return &Error{Code: ErrInternal, Message: "database error", Err: err}
	}
	if isConnError(err) {
		return &Error{Code: ErrUnavailable, Message: "the database is unavailable", Err: err}
	}
	return &Error{Code: ErrInternal, Message: "internal error", Err: err}
}

// isConnError reports whether err means the connection to the database failed.
func isConnError(err error) bool {
	var netErr interface{ Timeout() bool }
	return errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) || errors.As(err, &netErr) ||
		err.Error() == "sql: database is closed"
}
