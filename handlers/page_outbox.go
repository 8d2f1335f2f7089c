package handlers

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"casetrack/workflow/digest"

	"github.com/labstack/echo/v4"
)

// outboxListPage is the administrators' view of the outbox: every email,
// newest first, with its status, attempts and last error, and a button to
// send a failed one again.
type outboxListPage struct {
	webPage
	Status   string
	Statuses []string
	Rows     []digest.OutboxRow
	// NextURL is the next page; FirstURL the first, when this is not it.
	NextURL, FirstURL string
	// Problems explain invalid filters.
	Problems []filterProblem
	// Resent is the row that the previous request queued again (?resent=ID).
	Resent *digest.OutboxRow
}

// outboxStatuses are the statuses of the filter, in the order a row goes through them.
var outboxStatuses = []string{digest.StatusQueued, digest.StatusSending, digest.StatusSent, digest.StatusFailed}

// outboxFilterMessages explain the filters that only the outbox has.
var outboxFilterMessages = map[string]string{"status": "invalid_outbox_status", "cursor": "invalid_cursor"}

// pageOutbox lists the outbox (GET /admin/outbox?status=&cursor=), with
// the API's filters read by the same code.
func (s *Server) pageOutbox(c echo.Context) error {
	page, err := s.newWebPage(c, "admin")
	if err != nil {
		return err
	}
	digests, err := s.digests()
	if err != nil {
		return err
	}
	p := &outboxListPage{webPage: page, Statuses: outboxStatuses, Status: c.QueryParam("status")}
	q := c.QueryParams()
	if q.Get("cursor") != "" {
		p.FirstURL = outboxURL(q, "")
	}
	f, err := outboxFilterOf(c.Request().URL.RawQuery)
	var list *outboxPage
	if err == nil {
		list, err = listOutboxPage(c, digests, f)
	}
	if msgs, invalid := fieldMessages(err); invalid {
		for _, fe := range asWorkflowError(err).Fields {
			msg := msgs[fe.Field]
			if id, ours := outboxFilterMessages[fe.Field]; ours {
				msg = &fieldMessage{ID: id}
			}
			p.Problems = append(p.Problems, filterProblem{Field: fe.Field, Message: msg})
		}
		return c.Render(http.StatusUnprocessableEntity, "outbox", p)
	} else if err != nil {
		return err
	}
	p.Rows = list.Items
	if list.NextCursor != nil {
		p.NextURL = outboxURL(q, *list.NextCursor)
	}
	if p.Resent, err = resentRow(c, digests, q.Get("resent")); err != nil {
		return err
	}
	return c.Render(http.StatusOK, "outbox", p)
}

// resentRow reads the row that ?resent= names, for the notice that it was
// queued again; nil unless that row exists and has not failed (again), so
// that a made-up link cannot make the page say something untrue.
func resentRow(c echo.Context, digests *digest.Digester, resent string) (*digest.OutboxRow, error) {
	id, err := strconv.ParseInt(resent, 10, 64)
	if err != nil || id <= 0 || id == math.MaxInt64 {
		return nil, nil
	}
	rows, err := digests.ListOutbox(c.Request().Context(), digest.OutboxFilter{BeforeID: id + 1, Limit: 1})
	if err != nil || len(rows) == 0 || rows[0].ID != id || rows[0].Status == digest.StatusFailed {
		return nil, err
	}
	return &rows[0], nil
}

// pageOutboxResend queues a failed email again (POST /admin/outbox/:id/resend)
// and goes back to the list; a row that has not failed is 409.
func (s *Server) pageOutboxResend(c echo.Context) error {
	form, err := postedForm(c)
	if err != nil {
		return err
	}
	id, err := s.resendFromPath(c)
	if err != nil {
		return err
	}
	back := url.Values{"resent": {strconv.FormatInt(id, 10)}}
	if status := form.Get("status"); slices.Contains(outboxStatuses, status) {
		back.Set("status", status)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/outbox?"+back.Encode())
}

// outboxURL is the outbox list with the same filter at another cursor ("" for the first page).
func outboxURL(q url.Values, cursor string) string {
	next := url.Values{}
	for _, k := range []string{"status", "limit"} {
		if v := q.Get(k); v != "" {
			next.Set(k, v)
		}
	}
	if cursor != "" {
		next.Set("cursor", cursor)
	}
	return "/admin/outbox?" + next.Encode()
}
