package handlers

import (
	"net/http"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// listDepartments answers every department; any signed-in user may list them.
func (s *Server) listDepartments(c echo.Context) error {
	depts, err := s.svc.ListDepartments(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, itemsOf(depts))
}

// createDepartment adds a department (administrators).
func (s *Server) createDepartment(c echo.Context) error {
	var in workflow.Department
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	d, err := s.svc.CreateDepartment(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, d)
}

// listUsers answers every user with their roles (administrators).
func (s *Server) listUsers(c echo.Context) error {
	users, err := s.svc.ListUsers(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, itemsOf(users))
}

// createUser adds a user (administrators).
func (s *Server) createUser(c echo.Context) error {
	var in workflow.NewUser
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	u, err := s.svc.CreateUser(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, u)
}

// updateUser changes a user's roles, name, email, locale or whether they
// may sign in (administrators); it applies to their next request.
func (s *Server) updateUser(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var patch workflow.UserPatch
	if err := bindJSON(c, &patch); err != nil {
		return err
	}
	u, err := s.svc.UpdateUser(c.Request().Context(), id, patch)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, u)
}
