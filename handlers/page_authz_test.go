package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"casetrack/workflow"
)

// The web view's rows of the authorization matrix (authz_matrix_test.go).
// Pages are sent with the caller's session cookie and CSRF token; an
// anonymous caller is sent to the sign-in page (303). Where the API answers
// 200 or 201 a form answers 303 (back to the page); 403 and 404 are the
// same as the API's, since the Service decides both.
func init() {
	extraAccessRows = append(extraAccessRows, pageAccessRows()...)
	for route, replayer := range pageIDORReplayers() {
		idorReplayers[route] = replayer
	}
}

// pageClients keeps one signed-in page client per env and caller.
var pageClients sync.Map

// pageClientOf returns the caller's signed-in page client ("" for anonymous).
func pageClientOf(e *env, caller string) *pageClient {
	key := fmt.Sprintf("%p %s", e, caller)
	if pc, ok := pageClients.Load(key); ok {
		return pc.(*pageClient)
	}
	pc := e.newPageClient()
	if caller != "" {
		pc = e.signIn(caller)
	}
	pageClients.Store(key, pc)
	return pc
}

// pageGet is a page probe: GET path as the caller.
func pageGet(path func(m *matrix) string) func(*matrix, string) probe {
	return func(m *matrix, caller string) probe {
		pc := pageClientOf(m.env, caller)
		p := path(m)
		return probe{path: p, send: func() *response { return pc.get(p) }}
	}
}

// pagePost is a form probe: POST the form to path as the caller, with the caller's CSRF token.
func pagePost(prepare func(m *matrix) (string, url.Values)) func(*matrix, string) probe {
	return func(m *matrix, caller string) probe {
		pc := pageClientOf(m.env, caller)
		p, form := prepare(m)
		return probe{path: p, send: func() *response { return pc.post(p, form) }}
	}
}

// validForm is a form that the action accepts.
func validForm(e *env, action workflow.Action) url.Values {
	forms := map[workflow.Action]url.Values{
		workflow.ActionReject:           {"reason": {"不属于受理范围"}},
		workflow.ActionClose:            {"note": {"已结案"}},
		workflow.ActionReopen:           {"reason": {"问题复发"}},
		workflow.ActionRate:             {"score": {"4"}, "comment": {"满意"}},
		workflow.ActionDecline:          {"reason": {"不属于本部门职能"}, "reason_code": {"not_our_function"}},
		workflow.ActionProgress:         {"note": {"已现场勘查"}},
		workflow.ActionRequestExtension: {"until": {e.now().Add(30 * 24 * time.Hour).UTC().Format("2006-01-02T15:04")}, "reason": {"需协调施工单位"}},
		workflow.ActionDenyExtension:    {"reason": {"请按期完成"}},
		workflow.ActionComplete:         {"resolution": {"已整改完毕"}},
		workflow.ActionReturn:           {"reason": {"整改不到位"}},
		workflow.ActionCancel:           {"reason": {"派单有误"}},
		workflow.ActionUrge:             {"note": {"请加快办理"}},
		workflow.ActionDispatch:         {"department": {"ndrc"}, "role": {"support"}, "instructions": {"请配合"}},
	}
	if f, ok := forms[action]; ok {
		return f
	}
	return url.Values{}
}

