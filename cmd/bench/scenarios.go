package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// people are the bench users, signed in.
type people struct {
	departments []string          // codes, by id
	tokens      map[string]string // login → bearer token
}

func (p *people) coordinator() string              { return p.tokens[coordinatorLogin] }
func (p *people) officer(department string) string { return p.tokens[officerLogin(department)] }

// signIn signs every bench user in through the API.
func signIn(ctx context.Context, c *client, departments []string) (*people, error) {
	p := &people{departments: departments, tokens: map[string]string{}}
	logins := []string{coordinatorLogin}
	for _, d := range departments {
		logins = append(logins, officerLogin(d))
	}
	var mu sync.Mutex
	err := parallel(ctx, 4, len(logins), func(i int) error {
		var res struct {
			Token string `json:"token"`
		}
		if err := c.api(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"login": logins[i], "password": benchPassword}, &res, http.StatusOK); err != nil {
			return err
		}
		mu.Lock()
		p.tokens[logins[i]] = res.Token
		mu.Unlock()
		return nil
	})
	return p, err
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// webSignIn signs a user in through the sign-in form, as a browser does:
// the form's CSRF token and its cookie, then the session cookie. It
// returns the Cookie header of the session.
func webSignIn(ctx context.Context, c *client, base, login string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/login", nil)
	res, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("GET /login: %d, no csrf field in the form", res.StatusCode)
	}
	form := url.Values{"login": {login}, "password": {benchPassword}, "csrf": {string(m[1])}}
	req, _ = http.NewRequestWithContext(ctx, "POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range res.Cookies() {
		req.AddCookie(ck)
	}
	res, err = c.http.Do(req)
	if err != nil {
		return "", err
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == "casetrack_session" && ck.Value != "" {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", fmt.Errorf("POST /login as %s: %d without a session cookie: %s", login, res.StatusCode, firstLine(string(body)))
}

// getPage fetches a web page with a session cookie.
func (c *client) getPage(ctx context.Context, path, cookie string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base()+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Cookie", cookie)
	return c.send(req, nil, http.StatusOK)
}

// waitForFigures asks for the dashboard until it shows its figures.
func waitForFigures(ctx context.Context, c *client, cookie string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", c.base()+"/", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Cookie", cookie)
		res, err := c.http.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case err != nil:
			return err
		case res.StatusCode != http.StatusOK:
			return fmt.Errorf("GET /: %d", res.StatusCode)
		case bytes.Contains(body, []byte(`id="figures-taken"`)):
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("GET /: no figures after 5 minutes")
		}
		time.Sleep(time.Second)
	}
}

// progressTarget is an in-progress assignment that progress is posted on.
type progressTarget struct {
	AssignmentID int64  `db:"assignment_id"`
	CaseID       int64  `db:"case_id"`
	DepartmentID int64  `db:"department_id"`
	Department   string `db:"department"`
}

// chooseProgressTargets picks n random in-progress assignments of the bench
// departments into bench_progress_targets (numbered 1..n, for pgbench) and returns them.
func chooseProgressTargets(ctx context.Context, db *sqlx.DB, departments []string, n int) ([]progressTarget, error) {
	stmts := []string{`DROP TABLE IF EXISTS bench_progress_targets`,
		fmt.Sprintf(`CREATE TABLE bench_progress_targets AS
			SELECT row_number() OVER () AS n, a.id AS assignment_id, a.case_id, a.department_id, d.code AS department
			FROM (SELECT id, case_id, department_id FROM assignments WHERE status = 'in_progress' ORDER BY random() LIMIT %d) a
			JOIN departments d ON d.id = a.department_id
			WHERE d.code = ANY(%s)`, n, pq.QuoteLiteral(string(mustArray(departments)))),
		`ALTER TABLE bench_progress_targets ADD PRIMARY KEY (n)`,
		`ANALYZE bench_progress_targets`}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return nil, err
		}
	}
	var targets []progressTarget
	err := db.SelectContext(ctx, &targets, `SELECT assignment_id, case_id, department_id, department FROM bench_progress_targets ORDER BY n`)
	if err == nil && len(targets) == 0 {
		err = fmt.Errorf("no in-progress assignment to post progress on")
	}
	return targets, err
}

func mustArray(s []string) []byte {
	v, _ := pq.StringArray(s).Value()
	return []byte(v.(string))
}

// progressRun posts progress notes on random targets, each note unique,
// and remembers which requests succeeded, to check the events after.
type progressRun struct {
	c       *client
	targets []progressTarget
	people  *people
	tag     string // starts every note of this run

	mu       sync.Mutex
	outcomes map[string]bool // note → request succeeded
}

func newProgressRun(c *client, targets []progressTarget, p *people, tag string) *progressRun {
	return &progressRun{c: c, targets: targets, people: p, tag: tag, outcomes: map[string]bool{}}
}

func (r *progressRun) op(ctx context.Context, w *worker) error {
	t := r.targets[w.rng.IntN(len(r.targets))]
	note := fmt.Sprintf("%s w%d #%d", r.tag, w.id, w.seq)
	err := r.c.api(ctx, "POST", fmt.Sprintf("/api/v1/assignments/%d/actions/progress", t.AssignmentID),
		r.people.officer(t.Department), map[string]string{"note": note}, nil, http.StatusOK)
	r.mu.Lock()
	r.outcomes[note] = err == nil
	r.mu.Unlock()
	return err
}

