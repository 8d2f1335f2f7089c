package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// adminUsersPage lists every user with their roles.
type adminUsersPage struct {
	webPage
	Users []*workflow.User
	Names map[string]string // department code → name
}

// userFormPage is the form for a new user or for changing one.
type userFormPage struct {
	webPage
	// User is nil for a new user.
	User   *workflow.User
	Fields []formField
	Active bool
	Roles  roleGrid
	Error  string
}

// pageAdminUsers lists the users (GET /admin/users).
func (s *Server) pageAdminUsers(c echo.Context) error {
	ctx := c.Request().Context()
	users, err := s.svc.ListUsers(ctx)
	if err != nil {
		return err
	}
	names, err := s.departmentNames(c)
	if err != nil {
		return err
	}
	page, err := s.newWebPage(c, "admin")
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin_users", adminUsersPage{webPage: page, Users: users, Names: names})
}

// pageAdminNewUser is the form for a new user (GET /admin/users/new).
func (s *Server) pageAdminNewUser(c echo.Context) error {
	return s.renderUserForm(c, http.StatusOK, nil, url.Values{}, nil)
}

// pageAdminCreateUser creates a user (POST /admin/users).
func (s *Server) pageAdminCreateUser(c echo.Context) error {
	form, err := postedForm(c)
	if err != nil {
		return err
	}
	in := workflow.NewUser{Login: form.Get("login"), Name: form.Get("name"), Email: form.Get("email"),
		Password: form.Get("password"), Locale: form.Get("locale"), Roles: grantsFromForm(form["role"])}
	u, err := s.svc.CreateUser(c.Request().Context(), in)
	if err != nil {
		return s.userFormFailed(c, nil, form, err)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?done=create_user")
}

// pageAdminUser is the form for changing a user (GET /admin/users/:id).
func (s *Server) pageAdminUser(c echo.Context) error {
	u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	return s.renderUserForm(c, http.StatusOK, u, url.Values{}, nil)
}

// pageAdminUpdateUser changes a user (POST /admin/users/:id): a role change
// or a deactivation applies on the user's next request.
func (s *Server) pageAdminUpdateUser(c echo.Context) error {
	u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	form, err := postedForm(c)
	if err != nil {
		return err
	}
	name, email, locale := form.Get("name"), form.Get("email"), form.Get("locale")
	active := form.Get("active") == "true"
	roles := grantsFromForm(form["role"])
	patch := workflow.UserPatch{Name: &name, Email: &email, Active: &active, Roles: &roles}
	if locale != "" {
		patch.Locale = &locale
	}
	if _, err := s.svc.UpdateUser(c.Request().Context(), u.ID, patch); err != nil {
		return s.userFormFailed(c, u, form, err)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?done=update_user")
}

// adminUser finds the user of the path parameter id.
func (s *Server) adminUser(c echo.Context) (*workflow.User, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	users, err := s.svc.ListUsers(c.Request().Context())
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.ID == id {
			return u, nil
		}
	}
	return nil, workflow.Errorf(workflow.ErrNotFound, "user %d not found", id)
}

// userFormFailed shows the form again with the reasons; a taken login is
// a field error too.
func (s *Server) userFormFailed(c echo.Context, u *workflow.User, form url.Values, err error) error {
	errs, invalid := fieldMessages(err)
	if !invalid {
		if workflow.ErrorCodeOf(err) != workflow.ErrConflict || u != nil {
			return err
		}
		errs = map[string]*fieldMessage{"login": {ID: "invalid_taken"}}
	}
	return s.renderUserForm(c, http.StatusUnprocessableEntity, u, form, errs)
}

// renderUserForm shows the user form: for a new user when u is nil, with
// the values posted when the form failed.
func (s *Server) renderUserForm(c echo.Context, status int, u *workflow.User, form url.Values, errs map[string]*fieldMessage) error {
	departments, err := s.svc.ListDepartments(c.Request().Context())
	if err != nil {
		return err
	}
	page, err := s.newWebPage(c, "admin")
	if err != nil {
		return err
	}
	p := userFormPage{webPage: page, User: u, Active: true}
	value := func(name, current string) string {
		if v, posted := form[name]; posted {
			return v[0]
		}
		return current
	}
	held := grantsFromForm(form["role"])
	var name, email, locale string
	if u != nil {
		name, email, locale, p.Active = u.Name, u.Email, u.Locale, u.Active
		if len(form) == 0 {
			held = u.Roles
		}
	}
	if len(form) > 0 {
		p.Active = form.Get("active") == "true"
		p.Error = "error_invalid"
	}
	locales := []formOption{}
	for _, l := range workflow.Locales {
		locales = append(locales, formOption{Value: l, Label: "locale_" + l})
	}
	if u == nil {
		p.Fields = append(p.Fields,
			formField{ID: "login", Name: "login", Kind: "text", Label: "field_login", Required: true, Max: 64, Autocomplete: "off", Value: value("login", ""), Error: errs["login"]},
			formField{ID: "password", Name: "password", Kind: "password", Label: "field_password", Hint: "hint_password", Required: true, Max: 72, Autocomplete: "new-password", Error: errs["password"]})
	}
	p.Fields = append(p.Fields,
		formField{ID: "name", Name: "name", Kind: "text", Label: "field_name", Required: true, Max: 100, Value: value("name", name), Error: errs["name"]},
		formField{ID: "email", Name: "email", Kind: "email", Label: "field_email", Max: 254, Value: value("email", email), Error: errs["email"]},
		formField{ID: "locale", Name: "locale", Kind: "select", Label: "field_locale", Options: locales, Value: value("locale", locale), Error: errs["locale"]})
	p.Roles = newRoleGrid(departments, held)
	p.Roles.Error = errs["roles"]
	return c.Render(status, "admin_user", p)
}

// departmentNames maps department codes to names.
func (s *Server) departmentNames(c echo.Context) (map[string]string, error) {
	departments, err := s.svc.ListDepartments(c.Request().Context())
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(departments))
	for _, d := range departments {
		names[d.Code] = d.Name
	}
	return names, nil
}
