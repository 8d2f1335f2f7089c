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
	Type           string                `json:"type"`
	Title          string                `json:"title"`
	Status         int                   `json:"status"`
	Detail         string                `json:"detail,omitempty"`
	Errors         []workflow.FieldError `json:"errors,omitempty"`
	AllowedActions []workflow.Action     `json:"allowed_actions,omitempty"`
}

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

// problemOf turns any error into problem details. Only internal errors keep
// their detail to themselves.
func problemOf(err error) (problem, int) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		p := problem{Status: he.Code, Title: http.StatusText(he.Code)}
		if msg, ok := he.Message.(string); ok && msg != p.Title {
			p.Detail = msg
		}
		p.Type = "https://casetrack.dev/problems/" + strings.ReplaceAll(strings.ToLower(p.Title), " ", "-")
		return p, he.Code
	}
	var we *workflow.Error
	if !errors.As(err, &we) {
		we = &workflow.Error{Code: workflow.ErrInternal, Message: "internal error", Err: err}
	}
	status := statusOf[we.Code]
	p := problem{
		Type:   "https://casetrack.dev/problems/" + strings.ReplaceAll(string(we.Code), "_", "-"),
		Title:  http.StatusText(status),
		Status: status,
		Detail: we.Message,
		Errors: we.Fields,
	}
	if we.Code == workflow.ErrConflict {
		p.AllowedActions = we.AllowedActions
		if p.AllowedActions == nil {
			p.AllowedActions = []workflow.Action{}
		}
	}
	if we.Code == workflow.ErrInternal {
		p.Detail = "an unexpected error occurred"
	}
	return p, status
}

// handleError is Echo's one error handler: it logs what needs a look and
// answers with problem+json.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p, status := problemOf(err)
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path,
			"status", status, "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
	}
	var we *workflow.Error
	if errors.As(err, &we) && we.RetryAfterSeconds > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(we.RetryAfterSeconds))
	}
	if status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="casetrack"`)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(status)
	_ = jsonEncoder(c).Encode(p)
}
