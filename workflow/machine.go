package workflow

import "slices"

// CaseStatus is where a case stands in its life (工单状态).
type CaseStatus string

// The case states of DESIGN.md.
const (
	CaseSubmitted  CaseStatus = "submitted"
	CaseTriaged    CaseStatus = "triaged"
	CaseDispatched CaseStatus = "dispatched"
	CaseInProgress CaseStatus = "in_progress"
	CaseResolved   CaseStatus = "resolved"
	CaseClosed     CaseStatus = "closed"
	CaseRejected   CaseStatus = "rejected"
	CaseReopened   CaseStatus = "reopened"
)

// CaseStatuses lists every case state in the order of a case's life.
var CaseStatuses = []CaseStatus{CaseSubmitted, CaseTriaged, CaseDispatched, CaseInProgress, CaseResolved, CaseClosed, CaseRejected, CaseReopened}

// AssignmentStatus is where one department's part of a case stands (承办状态).
type AssignmentStatus string

// The assignment states of DESIGN.md.
const (
	AssignmentPending    AssignmentStatus = "pending"
	AssignmentInProgress AssignmentStatus = "in_progress"
	AssignmentCompleted  AssignmentStatus = "completed"
	AssignmentConfirmed  AssignmentStatus = "confirmed"
	AssignmentDeclined   AssignmentStatus = "declined"
	AssignmentCancelled  AssignmentStatus = "cancelled"
)

// AssignmentStatuses lists every assignment state.
var AssignmentStatuses = []AssignmentStatus{AssignmentPending, AssignmentInProgress, AssignmentCompleted, AssignmentConfirmed, AssignmentDeclined, AssignmentCancelled}

// Action names a step a person takes; it is also the capability the policy checks.
type Action string

// Case actions.
const (
	ActionCreate   Action = "create"
	ActionTriage   Action = "triage"
	ActionReject   Action = "reject"
	ActionDispatch Action = "dispatch"
	ActionClose    Action = "close"
	ActionRate     Action = "rate"
	ActionReopen   Action = "reopen"
	ActionComment  Action = "comment"
)

// Assignment actions.
const (
	ActionAccept           Action = "accept"
	ActionDecline          Action = "decline"
	ActionProgress         Action = "progress"
	ActionRequestExtension Action = "request_extension"
	ActionGrantExtension   Action = "grant_extension"
	ActionDenyExtension    Action = "deny_extension"
	ActionComplete         Action = "complete"
	ActionConfirm          Action = "confirm"
	ActionReturn           Action = "return"
	ActionCancel           Action = "cancel"
	ActionUrge             Action = "urge"
)

// EventAuto is the event kind of an automatic case transition.
const EventAuto = "auto"

// CaseRule is one row of the case state table: in From, Action leads to To.
// A rule with an empty Action is automatic; Trigger says what sets it off.
type CaseRule struct {
	From    CaseStatus
	Action  Action
	To      CaseStatus
	Trigger string
}

// CaseRules is the case state machine of DESIGN.md, as data. Dispatch keeps
// the state (the automatic rule moves it); rate leads to closed or reopened by score.
var CaseRules = []CaseRule{
	{From: CaseSubmitted, Action: ActionTriage, To: CaseTriaged},
	{From: CaseSubmitted, Action: ActionReject, To: CaseRejected},
	{From: CaseTriaged, Action: ActionReject, To: CaseRejected},
	{From: CaseSubmitted, Action: ActionDispatch, To: CaseSubmitted},
	{From: CaseTriaged, Action: ActionDispatch, To: CaseTriaged},
	{From: CaseReopened, Action: ActionDispatch, To: CaseReopened},
	{From: CaseDispatched, Action: ActionDispatch, To: CaseDispatched},
	{From: CaseInProgress, Action: ActionDispatch, To: CaseInProgress},
	{From: CaseResolved, Action: ActionClose, To: CaseClosed},
	{From: CaseResolved, Action: ActionRate, To: CaseClosed, Trigger: "score 3–5"},
	{From: CaseResolved, Action: ActionRate, To: CaseReopened, Trigger: "score 1–2"},
	{From: CaseResolved, Action: ActionReopen, To: CaseReopened},
	{From: CaseClosed, Action: ActionReopen, To: CaseReopened},
	{From: CaseSubmitted, To: CaseDispatched, Trigger: "first assignment dispatched"},
	{From: CaseTriaged, To: CaseDispatched, Trigger: "first assignment dispatched"},
	{From: CaseReopened, To: CaseDispatched, Trigger: "first assignment dispatched"},
	{From: CaseDispatched, To: CaseInProgress, Trigger: "an assignment accepted"},
	{From: CaseDispatched, To: CaseTriaged, Trigger: "every assignment declined or cancelled"},
	{From: CaseInProgress, To: CaseTriaged, Trigger: "every assignment declined or cancelled"},
	{From: CaseInProgress, To: CaseResolved, Trigger: "every live assignment confirmed, the lead among them"},
}

// CaseActions lists the actions a person can take on a case, in display order.
var CaseActions = []Action{ActionTriage, ActionReject, ActionDispatch, ActionClose, ActionRate, ActionReopen}

// CaseTargets returns the states that action may lead to from a case in from;
// none means the action is not allowed in that state.
func CaseTargets(from CaseStatus, action Action) []CaseStatus {
	var to []CaseStatus
	for _, r := range CaseRules {
		if r.From == from && r.Action == action && action != "" {
			to = append(to, r.To)
		}
	}
	return to
}

