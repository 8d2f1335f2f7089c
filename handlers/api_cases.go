package handlers

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// casePath is the address of a case in the API.
func casePath(id int64) string { return "/api/v1/cases/" + strconv.FormatInt(id, 10) }

// createCase files a case (201). With an Idempotency-Key, a repeat of the
// same request answers the first response again and creates nothing.
func (s *Server) createCase(c echo.Context) error {
	var in workflow.NewCase
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	idem, err := idempotency(c)
	if err != nil {
		return err
	}
	created, _, err := s.svc.CreateCase(c.Request().Context(), in, idem)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, casePath(created.ID))
	return writeVersioned(c, http.StatusCreated, created.Version, created)
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// idempotency reads the Idempotency-Key header and pairs it with a hash of
// the raw body that bindJSON kept; nil when the header is absent.
func idempotency(c echo.Context) (*workflow.Idempotency, error) {
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if len(key) > maxIdempotencyKey || strings.ContainsFunc(key, func(r rune) bool { return r < '!' || r > '~' }) {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "Idempotency-Key must be 1 to 255 visible ASCII characters")
	}
	body, _ := c.Get(rawBodyKey).([]byte)
	sum := sha256.Sum256(body)
	return &workflow.Idempotency{Key: key, RequestHash: sum[:]}, nil
}

// getCase answers one case with its ETag.
func (s *Server) getCase(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	found, err := s.svc.GetCase(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeVersioned(c, http.StatusOK, found.Version, found)
}

// listCases answers one page of the visible cases, newest first. Any
// parameter it cannot use is a 400, naming the parameter.
func (s *Server) listCases(c echo.Context) error {
	f, err := caseFilterOf(c.Request().URL.RawQuery)
	if err != nil {
		return err
	}
	page, err := s.svc.ListCases(c.Request().Context(), f)
	if workflow.ErrorCodeOf(err) == workflow.ErrInvalid {
		return badRequest("invalid query parameters", err)
	}
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, page)
}

// caseFilterOf reads the query of GET /cases; empty parameters count as absent.
func caseFilterOf(rawQuery string) (workflow.CaseFilter, error) {
	var f workflow.CaseFilter
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return f, echo.NewHTTPError(http.StatusBadRequest, "the query string is malformed")
	}
	var fields []workflow.FieldError
	for name, values := range q {
		for _, v := range values {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				fields = append(fields, workflow.FieldError{Field: name, Message: "contains invalid characters"})
			}
		}
	}
	for _, v := range q["status"] {
		for st := range strings.SplitSeq(v, ",") {
			if st = strings.TrimSpace(st); st != "" {
				f.Statuses = append(f.Statuses, workflow.CaseStatus(st))
			}
		}
	}
	switch q.Get("overdue") {
	case "":
	case "true", "false":
		overdue := q.Get("overdue") == "true"
		f.Overdue = &overdue
	default:
		fields = append(fields, workflow.FieldError{Field: "overdue", Message: "must be true or false"})
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > workflow.MaxLimit {
			fields = append(fields, workflow.FieldError{Field: "limit", Message: "must be a whole number from 1 to " + strconv.Itoa(workflow.MaxLimit)})
		}
		f.Limit = n
	}
	f.Department, f.Query, f.Cursor = q.Get("department"), q.Get("q"), q.Get("cursor")
	if len(fields) > 0 {
		return f, badRequest("invalid query parameters", &workflow.Error{Code: workflow.ErrInvalid, Fields: fields})
	}
	return f, nil
}

// caseCommands binds the body of each case action of POST /cases/{id}/actions/{action}.
var caseCommands = map[workflow.Action]func(echo.Context) (workflow.CaseCommand, error){
	workflow.ActionTriage: bindCaseCommand[workflow.Triage],
	workflow.ActionReject: bindCaseCommand[workflow.Reject],
	workflow.ActionClose:  bindCaseCommand[workflow.Close],
	workflow.ActionReopen: bindCaseCommand[workflow.Reopen],
	workflow.ActionRate:   bindCaseCommand[workflow.Rate],
}

// bindCaseCommand binds the body into a case command of type T (a value, as
// the Service expects).
func bindCaseCommand[T workflow.CaseCommand](c echo.Context) (workflow.CaseCommand, error) {
	var cmd T
	err := bindJSON(c, &cmd)
	return cmd, err
}

// commandOf finds the binder of the path's action; an action the route does
// not know is 404, like any other unknown address.
func commandOf[I any](c echo.Context, binders map[workflow.Action]func(echo.Context) (I, error)) (I, error) {
	bind, ok := binders[workflow.Action(c.Param("action"))]
	if !ok {
		var none I
		return none, echo.NewHTTPError(http.StatusNotFound, "no such action: "+c.Param("action"))
	}
	return bind(c)
}

// actOnCase applies one case action and answers the updated case.
func (s *Server) actOnCase(c echo.Context) error {
	id, version, err := mutationTarget(c)
	if err != nil {
		return err
	}
	if workflow.Action(c.Param("action")) == workflow.ActionDispatch {
		return echo.NewHTTPError(http.StatusNotFound, "dispatch with POST "+casePath(id)+"/assignments")
	}
	cmd, err := commandOf(c, caseCommands)
	if err != nil {
		return err
	}
	updated, err := s.svc.ActOnCase(c.Request().Context(), id, cmd, version)
	if err != nil {
		return err
	}
	return writeVersioned(c, http.StatusOK, updated.Version, updated)
}

// dispatch sends part of a case to a department and answers the new
// assignment (201); If-Match is checked against the case's version.
func (s *Server) dispatch(c echo.Context) error {
	id, version, err := mutationTarget(c)
	if err != nil {
		return err
	}
	var in workflow.Dispatch
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	a, err := s.svc.DispatchAssignment(c.Request().Context(), id, in, version)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, assignmentPath(a.ID))
	return writeVersioned(c, http.StatusCreated, a.Version, a)
}

// addComment appends a comment to a case and answers its event (201);
// If-Match, when sent, is checked against the case's version.
func (s *Server) addComment(c echo.Context) error {
	id, version, err := mutationTarget(c)
	if err != nil {
		return err
	}
	var in workflow.NewComment
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	event, err := s.svc.AddComment(c.Request().Context(), id, in, version)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, event)
}

// listEvents answers a case's history, oldest first.
func (s *Server) listEvents(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	events, err := s.svc.Events(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, itemsOf(events))
}
