package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// formField is one input of a form, as partials/form.html renders it.
type formField struct {
	ID    string // unique on the page
	Name  string // the form field's name, also the API's field name
	Kind  string // text, email, password, datetime-local, textarea, select, radio, score
	Label string // message id
	Hint  string // message id, optional
	// Required marks the field as required in the browser too; the server checks it anyway.
	Required     bool
	Max          int
	Autocomplete string
	Options      []formOption
	Value        string
	Error        *fieldMessage
}

// formOption is one choice of a select or radio field: Label is a message
// id, else Text is shown as it is (a department's name).
type formOption struct {
	Value, Label, Text string
}

// fieldMessage explains a field error: a message id with a number, or the
// domain's own words when there is no message for them.
type fieldMessage struct {
	ID  string
	N   int
	Raw string
}

// actionForm is one action the user may take now, with its inputs.
type actionForm struct {
	ID      string
	Action  workflow.Action
	URL     string
	CSRF    string
	Version int
	Fields  []formField
	// Danger marks actions that refuse or withdraw work.
	Danger bool
	// Open shows the form unfolded (after a failed attempt).
	Open bool
	// Error is the id of a message about the whole form.
	Error string
}

// fieldSpec describes an input of an action's form.
type fieldSpec struct {
	name, kind string
	required   bool
}

// actionFields lists the inputs of each action, named as in the API's bodies.
var actionFields = map[workflow.Action][]fieldSpec{
	workflow.ActionReject:           {{"reason", "textarea", true}},
	workflow.ActionClose:            {{"note", "textarea", false}},
	workflow.ActionReopen:           {{"reason", "textarea", true}},
	workflow.ActionRate:             {{"score", "score", true}, {"comment", "textarea", false}},
	workflow.ActionDispatch:         {{"department", "select", true}, {"role", "radio", true}, {"instructions", "textarea", false}, {"due_at", "datetime-local", false}},
	workflow.ActionDecline:          {{"reason_code", "select", false}, {"reason", "textarea", true}},
	workflow.ActionProgress:         {{"note", "textarea", true}},
	workflow.ActionRequestExtension: {{"until", "datetime-local", true}, {"reason", "textarea", true}},
	workflow.ActionDenyExtension:    {{"reason", "textarea", true}},
	workflow.ActionComplete:         {{"resolution", "textarea", true}},
	workflow.ActionReturn:           {{"reason", "textarea", true}},
	workflow.ActionCancel:           {{"reason", "textarea", true}},
	workflow.ActionUrge:             {{"note", "textarea", true}},
}

// dangerActions refuse, withdraw or send back work: their buttons look it.
var dangerActions = map[workflow.Action]bool{
	workflow.ActionReject: true, workflow.ActionDecline: true, workflow.ActionCancel: true,
	workflow.ActionReturn: true, workflow.ActionDenyExtension: true,
}

// newActionForm builds the form of action, posting to url. options gives
// the choices of select and radio fields by field name; values and errs
// refill a form that failed.
func newActionForm(id string, action workflow.Action, url, csrf string, version int, options map[string][]formOption, values url.Values, errs map[string]*fieldMessage) actionForm {
	f := actionForm{ID: id, Action: action, URL: url, CSRF: csrf, Version: version, Danger: dangerActions[action]}
	for _, spec := range actionFields[action] {
		field := formField{ID: id + "-" + spec.name, Name: spec.name, Kind: spec.kind, Label: "field_" + spec.name,
			Required: spec.required, Options: options[spec.name], Value: values.Get(spec.name), Error: errs[spec.name]}
		if spec.kind == "textarea" {
			field.Max = 2000
		}
		if spec.name == "due_at" {
			field.Hint = "hint_due_at"
		}
		f.Fields = append(f.Fields, field)
	}
	return f
}

// scoreOptions are the five ratings, worst first.
var scoreOptions = []formOption{{"1", "score_1", ""}, {"2", "score_2", ""}, {"3", "score_3", ""}, {"4", "score_4", ""}, {"5", "score_5", ""}}

