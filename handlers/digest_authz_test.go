package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"casetrack/workflow"
)

// The digests' rows of the authorization matrix (authz_matrix_test.go):
// the preview (coordinators and administrators), the outbox
// (administrators) and the unsubscribe link (anyone holding it).
func init() {
	extraAccessRows = append(extraAccessRows, digestAccessRows()...)
	for route, replayer := range digestIDORReplayers() {
		idorReplayers[route] = replayer
	}
}

func digestAccessRows() []accessRow {
	const (
		ok, noContent, see, no, hidden, anon = http.StatusOK, http.StatusNoContent, http.StatusSeeOther, http.StatusForbidden,
			http.StatusNotFound, http.StatusUnauthorized
	)
	everyone := cells{ok, ok, ok, ok, ok, ok, ok, ok, ok}
	previews := cells{anon, no, no, no, no, ok, ok, no, no}
	previewPage := cells{see, hidden, hidden, hidden, hidden, ok, ok, hidden, hidden}
	lastWeek := func(m *matrix) string { return m.lastWeek() }
	// unsubscribeLink is the link of a fresh user's emails, so that no caller's outcome depends on another's.
	unsubscribeLink := func(m *matrix) string {
		login := fmt.Sprintf("subscriber%d", m.next())
		m.addUser(login, workflow.Grant{Role: workflow.RoleViewer})
		return strings.TrimPrefix(m.mail.UnsubscribeURL(m.ids[login]), "http://casetrack.test")
	}
	return []accessRow{
		{route: "GET /api/v1/digests/preview", probe: func(m *matrix, _ string) probe {
			return probe{path: "/api/v1/digests/preview?department=transport&week=" + lastWeek(m)}
		}, want: previews},
		{route: "GET /api/v1/outbox", probe: fixed(probe{path: "/api/v1/outbox"}),
			want: cells{anon, no, no, no, no, ok, no, no, no}},
		{route: "POST /api/v1/outbox/:id/resend", probe: func(m *matrix, _ string) probe {
			return probe{path: fmt.Sprintf("/api/v1/outbox/%d/resend", m.failedNotice().ID)}
		}, want: cells{anon, no, no, no, no, noContent, no, no, no}},

		{route: "GET /digests/preview", probe: pageGet(func(m *matrix) string {
			return "/digests/preview?department=transport&week=" + lastWeek(m)
		}), want: previewPage},
		{route: "GET /digests/preview/html", probe: pageGet(func(m *matrix) string {
			return "/digests/preview/html?week=" + lastWeek(m)
		}), want: previewPage},
		{route: "GET /admin/outbox", probe: pageGet(func(*matrix) string { return "/admin/outbox" }),
			want: cells{see, hidden, hidden, hidden, hidden, ok, hidden, hidden, hidden}},
		{route: "POST /admin/outbox/:id/resend", probe: pagePost(func(m *matrix) (string, url.Values) {
			return fmt.Sprintf("/admin/outbox/%d/resend", m.failedNotice().ID), nil
		}), want: cells{see, hidden, hidden, hidden, hidden, see, hidden, hidden, hidden}},
		{route: "GET /unsubscribe", probe: pageGet(unsubscribeLink), want: everyone},
		{route: "POST /unsubscribe", probe: pagePost(func(m *matrix) (string, url.Values) {
			return unsubscribeLink(m), oneClick
		}), want: everyone},
	}
}

// digestIDORReplayers replay the outbox's id-bearing addresses on the
// notice of a dispatch to department A, as B's users: the routes are for
// administrators, and refuse everyone else before they look the id up.
func digestIDORReplayers() map[string]idorExpansion {
	return map[string]idorExpansion{
		"POST /api/v1/outbox/:id/resend": {want: http.StatusForbidden, forAdmins: true, expand: func(e *env, _ idorObjects) []idorRequest {
			return []idorRequest{{path: fmt.Sprintf("/api/v1/outbox/%d/resend", e.failedNotice().ID)}}
		}},
		"POST /admin/outbox/:id/resend": {want: http.StatusNotFound, forAdmins: true, expand: func(e *env, _ idorObjects) []idorRequest {
			p := fmt.Sprintf("/admin/outbox/%d/resend", e.failedNotice().ID)
			return []idorRequest{{path: p, send: func(caller string) *response { return pageClientOf(e, caller).post(p, nil) }}}
		}},
	}
}
