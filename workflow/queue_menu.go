package workflow

import (
	"context"
	"slices"
)

// Menu says which parts of the web view an actor may use, so that it never
// offers a page or a form that would be refused.
type Menu struct {
	// CreateCase: the actor may file cases (everyone but viewers).
	CreateCase bool
	// ReadAll: the actor sees every case and every department's queue.
	ReadAll bool
	// Manage: the actor administers users and departments.
	Manage bool
	// DigestPreview: the actor may preview the weekly digests (coordinators, administrators).
	DigestPreview bool
	// Departments are the ones the actor works in (我的部门), by code.
	Departments []Department
}

// MenuFor answers what the signed-in actor may use.
func (s *Service) MenuFor(ctx context.Context) (*Menu, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	m := &Menu{
		CreateCase:    s.canAnywhere(actor, string(ActionCreate)),
		ReadAll:       s.can(actor, GlobalDomain, CapReadAll),
		Manage:        s.can(actor, GlobalDomain, CapManage),
		DigestPreview: s.can(actor, GlobalDomain, CapDigestPreview),
	}
	own := actor.Departments()
	if len(own) == 0 {
		return m, nil
	}
	all, err := s.Departments(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range all {
		if slices.Contains(own, d.Code) {
			m.Departments = append(m.Departments, d)
		}
	}
	return m, nil
}
