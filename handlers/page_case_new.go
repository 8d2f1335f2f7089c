package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// newCasePage is the form for filing a case.
type newCasePage struct {
	webPage
	Fields []formField
	// Error is the id of a message about the whole form.
	Error string
}

// newCaseFields lists the form's inputs; the API's field names are in
// newCaseErrorFields where they differ.
func newCaseFields(values url.Values, errs map[string]*fieldMessage) []formField {
	priorities := make([]formOption, 0, len(workflow.Priorities))
	for _, p := range workflow.Priorities {
		priorities = append(priorities, formOption{Value: string(p), Label: "priority_" + string(p)})
	}
	priority := values.Get("priority")
	if priority == "" {
		priority = string(workflow.PriorityNormal)
	}
	return []formField{
		{ID: "title", Name: "title", Kind: "text", Label: "field_title", Required: true, Max: 200, Value: values.Get("title"), Error: errs["title"]},
		{ID: "address", Name: "address", Kind: "text", Label: "field_address", Hint: "hint_address", Max: 500, Value: values.Get("address"), Error: errs["location.address"]},
		{ID: "category", Name: "category", Kind: "text", Label: "field_category", Hint: "hint_category", Max: 100, Value: values.Get("category"), Error: errs["category"]},
		{ID: "priority", Name: "priority", Kind: "select", Label: "field_priority", Options: priorities, Value: priority, Error: errs["priority"]},
		{ID: "description", Name: "description", Kind: "textarea", Label: "field_description", Max: 10000, Value: values.Get("description"), Error: errs["description"]},
	}
}

// pageNewCase is the form for filing a case (GET /cases/new).
func (s *Server) pageNewCase(c echo.Context) error {
	page, err := s.newWebPage(c, "new_case")
	if err != nil {
		return err
	}
	if !page.Menu.CreateCase {
		return workflow.Errorf(workflow.ErrNotFound, "no such page")
	}
	return c.Render(http.StatusOK, "case_new", newCasePage{webPage: page, Fields: newCaseFields(url.Values{}, nil)})
}

// pageCreateCase files the case (POST /cases) and shows it; an invalid form
// comes back with the errors beside the fields.
func (s *Server) pageCreateCase(c echo.Context) error {
	form, err := postedForm(c)
	if err != nil {
		return err
	}
	in := workflow.NewCase{Title: form.Get("title"), Description: form.Get("description"), Category: form.Get("category"),
		Location: workflow.Location{Address: form.Get("address")}, Priority: workflow.Priority(form.Get("priority"))}
	created, _, err := s.svc.CreateCase(c.Request().Context(), in, nil)
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/cases/"+strconv.FormatInt(created.ID, 10)+"?done=create")
	}
	errs, invalid := fieldMessages(err)
	if !invalid {
		return err
	}
	page, err := s.newWebPage(c, "new_case")
	if err != nil {
		return err
	}
	p := newCasePage{webPage: page, Fields: newCaseFields(form, errs), Error: "error_invalid"}
	return c.Render(http.StatusUnprocessableEntity, "case_new", p)
}
