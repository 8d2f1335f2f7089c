package handlers

import (
	"encoding/json"
	"fmt"
	"time"

	"casetrack/workflow"
)

// eventView is one entry of a case's timeline, ready to show.
type eventView struct {
	ID    int64
	At    time.Time
	Actor string // empty for automatic transitions
	// Label is the message id of what happened.
	Label string
	// Internal marks an internal note (批示), which reporters never see.
	Internal   bool
	Department string // the assignment's department, by name
	// The states the event moved the case or the assignment between.
	FromCase, ToCase             workflow.CaseStatus
	FromAssignment, ToAssignment workflow.AssignmentStatus
	Details                      []eventDetail
}

// eventDetail is one piece of an event's data: Label names it (a message
// id); its value is Text as written, a Time, or a Message id.
type eventDetail struct {
	Label   string
	Text    string
	Time    *time.Time
	Message string
}

// eventDetailOrder lists the data fields shown, in this order; "title" and
// "department" are shown elsewhere.
var eventDetailOrder = []string{"role", "priority", "due_at", "until", "instructions", "reason_code", "reason",
	"note", "resolution", "score", "comment", "body"}

// newEventViews prepares a case's history (as the reader may see it) for the timeline.
func newEventViews(events []*workflow.Event, departmentNames map[string]string) []eventView {
	views := make([]eventView, 0, len(events))
	for _, e := range events {
		v := eventView{ID: e.ID, At: e.At, Department: departmentNames[e.Department], Details: eventDetails(e.Data)}
		if v.Department == "" {
			v.Department = e.Department
		}
		if e.Actor != nil {
			v.Actor = e.Actor.Name
		}
		switch e.Kind {
		case string(workflow.ActionComment):
			v.Label = "comment_" + string(e.Visibility)
			v.Internal = e.Visibility == workflow.VisibilityInternal
		case workflow.EventAuto:
			v.Label = "event_auto"
		default:
			v.Label = "action_" + e.Kind
		}
		if e.AssignmentID != nil {
			v.FromAssignment, v.ToAssignment = workflow.AssignmentStatus(e.From), workflow.AssignmentStatus(e.To)
		} else {
			v.FromCase, v.ToCase = workflow.CaseStatus(e.From), workflow.CaseStatus(e.To)
		}
		views = append(views, v)
	}
	return views
}

// eventDetails reads the fields of an event's data worth showing.
func eventDetails(data json.RawMessage) []eventDetail {
	var fields map[string]any
	if len(data) == 0 || json.Unmarshal(data, &fields) != nil {
		return nil
	}
	var details []eventDetail
	for _, key := range eventDetailOrder {
		value, ok := fields[key]
		if !ok || value == nil || value == "" {
			continue
		}
		d := eventDetail{Label: "field_" + key}
		switch key {
		case "role":
			d.Message = fmt.Sprint("assignment_role_", value)
		case "priority":
			d.Message = fmt.Sprint("priority_", value)
		case "reason_code":
			d.Message = fmt.Sprint("reason_code_", value)
		case "score":
			d.Message = fmt.Sprint("score_", value)
		case "due_at", "until":
			at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(value))
			if err != nil {
				continue
			}
			d.Time = &at
		default:
			d.Text = fmt.Sprint(value)
		}
		details = append(details, d)
	}
	return details
}
