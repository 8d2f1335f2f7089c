package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"casetrack/policy"
	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver
)

// Connection pool limits: enough connections for the service's own
// concurrency, few enough that several instances fit under PostgreSQL's
// default max_connections (100). Every open connection may stay idle (until
// connMaxIdleTime): a pool that closes connections as soon as more than a
// few are idle opens new ones under a steady load of more requests than
// that, each a new PostgreSQL backend whose statements are prepared again.
const (
	maxOpenConns    = 20
	maxIdleConns    = maxOpenConns
	connMaxLifetime = 30 * time.Minute
	connMaxIdleTime = 5 * time.Minute
	// connectTimeout is used when DATABASE_URL names none.
	connectTimeout = 5
	// pingTimeout bounds the first contact with the database.
	pingTimeout = 10 * time.Second
)

// errNoDatabaseURL explains what to do when DATABASE_URL is missing.
var errNoDatabaseURL = errors.New("DATABASE_URL is not set: set it (or --database-url) to a postgres:// URL, or use `make run`, which finds or starts a PostgreSQL server")

// connString returns databaseURL with a connect timeout and application
// name unless it names its own, with a statement timeout when
// statementTimeout is not zero, and with lib/pq's binary_parameters, which
// sends a statement with parameters in one round trip instead of two (the
// write path: docs/PERFORMANCE.md). In that mode a []byte parameter goes in
// binary form, which suits bytea alone: JSON and text are bound as strings,
// and the tests run in the same mode (workflowtest). The options go in the
// URL, so that every pooled connection and the LISTEN connection start with
// them.
func connString(databaseURL string, statementTimeout time.Duration) (string, error) {
	if databaseURL == "" {
		return "", errNoDatabaseURL
	}
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("DATABASE_URL must be a postgres:// URL")
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", strconv.Itoa(connectTimeout))
	}
	if q.Get("application_name") == "" {
		q.Set("application_name", "casetrack")
	}
	q.Set("binary_parameters", "yes")
	if statementTimeout > 0 {
		opt := "-c statement_timeout=" + strconv.FormatInt(statementTimeout.Milliseconds(), 10)
		q.Set("options", strings.TrimSpace(q.Get("options")+" "+opt))
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// openDB opens a connection pool to the database and checks that it answers.
func openDB(ctx context.Context, dsn string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxLifetime(connMaxLifetime)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("cannot reach the database at %s: %w", redacted(dsn), err)
	}
	return db, nil
}

// redacted names a database without its password or options.
func redacted(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "DATABASE_URL"
	}
	u.RawQuery = ""
	return u.Redacted()
}

// backend is an open, migrated database and the policy that guards it:
// what every command but migrate works on.
type backend struct {
	cfg      *Config
	dsn      string
	db       *sqlx.DB
	enforcer *policy.Enforcer
	// passwordCost is the bcrypt cost of new passwords; zero is the
	// service's default. Tests lower it, as a hash at the default cost
	// takes about a second under the race detector.
	passwordCost int
}

// openBackend opens the database of cfg with the statement timeout and
// checks that it is migrated.
func openBackend(ctx context.Context, cfg *Config) (*backend, error) {
	dsn, err := connString(cfg.DatabaseURL, cfg.StatementTimeout)
	if err != nil {
		return nil, err
	}
	enforcer, err := policy.New()
	if err != nil {
		return nil, err
	}
	db, err := openDB(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := checkMigrated(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &backend{cfg: cfg, dsn: dsn, db: db, enforcer: enforcer}, nil
}

// withBackend opens the backend of cfg, runs fn on it and closes it.
func withBackend(ctx context.Context, cfg *Config, fn func(*backend) error) error {
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(b)
}

// service returns a Service on the backend; now is its clock (nil: time.Now).
func (b *backend) service(now func() time.Time) *workflow.Service {
	return workflow.NewService(workflow.Config{DB: b.db, Authorizer: b.enforcer,
		RefPrefix: b.cfg.RefPrefix, Location: b.cfg.Location, Now: now, PasswordCost: b.passwordCost})
}

// Close releases the database.
func (b *backend) Close() { _ = b.db.Close() }

// reason says why a command failed: for a domain error its message and the
// invalid fields, and the cause of an internal or database failure, which
// is the operator's to see; the context it was wrapped in stays in front.
func reason(err error) string {
	var we *workflow.Error
	if !errors.As(err, &we) {
		return err.Error()
	}
	msg := we.Message
	if len(we.Fields) > 0 {
		fields := make([]string, len(we.Fields))
		for i, f := range we.Fields {
			fields[i] = f.Field + ": " + f.Message
		}
		msg += ": " + strings.Join(fields, "; ")
	}
	if we.Err != nil && (we.Code == workflow.ErrInternal || we.Code == workflow.ErrUnavailable) {
		msg += ": " + we.Err.Error()
	}
	if prefix, wrapped := strings.CutSuffix(err.Error(), we.Error()); wrapped {
		msg = prefix + msg
	}
	return msg
}
