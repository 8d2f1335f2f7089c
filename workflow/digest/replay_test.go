package digest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/digest"
)

// The digest computes its figures from the assignments' rows and a few
// indexed events; these tests check them against a replay of every event,
// the way the figures are defined, over weeks of random work done through
// the Service: every figure and every list of every digest, for finished
// weeks and for previews of a week under way.
func TestFiguresMatchAReplayOfEveryEvent(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			sim := &simulation{w: w, rng: rand.New(rand.NewPCG(seed, 47))}
			end := at("2026-11-25 18:00")
			for now := at("2026-10-19 08:00"); now.Before(end); {
				next := now.Add(time.Duration(sim.rng.Int64N(int64(time.Hour))))
				if monday := digest.WeekOf(next, shanghai).Start(shanghai); now.Before(monday) {
					// Some work right at the turn of the week, where "before" and "since" meet.
					for range 10 {
						sim.step(monday)
					}
				}
				sim.step(next)
				now = next
			}
			for _, check := range []struct {
				now   time.Time
				weeks []int
			}{
				{end, []int{43, 44, 45, 46, 47, 48}},
				// Previews of a week under way, with the work done after them already in the database.
				{at("2026-11-11 13:00"), []int{45, 46}},
				{at("2026-11-16 00:00"), []int{46, 47}},
				{at("2026-11-20 09:30"), []int{47}},
			} {
				w.clock.Set(check.now)
				d := w.newDigester("", "test")
				for _, n := range check.weeks {
					sameFigures(t, d, digest.Week{Year: 2026, Number: n}, check.now)
				}
			}
			t.Logf("%d cases, %d assignments, %d events", w.count(`SELECT count(*) FROM cases`),
				w.count(`SELECT count(*) FROM assignments`), w.count(`SELECT count(*) FROM events`))
		})
	}
}

// sameFigures compares every digest of week with the replay of every event.
func sameFigures(t *testing.T, d *digest.Digester, week digest.Week, now time.Time) {
	t.Helper()
	overview, departments, err := d.WeekDigests(context.Background(), week)
	if err != nil {
		t.Fatal(err)
	}
	wantOverview, wantDepartments, err := d.ReplayedWeekDigests(context.Background(), week)
	if err != nil {
		t.Fatal(err)
	}
	asOf := now.Format(time.DateTime)
	sameJSON(t, fmt.Sprintf("overview of %s as of %s", week, asOf), overview, wantOverview)
	for i, dd := range departments {
		sameJSON(t, fmt.Sprintf("%s digest of %s as of %s", dd.Department.Code, week, asOf), dd, wantDepartments[i])
	}
}

func sameJSON(t *testing.T, name string, got, want any) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	if string(g) == string(w) {
		return
	}
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			from := max(0, i-8)
			t.Errorf("%s differs from the replay at line %d:\ngot:\n%s\nwant:\n%s", name, i,
				strings.Join(gl[from:min(len(gl), i+4)], "\n"), strings.Join(wl[from:min(len(wl), i+4)], "\n"))
			return
		}
	}
	t.Errorf("%s differs from the replay in length: %d lines, want %d", name, len(gl), len(wl))
}

// simulation does random work in the world: at each step it files a case
// or takes one of the actions the rules allow on a random case or one of
// its assignments, so that every kind of history occurs.
type simulation struct {
	w     *world
	rng   *rand.Rand
	cases []int64
}

// move is one action the rules allow now, and how often to pick it.
type move struct {
	weight int
	do     func() error
}

var heads = map[string]string{"citymgmt": "citymgmt.head", "ndrc": "ndrc.head", "police": "police.head", "transport": "transport.head"}

func (s *simulation) step(now time.Time) {
	s.w.clock.Set(now)
	if len(s.cases) == 0 || s.rng.IntN(100) < 8 {
		c, _, err := s.w.svc.CreateCase(s.ctx("operator"), workflow.NewCase{Title: fmt.Sprintf("璧山站问题 %d", len(s.cases)+1)}, nil)
		s.check(err)
		s.cases = append(s.cases, c.ID)
		return
	}
	c := s.load(s.cases[s.rng.IntN(len(s.cases))])
	moves := s.caseMoves(c, now)
	for _, a := range c.assignments {
		moves = append(moves, s.assignmentMoves(a)...)
	}
	total := 0
	for _, m := range moves {
		total += m.weight
	}
	if total == 0 {
		return
	}
	n := s.rng.IntN(total)
	for _, m := range moves {
		if n -= m.weight; n < 0 {
			s.check(m.do())
			return
		}
	}
}

// simCase is what the simulation needs to know of a case to pick a move.
type simCase struct {
	ID          int64               `db:"id"`
	Status      workflow.CaseStatus `db:"status"`
	assignments []simAssignment
}

