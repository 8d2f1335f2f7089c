package handlers

import (
	"net/http"
	"net/url"
	"slices"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// caseListPage is the list of cases with the API's filters as query
// parameters (status=a,b department=C overdue=true q=TEXT limit=N cursor=X).
type caseListPage struct {
	webPage
	Query       string
	Statuses    []statusChoice
	Department  string
	Overdue     string
	Limit       int
	Departments []workflow.Department
	Rows        []caseRow
	// NextURL is the next page; FirstURL the first, when this is not it.
	NextURL, FirstURL string
	// Problems explain invalid filters.
	Problems []filterProblem
}

// statusChoice is one status checkbox of the filter.
type statusChoice struct {
	Status  workflow.CaseStatus
	Checked bool
}

// filterProblem is an invalid filter parameter and why.
type filterProblem struct {
	Field   string
	Message *fieldMessage
}

// pageCaseList is the case list (GET /cases).
func (s *Server) pageCaseList(c echo.Context) error {
	ctx := c.Request().Context()
	page, err := s.newWebPage(c, "cases")
	if err != nil {
		return err
	}
	departments, err := s.svc.ListDepartments(ctx)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	// The same filters as GET /api/v1/cases, read by the same code.
	filter, err := caseFilterOf(c.Request().URL.RawQuery)
	var list *workflow.CasePage
	if err == nil {
		list, err = s.svc.ListCases(ctx, filter)
	}
	msgs, invalid := fieldMessages(err)
	if err != nil && !invalid {
		return err
	}
	p := &caseListPage{webPage: page, Query: filter.Query, Department: filter.Department, Overdue: q.Get("overdue"),
		Limit: filter.Limit, Departments: departments}
	for _, st := range workflow.CaseStatuses {
		p.Statuses = append(p.Statuses, statusChoice{Status: st, Checked: slices.Contains(filter.Statuses, st)})
	}
	if q.Get("cursor") != "" {
		p.FirstURL = listURL(q, "")
	}
	if invalid {
		for _, f := range asWorkflowError(err).Fields {
			p.Problems = append(p.Problems, filterProblem{Field: f.Field, Message: msgs[f.Field]})
		}
		return c.Render(http.StatusUnprocessableEntity, "case_list", p)
	}
	p.Rows = newCaseRows(list.Items)
	if list.NextCursor != nil {
		p.NextURL = listURL(q, *list.NextCursor)
	}
	return c.Render(http.StatusOK, "case_list", p)
}

// listURL is the list with the same filters at another cursor ("" for the first page).
func listURL(q url.Values, cursor string) string {
	next := url.Values{}
	for k, v := range q {
		if k != "cursor" && k != "lang" {
			next[k] = v
		}
	}
	if cursor != "" {
		next.Set("cursor", cursor)
	}
	return "/cases?" + next.Encode()
}
