package handlers

import (
	"errors"
	"net/http"
	"strings"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// isPagePath reports whether an error on path is answered with an HTML
// page rather than problem+json: everything but the API and the
// operations endpoints.
func isPagePath(path string) bool {
	if strings.HasPrefix(path, "/api/") || path == "/api" {
		return false
	}
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return false
	}
	return true
}

// errorPage is the data of the error page.
type errorPage struct {
	webPage
	Status int
	// Message is the id of the message that explains the error.
	Message string
}

// renderErrorPage answers a failed web request with an HTML page: the
// handleError branch for isPagePath. A page the user may not see, or may
// not use, answers 404, as in the API; a form refused answers with its own
// status. It reports false when there is no web view to render with.
func (s *Server) renderErrorPage(c echo.Context, err error, status int) bool {
	if _, ok := c.Echo().Renderer.(*webRenderer); !ok {
		return false
	}
	if c.Get(webLangKey) == nil {
		// The route had no web middleware (an unknown address): still show
		// the signed-in user's menu, in their language.
		s.webSignInFromCookie(c)
		c.Set(webLangKey, chooseLanguage(c, actor(c), s.secureCookies()))
	}
	if status == http.StatusForbidden && c.Request().Method == http.MethodGet {
		status = http.StatusNotFound
	}
	p := errorPage{Status: status, Message: errorMessage(err, status)}
	p.webPage, _ = s.newWebPage(c, "")
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return true
	}
	if renderErr := c.Render(status, "error", p); renderErr != nil {
		s.log.Error("rendering the error page failed", "err", renderErr)
		_ = c.String(status, http.StatusText(status))
	}
	return true
}

// errorMessage picks the message id that explains an error to a person.
func errorMessage(err error, status int) string {
	if errors.Is(err, errCSRF) {
		return "error_csrf"
	}
	switch status {
	case http.StatusNotFound:
		return "error_not_found"
	case http.StatusForbidden:
		return "error_forbidden"
	case http.StatusConflict, http.StatusPreconditionFailed:
		return "error_conflict"
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		return "error_invalid"
	case http.StatusRequestEntityTooLarge:
		return "error_too_large"
	case http.StatusTooManyRequests:
		return "error_too_many"
	case http.StatusServiceUnavailable:
		return "error_unavailable"
	}
	if workflow.ErrorCodeOf(err) == workflow.ErrUnauthenticated {
		return "error_signed_out"
	}
	return "error_internal"
}