// ExtensionGuard says what an assignment rule needs of a pending extension request.
type ExtensionGuard int

// Extension guards.
const (
	ExtensionAny     ExtensionGuard = iota // no condition
	ExtensionPending                       // only while a request awaits a decision
	ExtensionNone                          // only while no request awaits a decision
)

// AssignmentRule is one row of the assignment state table.
type AssignmentRule struct {
	From      AssignmentStatus
	Action    Action
	To        AssignmentStatus
	Extension ExtensionGuard
}

// AssignmentRules is the assignment state machine of DESIGN.md, as data.
var AssignmentRules = []AssignmentRule{
	{From: AssignmentPending, Action: ActionAccept, To: AssignmentInProgress},
	{From: AssignmentPending, Action: ActionDecline, To: AssignmentDeclined},
	{From: AssignmentInProgress, Action: ActionProgress, To: AssignmentInProgress},
	{From: AssignmentInProgress, Action: ActionRequestExtension, To: AssignmentInProgress, Extension: ExtensionNone},
	{From: AssignmentInProgress, Action: ActionGrantExtension, To: AssignmentInProgress, Extension: ExtensionPending},
	{From: AssignmentInProgress, Action: ActionDenyExtension, To: AssignmentInProgress, Extension: ExtensionPending},
	{From: AssignmentInProgress, Action: ActionComplete, To: AssignmentCompleted},
	{From: AssignmentCompleted, Action: ActionConfirm, To: AssignmentConfirmed},
	{From: AssignmentCompleted, Action: ActionReturn, To: AssignmentInProgress},
	{From: AssignmentPending, Action: ActionCancel, To: AssignmentCancelled},
	{From: AssignmentInProgress, Action: ActionCancel, To: AssignmentCancelled},
	{From: AssignmentPending, Action: ActionUrge, To: AssignmentPending},
	{From: AssignmentInProgress, Action: ActionUrge, To: AssignmentInProgress},
}

// AssignmentActions lists the actions a person can take on an assignment, in display order.
var AssignmentActions = []Action{ActionAccept, ActionDecline, ActionProgress, ActionRequestExtension, ActionGrantExtension, ActionDenyExtension, ActionComplete, ActionConfirm, ActionReturn, ActionCancel, ActionUrge}

// NextAssignment returns the state action leads to from an assignment in from,
// given whether an extension request is pending, and whether it is allowed at all.
func NextAssignment(from AssignmentStatus, extensionPending bool, action Action) (AssignmentStatus, bool) {
	for _, r := range AssignmentRules {
		if r.From != from || r.Action != action {
			continue
		}
		if (r.Extension == ExtensionPending && !extensionPending) || (r.Extension == ExtensionNone && extensionPending) {
			continue
		}
		return r.To, true
	}
	return "", false
}

// IsCaseAction reports whether a is an action taken on a case.
func IsCaseAction(a Action) bool { return slices.Contains(CaseActions, a) }

// IsAssignmentAction reports whether a is an action taken on an assignment.
func IsAssignmentAction(a Action) bool { return slices.Contains(AssignmentActions, a) }

// live reports whether an assignment still counts towards its case's outcome.
func (s AssignmentStatus) live() bool {
	return s != AssignmentDeclined && s != AssignmentCancelled
}

// open reports whether an assignment still has work to do (pending or in progress),
// which is also when it can be overdue.
func (s AssignmentStatus) open() bool {
	return s == AssignmentPending || s == AssignmentInProgress
}

// roundAssignment is what the automatic rules need of one assignment of
// the case's current round.
type roundAssignment struct {
	Status AssignmentStatus `db:"status"`
	Role   AssignmentRole   `db:"role"`
}

// leadWanted reports whether a case in status, with these assignments of
// its current round, waits for a coordinator to name a new lead: it is open,
// its round's lead declined, and no lead of the round is live.
func leadWanted(status CaseStatus, round []roundAssignment) bool {
	if status != CaseTriaged && status != CaseDispatched && status != CaseInProgress {
		return false
	}
	declined := false
	for _, a := range round {
		if a.Role != RoleLead {
			continue
		}
		if a.Status.live() {
			return false
		}
		declined = declined || a.Status == AssignmentDeclined
	}
	return declined
}

// autoCaseTransition applies the automatic rules: given a case's state and
// the assignments of its current round, it returns the state the case moves
// to, if any. A case resolves only with its lead among the confirmed: a
// declined lead leaves it waiting for a new one.
func autoCaseTransition(status CaseStatus, round []roundAssignment) (CaseStatus, bool) {
	var live, confirmed, accepted int
	leadConfirmed := false
	for _, a := range round {
		if a.Status.live() {
			live++
		}
		if a.Status == AssignmentConfirmed {
			confirmed++
			leadConfirmed = leadConfirmed || a.Role == RoleLead
		}
		if a.Status != AssignmentPending && a.Status.live() {
			accepted++
		}
	}
	switch {
	case (status == CaseSubmitted || status == CaseTriaged || status == CaseReopened) && live > 0:
		return CaseDispatched, true
	case (status == CaseDispatched || status == CaseInProgress) && len(round) > 0 && live == 0:
		return CaseTriaged, true
	case status == CaseDispatched && accepted > 0:
		return CaseInProgress, true
	case status == CaseInProgress && confirmed == live && leadConfirmed:
		return CaseResolved, true
	}
	return "", false
}
