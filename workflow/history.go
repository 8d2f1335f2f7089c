package workflow

import (
	"context"
	"encoding/json"
	"slices"
)

// NewComment is a remark on a case: an internal note (批示) or a public comment (留言).
type NewComment struct {
	Body       string     `json:"body"`
	Visibility Visibility `json:"visibility"`
}

// Validate checks a comment and defaults it to internal.
func (in *NewComment) Validate() error {
	var f fieldErrors
	checkText(&f, "body", in.Body, 1, 5000)
	if in.Visibility == "" {
		in.Visibility = VisibilityInternal
	}
	if in.Visibility != VisibilityInternal && in.Visibility != VisibilityPublic {
		f.add("visibility", "must be internal or public")
	}
	return f.err()
}

// AddComment appends a comment to a case the actor may see. Viewers may not
// comment; a reporter comments only publicly, and only on their own cases.
// ifMatch, when not zero, must equal the case's version: a comment written
// against a case that has moved on is refused.
func (s *Service) AddComment(ctx context.Context, caseID int64, in NewComment, ifMatch int) (*Event, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var eventID int64
	err := s.inTx(ctx, func(tx prepared) error {
		c, err := s.loadCase(ctx, tx, actor, byCase(caseID), ifMatch != 0)
		if err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != c.Version {
			return Errorf(ErrPreconditionFailed, "the case is at version %d, not %d", c.Version, ifMatch)
		}
		if err := s.mayComment(actor, c, in.Visibility); err != nil {
			return err
		}
		eventID, err = appendEvent(ctx, tx, eventRecord{caseID: c.ID, actorID: &actor.UserID, at: s.now(),
			kind: string(ActionComment), visibility: in.Visibility, data: map[string]string{"body": in.Body}})
		return err
	})
	if err != nil {
		return nil, err
	}
	events, err := s.Events(ctx, caseID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(events, func(e *Event) bool { return e.ID == eventID })
	return events[i], nil
}

// mayComment applies the comment rules to a case the actor can see.
func (s *Service) mayComment(actor *Actor, c *Case, v Visibility) error {
	if !s.canAnywhere(actor, string(ActionComment)) {
		return Errorf(ErrForbidden, "your role may not comment")
	}
	if v == VisibilityInternal && (c.Redacted || !s.canAnywhere(actor, CapCommentInternal)) {
		return Errorf(ErrForbidden, "you may only comment publicly")
	}
	return nil
}

// CommentVisibilities lists the visibilities the actor may comment with on c.
func (s *Service) CommentVisibilities(actor *Actor, c *Case) []Visibility {
	var out []Visibility
	for _, v := range []Visibility{VisibilityInternal, VisibilityPublic} {
		if s.mayComment(actor, c, v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// Events returns the history of a case the actor may see, oldest first. A
// caller who sees the case only as its reporter gets the public part.
func (s *Service) Events(ctx context.Context, caseID int64) ([]*Event, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	c, err := s.loadCase(ctx, s.pool(), actor, byCase(caseID), false)
	if err != nil {
		return nil, dbError(err)
	}
	events, err := selectEvents(ctx, s.pool(), caseID)
	if err != nil {
		return nil, dbError(err)
	}
	if !c.Redacted {
		return events, nil
	}
	public := events[:0]
	for _, e := range events {
		if e.Kind == string(ActionComment) && e.Visibility != VisibilityPublic {
			continue
		}
		e.Data = publicData(e.Kind, e.Data)
		public = append(public, e)
	}
	return public, nil
}

// publicFields lists, per event kind, the data a reporter may read: no
// instructions, internal notes, decline or extension reasons.
var publicFields = map[string][]string{
	string(ActionCreate):         {"title", "priority"},
	string(ActionReject):         {"reason"},
	string(ActionDispatch):       {"department", "role", "due_at"},
	string(ActionComplete):       {"resolution"},
	string(ActionClose):          {"note"},
	string(ActionReopen):         {"reason"},
	string(ActionRate):           {"score", "comment"},
	string(ActionComment):        {"body"},
	string(ActionGrantExtension): {"due_at"},
}

// publicData keeps the fields of an event's data that a reporter may read.
func publicData(kind string, data json.RawMessage) json.RawMessage {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return json.RawMessage("{}")
	}
	kept := map[string]json.RawMessage{}
	for _, field := range publicFields[kind] {
		if v, ok := all[field]; ok {
			kept[field] = v
		}
	}
	out, _ := json.Marshal(kept)
	return out
}
