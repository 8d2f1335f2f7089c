package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// callers are the columns of the authorization matrix: anonymous, the two
// department roles in department A (transport) and in department B
// (police), and the global roles.
var callers = [9]string{"", "transport.head", "transport.officer", "police.head", "police.officer", "admin", "coordinator", "viewer", "operator"}

// cells holds one value per caller, in the order of callers.
type cells [9]int

// probe is one request of the matrix: an API request sent with the
// caller's bearer token, unless send is set (a page, sent with the caller's
// session through a page client).
type probe struct {
	path    string
	body    any
	headers []string // name, value pairs; an Authorization here replaces the caller's token
	send    func() *response
}

// accessRow is one line of the matrix: a request to a route and what each
// caller gets. Probe builds a fresh request, with fresh objects where the
// request changes them, so that no caller's outcome depends on another's.
type accessRow struct {
	route   string // "METHOD /path", as Echo's route table spells it
	variant string // which request to the route, when it has several
	probe   func(m *matrix, caller string) probe
	want    cells  // the status each caller gets
	rows    *cells // for lists: how many items each caller gets
	// count reads the number of items of a list that is not the API's
	// {"items": [...]} (a page); nil means the API's.
	count func(*response) int
}

// extraAccessRows are rows that other files add in init, e.g. the web view's
// pages: the matrix fails for any route that has no row.
var extraAccessRows []accessRow

// matrix is the world the rows run in: an env, the cases that lists count,
// and a case that read-only rows share.
type matrix struct {
	*env
	marker string // in the title of every case the list rows count
	shared *workflow.Case
	lead   *workflow.Assignment
	serial int
}

// next returns a number that no earlier call returned, for unique names.
func (m *matrix) next() int { m.serial++; return m.serial }

func (m *matrix) casePath(id int64, rest string) string {
	return fmt.Sprintf("/api/v1/cases/%d%s", id, rest)
}

func (m *matrix) assignmentPath(id int64, rest string) string {
	return fmt.Sprintf("/api/v1/assignments/%d%s", id, rest)
}

// fixed is a probe that is the same for every caller.
func fixed(p probe) func(*matrix, string) probe {
	return func(*matrix, string) probe { return p }
}

// onLead is a probe of an assignment action on a fresh transport lead in state.
func onLead(state string, action workflow.Action) func(*matrix, string) probe {
	return func(m *matrix, _ string) probe {
		_, a := m.leadAt(state)
		return probe{path: m.assignmentPath(a.ID, "/actions/"+string(action)), body: validBody(m.env, action)}
	}
}

// onCase is a probe of a case action on a fresh case whose lead is in state
// ("submitted" for a case with no assignment).
func onCase(state string, action workflow.Action) func(*matrix, string) probe {
	return func(m *matrix, _ string) probe {
		var c *workflow.Case
		if state == "submitted" {
			c = m.fileCase("operator", "待受理的工单")
		} else {
			c, _ = m.leadAt(state)
		}
		return probe{path: m.casePath(c.ID, "/actions/"+string(action)), body: validBody(m.env, action)}
	}
}

// validBody is a body that the action accepts, so that only who asks decides the outcome.
func validBody(e *env, action workflow.Action) any {
	bodies := map[workflow.Action]any{
		workflow.ActionReject:           map[string]string{"reason": "不属于受理范围"},
		workflow.ActionClose:            map[string]string{"note": "已结案"},
		workflow.ActionReopen:           map[string]string{"reason": "问题复发"},
		workflow.ActionRate:             map[string]any{"score": 4, "comment": "满意"},
		workflow.ActionDecline:          map[string]string{"reason": "不属于本部门职能", "reason_code": "not_our_function"},
		workflow.ActionProgress:         map[string]string{"note": "已现场勘查"},
		workflow.ActionRequestExtension: map[string]any{"until": e.now().Add(30 * 24 * time.Hour), "reason": "需协调施工单位"},
		workflow.ActionDenyExtension:    map[string]string{"reason": "请按期完成"},
		workflow.ActionComplete:         map[string]string{"resolution": "已整改完毕"},
		workflow.ActionReturn:           map[string]string{"reason": "整改不到位"},
		workflow.ActionCancel:           map[string]string{"reason": "派单有误"},
		workflow.ActionUrge:             map[string]string{"note": "请加快办理"},
		workflow.ActionDispatch:         map[string]string{"department": "ndrc", "role": "support", "instructions": "请配合"},
	}
	return bodies[action]
}

