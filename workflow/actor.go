package workflow

import (
	"context"
	"slices"
)

// Role names a role a user holds (角色).
type Role string

// The roles of DESIGN.md.
const (
	RoleAdmin       Role = "admin"
	RoleCoordinator Role = "coordinator"
	RoleViewer      Role = "viewer"
	RoleReporter    Role = "reporter"
	RoleDeptHead    Role = "dept_head"
	RoleDeptOfficer Role = "dept_officer"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleCoordinator, RoleViewer, RoleReporter, RoleDeptHead, RoleDeptOfficer}

// InDepartment reports whether the role belongs to one department rather than the whole district.
func (r Role) InDepartment() bool { return r == RoleDeptHead || r == RoleDeptOfficer }

// Grant is one role a user holds, in a department ("" for global roles).
type Grant struct {
	Role       Role   `json:"role" db:"role"`
	Department string `json:"department" db:"department"`
	// DepartmentID is the department's row id, for visibility queries.
	DepartmentID int64 `json:"-" db:"department_id"`
}

// String writes the grant as the command line does: "dept_head:transport" or "coordinator".
func (g Grant) String() string {
	if g.Department == "" {
		return string(g.Role)
	}
	return string(g.Role) + ":" + g.Department
}

// Actor is the signed-in user on whose behalf the Service acts. Its grants are
// read from the database on every request, so a role change applies at once.
type Actor struct {
	UserID       int64
	Login        string
	Name         string
	Email        string
	Locale       string
	RolesVersion int64
	Grants       []Grant
	// grantStrings caches Grant.String for the authorizer.
	grantStrings []string
}

// NewActor returns an actor holding grants.
func NewActor(userID int64, login, name, email, locale string, rolesVersion int64, grants []Grant) *Actor {
	a := &Actor{UserID: userID, Login: login, Name: name, Email: email, Locale: locale, RolesVersion: rolesVersion, Grants: grants}
	for _, g := range grants {
		a.grantStrings = append(a.grantStrings, g.String())
	}
	return a
}

// Departments returns the codes of the departments the actor works in.
func (a *Actor) Departments() []string {
	var codes []string
	for _, g := range a.Grants {
		if g.Department != "" && !slices.Contains(codes, g.Department) {
			codes = append(codes, g.Department)
		}
	}
	return codes
}

// HasRole reports whether the actor holds role anywhere.
func (a *Actor) HasRole(role Role) bool {
	return slices.ContainsFunc(a.Grants, func(g Grant) bool { return g.Role == role })
}

type actorKey struct{}

// WithActor returns ctx carrying the actor.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, or nil for an anonymous request.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// Authorizer answers whether a user's grants allow a capability. The policy
// package implements it with casbin; the department is casbin's domain.
type Authorizer interface {
	// Allowed checks capability in domain: "*" for case-level capabilities, else a department code.
	Allowed(userID, rolesVersion int64, grants []string, domain, capability string) bool
	// AllowedAnywhere checks capability in any domain the user holds a role in.
	AllowedAnywhere(userID, rolesVersion int64, grants []string, capability string) bool
}

// Capabilities that are not actions.
const (
	CapReadAll         = "read_all"
	CapCommentInternal = "comment_internal"
	CapDigestPreview   = "digest_preview"
	CapManage          = "manage"
)

// GlobalDomain is the casbin domain of case-level capabilities.
const GlobalDomain = "*"
