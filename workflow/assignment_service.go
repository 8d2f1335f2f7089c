package workflow

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Dispatch sends part of a case to a department (派单).
type Dispatch struct {
	Department   string         `json:"department"`
	Role         AssignmentRole `json:"role"`
	Instructions string         `json:"instructions"`
	// DueAt defaults to DefaultDueIn after dispatch.
	DueAt *time.Time `json:"due_at"`
}

// validate checks a dispatch; now is the time of dispatch.
func (d *Dispatch) validate(now time.Time) error {
	var f fieldErrors
	if d.Department == "" {
		f.add("department", "is required")
	}
	if d.Role != RoleLead && d.Role != RoleSupport {
		f.add("role", "must be lead or support")
	}
	checkText(&f, "instructions", d.Instructions, 0, 5000)
	if d.DueAt != nil && !d.DueAt.After(now) {
		f.add("due_at", "must be in the future")
	}
	return f.err()
}

// DispatchAssignment adds a pending assignment to case caseID. ifMatch, when
// not zero, must equal the case's version.
func (s *Service) DispatchAssignment(ctx context.Context, caseID int64, in Dispatch, ifMatch int) (*Assignment, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	now := s.now()
	if err := in.validate(now); err != nil {
		return nil, err
	}
	var assignmentID int64
	err := s.inTx(ctx, func(tx prepared) error {
		c, err := s.loadCase(ctx, tx, actor, byCase(caseID), true)
		if err != nil {
			return err
		}
		if err := s.checkCaseAction(actor, c, ActionDispatch, ifMatch); err != nil {
			return err
		}
		deptID, err := departmentID(ctx, tx, in.Department)
		if err != nil {
			return &Error{Code: ErrInvalid, Message: "validation failed", Fields: []FieldError{{Field: "department", Message: "no such department"}}}
		}
		if err := checkDispatchConflicts(c, in); err != nil {
			return err
		}
		dueAt := now.Add(DefaultDueIn)
		if in.DueAt != nil {
			dueAt = *in.DueAt
		}
		if assignmentID, err = insertAssignment(ctx, tx, c.ID, deptID, in, c.Round, dueAt, now); err != nil {
			return err
		}
		eventID, err := appendEvent(ctx, tx, eventRecord{caseID: c.ID, assignmentID: &assignmentID, actorID: &actor.UserID,
			at: now, kind: string(ActionDispatch), to: string(AssignmentPending), visibility: VisibilityPublic,
			data: map[string]any{"department": in.Department, "role": in.Role, "instructions": in.Instructions, "due_at": dueAt}})
		if err != nil {
			return err
		}
		if err := enqueueNotice(ctx, tx, dispatchNotice(c, assignmentID, in, dueAt, eventID, now)); err != nil {
			return err
		}
		round := append(currentRound(c), roundAssignment{Status: AssignmentPending, Role: in.Role})
		return s.applyAutomaticTransitions(ctx, tx, c, round, now)
	})
	if err != nil {
		return nil, err
	}
	return s.GetAssignment(ctx, assignmentID)
}

// checkDispatchConflicts refuses a second active lead, and a second live
// assignment of one department in the same round.
func checkDispatchConflicts(c *Case, in Dispatch) error {
	for _, a := range c.Assignments {
		if a.Round != c.Round || !a.Status.live() {
			continue
		}
		if in.Role == RoleLead && a.Role == RoleLead {
			return &Error{Code: ErrConflict, Message: "the case already has an active lead department", AllowedActions: c.AllowedActions}
		}
		if a.Department == in.Department {
			return &Error{Code: ErrConflict, Message: fmt.Sprintf("%s already works on this case", in.Department), AllowedActions: c.AllowedActions}
		}
	}
	return nil
}

// GetAssignment returns an assignment on a case the actor may see.
func (s *Service) GetAssignment(ctx context.Context, id int64) (*Assignment, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	c, err := s.loadCase(ctx, s.pool(), actor, byAssignment(id), false)
	if err != nil {
		return nil, dbError(err)
	}
	return findAssignment(c, id)
}

func findAssignment(c *Case, id int64) (*Assignment, error) {
	i := slices.IndexFunc(c.Assignments, func(a *Assignment) bool { return a.ID == id })
	if i < 0 {
		return nil, Errorf(ErrNotFound, "assignment %d not found", id)
	}
	return c.Assignments[i], nil
}

// assignmentActionKey is all that decides which actions an actor may take on an assignment.
type assignmentActionKey struct {
	department       string
	status           AssignmentStatus
	extensionPending bool
}

func (a *Assignment) actionKey() assignmentActionKey {
	return assignmentActionKey{a.Department, a.Status, a.ExtensionPending()}
}

// assignmentActionsFor lists the assignment actions the actor may take on an assignment of key k now.
func (s *Service) assignmentActionsFor(actor *Actor, k assignmentActionKey) []Action {
	actions := []Action{}
	for _, action := range AssignmentActions {
		if _, ok := NextAssignment(k.status, k.extensionPending, action); ok && s.can(actor, k.department, string(action)) {
			actions = append(actions, action)
		}
	}
	return actions
}

