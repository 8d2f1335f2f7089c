package handlers

import (
	"slices"
	"strings"

	"casetrack/workflow"
)

// roleGrid is the checkboxes of a user's roles: the global roles, then each
// department's two roles. A checkbox's value is a grant as the command line
// writes it ("coordinator", "dept_head:transport").
type roleGrid struct {
	Global      []roleChoice
	Departments []departmentRoles
	Error       *fieldMessage
}

// roleChoice is one checkbox of the grid.
type roleChoice struct {
	Role    workflow.Role
	Value   string
	Checked bool
}

// departmentRoles are a department's checkboxes.
type departmentRoles struct {
	Department workflow.Department
	Choices    []roleChoice
}

// globalRoles are the roles that hold everywhere, in the order of the grid.
var globalRoles = []workflow.Role{workflow.RoleAdmin, workflow.RoleCoordinator, workflow.RoleViewer, workflow.RoleReporter}

// newRoleGrid shows the grants held, as checked boxes.
func newRoleGrid(departments []workflow.Department, held []workflow.Grant) roleGrid {
	has := func(value string) bool {
		return slices.ContainsFunc(held, func(g workflow.Grant) bool { return g.String() == value })
	}
	var grid roleGrid
	for _, role := range globalRoles {
		grid.Global = append(grid.Global, roleChoice{Role: role, Value: string(role), Checked: has(string(role))})
	}
	for _, d := range departments {
		dr := departmentRoles{Department: d}
		for _, role := range []workflow.Role{workflow.RoleDeptHead, workflow.RoleDeptOfficer} {
			value := string(role) + ":" + d.Code
			dr.Choices = append(dr.Choices, roleChoice{Role: role, Value: value, Checked: has(value)})
		}
		grid.Departments = append(grid.Departments, dr)
	}
	return grid
}

// grantsFromForm reads the checked boxes of a role grid.
func grantsFromForm(values []string) []workflow.Grant {
	grants := []workflow.Grant{}
	for _, v := range values {
		role, dept, _ := strings.Cut(v, ":")
		grants = append(grants, workflow.Grant{Role: workflow.Role(role), Department: dept})
	}
	return grants
}
