package workflow

import (
	"slices"
	"time"
)

// Accept takes an assignment on (签收).
type Accept struct{}

// Decline refuses an assignment (退单), with a reason and optionally its class.
type Decline struct {
	Reason     string `json:"reason"`
	ReasonCode string `json:"reason_code,omitempty"`
}

// DeclineReasonCodes are the classes of decline that 12345 centres use.
var DeclineReasonCodes = []string{"not_our_function", "not_our_area", "unclear_ownership", "overlapping", "other"}

// Progress reports what has been done (进展反馈).
type Progress struct {
	Note string `json:"note"`
}

// RequestExtension asks for more time (申请延期).
type RequestExtension struct {
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

// GrantExtension moves the due date to the requested one (同意延期).
type GrantExtension struct{}

// DenyExtension refuses a request for more time (驳回延期).
type DenyExtension struct {
	Reason string `json:"reason"`
}

// Complete reports the department's part done (办结).
type Complete struct {
	Resolution string `json:"resolution"`
}

// Confirm accepts a completed assignment (审核通过).
type Confirm struct{}

// Return sends a completed assignment back for rework (退回重办).
type Return struct {
	Reason string `json:"reason"`
}

// Cancel withdraws an assignment (撤回).
type Cancel struct {
	Reason string `json:"reason"`
}

// Urge presses a department to act (督办).
type Urge struct {
	Note string `json:"note"`
}

// Action names the command.
func (Accept) Action() Action { return ActionAccept }

// Action names the command.
func (Decline) Action() Action { return ActionDecline }

// Action names the command.
func (Progress) Action() Action { return ActionProgress }

// Action names the command.
func (RequestExtension) Action() Action { return ActionRequestExtension }

// Action names the command.
func (GrantExtension) Action() Action { return ActionGrantExtension }

// Action names the command.
func (DenyExtension) Action() Action { return ActionDenyExtension }

// Action names the command.
func (Complete) Action() Action { return ActionComplete }

// Action names the command.
func (Confirm) Action() Action { return ActionConfirm }

// Action names the command.
func (Return) Action() Action { return ActionReturn }

// Action names the command.
func (Cancel) Action() Action { return ActionCancel }

// Action names the command.
func (Urge) Action() Action { return ActionUrge }

// Validate checks the command's input.
func (Accept) Validate(time.Time) error { return nil }

// Validate checks the command's input.
func (d Decline) Validate(time.Time) error {
	var f fieldErrors
	checkText(&f, "reason", d.Reason, 1, 2000)
	if d.ReasonCode != "" && !slices.Contains(DeclineReasonCodes, d.ReasonCode) {
		f.add("reason_code", "must be one of not_our_function, not_our_area, unclear_ownership, overlapping, other")
	}
	return f.err()
}

// Validate checks the command's input.
func (p Progress) Validate(time.Time) error { return requireText("note", p.Note) }

// Validate checks the command's input.
func (r RequestExtension) Validate(now time.Time) error {
	var f fieldErrors
	if !r.Until.After(now) {
		f.add("until", "must be a time in the future")
	}
	checkText(&f, "reason", r.Reason, 1, 2000)
	return f.err()
}

// Validate checks the command's input.
func (GrantExtension) Validate(time.Time) error { return nil }

// Validate checks the command's input.
func (d DenyExtension) Validate(time.Time) error { return requireText("reason", d.Reason) }

// Validate checks the command's input.
func (c Complete) Validate(time.Time) error { return requireText("resolution", c.Resolution) }

// Validate checks the command's input.
func (Confirm) Validate(time.Time) error { return nil }

// Validate checks the command's input.
func (r Return) Validate(time.Time) error { return requireText("reason", r.Reason) }

// Validate checks the command's input.
func (c Cancel) Validate(time.Time) error { return requireText("reason", c.Reason) }

// Validate checks the command's input.
func (u Urge) Validate(time.Time) error { return requireText("note", u.Note) }

func (Accept) apply(a *Assignment, now time.Time) { a.AcceptedAt = &now }
func (Decline) apply(*Assignment, time.Time)      {}
func (Progress) apply(*Assignment, time.Time)     {}
func (Confirm) apply(*Assignment, time.Time)      {}
func (Cancel) apply(*Assignment, time.Time)       {}
func (Urge) apply(*Assignment, time.Time)         {}

func (r RequestExtension) apply(a *Assignment, _ time.Time) {
	a.Extension = &Extension{Until: r.Until, Reason: r.Reason, Status: "pending"}
}

func (GrantExtension) apply(a *Assignment, _ time.Time) {
	a.DueAt = a.Extension.Until
	a.Extension.Status = "granted"
}

// eventData records the new due date, which the command itself does not carry.
func (GrantExtension) eventData(a *Assignment) any { return map[string]time.Time{"due_at": a.DueAt} }

func (DenyExtension) apply(a *Assignment, _ time.Time) { a.Extension.Status = "denied" }

func (c Complete) apply(a *Assignment, now time.Time) {
	a.Resolution = c.Resolution
	a.CompletedAt = &now
}

func (Return) apply(a *Assignment, _ time.Time) { a.CompletedAt = nil }
