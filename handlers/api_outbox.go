package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"casetrack/workflow"
	"casetrack/workflow/digest"

	"github.com/labstack/echo/v4"
)

// outboxPage is one page of GET /outbox, newest first.
type outboxPage struct {
	Items []digest.OutboxRow `json:"items"`
	// NextCursor continues after the last item; null when the page was not full.
	NextCursor *string `json:"next_cursor"`
}

// listOutbox answers the outbox, newest first, optionally of one status
// (administrators; the Digester checks). Parameters it cannot use are 400.
func (s *Server) listOutbox(c echo.Context) error {
	digests, err := s.digests()
	if err != nil {
		return err
	}
	f, err := outboxFilterOf(c.Request().URL.RawQuery)
	if err != nil {
		return err
	}
	page, err := listOutboxPage(c, digests, f)
	if workflow.ErrorCodeOf(err) == workflow.ErrInvalid {
		return badRequest("invalid query parameters", err)
	}
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, page)
}

// listOutboxPage reads one page of the outbox, as the signed-in user.
func listOutboxPage(c echo.Context, digests *digest.Digester, f digest.OutboxFilter) (*outboxPage, error) {
	rows, err := digests.ListOutbox(c.Request().Context(), f)
	if err != nil {
		return nil, err
	}
	page := &outboxPage{Items: rows}
	if page.Items == nil {
		page.Items = []digest.OutboxRow{}
	}
	limit := f.Limit
	if limit == 0 {
		limit = workflow.DefaultLimit
	}
	if len(rows) == limit {
		next := strconv.FormatInt(rows[len(rows)-1].ID, 10)
		page.NextCursor = &next
	}
	return page, nil
}

// outboxFilterOf reads the query of GET /outbox (status, limit, cursor);
// empty parameters count as absent. The cursor is the id of the last row
// of the previous page.
func outboxFilterOf(rawQuery string) (digest.OutboxFilter, error) {
	var f digest.OutboxFilter
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return f, echo.NewHTTPError(http.StatusBadRequest, "the query string is malformed")
	}
	var fields []workflow.FieldError
	f.Status = q.Get("status")
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > workflow.MaxLimit {
			fields = append(fields, workflow.FieldError{Field: "limit", Message: "must be a whole number from 1 to " + strconv.Itoa(workflow.MaxLimit)})
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			fields = append(fields, workflow.FieldError{Field: "cursor", Message: "is not a cursor this server gave out"})
		}
		f.BeforeID = id
	}
	if len(fields) > 0 {
		return f, badRequest("invalid query parameters", &workflow.Error{Code: workflow.ErrInvalid, Fields: fields})
	}
	return f, nil
}

// resendOutbox queues a failed email again with a fresh count of attempts
// (administrators): 204; a row that has not failed is 409.
func (s *Server) resendOutbox(c echo.Context) error {
	if _, err := s.resendFromPath(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// resendFromPath queues the failed outbox row of the path's id again, as
// the signed-in user (the Digester checks), and returns the id.
func (s *Server) resendFromPath(c echo.Context) (int64, error) {
	digests, err := s.digests()
	if err != nil {
		return 0, err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return 0, err
	}
	return id, digests.Resend(c.Request().Context(), id)
}
