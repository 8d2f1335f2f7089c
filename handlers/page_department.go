package handlers

import (
	"fmt"
	"net/http"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// departmentPage is a department's work queue (我的部门): what to accept,
// what is in progress, due soon, overdue and returned for rework.
type departmentPage struct {
	webPage
	Queue *workflow.DepartmentQueue
	Lists []departmentList
	Live  webLive
}

// departmentList is one list of the queue under its heading.
type departmentList struct {
	ID, Heading, Empty string // Heading and Empty are message ids
	Entries            []departmentEntry
}

// departmentEntry is one assignment of the queue with the forms of the
// actions that need no input (accept), the others being on the case page.
type departmentEntry struct {
	*workflow.QueueEntry
	Forms []actionForm
}

// pageDepartment is a department's work queue (GET /departments/:code);
// only its staff and those who see every case may open it, others get 404.
func (s *Server) pageDepartment(c echo.Context) error {
	p, err := s.newDepartmentPage(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "department", p)
}

func (s *Server) newDepartmentPage(c echo.Context) (*departmentPage, error) {
	code := c.Param("code")
	q, err := s.svc.DepartmentQueue(c.Request().Context(), code)
	if err != nil {
		return nil, err
	}
	page, err := s.newWebPage(c, "department:"+code)
	if err != nil {
		return nil, err
	}
	p := &departmentPage{webPage: page, Queue: q}
	list := func(id string, entries []*workflow.QueueEntry) departmentList {
		l := departmentList{ID: id, Heading: "queue_" + id, Empty: "queue_" + id + "_empty"}
		for _, e := range entries {
			entry := departmentEntry{QueueEntry: e}
			for _, action := range e.Assignment.AllowedActions {
				if len(actionFields[action]) == 0 {
					url := fmt.Sprintf("/assignments/%d/actions/%s", e.Assignment.ID, action)
					entry.Forms = append(entry.Forms, newActionForm(fmt.Sprintf("%s-a%d-%s", id, e.Assignment.ID, action),
						action, url, p.CSRF, e.Assignment.Version, nil, nil, nil))
				}
			}
			l.Entries = append(l.Entries, entry)
		}
		return l
	}
	p.Lists = []departmentList{
		list("to_accept", q.ToAccept),
		list("overdue", q.Overdue),
		list("due_soon", q.DueSoon),
		list("returned", q.Returned),
		list("in_progress", q.InProgress),
	}
	p.Live, err = renderLivePart(c, "department", p, "/departments/"+code+"/live")
	return p, err
}

// pageDepartmentLive is the queue's live part, polled by htmx.
func (s *Server) pageDepartmentLive(c echo.Context) error {
	p, err := s.newDepartmentPage(c)
	if err != nil {
		return err
	}
	return answerLivePoll(c, "department", p, p.Live)
}
