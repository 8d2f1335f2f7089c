package handlers

import (
	"time"

	"casetrack/workflow"
)

// caseRow is a case in a list: its departments (the lead first) and the
// nearest due date of its open work.
type caseRow struct {
	*workflow.Case
	Departments []string
	NextDue     *time.Time
}

// newCaseRows prepares cases for partials/case_rows.html.
func newCaseRows(cases []*workflow.Case) []caseRow {
	rows := make([]caseRow, 0, len(cases))
	for _, k := range cases {
		row := caseRow{Case: k}
		for _, a := range k.Assignments {
			if a.Round != k.Round || a.Status == workflow.AssignmentDeclined || a.Status == workflow.AssignmentCancelled {
				continue
			}
			if a.Role == workflow.RoleLead {
				row.Departments = append([]string{a.DepartmentName}, row.Departments...)
			} else {
				row.Departments = append(row.Departments, a.DepartmentName)
			}
			if a.Status == workflow.AssignmentPending || a.Status == workflow.AssignmentInProgress {
				if row.NextDue == nil || a.DueAt.Before(*row.NextDue) {
					due := a.DueAt
					row.NextDue = &due
				}
			}
		}
		rows = append(rows, row)
	}
	return rows
}
