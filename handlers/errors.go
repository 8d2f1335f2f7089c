package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// problem is an RFC 9457 problem details body.
type problem struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail,omitempty"`
	Errors []workflow.FieldError `json:"errors,omitempty"`
	// AllowedActions is set on every 409, even when nothing is allowed
	// (a pointer, because omitempty would drop an empty list).
	AllowedActions *[]workflow.Action `json:"allowed_actions,omitempty"`
}

// problemTypeBase prefixes the type URI of every problem.
const problemTypeBase = "https://casetrack.dev/problems/"

// statusOf maps each error code to its HTTP status, in one place.
var statusOf = map[workflow.ErrorCode]int{
	workflow.ErrInvalid:            http.StatusUnprocessableEntity,
	workflow.ErrUnauthenticated:    http.StatusUnauthorized,
	workflow.ErrNotFound:           http.StatusNotFound,
	workflow.ErrForbidden:          http.StatusForbidden,
	workflow.ErrConflict:           http.StatusConflict,
	workflow.ErrPreconditionFailed: http.StatusPreconditionFailed,
	workflow.ErrTooManyRequests:    http.StatusTooManyRequests,
	workflow.ErrUnavailable:        http.StatusServiceUnavailable,
	workflow.ErrInternal:           http.StatusInternalServerError,
}

// problemType names the kind of a problem by its status: after the error
// code that maps to it, so that a 404 or a 503 reads the same whether the
// domain or the framework answered it, else after the status text.
func problemType(status int) string {
	for code, s := range statusOf {
		if s == status {
			return problemTypeBase + strings.ReplaceAll(string(code), "_", "-")
		}
	}
	return problemTypeBase + strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "-")
}

// badRequest is a 400 for a malformed request; the fields of a validation
// error, if err is one, tell the client which parameters were wrong.
func badRequest(detail string, err error) *echo.HTTPError {
	return echo.NewHTTPError(http.StatusBadRequest, detail).SetInternal(err)
}

// problemOf turns any error into problem details. Only internal errors keep
// their detail to themselves.
func problemOf(err error) (problem, int) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		p := problem{Status: he.Code, Title: http.StatusText(he.Code)}
		if msg, ok := he.Message.(string); ok && msg != p.Title {
			p.Detail = msg
		}
		var cause *workflow.Error
		if errors.As(he.Internal, &cause) {
			p.Errors = cause.Fields
		}
		p.Type = problemType(he.Code)
		return p, he.Code
	}
	var we *workflow.Error
	if !errors.As(err, &we) {
		we = &workflow.Error{Code: workflow.ErrInternal, Message: "internal error", Err: err}
	}
	status := statusOf[we.Code]
	p := problem{
		Type:   problemType(status),
		Title:  http.StatusText(status),
		Status: status,
		Detail: we.Message,
		Errors: we.Fields,
	}
	if we.Code == workflow.ErrConflict {
		allowed := we.AllowedActions
		if allowed == nil {
			allowed = []workflow.Action{}
		}
		p.AllowedActions = &allowed
	}
	if we.Code == workflow.ErrInternal {
		p.Detail = "an unexpected error occurred"
	}
	return p, status
}

// handleError is Echo's one error handler: it logs what needs a look or an
// audit trail, sets the headers the status calls for and answers with
// problem+json.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p, status := problemOf(err)
	s.logError(c, err, status)
	setErrorHeaders(c, err, status)
	// A page request gets the web view's HTML error page, everything else the problem.
	if isPagePath(c.Request().URL.Path) && s.renderErrorPage(c, err, status) {
		return
	}
	writeProblem(c, p)
}

// logError logs server failures with their cause, and every refusal of a
// signed-in user's request (403, or 404 for what they may not see) as one
// audit line: who, what, on which object, why. Neither line holds a
// credential: the request's headers and body are never logged.
func (s *Server) logError(c echo.Context, err error, status int) {
	req := c.Request()
	if status >= 500 {
		s.log.Error("request failed", "method", req.Method, "path", req.URL.Path, "status", status,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
		return
	}
	var we *workflow.Error
	a := actor(c)
	if a == nil || !errors.As(err, &we) || (we.Code != workflow.ErrForbidden && we.Code != workflow.ErrNotFound) {
		return
	}
	action := c.Param("action")
	if action == "" {
		action = req.Method + " " + c.Path()
	}
	s.log.Warn("access denied", "actor", a.Login, "actor_id", a.UserID, "action", action,
		"object", req.URL.Path, "reason", we.Message, "status", status,
		"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
}

// setErrorHeaders tells a throttled client when to come back and an
// unauthenticated one how to authenticate.
func setErrorHeaders(c echo.Context, err error, status int) {
	var we *workflow.Error
	if errors.As(err, &we) && we.RetryAfterSeconds > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(we.RetryAfterSeconds))
	}
	if status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="casetrack"`)
	}
}

// writeProblem answers with p as application/problem+json (headers only for HEAD).
func writeProblem(c echo.Context, p problem) {
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	_ = jsonEncoder(c).Encode(p)
}
