package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// NewCase is what a reporter files.
type NewCase struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	Location    Location `json:"location"`
	Priority    Priority `json:"priority"`
}

// Validate checks a new case and fills in the default priority.
func (in *NewCase) Validate() error {
	var f fieldErrors
	in.Title = strings.TrimSpace(in.Title)
	checkText(&f, "title", in.Title, 1, 200)
	checkText(&f, "description", in.Description, 0, 10000)
	checkText(&f, "category", in.Category, 0, 100)
	checkText(&f, "location.address", in.Location.Address, 0, 500)
	if (in.Location.Lat == nil) != (in.Location.Lng == nil) {
		f.add("location", "give both lat and lng, or neither")
	}
	if in.Location.Lat != nil && (*in.Location.Lat < -90 || *in.Location.Lat > 90) {
		f.add("location.lat", "must be between -90 and 90")
	}
	if in.Location.Lng != nil && (*in.Location.Lng < -180 || *in.Location.Lng > 180) {
		f.add("location.lng", "must be between -180 and 180")
	}
	if in.Priority == "" {
		in.Priority = PriorityNormal
	}
	if !slices.Contains(Priorities, in.Priority) {
		f.add("priority", "must be one of low, normal, high, urgent")
	}
	return f.err()
}

// checkText checks a text field's length in characters and that it is valid UTF-8 without NUL.
func checkText(f *fieldErrors, field, value string, min, max int) {
	n := utf8.RuneCountInString(value)
	switch {
	case !utf8.ValidString(value) || strings.ContainsRune(value, 0):
		f.add(field, "contains invalid characters")
	case min > 0 && strings.TrimSpace(value) == "":
		f.add(field, "is required")
	case n > max:
		f.add(field, fmt.Sprintf("must be at most %d characters", max))
	}
}

// Idempotency identifies a request that may be repeated: the caller's key
// and a hash of the request body.
type Idempotency struct {
	Key         string
	RequestHash []byte
}

// CreateCase files a new case; the actor becomes its reporter. With an
// idempotency key, a repeated request returns the first case and creates
// nothing (replayed is then true); the same key with another body is invalid.
func (s *Service) CreateCase(ctx context.Context, in NewCase, idem *Idempotency) (c *Case, replayed bool, err error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, false, err
	}
	if !s.canAnywhere(actor, string(ActionCreate)) {
		return nil, false, Errorf(ErrForbidden, "your role may not file cases")
	}
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	var caseID int64
	err = s.inTx(ctx, func(tx prepared) error {
		if idem != nil {
			stored, err := claimIdempotencyKey(ctx, tx, actor.UserID, idem)
			if err != nil || stored != nil {
				c, replayed = stored, stored != nil
				return err
			}
		}
		now := s.now()
		year := now.In(s.loc).Year()
		n, err := nextRef(ctx, tx, year)
		if err != nil {
			return err
		}
		ref := fmt.Sprintf("%s-%d-%06d", s.refPrefix, year, n)
		if caseID, err = insertCase(ctx, tx, ref, in, actor.UserID, now); err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, eventRecord{caseID: caseID, actorID: &actor.UserID, at: now,
			kind: string(ActionCreate), to: string(CaseSubmitted), visibility: VisibilityPublic,
			data: map[string]any{"title": in.Title, "priority": in.Priority}})
		if err != nil {
			return err
		}
		if idem == nil {
			return nil
		}
		if c, err = s.loadCase(ctx, tx, actor, byCase(caseID), false); err != nil {
			return err
		}
		return storeIdempotencyKey(ctx, tx, actor.UserID, idem, c)
	})
	if err != nil || c != nil {
		return c, replayed, err
	}
	c, err = s.GetCase(ctx, caseID)
	return c, false, err
}

// GetCase returns a case the actor may see, with its assignments and the
// actions the actor may take now.
func (s *Service) GetCase(ctx context.Context, id int64) (*Case, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	c, err := s.loadCase(ctx, s.pool(), actor, byCase(id), false)
	return c, dbError(err)
}

