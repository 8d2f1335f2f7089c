package handlers

import (
	"net/http"
	"strconv"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// assignmentPath is the address of an assignment in the API.
func assignmentPath(id int64) string { return "/api/v1/assignments/" + strconv.FormatInt(id, 10) }

// assignmentCommands binds the body of each action of POST /assignments/{id}/actions/{action}.
var assignmentCommands = map[workflow.Action]func(echo.Context) (workflow.AssignmentCommand, error){
	workflow.ActionAccept:           bindAssignmentCommand[workflow.Accept],
	workflow.ActionDecline:          bindAssignmentCommand[workflow.Decline],
	workflow.ActionProgress:         bindAssignmentCommand[workflow.Progress],
	workflow.ActionRequestExtension: bindAssignmentCommand[workflow.RequestExtension],
	workflow.ActionGrantExtension:   bindAssignmentCommand[workflow.GrantExtension],
	workflow.ActionDenyExtension:    bindAssignmentCommand[workflow.DenyExtension],
	workflow.ActionComplete:         bindAssignmentCommand[workflow.Complete],
	workflow.ActionConfirm:          bindAssignmentCommand[workflow.Confirm],
	workflow.ActionReturn:           bindAssignmentCommand[workflow.Return],
	workflow.ActionCancel:           bindAssignmentCommand[workflow.Cancel],
	workflow.ActionUrge:             bindAssignmentCommand[workflow.Urge],
}

// bindAssignmentCommand binds the body into an assignment command of type T
// (a value: the Service tells some commands apart by their type).
func bindAssignmentCommand[T workflow.AssignmentCommand](c echo.Context) (workflow.AssignmentCommand, error) {
	var cmd T
	err := bindJSON(c, &cmd)
	return cmd, err
}

// getAssignment answers one assignment with its ETag.
func (s *Server) getAssignment(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	a, err := s.svc.GetAssignment(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeVersioned(c, http.StatusOK, a.Version, a)
}

// actOnAssignment applies one assignment action and answers the updated assignment.
func (s *Server) actOnAssignment(c echo.Context) error {
	id, version, err := mutationTarget(c)
	if err != nil {
		return err
	}
	cmd, err := commandOf(c, assignmentCommands)
	if err != nil {
		return err
	}
	a, err := s.svc.ActOnAssignment(c.Request().Context(), id, cmd, version)
	if err != nil {
		return err
	}
	return writeVersioned(c, http.StatusOK, a.Version, a)
}
