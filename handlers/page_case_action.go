package handlers

import (
	"fmt"
	"net/http"
	"net/url"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// The forms of the case page post here. Each succeeds with a redirect back
// to the case (post/redirect/get), or shows the case again with the form
// that failed and why. The version the form was rendered at goes along as
// If-Match, so that a form older than the case is refused, not applied.

// pageCaseAction applies a case action (POST /cases/:id/actions/:action).
func (s *Server) pageCaseAction(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	action := workflow.Action(c.Param("action"))
	if !workflow.IsCaseAction(action) || action == workflow.ActionDispatch {
		return echo.NewHTTPError(http.StatusNotFound, "no such action")
	}
	form, err := postedForm(c)
	if err != nil {
		return err
	}
	cmd, err := caseCommandFromForm(action, form)
	if err == nil {
		_, err = s.svc.ActOnCase(c.Request().Context(), id, cmd, formVersion(c))
	}
	if err != nil {
		return s.caseFormFailed(c, "case-"+string(action), form, err)
	}
	return redirectToCase(c, id, string(action), "")
}

// pageDispatch sends the case to a department (POST /cases/:id/assignments).
func (s *Server) pageDispatch(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := postedForm(c)
	if err != nil {
		return err
	}
	d, err := dispatchFromForm(form, s.cfg.Location)
	var a *workflow.Assignment
	if err == nil {
		a, err = s.svc.DispatchAssignment(c.Request().Context(), id, d, formVersion(c))
	}
	if err != nil {
		return s.caseFormFailed(c, "case-dispatch", form, err)
	}
	return redirectToCase(c, id, string(workflow.ActionDispatch), fmt.Sprintf("assignment-%d", a.ID))
}

// pageAssignmentAction applies an assignment action (POST /assignments/:id/actions/:action).
func (s *Server) pageAssignmentAction(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	action := workflow.Action(c.Param("action"))
	if !workflow.IsAssignmentAction(action) {
		return echo.NewHTTPError(http.StatusNotFound, "no such action")
	}
	ctx := c.Request().Context()
	a, err := s.svc.GetAssignment(ctx, id)
	if err != nil {
		return err
	}
	form, err := postedForm(c)
	if err != nil {
		return err
	}
	cmd, err := assignmentCommandFromForm(action, form, s.cfg.Location)
	if err == nil {
		_, err = s.svc.ActOnAssignment(ctx, id, cmd, formVersion(c))
	}
	if err != nil {
		c.SetParamNames("id")
		c.SetParamValues(fmt.Sprint(a.CaseID))
		return s.caseFormFailed(c, fmt.Sprintf("a%d-%s", id, action), form, err)
	}
	return redirectToCase(c, a.CaseID, string(action), fmt.Sprintf("assignment-%d", id))
}

// pageComment adds a comment (POST /cases/:id/comments).
func (s *Server) pageComment(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := postedForm(c)
	if err != nil {
		return err
	}
	in := workflow.NewComment{Body: form.Get("body"), Visibility: workflow.Visibility(form.Get("visibility"))}
	if _, err := s.svc.AddComment(c.Request().Context(), id, in, 0); err != nil {
		return s.caseFormFailed(c, "comment", form, err)
	}
	return redirectToCase(c, id, string(workflow.ActionComment), "timeline")
}

// caseFormFailed shows the case again with the form that failed: 422 with
// the field errors, or 409 when the case moved on since the form was shown
// (the page then offers what is allowed now). Other errors get the error page.
func (s *Server) caseFormFailed(c echo.Context, formID string, form url.Values, err error) error {
	failure := &formFailure{formID: formID, values: form}
	status := http.StatusUnprocessableEntity
	switch workflow.ErrorCodeOf(err) {
	case workflow.ErrInvalid:
		failure.fields, _ = fieldMessages(err)
		failure.message = "error_invalid"
	case workflow.ErrConflict, workflow.ErrPreconditionFailed:
		failure.message = "notice_stale"
		status = http.StatusConflict
	default:
		return err
	}
	p, loadErr := s.newCasePage(c, failure)
	if loadErr != nil {
		return loadErr
	}
	return c.Render(status, "case", p)
}

// redirectToCase sends the browser back to the case after a successful
// action, with a notice of what was done.
func redirectToCase(c echo.Context, caseID int64, done, anchor string) error {
	target := fmt.Sprintf("/cases/%d?done=%s", caseID, url.QueryEscape(done))
	if anchor != "" {
		target += "#" + anchor
	}
	return c.Redirect(http.StatusSeeOther, target)
}
