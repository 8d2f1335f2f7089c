package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// casePage is a case with its assignments, timeline and the forms of the
// actions the user may take now: exactly the API's allowed_actions.
type casePage struct {
	webPage
	Case        *workflow.Case
	Assignments []assignmentView
	CaseForms   []actionForm
	Comment     *actionForm
	Events      []eventView
	// Notice is the id of a message about the last attempt (a stale form).
	Notice string
	Live   webLive
}

// assignmentView is one department's part with the forms of its allowed actions.
type assignmentView struct {
	*workflow.Assignment
	Forms []actionForm
	// Open is set for pending and in-progress work, which has a due date to watch.
	Open bool
}

// formFailure is a form that was refused: it is shown again, unfolded,
// with what the user typed and why it was refused.
type formFailure struct {
	formID string
	values url.Values
	fields map[string]*fieldMessage
	// message is the id of a message about the whole form.
	message string
}

// pageCase shows a case (GET /cases/:id); one the user may not see is 404.
func (s *Server) pageCase(c echo.Context) error {
	p, err := s.newCasePage(c, nil)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "case", p)
}

// pageCaseLive is the case page's live part, polled by htmx.
func (s *Server) pageCaseLive(c echo.Context) error {
	p, err := s.newCasePage(c, nil)
	if err != nil {
		return err
	}
	return answerLivePoll(c, "case", p, p.Live)
}

// newCasePage loads the case of the path parameter id as the user may see it.
// With a failure, the failed form is shown again; the live part keeps the
// fingerprint of the page without it, so that polling leaves it alone
// until the case itself changes.
func (s *Server) newCasePage(c echo.Context, failure *formFailure) (*casePage, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	kase, err := s.svc.GetCase(ctx, id)
	if err != nil {
		return nil, err
	}
	events, err := s.svc.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	departments, err := s.svc.ListDepartments(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.newWebPage(c, "cases")
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	deptOptions := []formOption{}
	for _, d := range departments {
		names[d.Code] = d.Name
		deptOptions = append(deptOptions, formOption{Value: d.Code, Text: d.Name})
	}
	p := &casePage{webPage: page, Case: kase, Events: newEventViews(events, names)}
	live := "/cases/" + strconv.FormatInt(id, 10) + "/live"
	if failure != nil {
		p.buildForms(deptOptions, s.svc.CommentVisibilities(actor(c), kase), nil)
		if p.Live, err = renderLivePart(c, "case", p, live); err != nil {
			return nil, err
		}
		fingerprint := p.Live.Fingerprint
		p.buildForms(deptOptions, s.svc.CommentVisibilities(actor(c), kase), failure)
		if p.Live, err = renderLivePart(c, "case", p, live); err != nil {
			return nil, err
		}
		p.Live.Fingerprint = fingerprint
		p.Notice = failure.message
		return p, nil
	}
	p.buildForms(deptOptions, s.svc.CommentVisibilities(actor(c), kase), nil)
	p.Live, err = renderLivePart(c, "case", p, live)
	return p, err
}

// buildForms makes one form per allowed action of the case and of each
// assignment, and the comment form; failure refills the form that failed.
func (p *casePage) buildForms(departments []formOption, visibilities []workflow.Visibility, failure *formFailure) {
	k := p.Case
	form := func(id string, action workflow.Action, target string, version int, options map[string][]formOption) actionForm {
		var values url.Values
		var fields map[string]*fieldMessage
		if failure != nil && failure.formID == id {
			values, fields = failure.values, failure.fields
		}
		f := newActionForm(id, action, target, p.CSRF, version, options, values, fields)
		if failure != nil && failure.formID == id {
			f.Open, f.Error = true, failure.message
		}
		return f
	}

	p.CaseForms = nil
	for _, action := range k.AllowedActions {
		options := map[string][]formOption{"score": scoreOptions, "department": departments, "role": roleOptions}
		target := fmt.Sprintf("/cases/%d/actions/%s", k.ID, action)
		if action == workflow.ActionDispatch {
			target = fmt.Sprintf("/cases/%d/assignments", k.ID)
		}
		f := form("case-"+string(action), action, target, k.Version, options)
		if action == workflow.ActionDispatch && f.Fields[1].Value == "" {
			f.Fields[1].Value = string(defaultDispatchRole(k))
		}
		p.CaseForms = append(p.CaseForms, f)
	}

	p.Assignments = nil
	for _, a := range k.Assignments {
		v := assignmentView{Assignment: a, Open: a.Status == workflow.AssignmentPending || a.Status == workflow.AssignmentInProgress}
		for _, action := range a.AllowedActions {
			id := fmt.Sprintf("a%d-%s", a.ID, action)
			options := map[string][]formOption{"reason_code": declineReasonOptions()}
			v.Forms = append(v.Forms, form(id, action, fmt.Sprintf("/assignments/%d/actions/%s", a.ID, action), a.Version, options))
		}
		p.Assignments = append(p.Assignments, v)
	}

	p.Comment = nil
	if len(visibilities) > 0 {
		f := form("comment", workflow.ActionComment, fmt.Sprintf("/cases/%d/comments", k.ID), 0, nil)
		body := formField{ID: "comment-body", Name: "body", Kind: "textarea", Label: "field_comment_body", Required: true, Max: 5000}
		visibility := formField{ID: "comment-visibility", Name: "visibility", Kind: "radio", Label: "field_visibility",
			Required: true, Value: string(visibilities[0])}
		for _, v := range visibilities {
			visibility.Options = append(visibility.Options, formOption{Value: string(v), Label: "visibility_" + string(v)})
		}
		if failure != nil && failure.formID == "comment" {
			f.Error = failure.message
			body.Value, body.Error = failure.values.Get("body"), failure.fields["body"]
			if v := failure.values.Get("visibility"); v != "" {
				visibility.Value = v
			}
			visibility.Error = failure.fields["visibility"]
		}
		f.Fields = []formField{body, visibility}
		p.Comment = &f
	}
}

// defaultDispatchRole proposes lead while the case's round has no live lead, else support.
func defaultDispatchRole(k *workflow.Case) workflow.AssignmentRole {
	for _, a := range k.Assignments {
		if a.Round == k.Round && a.Role == workflow.RoleLead &&
			a.Status != workflow.AssignmentDeclined && a.Status != workflow.AssignmentCancelled {
			return workflow.RoleSupport
		}
	}
	return workflow.RoleLead
}