// roleOptions are the roles of a dispatched department.
var roleOptions = []formOption{{string(workflow.RoleLead), "assignment_role_lead", ""}, {string(workflow.RoleSupport), "assignment_role_support", ""}}

// declineReasonOptions are the 12345 classes of a decline, after an empty choice.
func declineReasonOptions() []formOption {
	opts := []formOption{{"", "reason_code_none", ""}}
	for _, code := range workflow.DeclineReasonCodes {
		opts = append(opts, formOption{code, "reason_code_" + code, ""})
	}
	return opts
}

// parseFormTime reads a datetime-local value ("2026-12-01T17:30") or a date
// ("2026-12-01", meaning the end of that working day) in loc.
func parseFormTime(value string, loc *time.Location) (time.Time, error) {
	value = strings.TrimSpace(value)
	if t, err := time.ParseInLocation(webInputLayout, value, loc); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", value, loc); err == nil {
		return t, nil
	}
	if d, err := time.ParseInLocation(webDateLayout, value, loc); err == nil {
		return d.Add(18 * time.Hour), nil
	}
	return time.Time{}, fmt.Errorf("not a date and time: %q", value)
}

// invalidField is a validation error about one form field.
func invalidField(field, message string) error {
	return &workflow.Error{Code: workflow.ErrInvalid, Message: "validation failed",
		Fields: []workflow.FieldError{{Field: field, Message: message}}}
}

// postedForm returns the fields of a posted form (the CSRF check has read them already).
func postedForm(c echo.Context) (url.Values, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "malformed form")
	}
	return form, nil
}

// formVersion reads the version a form was rendered at, for If-Match; 0 when absent.
func formVersion(c echo.Context) int {
	v, _ := strconv.Atoi(c.FormValue("version"))
	return v
}

// caseCommandFromForm reads the body of a case action from a form.
func caseCommandFromForm(action workflow.Action, form url.Values) (workflow.CaseCommand, error) {
	switch action {
	case workflow.ActionTriage:
		return workflow.Triage{}, nil
	case workflow.ActionReject:
		return workflow.Reject{Reason: form.Get("reason")}, nil
	case workflow.ActionClose:
		return workflow.Close{Note: form.Get("note")}, nil
	case workflow.ActionReopen:
		return workflow.Reopen{Reason: form.Get("reason")}, nil
	case workflow.ActionRate:
		score, err := strconv.Atoi(form.Get("score"))
		if err != nil {
			return nil, invalidField("score", "must be between 1 and 5")
		}
		return workflow.Rate{Score: score, Comment: form.Get("comment")}, nil
	}
	return nil, workflow.Errorf(workflow.ErrNotFound, "no case action %q", action)
}

// assignmentCommandFromForm reads the body of an assignment action from a form.
func assignmentCommandFromForm(action workflow.Action, form url.Values, loc *time.Location) (workflow.AssignmentCommand, error) {
	switch action {
	case workflow.ActionAccept:
		return workflow.Accept{}, nil
	case workflow.ActionDecline:
		return workflow.Decline{Reason: form.Get("reason"), ReasonCode: form.Get("reason_code")}, nil
	case workflow.ActionProgress:
		return workflow.Progress{Note: form.Get("note")}, nil
	case workflow.ActionRequestExtension:
		until, err := parseFormTime(form.Get("until"), loc)
		if err != nil {
			return nil, invalidField("until", "must be a time in the future")
		}
		return workflow.RequestExtension{Until: until, Reason: form.Get("reason")}, nil
	case workflow.ActionGrantExtension:
		return workflow.GrantExtension{}, nil
	case workflow.ActionDenyExtension:
		return workflow.DenyExtension{Reason: form.Get("reason")}, nil
	case workflow.ActionComplete:
		return workflow.Complete{Resolution: form.Get("resolution")}, nil
	case workflow.ActionConfirm:
		return workflow.Confirm{}, nil
	case workflow.ActionReturn:
		return workflow.Return{Reason: form.Get("reason")}, nil
	case workflow.ActionCancel:
		return workflow.Cancel{Reason: form.Get("reason")}, nil
	case workflow.ActionUrge:
		return workflow.Urge{Note: form.Get("note")}, nil
	}
	return nil, workflow.Errorf(workflow.ErrNotFound, "no assignment action %q", action)
}

