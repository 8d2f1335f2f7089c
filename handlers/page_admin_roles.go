package handlers

import (
	"net/http"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// adminRolesPage explains each role and lists who holds it.
type adminRolesPage struct {
	webPage
	Roles []roleHolders
}

// roleHolders is a role with the users holding it (and where).
type roleHolders struct {
	Role    workflow.Role
	Holders []roleHolder
}

// roleHolder is a user holding a role, in a department for department roles.
type roleHolder struct {
	User       *workflow.User
	Department string // name
}

// pageAdminRoles lists the roles and their holders (GET /admin/roles); roles
// are changed on each user's page.
func (s *Server) pageAdminRoles(c echo.Context) error {
	users, err := s.svc.ListUsers(c.Request().Context())
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
	p := adminRolesPage{webPage: page}
	for _, role := range workflow.Roles {
		r := roleHolders{Role: role}
		for _, u := range users {
			for _, g := range u.Roles {
				if g.Role == role {
					r.Holders = append(r.Holders, roleHolder{User: u, Department: names[g.Department]})
				}
			}
		}
		p.Roles = append(p.Roles, r)
	}
	return c.Render(http.StatusOK, "admin_roles", p)
}
