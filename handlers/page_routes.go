package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// pageAccess says who may use a route of the web view; it picks the route's
// middleware, and the authorization matrix reads it for the expected outcome.
type pageAccess int

const (
	// pagePublic: anyone, signed in or not.
	pagePublic pageAccess = iota
	// pageSignIn: anyone, with the sign-in form's CSRF token (POST /login).
	pageSignIn
	// pageSession: signed-in users (others are sent to /login). POSTs need
	// the session's CSRF token. Data rules decide the rest, as in the API: a
	// case the user may not see answers 404, an action they may not take 403.
	pageSession
	// pageAdmin: administrators; anyone else signed in gets 404.
	pageAdmin
)

// pageRoute is one address of the web view.
type pageRoute struct {
	method  string
	path    string
	handler echo.HandlerFunc
	access  pageAccess
}

// pageRouteTable is the web view of API.md ("Web view: stable addresses and
// hooks"): one page or action per line, each in its own page_*.go file.
func (s *Server) pageRouteTable() []pageRoute {
	return []pageRoute{
		{http.MethodGet, "/static/*", s.pageStatic, pagePublic},
		{http.MethodGet, "/login", s.pageLogin, pagePublic},
		{http.MethodPost, "/login", s.pageSignIn, pageSignIn},
		{http.MethodPost, "/logout", s.pageLogout, pageSession},

		{http.MethodGet, "/", s.pageDashboard, pageSession},
		{http.MethodGet, "/dashboard/live", s.pageDashboardLive, pageSession},

		{http.MethodGet, "/cases", s.pageCaseList, pageSession},
		{http.MethodGet, "/cases/new", s.pageNewCase, pageSession},
		{http.MethodPost, "/cases", s.pageCreateCase, pageSession},
		{http.MethodGet, "/cases/:id", s.pageCase, pageSession},
		{http.MethodGet, "/cases/:id/live", s.pageCaseLive, pageSession},
		{http.MethodPost, "/cases/:id/actions/:action", s.pageCaseAction, pageSession},
		{http.MethodPost, "/cases/:id/assignments", s.pageDispatch, pageSession},
		{http.MethodPost, "/cases/:id/comments", s.pageComment, pageSession},
		{http.MethodPost, "/assignments/:id/actions/:action", s.pageAssignmentAction, pageSession},

		{http.MethodGet, "/departments/:code", s.pageDepartment, pageSession},
		{http.MethodGet, "/departments/:code/live", s.pageDepartmentLive, pageSession},

		{http.MethodGet, "/admin/users", s.pageAdminUsers, pageAdmin},
		{http.MethodGet, "/admin/users/new", s.pageAdminNewUser, pageAdmin},
		{http.MethodPost, "/admin/users", s.pageAdminCreateUser, pageAdmin},
		{http.MethodGet, "/admin/users/:id", s.pageAdminUser, pageAdmin},
		{http.MethodPost, "/admin/users/:id", s.pageAdminUpdateUser, pageAdmin},
		{http.MethodGet, "/admin/roles", s.pageAdminRoles, pageAdmin},
		{http.MethodGet, "/admin/departments", s.pageAdminDepartments, pageAdmin},
		{http.MethodPost, "/admin/departments", s.pageAdminCreateDepartment, pageAdmin},
		{http.MethodGet, "/admin/outbox", s.pageOutbox, pageAdmin},
		{http.MethodPost, "/admin/outbox/:id/resend", s.pageOutboxResend, pageAdmin},

		{http.MethodGet, "/digests/preview", s.pageDigestPreview, pageSession},
		{http.MethodGet, "/digests/preview/html", s.pageDigestPreviewHTML, pageSession},

		// The link of every email (List-Unsubscribe). Its signed token is the
		// credential: no session, and no CSRF token for the POST (RFC 8058 one-click).
		{http.MethodGet, "/unsubscribe", s.pageUnsubscribe, pagePublic},
		{http.MethodPost, "/unsubscribe", s.pageUnsubscribeConfirm, pagePublic},
	}
}

// pageRoutes registers the web view. Its templates are all parsed here, so
// that a broken template fails the boot rather than a request.
func (s *Server) pageRoutes(e *echo.Echo) error {
	renderer, err := newWebRenderer(s.cfg.Location, time.Now)
	if err != nil {
		return err
	}
	e.Renderer = renderer
	for _, r := range s.pageRouteTable() {
		e.Add(r.method, r.path, r.handler, s.pageMiddleware(r)...)
	}
	return nil
}

// pageMiddleware is what a route's access needs, outermost first.
func (s *Server) pageMiddleware(r pageRoute) []echo.MiddlewareFunc {
	switch r.access {
	case pageSignIn:
		return []echo.MiddlewareFunc{s.webContext, webCheckSignInCSRF}
	case pageSession:
		return []echo.MiddlewareFunc{s.webContext, s.webRequireSession, webCheckCSRF}
	case pageAdmin:
		return []echo.MiddlewareFunc{s.webContext, s.webRequireSession, webCheckCSRF, s.webRequireManager}
	}
	if r.path == "/static/*" {
		return nil
	}
	return []echo.MiddlewareFunc{s.webContext}
}