// loadCase reads a visible case with its assignments, optionally locking the case row.
func (s *Service) loadCase(ctx context.Context, q sqlx.QueryerContext, actor *Actor, key caseKey, lock bool) (*Case, error) {
	sc := s.scopeOf(actor)
	c, err := selectVisibleCase(ctx, q, sc, key, lock)
	if err != nil {
		return nil, err
	}
	if err := s.attachAssignments(ctx, q, actor, sc, []*Case{c}); err != nil {
		return nil, err
	}
	return c, nil
}

// attachAssignments fills in the assignments, redaction and allowed actions of cases.
func (s *Service) attachAssignments(ctx context.Context, q sqlx.QueryerContext, actor *Actor, sc scope, cases []*Case) error {
	if len(cases) == 0 {
		return nil
	}
	ids := make([]int64, len(cases))
	byID := make(map[int64]*Case, len(cases))
	for i, c := range cases {
		ids[i], byID[c.ID] = c.ID, c
	}
	assignments, err := selectAssignments(ctx, q, ids, s.now())
	if err != nil {
		return err
	}
	for _, a := range assignments {
		byID[a.CaseID].Assignments = append(byID[a.CaseID].Assignments, a)
	}
	// A page of cases asks the authorizer once per action key, not once per row.
	caseActions := map[caseActionKey][]Action{}
	assignmentActions := map[assignmentActionKey][]Action{}
	for _, c := range cases {
		c.Redacted = sc.redacts(c)
		ck := caseActionKeyOf(actor, c)
		if _, ok := caseActions[ck]; !ok {
			caseActions[ck] = slices.Clip(s.caseActionsFor(actor, ck))
		}
		c.AllowedActions = caseActions[ck]
		for _, a := range c.Assignments {
			ak := a.actionKey()
			if _, ok := assignmentActions[ak]; !ok {
				assignmentActions[ak] = slices.Clip(s.assignmentActionsFor(actor, ak))
			}
			a.AllowedActions = assignmentActions[ak]
			if c.Redacted {
				redactAssignment(a)
			}
		}
	}
	return nil
}

// redactAssignment removes what a reporter may not read.
func redactAssignment(a *Assignment) {
	a.Instructions = ""
	if a.Extension != nil {
		a.Extension.Reason = ""
	}
}

// caseActionKey is all that decides which actions an actor may take on a case.
type caseActionKey struct {
	status CaseStatus
	// reported: the actor reported the case.
	reported bool
}

func caseActionKeyOf(actor *Actor, c *Case) caseActionKey {
	return caseActionKey{c.Status, c.Reporter.ID == actor.UserID}
}

// caseActionsFor lists the case actions the actor may take on a case of key k now.
func (s *Service) caseActionsFor(actor *Actor, k caseActionKey) []Action {
	actions := []Action{}
	for _, action := range CaseActions {
		if len(CaseTargets(k.status, action)) > 0 && s.mayActOnCase(actor, k, action) == nil {
			actions = append(actions, action)
		}
	}
	return actions
}

// mayActOnCase checks the role (casbin) and the data rule: only the case's reporter rates it.
func (s *Service) mayActOnCase(actor *Actor, k caseActionKey, action Action) error {
	if action == ActionRate {
		if !k.reported || !s.canAnywhere(actor, string(ActionRate)) {
			return Errorf(ErrForbidden, "only the case's reporter may rate it")
		}
		return nil
	}
	if !s.can(actor, GlobalDomain, string(action)) {
		return Errorf(ErrForbidden, "your role may not %s cases", action)
	}
	return nil
}

// CaseCommand is one action a person takes on a case.
type CaseCommand interface {
	// Action names the command.
	Action() Action
	// Validate checks the command's input.
	Validate() error
	// change picks the target among the table's and says what to write.
	change(c *Case, targets []CaseStatus) caseChange
}

