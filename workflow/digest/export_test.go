package digest

import "context"

// WeekDigests returns the overview and each department's digest of week, from one computation of its figures.
func (d *Digester) WeekDigests(ctx context.Context, week Week) (*Overview, []*DepartmentDigest, error) {
	f, err := d.collect(ctx, week)
	if err != nil {
		return nil, nil, err
	}
	return f.digests()
}

// ReplayedWeekDigests is WeekDigests computed by replaying every event, as the digest first did.
func (d *Digester) ReplayedWeekDigests(ctx context.Context, week Week) (*Overview, []*DepartmentDigest, error) {
	f, err := d.replayedFigures(ctx, week)
	if err != nil {
		return nil, nil, err
	}
	return f.digests()
}

func (f *weekFigures) digests() (*Overview, []*DepartmentDigest, error) {
	var out []*DepartmentDigest
	for _, dept := range f.departments {
		dd, err := f.department(dept.Code)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, dd)
	}
	return f.overview(), out, nil
}
