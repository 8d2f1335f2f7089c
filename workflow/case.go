package workflow

import (
	"encoding/json"
	"time"
)

// Priority says how urgent a case is.
type Priority string

// The priorities of API.md.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Priorities lists every priority, lowest first.
var Priorities = []Priority{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// Location is where a problem is.
type Location struct {
	Address string   `json:"address"`
	Lat     *float64 `json:"lat"`
	Lng     *float64 `json:"lng"`
}

// UserRef names a person in a case's history.
type UserRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Case is one problem that needs one or more departments (工单), as the caller may see it.
type Case struct {
	ID             int64         `json:"id"`
	Ref            string        `json:"ref"`
	Title          string        `json:"title"`
	Description    string        `json:"description"`
	Category       string        `json:"category"`
	Location       Location      `json:"location"`
	Priority       Priority      `json:"priority"`
	Status         CaseStatus    `json:"status"`
	Reporter       UserRef       `json:"reporter"`
	Rating         *int          `json:"rating"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	Version        int           `json:"version"`
	Assignments    []*Assignment `json:"assignments"`
	AllowedActions []Action      `json:"allowed_actions"`
	// Round counts reopenings; only this round's assignments drive automatic transitions.
	Round int `json:"-"`
	// Redacted is set when the caller sees the case only as its reporter.
	Redacted bool `json:"-"`
	// leadWantedSince is when the case began waiting for a new lead (leadWanted), as stored.
	leadWantedSince *time.Time
}

// Extension is a department's request for more time.
type Extension struct {
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	Status string    `json:"status"`
}

// Assignment is one department's part of a case (承办).
type Assignment struct {
	ID             int64            `json:"id"`
	CaseID         int64            `json:"case_id"`
	Department     string           `json:"department"`
	DepartmentName string           `json:"department_name"`
	Role           AssignmentRole   `json:"role"`
	Instructions   string           `json:"instructions"`
	Status         AssignmentStatus `json:"status"`
	DueAt          time.Time        `json:"due_at"`
	Overdue        bool             `json:"overdue"`
	Extension      *Extension       `json:"extension"`
	Resolution     string           `json:"resolution"`
	DispatchedAt   time.Time        `json:"dispatched_at"`
	AcceptedAt     *time.Time       `json:"accepted_at"`
	CompletedAt    *time.Time       `json:"completed_at"`
	Version        int              `json:"version"`
	AllowedActions []Action         `json:"allowed_actions"`
	Round          int              `json:"-"`
	departmentID   int64
}

// AssignmentRole says whether a department leads (主办) or supports (协办).
type AssignmentRole string

// Assignment roles.
const (
	RoleLead    AssignmentRole = "lead"
	RoleSupport AssignmentRole = "support"
)

// ExtensionPending reports whether a request for more time awaits a decision.
func (a *Assignment) ExtensionPending() bool {
	return a.Extension != nil && a.Extension.Status == "pending"
}

// Visibility says who may read a comment.
type Visibility string

// Comment visibilities.
const (
	VisibilityInternal Visibility = "internal"
	VisibilityPublic   Visibility = "public"
)

// Event is one entry in a case's append-only history.
type Event struct {
	ID           int64           `json:"id"`
	At           time.Time       `json:"at"`
	Actor        *UserRef        `json:"actor"`
	Kind         string          `json:"kind"`
	AssignmentID *int64          `json:"assignment_id"`
	Department   string          `json:"department"`
	From         string          `json:"from"`
	To           string          `json:"to"`
	Visibility   Visibility      `json:"visibility"`
	Data         json.RawMessage `json:"data"`
}
