package workflow

import "context"

// AddCommentIfMatch is AddComment for a caller who names the case version it
// has seen: when ifMatch is not zero and the case has moved on, nothing is
// written and the answer is ErrPreconditionFailed.
//
// The version check and the comment are two transactions. A comment changes
// no version, so the gap only lets a comment land just after a change its
// author had not seen; AddComment taking ifMatch inside its transaction
// would close it.
func (s *Service) AddCommentIfMatch(ctx context.Context, caseID int64, in NewComment, ifMatch int) (*Event, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if ifMatch != 0 {
		c, err := s.GetCase(ctx, caseID)
		if err != nil {
			return nil, err
		}
		if c.Version != ifMatch {
			return nil, Errorf(ErrPreconditionFailed, "the case is at version %d, not %d", c.Version, ifMatch)
		}
	}
	return s.AddComment(ctx, caseID, in)
}