// ActOnCase applies cmd to case id in one transaction. ifMatch, when not
// zero, must equal the case's version.
func (s *Service) ActOnCase(ctx context.Context, id int64, cmd CaseCommand, ifMatch int) (*Case, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx prepared) error {
		c, err := s.loadCase(ctx, tx, actor, byCase(id), true)
		if err != nil {
			return err
		}
		if err := s.checkCaseAction(actor, c, cmd.Action(), ifMatch); err != nil {
			return err
		}
		ch := cmd.change(c, CaseTargets(c.Status, cmd.Action()))
		now := s.now()
		if err := updateCase(ctx, tx, c, ch, now); err != nil {
			return err
		}
		// A case that leaves the open states waits for no lead any more.
		if err := syncLeadWanted(ctx, tx, c, leadWanted(ch.status, currentRound(c)), now); err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, eventRecord{caseID: c.ID, actorID: &actor.UserID, at: now,
			kind: string(cmd.Action()), from: string(c.Status), to: string(ch.status),
			visibility: VisibilityPublic, data: cmd})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetCase(ctx, id)
}

// checkCaseAction checks, in order, the version, the role and the state.
func (s *Service) checkCaseAction(actor *Actor, c *Case, action Action, ifMatch int) error {
	if ifMatch != 0 && ifMatch != c.Version {
		return Errorf(ErrPreconditionFailed, "the case is at version %d, not %d", c.Version, ifMatch)
	}
	if err := s.mayActOnCase(actor, caseActionKeyOf(actor, c), action); err != nil {
		return err
	}
	if len(CaseTargets(c.Status, action)) == 0 {
		return &Error{Code: ErrConflict, Message: fmt.Sprintf("%s is not allowed on a %s case", action, c.Status),
			AllowedActions: c.AllowedActions}
	}
	return nil
}

// Triage accepts a submitted case for handling (受理).
type Triage struct{}

// Reject refuses a case (不予受理).
type Reject struct {
	Reason string `json:"reason"`
}

// Close closes a resolved case (结案).
type Close struct {
	Note string `json:"note,omitempty"`
}

// Reopen sends a resolved or closed case back for more work (重新办理).
type Reopen struct {
	Reason string `json:"reason"`
}

// Rate is the reporter's verdict on a resolved case (评价); 1–2 reopens it.
type Rate struct {
	Score   int    `json:"score"`
	Comment string `json:"comment,omitempty"`
}

// Action names the command.
func (Triage) Action() Action { return ActionTriage }

// Action names the command.
func (Reject) Action() Action { return ActionReject }

// Action names the command.
func (Close) Action() Action { return ActionClose }

// Action names the command.
func (Reopen) Action() Action { return ActionReopen }

// Action names the command.
func (Rate) Action() Action { return ActionRate }

// Validate checks the command's input.
func (Triage) Validate() error { return nil }

// Validate checks the command's input.
func (r Reject) Validate() error { return requireText("reason", r.Reason) }

// Validate checks the command's input.
func (c Close) Validate() error { return optionalText("note", c.Note) }

// Validate checks the command's input.
func (r Reopen) Validate() error { return requireText("reason", r.Reason) }

// Validate checks the command's input.
func (r Rate) Validate() error {
	var f fieldErrors
	if r.Score < 1 || r.Score > 5 {
		f.add("score", "must be between 1 and 5")
	}
	checkText(&f, "comment", r.Comment, 0, 2000)
	return f.err()
}

func (Triage) change(c *Case, to []CaseStatus) caseChange {
	return caseChange{status: to[0], round: c.Round}
}
func (Reject) change(c *Case, to []CaseStatus) caseChange {
	return caseChange{status: to[0], round: c.Round}
}
func (Close) change(c *Case, to []CaseStatus) caseChange {
	return caseChange{status: to[0], round: c.Round}
}

func (Reopen) change(c *Case, to []CaseStatus) caseChange {
	return caseChange{status: to[0], round: c.Round + 1}
}

func (r Rate) change(c *Case, to []CaseStatus) caseChange {
	if r.Score <= 2 {
		return caseChange{status: CaseReopened, rating: &r.Score, round: c.Round + 1}
	}
	return caseChange{status: CaseClosed, rating: &r.Score, round: c.Round}
}

// requireText checks a required free-text field of an action.
func requireText(field, value string) error {
	var f fieldErrors
	checkText(&f, field, value, 1, 2000)
	return f.err()
}

// optionalText checks an optional free-text field of an action.
func optionalText(field, value string) error {
	var f fieldErrors
	checkText(&f, field, value, 0, 2000)
	return f.err()
}
