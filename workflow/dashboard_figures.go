package workflow

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The dashboard's figures are aggregates over every case of a scope: a few
// milliseconds for a district, seconds for a city of a million cases. So
// each scope's figures are kept in dashboard_figures, shared by every
// instance, and served until they are older than reuseFactor times what
// they took to compute: a district's figures are recomputed on almost every
// request, a city's every minute or two, and the database never spends more
// than a tenth of its time on them per scope that people look at.
//
// Figures that took less than computeInRequestBelow are recomputed in the
// request that finds them due, which then shows the new ones. Slower ones
// are recomputed in the background while the request shows those kept,
// with the time they were taken. When a scope has none yet, the request
// waits for them up to Config.FiguresWait and then shows the page without
// them; its live part fills them in.
const (
	reuseFactor           = 10
	computeInRequestBelow = 100 * time.Millisecond
	// figuresTimeout bounds one computation; it runs outside requests.
	figuresTimeout = 5 * time.Minute
)

// figureScope is whose figures: every case (all), the cases on which one of
// a set of departments has or had an assignment, or those a user reported.
// The first two are kept under their key; a reporter's own cases are few
// and counted on each request.
type figureScope struct {
	all      bool
	deptIDs  []int64 // sorted
	reporter int64
}

// figureScopeOf is the scope of an actor's dashboard. A department member's
// dashboard is their departments' picture, the same for each of its
// members: it leaves out cases they reported that their departments have no
// part in, which the case list still shows them.
func figureScopeOf(sc scope) figureScope {
	switch {
	case sc.all:
		return figureScope{all: true}
	case len(sc.deptIDs) > 0:
		ids := slices.Clone([]int64(sc.deptIDs))
		slices.Sort(ids)
		return figureScope{deptIDs: ids}
	default:
		return figureScope{reporter: sc.userID}
	}
}

// key names a kept scope; it is empty for a reporter's.
func (fs figureScope) key() string {
	switch {
	case fs.all:
		return "all"
	case len(fs.deptIDs) > 0:
		ids := make([]string, len(fs.deptIDs))
		for i, id := range fs.deptIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		return "departments:" + strings.Join(ids, ",")
	default:
		return ""
	}
}

// sql returns the CTE listing the scope's case ids and its parameter ($5),
// or nothing for every case.
func (fs figureScope) sql() (cte string, arg any) {
	switch {
	case fs.all:
		return "", nil
	case len(fs.deptIDs) > 0:
		return `SELECT DISTINCT case_id AS id FROM assignments WHERE department_id = ANY($5::bigint[])`, pq.Int64Array(fs.deptIDs)
	default:
		return `SELECT id FROM cases WHERE reporter_id = $5`, fs.reporter
	}
}

// figureRuns are the computations under way in this instance, one per
// scope; slots lets one run at a time, so that many departments' figures
// falling due together do not take every connection.
type figureRuns struct {
	mu      sync.Mutex
	running map[string]*figureRun
	slots   chan struct{}
}

// figureRun is one computation; done is closed when figures or err is set.
type figureRun struct {
	done    chan struct{}
	figures *DashboardFigures
	err     error
}

func newFigureRuns() *figureRuns {
	return &figureRuns{running: map[string]*figureRun{}, slots: make(chan struct{}, 1)}
}

// dashboardFigures returns the figures of fs as described above; nil while
// a scope's first figures are not ready.
func (s *Service) dashboardFigures(ctx context.Context, fs figureScope) (*DashboardFigures, error) {
	key := fs.key()
	if key == "" {
		f, err := computeFigures(ctx, s.db, fs, s.now())
		return f, dbError(err)
	}
	kept, err := keptFigures(ctx, s.db, key)
	if err != nil {
		return nil, dbError(err)
	}
	if kept != nil && !figuresDue(kept, s.now()) {
		return kept, nil
	}
	run := s.startFigures(fs, key, s.now())
	wait := s.figuresWait
	if kept != nil {
		if kept.Took >= computeInRequestBelow {
			return kept, nil
		}
		wait = figuresTimeout
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-run.done:
		if run.err != nil {
			return nil, dbError(run.err)
		}
		return run.figures, nil
	case <-timer.C:
		return kept, nil
	case <-ctx.Done():
		return nil, dbError(ctx.Err())
	}
}

// figuresDue reports whether kept figures are old enough at now to compute again.
func figuresDue(f *DashboardFigures, now time.Time) bool {
	return now.Sub(f.TakenAt) >= reuseFactor*f.Took
}

// keptFigures reads the figures kept for a scope; nil when there are none.
func keptFigures(ctx context.Context, q sqlx.QueryerContext, key string) (*DashboardFigures, error) {
	var raw []byte
	err := sqlx.GetContext(ctx, q, &raw, `SELECT figures FROM dashboard_figures WHERE scope = $1`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f := &DashboardFigures{}
	if err := json.Unmarshal(raw, f); err != nil {
		return nil, fmt.Errorf("dashboard figures of %s: %w", key, err)
	}
	return f, nil
}

// startFigures starts computing a scope's figures as of now, or joins the
// run under way.
func (s *Service) startFigures(fs figureScope, key string, now time.Time) *figureRun {
	s.figureRuns.mu.Lock()
	defer s.figureRuns.mu.Unlock()
	if run, ok := s.figureRuns.running[key]; ok {
		return run
	}
	run := &figureRun{done: make(chan struct{})}
	s.figureRuns.running[key] = run
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), figuresTimeout)
		defer cancel()
		s.figureRuns.slots <- struct{}{}
		run.figures, run.err = s.refreshFigures(ctx, fs, key, now)
		<-s.figureRuns.slots
		if run.err != nil {
			slog.Error("dashboard figures", "scope", key, "err", run.err)
		}
		s.figureRuns.mu.Lock()
		delete(s.figureRuns.running, key)
		s.figureRuns.mu.Unlock()
		close(run.done)
	}()
	return run
}

// refreshFigures computes and keeps a scope's figures, one instance at a
// time: an instance that waited for another's computation takes its result
// when it is no longer due.
func (s *Service) refreshFigures(ctx context.Context, fs figureScope, key string, now time.Time) (*DashboardFigures, error) {
	var figures *DashboardFigures
	err := s.inTx(ctx, func(tx prepared) error {
		if _, err := tx.unprepared().ExecContext(ctx, fmt.Sprintf(`SET LOCAL statement_timeout = %d`, figuresTimeout.Milliseconds())); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('casetrack.dashboard_figures:' || $1, 0))`, key); err != nil {
			return err
		}
		kept, err := keptFigures(ctx, tx, key)
		if err != nil {
			return err
		}
		if kept != nil && !figuresDue(kept, now) {
			figures = kept
			return nil
		}
		if figures, err = computeFigures(ctx, tx.unprepared(), fs, now); err != nil {
			return err
		}
		raw, err := json.Marshal(figures)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO dashboard_figures (scope, taken_at, took_ms, figures) VALUES ($1, $2, $3, $4)
			ON CONFLICT (scope) DO UPDATE SET taken_at = excluded.taken_at, took_ms = excluded.took_ms, figures = excluded.figures`,
			key, figures.TakenAt, figures.Took.Milliseconds(), string(raw))
		return err
	})
	return figures, err
}