func pageAccessRows() []accessRow {
	const (
		ok, see, no, hidden, anon = http.StatusOK, http.StatusSeeOther, http.StatusForbidden, http.StatusNotFound, http.StatusUnauthorized
	)
	signedIn := cells{see, ok, ok, ok, ok, ok, ok, ok, ok}
	onACase := cells{see, ok, ok, hidden, hidden, ok, ok, ok, ok}
	adminPage := cells{see, hidden, hidden, hidden, hidden, ok, hidden, hidden, hidden}
	adminForm := cells{see, hidden, hidden, hidden, hidden, see, hidden, hidden, hidden}
	coordinates := cells{see, no, no, hidden, hidden, see, see, no, no}
	sharedCase := func(rest string) func(*matrix) string {
		return func(m *matrix) string { return fmt.Sprintf("/cases/%d%s", m.shared.ID, rest) }
	}
	path := func(p string) func(*matrix) string { return func(*matrix) string { return p } }
	onCasePage := func(state string, action workflow.Action) func(*matrix, string) probe {
		return pagePost(func(m *matrix) (string, url.Values) {
			var c *workflow.Case
			if state == "submitted" {
				c = m.fileCase("operator", "待受理的工单")
			} else {
				c, _ = m.leadAt(state)
			}
			return fmt.Sprintf("/cases/%d/actions/%s", c.ID, action), validForm(m.env, action)
		})
	}

	rows := []accessRow{
		{route: "GET /static/*", probe: pageGet(path("/static/app.css")), want: cells{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{route: "GET /login", probe: pageGet(path("/login")), want: cells{ok, see, see, see, see, see, see, see, see}},
		{route: "POST /login", probe: func(m *matrix, caller string) probe {
			pc := m.newPageClient()
			pc.csrf = findCSRF(m.t, pc.get("/login").body)
			form := url.Values{"login": {caller}, "password": {password}}
			if caller == "" {
				form = url.Values{"login": {"operator"}, "password": {"not-the-password"}}
			}
			return probe{path: "/login", send: func() *response { return pc.post("/login", form) }}
		}, want: cells{anon, see, see, see, see, see, see, see, see}},
		{route: "POST /logout", probe: func(m *matrix, caller string) probe {
			pc := m.newPageClient() // a session of its own, so that the caller's stays valid
			if caller != "" {
				pc = m.signIn(caller)
			}
			return probe{path: "/logout", send: func() *response { return pc.post("/logout", nil) }}
		}, want: cells{see, see, see, see, see, see, see, see, see}},

		{route: "GET /", variant: "with a session", probe: pageGet(path("/")), want: signedIn},
		{route: "GET /dashboard/live", probe: pageGet(path("/dashboard/live")), want: signedIn},
		{route: "GET /cases", probe: pageGet(func(m *matrix) string { return "/cases?q=" + url.QueryEscape(m.marker) }),
			want: signedIn, rows: &cells{0, 1, 2, 1, 1, 4, 4, 4, 3},
			count: func(r *response) int { return strings.Count(string(r.body), "data-case-ref=") }},
		{route: "GET /cases/new", probe: pageGet(path("/cases/new")), want: cells{see, ok, ok, ok, ok, ok, ok, hidden, ok}},
		{route: "POST /cases", probe: pagePost(func(*matrix) (string, url.Values) { return "/cases", url.Values{"title": {"网页登记的问题"}} }),
			want: cells{see, see, see, see, see, see, see, no, see}},
		{route: "GET /cases/:id", probe: pageGet(sharedCase("")), want: onACase},
		{route: "GET /cases/:id/live", probe: pageGet(sharedCase("/live")), want: onACase},
		{route: "POST /cases/:id/actions/:action", variant: "triage", probe: onCasePage("submitted", workflow.ActionTriage),
			want: cells{see, hidden, hidden, hidden, hidden, see, see, no, no}},
		{route: "POST /cases/:id/actions/:action", variant: "reject", probe: onCasePage("submitted", workflow.ActionReject),
			want: cells{see, hidden, hidden, hidden, hidden, see, see, no, no}},
		{route: "POST /cases/:id/actions/:action", variant: "close", probe: onCasePage("resolved", workflow.ActionClose), want: coordinates},
		{route: "POST /cases/:id/actions/:action", variant: "reopen", probe: onCasePage("closed", workflow.ActionReopen), want: coordinates},
		{route: "POST /cases/:id/actions/:action", variant: "rate", probe: onCasePage("resolved", workflow.ActionRate),
			want: cells{see, no, no, hidden, hidden, no, no, no, see}},
		{route: "POST /cases/:id/assignments", probe: pagePost(func(m *matrix) (string, url.Values) {
			c, _ := m.caseWithLead("需要协办的工单")
			return fmt.Sprintf("/cases/%d/assignments", c.ID), validForm(m.env, workflow.ActionDispatch)
		}), want: coordinates},
		{route: "POST /cases/:id/comments", variant: "public", probe: pagePost(func(m *matrix) (string, url.Values) {
			return sharedCase("/comments")(m), url.Values{"body": {"请尽快处理"}, "visibility": {"public"}}
		}), want: cells{see, see, see, hidden, hidden, see, see, no, see}},
		{route: "POST /cases/:id/comments", variant: "internal", probe: pagePost(func(m *matrix) (string, url.Values) {
			return sharedCase("/comments")(m), url.Values{"body": {"内部批示"}, "visibility": {"internal"}}
		}), want: cells{see, see, see, hidden, hidden, see, see, no, no}},

		{route: "GET /departments/:code", probe: pageGet(path("/departments/transport")),
			want: cells{see, ok, ok, hidden, hidden, ok, ok, ok, hidden}},
		{route: "GET /departments/:code/live", probe: pageGet(path("/departments/transport/live")),
			want: cells{see, ok, ok, hidden, hidden, ok, ok, ok, hidden}},

		{route: "GET /admin/users", probe: pageGet(path("/admin/users")), want: adminPage},
		{route: "GET /admin/users/new", probe: pageGet(path("/admin/users/new")), want: adminPage},
		{route: "GET /admin/users/:id", probe: pageGet(func(m *matrix) string { return fmt.Sprintf("/admin/users/%d", m.ids["viewer"]) }), want: adminPage},
		{route: "GET /admin/roles", probe: pageGet(path("/admin/roles")), want: adminPage},
		{route: "GET /admin/departments", probe: pageGet(path("/admin/departments")), want: adminPage},
		{route: "POST /admin/users", probe: pagePost(func(m *matrix) (string, url.Values) {
			return "/admin/users", url.Values{"login": {fmt.Sprintf("webuser%d", m.next())}, "name": {"新用户"}, "password": {password}, "role": {"viewer"}}
		}), want: adminForm},
		{route: "POST /admin/users/:id", probe: pagePost(func(m *matrix) (string, url.Values) {
			login := fmt.Sprintf("webpatched%d", m.next())
			m.addUser(login, workflow.Grant{Role: workflow.RoleViewer})
			return fmt.Sprintf("/admin/users/%d", m.ids[login]), url.Values{"name": {"改名"}, "active": {"true"}, "role": {"viewer"}}
		}), want: adminForm},
		{route: "POST /admin/departments", probe: pagePost(func(m *matrix) (string, url.Values) {
			return "/admin/departments", url.Values{"code": {fmt.Sprintf("webdept%d", m.next())}, "name": {"区水利局"}}
		}), want: adminForm},
	}
	department := func(head, officer int) cells { return cells{see, head, officer, hidden, hidden, see, no, no, no} }
	for _, r := range []struct {
		state  string
		action workflow.Action
		want   cells
	}{
		{"pending", workflow.ActionAccept, department(see, see)},
		{"pending", workflow.ActionDecline, department(see, no)},
		{"in_progress", workflow.ActionProgress, department(see, see)},
		{"in_progress", workflow.ActionRequestExtension, department(see, see)},
		{"extension", workflow.ActionGrantExtension, coordinates},
		{"extension", workflow.ActionDenyExtension, coordinates},
		{"in_progress", workflow.ActionComplete, department(see, no)},
		{"completed", workflow.ActionConfirm, coordinates},
		{"completed", workflow.ActionReturn, coordinates},
		{"pending", workflow.ActionCancel, coordinates},
		{"pending", workflow.ActionUrge, coordinates},
	} {
		action := r.action
		rows = append(rows, accessRow{route: "POST /assignments/:id/actions/:action", variant: string(action),
			probe: pagePost(func(m *matrix) (string, url.Values) {
				_, a := m.leadAt(r.state)
				return fmt.Sprintf("/assignments/%d/actions/%s", a.ID, action), validForm(m.env, action)
			}), want: r.want})
	}
	return rows
}

// pageIDORReplayers replay the web view's id-bearing addresses on
// department A's objects as B's users (idor_test.go): all 404, and no page
// shows A's case.
func pageIDORReplayers() map[string]idorExpansion {
	get := func(format string, id func(o idorObjects) any) func(*env, idorObjects) []idorRequest {
		return func(e *env, o idorObjects) []idorRequest {
			p := fmt.Sprintf(format, id(o))
			return []idorRequest{{path: p, send: func(caller string) *response { return pageClientOf(e, caller).get(p) }}}
		}
	}
	post := func(p string, form url.Values, e *env) idorRequest {
		return idorRequest{path: p, send: func(caller string) *response { return pageClientOf(e, caller).post(p, form) }}
	}
	caseID := func(o idorObjects) any { return o.c.ID }
	return map[string]idorExpansion{
		"GET /cases/:id":      {want: http.StatusNotFound, expand: get("/cases/%d", caseID)},
		"GET /cases/:id/live": {want: http.StatusNotFound, expand: get("/cases/%d/live", caseID)},
		"POST /cases/:id/actions/:action": {want: http.StatusNotFound, expand: func(e *env, o idorObjects) []idorRequest {
			var out []idorRequest
			for _, action := range workflow.CaseActions {
				if action != workflow.ActionDispatch {
					out = append(out, post(fmt.Sprintf("/cases/%d/actions/%s", o.c.ID, action), validForm(e, action), e))
				}
			}
			return out
		}},
		"POST /cases/:id/assignments": {want: http.StatusNotFound, expand: func(e *env, o idorObjects) []idorRequest {
			return []idorRequest{post(fmt.Sprintf("/cases/%d/assignments", o.c.ID), validForm(e, workflow.ActionDispatch), e)}
		}},
		"POST /cases/:id/comments": {want: http.StatusNotFound, expand: func(e *env, o idorObjects) []idorRequest {
			var out []idorRequest
			for _, v := range []string{"public", "internal"} {
				out = append(out, post(fmt.Sprintf("/cases/%d/comments", o.c.ID), url.Values{"body": {"看看"}, "visibility": {v}}, e))
			}
			return out
		}},
		"POST /assignments/:id/actions/:action": {want: http.StatusNotFound, expand: func(e *env, o idorObjects) []idorRequest {
			var out []idorRequest
			for _, action := range workflow.AssignmentActions {
				out = append(out, post(fmt.Sprintf("/assignments/%d/actions/%s", o.a.ID, action), validForm(e, action), e))
			}
			return out
		}},
		"GET /departments/:code":      {want: http.StatusNotFound, expand: get("/departments/%s", func(idorObjects) any { return "transport" })},
		"GET /departments/:code/live": {want: http.StatusNotFound, expand: get("/departments/%s/live", func(idorObjects) any { return "transport" })},
		"GET /admin/users/:id":        {want: http.StatusNotFound, forAdmins: true, expand: get("/admin/users/%d", func(o idorObjects) any { return o.user })},
		"POST /admin/users/:id": {want: http.StatusNotFound, forAdmins: true, expand: func(e *env, o idorObjects) []idorRequest {
			return []idorRequest{post(fmt.Sprintf("/admin/users/%d", o.user), url.Values{"name": {"改名"}, "active": {"true"}}, e)}
		}},
	}
}