// dispatchFromForm reads a dispatch from a form; an empty due date means the default.
func dispatchFromForm(form url.Values, loc *time.Location) (workflow.Dispatch, error) {
	d := workflow.Dispatch{Department: form.Get("department"), Role: workflow.AssignmentRole(form.Get("role")),
		Instructions: form.Get("instructions")}
	if v := strings.TrimSpace(form.Get("due_at")); v != "" {
		due, err := parseFormTime(v, loc)
		if err != nil {
			return d, invalidField("due_at", "must be in the future")
		}
		d.DueAt = &due
	}
	return d, nil
}

// fieldMessages turns the field errors of a validation failure into
// messages by field name; ok is false when err is not a validation failure.
func fieldMessages(err error) (msgs map[string]*fieldMessage, ok bool) {
	if workflow.ErrorCodeOf(err) != workflow.ErrInvalid {
		return nil, false
	}
	we := asWorkflowError(err)
	msgs = map[string]*fieldMessage{}
	for _, f := range we.Fields {
		if _, seen := msgs[f.Field]; !seen {
			msgs[f.Field] = translateFieldError(f.Message)
		}
	}
	return msgs, true
}

// fieldErrorPatterns map the domain's validation messages to message ids;
// a number in the message becomes N.
var fieldErrorPatterns = []struct {
	pattern *regexp.Regexp
	id      string
}{
	{regexp.MustCompile(`^is required$`), "invalid_required"},
	{regexp.MustCompile(`^must be at most (\d+) characters$`), "invalid_too_long"},
	{regexp.MustCompile(`^contains invalid characters$`), "invalid_characters"},
	{regexp.MustCompile(`^must be (a time )?in the future$`), "invalid_future"},
	{regexp.MustCompile(`^must be between 1 and 5$`), "invalid_score"},
	{regexp.MustCompile(`^no such department$`), "invalid_department"},
	{regexp.MustCompile(`^must be an email address$`), "invalid_email"},
	{regexp.MustCompile(`^must be 8 to 72 bytes long$`), "invalid_password"},
	{regexp.MustCompile(`^give both lat and lng, or neither$`), "invalid_lat_lng"},
	{regexp.MustCompile(`^must be between -?\d+ and \d+$`), "invalid_range"},
	{regexp.MustCompile(`^must be true or false$`), "invalid_overdue"},
	{regexp.MustCompile(`^must be a whole number from 1 to (\d+)$`), "invalid_limit"},
	{regexp.MustCompile(`^unknown status`), "invalid_status"},
	{regexp.MustCompile(`^must not contain spaces$`), "invalid_spaces"},
	{regexp.MustCompile(`taken$|already exists$`), "invalid_taken"},
	{regexp.MustCompile(`^must be 1–32 lower-case`), "invalid_code"},
	{regexp.MustCompile(`needs a department$`), "invalid_role_department"},
}

// translateFieldError finds the message for one of the domain's field errors.
func translateFieldError(message string) *fieldMessage {
	for _, p := range fieldErrorPatterns {
		if m := p.pattern.FindStringSubmatch(message); m != nil {
			fm := &fieldMessage{ID: p.id}
			if len(m) > 1 {
				fm.N, _ = strconv.Atoi(m[1])
			}
			return fm
		}
	}
	return &fieldMessage{Raw: message}
}

// asWorkflowError returns err as the domain's error type, or nil.
func asWorkflowError(err error) *workflow.Error {
	var we *workflow.Error
	if errors.As(err, &we) {
		return we
	}
	return nil
}