// eventCheck compares the progress events written with the requests sent.
type eventCheck struct {
	Requests, Succeeded int
	Events              int // progress events carrying one of the run's notes
	Lost                int // a request succeeded, no event
	Doubled             int // a note with more than one event
	Unconfirmed         int // an event for a request that did not succeed (e.g. timed out after commit)
}

// add counts another run's check in.
func (e *eventCheck) add(o eventCheck) {
	e.Requests += o.Requests
	e.Succeeded += o.Succeeded
	e.Events += o.Events
	e.Lost += o.Lost
	e.Doubled += o.Doubled
	e.Unconfirmed += o.Unconfirmed
}

func (e eventCheck) ok() bool { return e.Lost == 0 && e.Doubled == 0 && e.Unconfirmed == 0 }

// lastEventID is where a run's events start.
func lastEventID(ctx context.Context, db *sqlx.DB) (int64, error) {
	var id int64
	err := db.GetContext(ctx, &id, `SELECT coalesce(max(id), 0) FROM events`)
	return id, err
}

// check counts the run's events after event fromID.
func (r *progressRun) check(ctx context.Context, db *sqlx.DB, fromID int64) (eventCheck, error) {
	var rows []struct {
		Note string `db:"note"`
		N    int    `db:"n"`
	}
	err := db.SelectContext(ctx, &rows, `SELECT data->>'note' AS note, count(*) AS n FROM events
		WHERE id > $1 AND kind = 'progress' AND starts_with(data->>'note', $2) GROUP BY 1`, fromID, r.tag+" ")
	if err != nil {
		return eventCheck{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ec := eventCheck{Requests: len(r.outcomes)}
	written := map[string]bool{}
	for _, row := range rows {
		ec.Events += row.N
		written[row.Note] = true
		if row.N > 1 {
			ec.Doubled++
		}
		if !r.outcomes[row.Note] {
			ec.Unconfirmed++
		}
	}
	for note, ok := range r.outcomes {
		if ok {
			ec.Succeeded++
			if !written[note] {
				ec.Lost++
			}
		}
	}
	return ec, nil
}

// dispatchTarget is an in-progress case and a department that has no
// assignment on it yet.
type dispatchTarget struct {
	CaseID     int64
	Department string
}

// chooseDispatchTargets picks n random in-progress cases, each with a
// department not yet on it, split into one queue per client so that no two
// clients dispatch the same case.
func chooseDispatchTargets(ctx context.Context, db *sqlx.DB, departments []string, n, clients int) ([][]dispatchTarget, error) {
	var rows []struct {
		CaseID int64          `db:"case_id"`
		On     pq.StringArray `db:"departments"`
	}
	err := db.SelectContext(ctx, &rows, `SELECT c.id AS case_id, array_agg(d.code) AS departments
		FROM (SELECT id FROM cases WHERE status = 'in_progress' ORDER BY random() LIMIT $1) c
		JOIN assignments a ON a.case_id = c.id JOIN departments d ON d.id = a.department_id
		GROUP BY c.id`, n)
	if err != nil {
		return nil, err
	}
	queues := make([][]dispatchTarget, clients)
	for i, row := range rows {
		on := map[string]bool{}
		for _, d := range row.On {
			on[d] = true
		}
		for k := range departments {
			d := departments[(i+k*7)%len(departments)]
			if !on[d] {
				queues[i%clients] = append(queues[i%clients], dispatchTarget{row.CaseID, d})
				break
			}
		}
	}
	return queues, nil
}

// dispatchAcceptOp dispatches a case to a department as the coordinator,
// then accepts the new assignment as the department's officer.
func dispatchAcceptOp(c *client, queues [][]dispatchTarget, p *people) operation {
	return func(ctx context.Context, w *worker) error {
		q := queues[w.id]
		if w.seq > len(q) {
			return fmt.Errorf("client %d ran out of cases to dispatch", w.id)
		}
		t := q[w.seq-1]
		var a struct {
			ID int64 `json:"id"`
		}
		body := map[string]string{"department": t.Department, "role": "support", "instructions": "压测：请协助处理"}
		if err := c.api(ctx, "POST", fmt.Sprintf("/api/v1/cases/%d/assignments", t.CaseID), p.coordinator(), body, &a, http.StatusCreated); err != nil {
			return err
		}
		return c.api(ctx, "POST", fmt.Sprintf("/api/v1/assignments/%d/actions/accept", a.ID), p.officer(t.Department), map[string]string{}, nil, http.StatusOK)
	}
}

// listQuery is one of the measured case lists; %s is a department code.
type listQuery struct {
	Name  string
	Query string
}

// The measured lists: the filtered list of a department's overdue work, and a Chinese search.
var (
	filteredList = listQuery{"filtered list", "status=in_progress&department=%s&overdue=true"}
	searchList   = listQuery{"search 围栏", "q=" + url.QueryEscape("围栏")}
)

// listOp asks for the first page of a list, for a random department: as
// that department's officer, or as the coordinator.
func listOp(c *client, p *people, lq listQuery, asCoordinator bool) operation {
	return func(ctx context.Context, w *worker) error {
		d := p.departments[w.rng.IntN(len(p.departments))]
		token := p.officer(d)
		if asCoordinator {
			token = p.coordinator()
		}
		query := lq.Query
		if strings.Contains(query, "%s") {
			query = fmt.Sprintf(query, url.QueryEscape(d))
		}
		return c.api(ctx, "GET", "/api/v1/cases?"+query, token, nil, nil, http.StatusOK)
	}
}

// pageOp fetches a web page with a session cookie.
func pageOp(c *client, path, cookie string) operation {
	return func(ctx context.Context, _ *worker) error { return c.getPage(ctx, path, cookie) }
}
