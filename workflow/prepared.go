package workflow

import (
	"context"
	"database/sql"
	"sync"

	"github.com/jmoiron/sqlx"
)

// statements keeps the service's fixed statements prepared, so that
// PostgreSQL parses and plans each of them once per connection rather than
// on every execution. On the write path that is half of PostgreSQL's work:
// pgbench runs the statements of a progress request twice as fast
// prepared as unprepared (docs/PERFORMANCE.md).
//
// Only statements whose best plan does not depend on their parameters'
// values come here, because PostgreSQL may run a prepared statement with
// one generic plan for every value. Lists, search, the dashboard's figures
// and its queues are planned for the values at hand and run unprepared.
type statements struct {
	db *sqlx.DB

	mu     sync.Mutex
	byText map[string]*sqlx.Stmt
	// wanted are the texts that ran unprepared in a transaction, because a
	// transaction cannot prepare a statement for the pool; inTx prepares
	// them once the transaction has given its connection back.
	wanted map[string]bool
}

// maxStatements bounds the texts kept prepared: the service's statements
// are a few dozen, and a text beyond the bound runs unprepared.
const maxStatements = 256

func newStatements(db *sqlx.DB) *statements {
	return &statements{db: db, byText: map[string]*sqlx.Stmt{}, wanted: map[string]bool{}}
}

// prepare prepares query for the pool, or returns nil when it cannot be
// (the caller runs it unprepared, which reports any error in it).
func (s *statements) prepare(ctx context.Context, query string) *sqlx.Stmt {
	st, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if kept, ok := s.byText[query]; ok || len(s.byText) >= maxStatements {
		_ = st.Close()
		return kept
	}
	s.byText[query] = st
	return st
}

// prepareWanted prepares the texts that transactions ran unprepared.
func (s *statements) prepareWanted(ctx context.Context) {
	s.mu.Lock()
	wanted := s.wanted
	if len(wanted) == 0 {
		// Ranging over the empty map after unlocking would read it while
		// another transaction adds to it.
		s.mu.Unlock()
		return
	}
	s.wanted = map[string]bool{}
	s.mu.Unlock()
	for query := range wanted {
		s.prepare(ctx, query)
	}
}

// prepared runs statements prepared, in transaction tx or, when tx is nil,
// on the pool. It is the sqlx executor the service's fixed statements take.
type prepared struct {
	tx *sqlx.Tx
	st *statements
}

// stmt returns query's prepared statement for the transaction or the pool,
// or nil when query is to run unprepared this time.
func (p prepared) stmt(ctx context.Context, query string) *sqlx.Stmt {
	p.st.mu.Lock()
	st, ok := p.st.byText[query]
	room := len(p.st.byText) < maxStatements
	if !ok && room && p.tx != nil {
		p.st.wanted[query] = true
	}
	p.st.mu.Unlock()
	switch {
	case ok && p.tx != nil:
		return p.tx.StmtxContext(ctx, st)
	case ok:
		return st
	case room && p.tx == nil:
		return p.st.prepare(ctx, query)
	}
	return nil
}

// unprepared is the transaction or the pool itself.
func (p prepared) unprepared() sqlx.ExtContext {
	if p.tx != nil {
		return p.tx
	}
	return p.st.db
}

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.unprepared().QueryContext(ctx, query, args...)
}

func (p prepared) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryxContext(ctx, args...)
	}
	return p.unprepared().QueryxContext(ctx, query, args...)
}

func (p prepared) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowxContext(ctx, args...)
	}
	return p.unprepared().QueryRowxContext(ctx, query, args...)
}

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.unprepared().ExecContext(ctx, query, args...)
}

func (p prepared) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, p, dest, query, args...)
}

func (p prepared) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.SelectContext(ctx, p, dest, query, args...)
}
