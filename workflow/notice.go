package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// MailKind says what an outbox row is; it starts the row's dedupe key and Message-ID.
type MailKind string

// The kinds of mail casetrack sends.
const (
	MailDigestDepartment MailKind = "digest_department"
	MailDigestOverview   MailKind = "digest_overview"
	MailNoticeDispatch   MailKind = "notice_dispatch"
	MailNoticeUrge       MailKind = "notice_urge"
	MailNoticeReturn     MailKind = "notice_return"
	MailNoticeExtension  MailKind = "notice_extension"
)

// Notice is what a department is told the same day an action concerns it:
// a dispatch (派单), an urge (督办), a return for rework (退回重办) or an
// extension decision. It is stored with the outbox row and rendered from it.
type Notice struct {
	Kind           MailKind       `json:"kind"`
	EventID        int64          `json:"event_id"`
	CaseID         int64          `json:"case_id"`
	CaseRef        string         `json:"case_ref"`
	CaseTitle      string         `json:"case_title"`
	AssignmentID   int64          `json:"assignment_id"`
	Department     string         `json:"department"`
	DepartmentName string         `json:"department_name"`
	Role           AssignmentRole `json:"role"`
	DueAt          time.Time      `json:"due_at"`
	// Note is the dispatch's instructions, the urge's note, or the reason of a return or a denial.
	Note string `json:"note,omitempty"`
	// Granted tells an extension decision's outcome.
	Granted bool      `json:"granted,omitempty"`
	At      time.Time `json:"at"`
}

// noticeKinds maps each assignment action that a department hears of the same day to its mail.
var noticeKinds = map[Action]MailKind{
	ActionUrge:           MailNoticeUrge,
	ActionReturn:         MailNoticeReturn,
	ActionGrantExtension: MailNoticeExtension,
	ActionDenyExtension:  MailNoticeExtension,
}

// dispatchNotice is the notice of a new assignment.
func dispatchNotice(c *Case, assignmentID int64, in Dispatch, dueAt time.Time, eventID int64, now time.Time) Notice {
	return Notice{Kind: MailNoticeDispatch, EventID: eventID, CaseID: c.ID, CaseRef: c.Ref, CaseTitle: c.Title,
		AssignmentID: assignmentID, Department: in.Department, Role: in.Role, DueAt: dueAt, Note: in.Instructions, At: now}
}

// enqueueAssignmentNotice queues the notice of cmd, just applied to a, if
// the action has one; it runs in the action's transaction.
func enqueueAssignmentNotice(ctx context.Context, tx prepared, c *Case, a *Assignment, cmd AssignmentCommand, eventID int64, now time.Time) error {
	kind, ok := noticeKinds[cmd.Action()]
	if !ok {
		return nil
	}
	n := Notice{Kind: kind, EventID: eventID, CaseID: c.ID, CaseRef: c.Ref, CaseTitle: c.Title, AssignmentID: a.ID,
		Department: a.Department, Role: a.Role, DueAt: a.DueAt, At: now}
	switch cmd := cmd.(type) {
	case Urge:
		n.Note = cmd.Note
	case Return:
		n.Note = cmd.Reason
	case DenyExtension:
		n.Note = cmd.Reason
	case GrantExtension:
		n.Granted = true
	}
	return enqueueNotice(ctx, tx, n)
}

// enqueueNotice queues one row per recipient of the notice's department:
// its own address and its active members who have not opted out.
func enqueueNotice(ctx context.Context, tx prepared, n Notice) error {
	name, err := departmentName(ctx, tx, n.Department)
	if err != nil {
		return err
	}
	n.DepartmentName = name
	recipients, err := DepartmentRecipients(ctx, tx, n.Department)
	if err != nil {
		return err
	}
	for _, r := range recipients {
		key := DedupeKey(n.Kind, fmt.Sprintf("event-%d", n.EventID), r.Address)
		if err := insertNotice(ctx, tx, n, r, key); err != nil {
			return err
		}
	}
	return nil
}

// Recipient is one address that a department's or a person's mail goes to.
type Recipient struct {
	Address string `db:"address"`
	// UserID is nil for a department's own address.
	UserID   *int64 `db:"user_id"`
	Language string `db:"language"`
}

// DedupeKey names one message ever meant: its kind, the week or event it is
// about, and the recipient. The outbox holds at most one row per key.
func DedupeKey(kind MailKind, about, address string) string {
	return string(kind) + "/" + about + "/" + strings.ToLower(address)
}

// MessageIDLocal is the local part of the Message-ID of the message with
// dedupeKey: the same message always gets the same Message-ID.
func MessageIDLocal(dedupeKey string) string {
	sum := sha256.Sum256([]byte(dedupeKey))
	kind, _, _ := strings.Cut(dedupeKey, "/")
	return kind + "." + hex.EncodeToString(sum[:16])
}

// DBError maps a database failure to a coded error, for the packages beside
// workflow (the digest) that run their own SQL.
func DBError(err error) error { return dbError(err) }
