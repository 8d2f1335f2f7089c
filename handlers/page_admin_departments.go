package handlers

import (
	"net/http"
	"net/url"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// adminDepartmentsPage lists the departments, with the form for a new one.
type adminDepartmentsPage struct {
	webPage
	Departments []workflow.Department
	Fields      []formField
	Error       string
}

// pageAdminDepartments lists the departments (GET /admin/departments).
func (s *Server) pageAdminDepartments(c echo.Context) error {
	return s.renderDepartments(c, http.StatusOK, url.Values{}, nil)
}

// pageAdminCreateDepartment adds a department (POST /admin/departments).
func (s *Server) pageAdminCreateDepartment(c echo.Context) error {
	form, err := postedForm(c)
	if err != nil {
		return err
	}
	d := workflow.Department{Code: form.Get("code"), Name: form.Get("name"), Email: form.Get("email")}
	if _, err := s.svc.CreateDepartment(c.Request().Context(), d); err != nil {
		errs, invalid := fieldMessages(err)
		if !invalid {
			if workflow.ErrorCodeOf(err) != workflow.ErrConflict {
				return err
			}
			errs = map[string]*fieldMessage{"code": {ID: "invalid_taken"}}
		}
		return s.renderDepartments(c, http.StatusUnprocessableEntity, form, errs)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/departments?done=create_department")
}

func (s *Server) renderDepartments(c echo.Context, status int, form url.Values, errs map[string]*fieldMessage) error {
	departments, err := s.svc.ListDepartments(c.Request().Context())
	if err != nil {
		return err
	}
	page, err := s.newWebPage(c, "admin")
	if err != nil {
		return err
	}
	p := adminDepartmentsPage{webPage: page, Departments: departments, Fields: []formField{
		{ID: "code", Name: "code", Kind: "text", Label: "field_code", Hint: "hint_code", Required: true, Max: 32, Autocomplete: "off", Value: form.Get("code"), Error: errs["code"]},
		{ID: "name", Name: "name", Kind: "text", Label: "field_department_name", Required: true, Max: 100, Value: form.Get("name"), Error: errs["name"]},
		{ID: "email", Name: "email", Kind: "email", Label: "field_digest_email", Max: 254, Value: form.Get("email"), Error: errs["email"]},
	}}
	if errs != nil {
		p.Error = "error_invalid"
	}
	return c.Render(status, "admin_departments", p)
}