type simAssignment struct {
	ID               int64                     `db:"id"`
	Department       string                    `db:"department"`
	Status           workflow.AssignmentStatus `db:"status"`
	ExtensionPending bool                      `db:"extension_pending"`
	DueAt            time.Time                 `db:"due_at"`
}

func (s *simulation) load(id int64) *simCase {
	c := &simCase{}
	if err := s.w.db.Get(c, `SELECT id, status FROM cases WHERE id = $1`, id); err != nil {
		s.w.t.Fatal(err)
	}
	err := s.w.db.Select(&c.assignments, `SELECT a.id, d.code AS department, a.status,
			a.extension_status IS NOT DISTINCT FROM 'pending' AS extension_pending, a.due_at
		FROM assignments a JOIN departments d ON d.id = a.department_id WHERE a.case_id = $1`, id)
	if err != nil {
		s.w.t.Fatal(err)
	}
	return c
}

func (s *simulation) caseMoves(c *simCase, now time.Time) []move {
	act := func(login string, cmd workflow.CaseCommand) func() error {
		return func() error { _, err := s.w.svc.ActOnCase(s.ctx(login), c.ID, cmd, 0); return err }
	}
	var moves []move
	for _, m := range []struct {
		weight int
		action workflow.Action
		do     func() error
	}{
		{20, workflow.ActionTriage, act("coordinator", workflow.Triage{})},
		{2, workflow.ActionReject, act("coordinator", workflow.Reject{Reason: "重复反映"})},
		{20, workflow.ActionDispatch, func() error { return s.dispatch(c, now) }},
		{5, workflow.ActionClose, act("coordinator", workflow.Close{})},
		{15, workflow.ActionRate, act("operator", workflow.Rate{Score: 1 + s.rng.IntN(5)})},
		{3, workflow.ActionReopen, act("coordinator", workflow.Reopen{Reason: "问题反复出现"})},
	} {
		if len(workflow.CaseTargets(c.Status, m.action)) > 0 {
			moves = append(moves, move{m.weight, m.do})
		}
	}
	return moves
}

func (s *simulation) dispatch(c *simCase, now time.Time) error {
	in := workflow.Dispatch{Department: bishanDepartments[s.rng.IntN(len(bishanDepartments))].Code,
		Role: workflow.RoleSupport, Instructions: "请按会议纪要办理"}
	if s.rng.IntN(100) < 60 {
		in.Role = workflow.RoleLead
	}
	if s.rng.IntN(100) < 70 {
		due := now.Add(time.Hour + time.Duration(s.rng.Int64N(int64(12*24*time.Hour))))
		in.DueAt = &due
	}
	_, err := s.w.svc.DispatchAssignment(s.ctx("coordinator"), c.ID, in, 0)
	return err
}

func (s *simulation) assignmentMoves(a simAssignment) []move {
	act := func(login string, cmd workflow.AssignmentCommand) func() error {
		return func() error { _, err := s.w.svc.ActOnAssignment(s.ctx(login), a.ID, cmd, 0); return err }
	}
	head := heads[a.Department]
	until := a.DueAt.Add(time.Duration(1+s.rng.IntN(10)) * 24 * time.Hour)
	var moves []move
	for _, m := range []struct {
		weight int
		cmd    workflow.AssignmentCommand
		login  string
	}{
		{30, workflow.Accept{}, head},
		{5, workflow.Decline{Reason: "不属于本部门职能", ReasonCode: "not_our_function"}, head},
		{10, workflow.Progress{Note: "正在处理"}, head},
		{8, workflow.RequestExtension{Until: until, Reason: "需协调施工单位"}, head},
		{20, workflow.Complete{Resolution: "已处理"}, head},
		{6, workflow.GrantExtension{}, "coordinator"},
		{4, workflow.DenyExtension{Reason: "理由不充分"}, "coordinator"},
		{20, workflow.Confirm{}, "coordinator"},
		{6, workflow.Return{Reason: "请补充材料"}, "coordinator"},
		{2, workflow.Cancel{Reason: "改由他部门办理"}, "coordinator"},
		{6, workflow.Urge{Note: "请尽快办理"}, "coordinator"},
	} {
		if _, ok := workflow.NextAssignment(a.Status, a.ExtensionPending, m.cmd.Action()); ok {
			moves = append(moves, move{m.weight, act(m.login, m.cmd)})
		}
	}
	return moves
}

func (s *simulation) ctx(login string) context.Context {
	return workflow.WithActor(context.Background(), s.w.actors[login])
}

// check fails the test on an error other than a refusal of the rules
// (a second lead, a due date in the past).
func (s *simulation) check(err error) {
	s.w.t.Helper()
	if err == nil {
		return
	}
	if code := workflow.ErrorCodeOf(err); code != workflow.ErrConflict && code != workflow.ErrInvalid {
		s.w.t.Fatal(err)
	}
}
