package handlers

import (
	"net/http"
	"net/url"

	"casetrack/workflow"
	"casetrack/workflow/digest"

	"github.com/labstack/echo/v4"
)

// digestPreview is the answer of GET /digests/preview: the email as it would be sent now.
type digestPreview struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// digestQuery is what a preview is asked for: an ISO week, a department
// ("" for the coordinators' overview) and a language (zh, zh-CN or en).
type digestQuery struct {
	Week       digest.Week
	Department string
	Lang       string
}

// previewDigest renders a week's digest of a department, or the overview
// (coordinators and administrators; the Digester checks). A malformed week,
// an unknown language or department is 400, naming the parameter in errors.
func (s *Server) previewDigest(c echo.Context) error {
	q, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the query string is malformed")
	}
	digests, err := s.digests()
	if err != nil {
		return err
	}
	week, err := digest.ParseWeek(q.Get("week"))
	if err != nil {
		return badRequest("invalid query parameters", err)
	}
	preview, err := previewOf(c, digests, digestQuery{Week: week, Department: q.Get("department"), Lang: q.Get("lang")})
	if workflow.ErrorCodeOf(err) == workflow.ErrInvalid {
		return badRequest("invalid query parameters", err)
	}
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, preview)
}

// previewOf asks the Digester for a preview, as the signed-in user.
func previewOf(c echo.Context, digests *digest.Digester, q digestQuery) (*digestPreview, error) {
	subject, text, html, err := digests.Preview(c.Request().Context(), q.Week, q.Department, q.Lang)
	if err != nil {
		return nil, err
	}
	return &digestPreview{Subject: subject, Text: text, HTML: html}, nil
}

// digests returns the server's Digester; without one there are no digests to show.
func (s *Server) digests() (*digest.Digester, error) {
	if s.cfg.Digests == nil {
		return nil, workflow.Errorf(workflow.ErrNotFound, "digests are not configured on this server")
	}
	return s.cfg.Digests, nil
}