// accessMatrix is every route of the service against every caller. Columns:
//
//	anonymous, A head, A officer, B head, B officer, admin, coordinator, viewer, reporter
//
// Rows run in this order; the list rows come before the rows that add
// departments or users.
func accessMatrix() []accessRow {
	const (
		ok, created, noContent, seeOther = http.StatusOK, http.StatusCreated, http.StatusNoContent, http.StatusSeeOther
		anon, no, hidden                 = http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound
	)
	everyone := cells{ok, ok, ok, ok, ok, ok, ok, ok, ok}
	signedIn := cells{anon, ok, ok, ok, ok, ok, ok, ok, ok}
	adminOnly := func(status int) cells { return cells{anon, no, no, no, no, status, no, no, no} }
	onACase := cells{anon, ok, ok, hidden, hidden, ok, ok, ok, ok} // a case of A's, filed by the reporter
	coordinates := cells{anon, no, no, hidden, hidden, ok, ok, no, no}
	rows := []accessRow{
		{route: "GET /healthz", probe: fixed(probe{path: "/healthz"}), want: everyone},
		{route: "GET /metrics", probe: fixed(probe{path: "/metrics"}), want: everyone},
		{route: "GET /readyz", probe: fixed(probe{path: "/readyz"}), want: everyone},
		{route: "GET /api/openapi.yaml", probe: fixed(probe{path: "/api/openapi.yaml"}), want: everyone},

		{route: "POST /api/v1/auth/login", probe: func(m *matrix, caller string) probe {
			if caller == "" {
				return probe{path: "/api/v1/auth/login", body: map[string]string{"login": "operator", "password": "not-the-password"}}
			}
			return probe{path: "/api/v1/auth/login", body: map[string]string{"login": caller, "password": password}}
		}, want: signedIn},
		{route: "POST /api/v1/auth/logout", probe: func(m *matrix, caller string) probe {
			p := probe{path: "/api/v1/auth/logout"}
			if caller != "" { // a token of its own, so that the caller's stays valid for the rows below
				p.headers = []string{"Authorization", "Bearer " + m.newToken(caller)}
			}
			return p
		}, want: cells{anon, noContent, noContent, noContent, noContent, noContent, noContent, noContent, noContent}},
		{route: "GET /api/v1/me", probe: fixed(probe{path: "/api/v1/me"}), want: signedIn},

		{route: "GET /api/v1/departments", probe: fixed(probe{path: "/api/v1/departments"}), want: signedIn,
			rows: &cells{0, 4, 4, 4, 4, 4, 4, 4, 4}},
		{route: "GET /api/v1/users", probe: fixed(probe{path: "/api/v1/users"}), want: adminOnly(ok),
			rows: &cells{0, 0, 0, 0, 0, len(fixtureUsers), 0, 0, 0}},
		{route: "GET /api/v1/cases", probe: func(m *matrix, _ string) probe {
			return probe{path: "/api/v1/cases?q=" + url.QueryEscape(m.marker)}
		}, want: signedIn, rows: &cells{0, 1, 2, 1, 1, 4, 4, 4, 3}},
		{route: "GET /api/v1/cases/:id/events", probe: func(m *matrix, _ string) probe {
			return probe{path: m.casePath(m.shared.ID, "/events")}
		}, want: onACase, rows: &cells{0, 5, 5, 0, 0, 5, 5, 5, 4}},

		{route: "POST /api/v1/departments", probe: func(m *matrix, _ string) probe {
			return probe{path: "/api/v1/departments", body: map[string]string{"code": fmt.Sprintf("dept%d", m.next()), "name": "区水利局"}}
		}, want: adminOnly(created)},
		{route: "POST /api/v1/users", probe: func(m *matrix, _ string) probe {
			return probe{path: "/api/v1/users", body: map[string]any{"login": fmt.Sprintf("user%d", m.next()), "name": "新用户",
				"password": password, "roles": []workflow.Grant{{Role: workflow.RoleViewer}}}}
		}, want: adminOnly(created)},
		{route: "PATCH /api/v1/users/:id", probe: func(m *matrix, _ string) probe {
			login := fmt.Sprintf("patched%d", m.next())
			m.addUser(login, workflow.Grant{Role: workflow.RoleViewer})
			return probe{path: fmt.Sprintf("/api/v1/users/%d", m.ids[login]), body: map[string]string{"name": "改名"}}
		}, want: adminOnly(ok)},

		{route: "POST /api/v1/cases", probe: fixed(probe{path: "/api/v1/cases", body: map[string]string{"title": "新登记的问题"}}),
			want: cells{anon, created, created, created, created, created, created, no, created}},
		{route: "GET /api/v1/cases/:id", probe: func(m *matrix, _ string) probe {
			return probe{path: m.casePath(m.shared.ID, "")}
		}, want: onACase},
		{route: "POST /api/v1/cases/:id/actions/:action", variant: "triage", probe: onCase("submitted", workflow.ActionTriage),
			want: cells{anon, hidden, hidden, hidden, hidden, ok, ok, no, no}},
		{route: "POST /api/v1/cases/:id/actions/:action", variant: "reject", probe: onCase("submitted", workflow.ActionReject),
			want: cells{anon, hidden, hidden, hidden, hidden, ok, ok, no, no}},
		{route: "POST /api/v1/cases/:id/actions/:action", variant: "close", probe: onCase("resolved", workflow.ActionClose),
			want: coordinates},
		{route: "POST /api/v1/cases/:id/actions/:action", variant: "reopen", probe: onCase("closed", workflow.ActionReopen),
			want: coordinates},
		{route: "POST /api/v1/cases/:id/actions/:action", variant: "rate", probe: onCase("resolved", workflow.ActionRate),
			want: cells{anon, no, no, hidden, hidden, no, no, no, ok}},
		{route: "POST /api/v1/cases/:id/assignments", probe: func(m *matrix, _ string) probe {
			c, _ := m.caseWithLead("需要协办的工单")
			return probe{path: m.casePath(c.ID, "/assignments"), body: validBody(m.env, workflow.ActionDispatch)}
		}, want: cells{anon, no, no, hidden, hidden, created, created, no, no}},
		{route: "POST /api/v1/cases/:id/comments", variant: "public", probe: func(m *matrix, _ string) probe {
			return probe{path: m.casePath(m.shared.ID, "/comments"), body: map[string]string{"body": "请尽快处理", "visibility": "public"}}
		}, want: cells{anon, created, created, hidden, hidden, created, created, no, created}},
		{route: "POST /api/v1/cases/:id/comments", variant: "internal", probe: func(m *matrix, _ string) probe {
			return probe{path: m.casePath(m.shared.ID, "/comments"), body: map[string]string{"body": "内部批示", "visibility": "internal"}}
		}, want: cells{anon, created, created, hidden, hidden, created, created, no, no}},

		{route: "GET /api/v1/assignments/:id", probe: func(m *matrix, _ string) probe {
			return probe{path: m.assignmentPath(m.lead.ID, "")}
		}, want: onACase},
	}
	department := func(head, officer int) cells { return cells{anon, head, officer, hidden, hidden, ok, no, no, no} }
	for _, r := range []struct {
		state  string
		action workflow.Action
		want   cells
	}{
		{"pending", workflow.ActionAccept, department(ok, ok)},
		{"pending", workflow.ActionDecline, department(ok, no)},
		{"in_progress", workflow.ActionProgress, department(ok, ok)},
		{"in_progress", workflow.ActionRequestExtension, department(ok, ok)},
		{"extension", workflow.ActionGrantExtension, coordinates},
		{"extension", workflow.ActionDenyExtension, coordinates},
		{"in_progress", workflow.ActionComplete, department(ok, no)},
		{"completed", workflow.ActionConfirm, coordinates},
		{"completed", workflow.ActionReturn, coordinates},
		{"pending", workflow.ActionCancel, coordinates},
		{"pending", workflow.ActionUrge, coordinates},
	} {
		rows = append(rows, accessRow{route: "POST /api/v1/assignments/:id/actions/:action", variant: string(r.action),
			probe: onLead(r.state, r.action), want: r.want})
	}
	// The web view signs in with its session cookie only: a bearer token opens no page.
	rows = append(rows, accessRow{route: "GET /", variant: "with a bearer token", probe: fixed(probe{path: "/"}),
		want: cells{seeOther, seeOther, seeOther, seeOther, seeOther, seeOther, seeOther, seeOther, seeOther}})
	return append(rows, extraAccessRows...)
}