// AssignmentCommand is one action a person takes on an assignment.
type AssignmentCommand interface {
	// Action names the command.
	Action() Action
	// Validate checks the command's input; now is the time of the action.
	Validate(now time.Time) error
	// apply changes the assignment (its status is already set) at now.
	apply(a *Assignment, now time.Time)
}

// ActOnAssignment applies cmd to assignment id in one transaction, then
// moves its case on automatically where the rules say so. ifMatch, when not
// zero, must equal the assignment's version. It returns the assignment as
// the transaction left it: the case and its assignments were read under the
// case's lock, and the changed row comes back from the UPDATE, so nothing
// needs reading again (the write path's statements: docs/PERFORMANCE.md).
func (s *Service) ActOnAssignment(ctx context.Context, id int64, cmd AssignmentCommand, ifMatch int) (*Assignment, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	now := s.now()
	if err := cmd.Validate(now); err != nil {
		return nil, err
	}
	var acted *Assignment
	err := s.inTx(ctx, func(tx prepared) error {
		c, err := s.lockCaseForAction(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		a, err := findAssignment(c, id)
		if err != nil {
			return err
		}
		acted = a
		action := cmd.Action()
		if ifMatch != 0 && ifMatch != a.Version {
			return Errorf(ErrPreconditionFailed, "the assignment is at version %d, not %d", a.Version, ifMatch)
		}
		if !s.can(actor, a.Department, string(action)) {
			return Errorf(ErrForbidden, "your role may not %s this assignment", action)
		}
		to, ok := NextAssignment(a.Status, a.ExtensionPending(), action)
		if !ok {
			return &Error{Code: ErrConflict, Message: fmt.Sprintf("%s is not allowed on a %s assignment", action, a.Status),
				AllowedActions: s.assignmentActionsFor(actor, a.actionKey())}
		}
		from := a.Status
		a.Status = to
		cmd.apply(a, now)
		if err := updateAssignment(ctx, tx, a, now); err != nil {
			return err
		}
		var data any = cmd
		if g, ok := cmd.(GrantExtension); ok {
			data = g.eventData(a)
		}
		eventID, err := appendEvent(ctx, tx, eventRecord{caseID: c.ID, assignmentID: &a.ID, actorID: &actor.UserID, at: now,
			kind: string(action), from: string(from), to: string(to), visibility: VisibilityInternal, data: data})
		if err != nil {
			return err
		}
		if err := enqueueAssignmentNotice(ctx, tx, c, a, cmd, eventID, now); err != nil {
			return err
		}
		a.AllowedActions = s.assignmentActionsFor(actor, a.actionKey())
		if c.Redacted {
			redactAssignment(a)
		}
		return s.applyAutomaticTransitions(ctx, tx, c, currentRound(c), now)
	})
	if err != nil {
		return nil, err
	}
	return acted, nil
}

// lockCaseForAction reads the case of assignment assignmentID, if the actor
// may see it, with its assignments and under its row lock, which serialises
// every change to a case and its assignments. Unlike loadCase it works out
// no allowed actions: an action answers with the one assignment it changed,
// whose actions are worked out after the change (or, when refused, before
// it).
func (s *Service) lockCaseForAction(ctx context.Context, tx prepared, actor *Actor, assignmentID int64) (*Case, error) {
	sc := s.scopeOf(actor)
	c, err := selectVisibleCase(ctx, tx, sc, byAssignment(assignmentID), true)
	if err != nil {
		return nil, err
	}
	if c.Assignments, err = selectAssignments(ctx, tx, []int64{c.ID}, s.now()); err != nil {
		return nil, err
	}
	c.Redacted = sc.redacts(c)
	return c, nil
}

// currentRound is what the automatic rules need of the assignments of the
// case's current round, as held in memory under the case's lock.
func currentRound(c *Case) []roundAssignment {
	var round []roundAssignment
	for _, a := range c.Assignments {
		if a.Round == c.Round {
			round = append(round, roundAssignment{Status: a.Status, Role: a.Role})
		}
	}
	return round
}

// applyAutomaticTransitions moves case c, locked, on as far as the
// automatic rules allow given the assignments of its current round as they
// now stand, writing one "auto" event per step, and then records whether
// the case now waits for a new lead.
func (s *Service) applyAutomaticTransitions(ctx context.Context, tx prepared, c *Case, round []roundAssignment, now time.Time) error {
	status := c.Status
	for {
		to, ok := autoCaseTransition(status, round)
		if !ok {
			break
		}
		if err := updateCase(ctx, tx, &Case{ID: c.ID}, caseChange{status: to, round: c.Round}, now); err != nil {
			return err
		}
		if _, err := appendEvent(ctx, tx, eventRecord{caseID: c.ID, at: now, kind: EventAuto,
			from: string(status), to: string(to), visibility: VisibilityPublic}); err != nil {
			return err
		}
		status = to
	}
	return syncLeadWanted(ctx, tx, c, leadWanted(status, round), now)
}
