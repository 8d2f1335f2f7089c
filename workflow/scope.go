package workflow

import (
	"slices"

	"github.com/lib/pq"
)

// scope is what one actor may see: every case, or the cases they reported
// plus those on which one of their departments has or had an assignment.
// It becomes a WHERE clause, so lists never hold a case the actor may not see.
type scope struct {
	all     bool
	userID  int64
	deptIDs pq.Int64Array
}

// scopeOf derives the actor's scope from their grants.
func (s *Service) scopeOf(a *Actor) scope {
	sc := scope{userID: a.UserID, deptIDs: pq.Int64Array{}}
	sc.all = s.can(a, GlobalDomain, CapReadAll)
	for _, g := range a.Grants {
		if g.DepartmentID != 0 && !slices.Contains(sc.deptIDs, g.DepartmentID) {
			sc.deptIDs = append(sc.deptIDs, g.DepartmentID)
		}
	}
	return sc
}

// visibleSQL is the visibility predicate on cases aliased c; it takes the
// scope as three parameters starting at the given position (see scope.args).
const visibleSQL = `(%[1]s::bool OR c.reporter_id = %[2]s OR EXISTS (
	SELECT 1 FROM assignments va WHERE va.case_id = c.id AND va.department_id = ANY(%[3]s::bigint[])))`

func (sc scope) args() []any { return []any{sc.all, sc.userID, sc.deptIDs} }

// redacts reports whether the actor sees case c only as its reporter, and so
// sees status, departments, due dates and public comments only.
func (sc scope) redacts(c *Case) bool {
	if sc.all {
		return false
	}
	return !slices.ContainsFunc(c.Assignments, func(a *Assignment) bool {
		return slices.Contains(sc.deptIDs, a.departmentID)
	})
}

// can asks the authorizer about the actor.
func (s *Service) can(a *Actor, domain, capability string) bool {
	return s.authz.Allowed(a.UserID, a.RolesVersion, a.grantStrings, domain, capability)
}

// canAnywhere asks the authorizer about a capability a role grants wherever it is held.
func (s *Service) canAnywhere(a *Actor, capability string) bool {
	return s.authz.AllowedAnywhere(a.UserID, a.RolesVersion, a.grantStrings, capability)
}

// requireActor returns the actor of ctx, or an ErrUnauthenticated.
func requireActor(a *Actor) error {
	if a == nil {
		return Errorf(ErrUnauthenticated, "sign in first")
	}
	return nil
}