// newMatrix prepares the matrix's world: the four cases the list rows
// count, and the shared case that the read rows look at.
func newMatrix(t *testing.T) *matrix {
	m := &matrix{env: newEnv(t), marker: "矩阵样本"}
	// Seen by: A's head the first, A's officer the first and the fourth (which
	// they filed), B's users the second, the reporter the first three.
	first := m.fileCase("operator", m.marker+"一")
	m.dispatchTo(first.ID, "transport", workflow.RoleLead)
	second := m.fileCase("operator", m.marker+"二")
	m.dispatchTo(second.ID, "police", workflow.RoleLead)
	m.fileCase("operator", m.marker+"三")
	m.fileCase("transport.officer", m.marker+"四")

	// Five events (create, dispatch, the automatic dispatched, two comments);
	// the reporter does not see the internal comment.
	m.shared, m.lead = m.caseWithLead("共享的工单")
	m.comment("coordinator", m.shared.ID, workflow.VisibilityInternal)
	m.comment("operator", m.shared.ID, workflow.VisibilityPublic)
	return m
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	rows := accessMatrix()
	covered := map[string]bool{}
	variants := map[string]bool{}
	for _, r := range rows {
		covered[r.route] = true
		if key := r.route + " " + r.variant; variants[key] {
			t.Errorf("two rows for %s", key)
		} else {
			variants[key] = true
		}
	}
	routes := 0
	for _, r := range m.echo.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		routes++
		key := r.Method + " " + r.Path
		if !covered[key] {
			t.Errorf("route %s has no row in the authorization matrix", key)
		}
		delete(covered, key)
	}
	for key := range covered {
		t.Errorf("the matrix has rows for %s, which is no route", key)
	}

	mismatches := 0
	for _, row := range rows {
		method, _, _ := strings.Cut(row.route, " ")
		name := strings.TrimSpace(row.route + " " + row.variant)
		for i, caller := range callers {
			r := m.run(t, method, caller, row.probe(m, caller))
			if r.status != row.want[i] {
				mismatches++
				t.Errorf("%s as %q: %d, want %d: %.200s", name, caller, r.status, row.want[i], r.body)
				continue
			}
			if row.rows != nil && r.status == http.StatusOK {
				if n := row.itemsIn(t, r); n != row.rows[i] {
					mismatches++
					t.Errorf("%s as %q: %d rows, want %d", name, caller, n, row.rows[i])
				}
			}
		}
	}
	t.Logf("authorization matrix: %d routes, %d rows × %d callers = %d cells, %d mismatches",
		routes, len(rows), len(callers), len(rows)*len(callers), mismatches)
}

// run sends one probe as caller.
func (m *matrix) run(t *testing.T, method, caller string, p probe) *response {
	t.Helper()
	if p.send != nil {
		return p.send()
	}
	return m.withT(t).send(m.request(caller, method, p.path, p.body, p.headers...))
}

// itemsIn counts the items of a list answer.
func (row accessRow) itemsIn(t *testing.T, r *response) int {
	t.Helper()
	if row.count != nil {
		return row.count(r)
	}
	var list struct{ Items []json.RawMessage }
	r.decode(t, &list)
	return len(list.Items)
}
