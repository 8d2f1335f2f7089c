package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// idorObjects are what department A's users created: a case an A officer
// filed, A's assignment on it (accepted) and an A user.
type idorObjects struct {
	c    *workflow.Case
	a    *workflow.Assignment
	user int64
}

// idorRequest is one id-bearing request to replay: an API request with the
// caller's bearer token, unless send is set (a page, with the caller's session).
type idorRequest struct {
	path string
	body any
	send func(caller string) *response
}

// idorExpansion turns an id-bearing route into requests on A's objects, and
// says what any of B's users must get.
type idorExpansion struct {
	expand func(e *env, o idorObjects) []idorRequest
	want   int
	// forAdmins marks a route only administrators may use, which A's
	// users are refused too; other GETs are checked to answer A's head.
	forAdmins bool
}

// idorReplayers lists how to replay each id-bearing route; other files add
// theirs in init (the web view's pages). A route with an id that has no
// entry fails the sweep.
var idorReplayers = map[string]idorExpansion{
	"GET /api/v1/cases/:id": {want: http.StatusNotFound, expand: func(_ *env, o idorObjects) []idorRequest {
		return []idorRequest{{path: fmt.Sprintf("/api/v1/cases/%d", o.c.ID)}}
	}},
	"GET /api/v1/cases/:id/events": {want: http.StatusNotFound, expand: func(_ *env, o idorObjects) []idorRequest {
		return []idorRequest{{path: fmt.Sprintf("/api/v1/cases/%d/events", o.c.ID)}}
	}},
	"POST /api/v1/cases/:id/actions/:action": {want: http.StatusNotFound, expand: func(e *env, o idorObjects) []idorRequest {
		var out []idorRequest
		for _, action := range workflow.CaseActions {
			if action != workflow.ActionDispatch {
				out = append(out, idorRequest{path: fmt.Sprintf("/api/v1/cases/%d/actions/%s", o.c.ID, action), body: validBody(e, action)})
			}
		}
		return out
	}},
	"POST /api/v1/cases/:id/assignments": {want: http.StatusNotFound, expand: func(e *env, o idorObjects) []idorRequest {
		return []idorRequest{{path: fmt.Sprintf("/api/v1/cases/%d/assignments", o.c.ID), body: validBody(e, workflow.ActionDispatch)}}
	}},
	"POST /api/v1/cases/:id/comments": {want: http.StatusNotFound, expand: func(_ *env, o idorObjects) []idorRequest {
		var out []idorRequest
		for _, v := range []workflow.Visibility{workflow.VisibilityPublic, workflow.VisibilityInternal} {
			out = append(out, idorRequest{path: fmt.Sprintf("/api/v1/cases/%d/comments", o.c.ID), body: map[string]string{"body": "看看", "visibility": string(v)}})
		}
		return out
	}},
	"GET /api/v1/assignments/:id": {want: http.StatusNotFound, expand: func(_ *env, o idorObjects) []idorRequest {
		return []idorRequest{{path: fmt.Sprintf("/api/v1/assignments/%d", o.a.ID)}}
	}},
	"POST /api/v1/assignments/:id/actions/:action": {want: http.StatusNotFound, expand: func(e *env, o idorObjects) []idorRequest {
		var out []idorRequest
		for _, action := range workflow.AssignmentActions {
			out = append(out, idorRequest{path: fmt.Sprintf("/api/v1/assignments/%d/actions/%s", o.a.ID, action), body: validBody(e, action)})
		}
		return out
	}},
	// Users are no department's objects: the route is for administrators,
	// and refuses everyone else before it looks the id up.
	"PATCH /api/v1/users/:id": {want: http.StatusForbidden, expand: func(_ *env, o idorObjects) []idorRequest {
		return []idorRequest{{path: fmt.Sprintf("/api/v1/users/%d", o.user), body: map[string]string{"name": "改名"}}}
	}},
}

func TestDepartmentBCannotReachAnyObjectOfDepartmentA(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.fileCase("transport.officer", "刘家嘴站护栏破损")
	a := e.dispatchTo(c.ID, "transport", workflow.RoleLead)
	e.act("transport.officer", a.ID, workflow.Accept{})
	e.comment("transport.head", c.ID, workflow.VisibilityInternal)
	objects := idorObjects{c: c, a: a, user: e.ids["transport.head"]}

	replayed := 0
	for _, route := range e.echo.Routes() {
		if route.Method == echo.RouteNotFound || !strings.Contains(route.Path, ":") {
			continue
		}
		key := route.Method + " " + route.Path
		replayer, ok := idorReplayers[key]
		if !ok {
			t.Errorf("route %s carries an id but the sweep cannot replay it: add it to idorReplayers", key)
			continue
		}
		for _, req := range replayer.expand(e, objects) {
			for _, b := range []string{"police.head", "police.officer"} {
				replayed++
				r := req.replay(e, b, route.Method)
				if r.status != replayer.want {
					t.Errorf("%s %s as %s: %d, want %d: %.200s", route.Method, req.path, b, r.status, replayer.want, r.body)
				}
				for _, leak := range []string{c.Ref, c.Title, a.Instructions} {
					if strings.Contains(string(r.body), leak) {
						t.Errorf("%s %s as %s leaks %q", route.Method, req.path, b, leak)
					}
				}
			}
			if route.Method == http.MethodGet && !replayer.forAdmins {
				if r := req.replay(e, "transport.head", route.Method); r.status != http.StatusOK {
					t.Errorf("control: %s as A's head answers %d; the sweep replays a dead address", req.path, r.status)
				}
			}
		}
	}
	t.Logf("IDOR sweep: %d requests replayed as department B", replayed)
}

// replay sends the request as caller.
func (req idorRequest) replay(e *env, caller, method string) *response {
	if req.send != nil {
		return req.send(caller)
	}
	return e.call(caller, method, req.path, req.body)
}
