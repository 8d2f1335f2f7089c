package workflow_test

import (
	"slices"
	"testing"
	"time"

	"casetrack/workflow"
)

// figuresOf returns one department's figures from a dashboard.
func figuresOf(t *testing.T, d *workflow.Dashboard, code string) workflow.DepartmentFigures {
	t.Helper()
	if d.Figures == nil {
		t.Fatal("the dashboard has no figures")
	}
	i := slices.IndexFunc(d.Figures.Departments, func(f workflow.DepartmentFigures) bool { return f.Code == code })
	if i < 0 {
		t.Fatalf("no figures for %s", code)
	}
	return d.Figures.Departments[i]
}

// queueCaseIDs lists the case ids of a queue.
func queueCaseIDs(q workflow.Queue) []int64 {
	var ids []int64
	for _, item := range q.Items {
		ids = append(ids, item.CaseID)
	}
	return ids
}

func TestDashboardFiguresFollowTheGlossary(t *testing.T) {
	w := newWorld(t)
	start := w.now

	// A: accepted within 24 h, completed on time, confirmed and rated 4.
	a, aLead := w.caseIn(workflow.CaseDispatched)
	w.now = start.Add(2 * time.Hour)
	w.act("transport.officer", aLead, workflow.Accept{})
	w.now = start.Add(3 * 24 * time.Hour)
	w.act("transport.head", aLead, workflow.Complete{Resolution: "围栏已拆除"})
	w.act("coordinator", aLead, workflow.Confirm{})
	w.actOnCase("operator", a, workflow.Rate{Score: 4})

	// B: accepted after 30 h, then left to run past its due date.
	w.now = start
	b, bLead := w.caseIn(workflow.CaseDispatched)
	w.now = start.Add(30 * time.Hour)
	w.act("transport.officer", bLead, workflow.Accept{})

	// C: dispatched a week later, due three days after that.
	w.now = start.Add(8 * 24 * time.Hour)
	c, _ := w.caseIn(workflow.CaseTriaged)
	due := w.now.Add(3 * 24 * time.Hour)
	if _, err := w.svc.DispatchAssignment(w.as("coordinator"), c.ID, workflow.Dispatch{Department: "transport", Role: workflow.RoleLead, DueAt: &due}, 0); err != nil {
		t.Fatal(err)
	}

	d, err := w.svc.Dashboard(w.as("coordinator"))
	if err != nil {
		t.Fatal(err)
	}
	got := figuresOf(t, d, "transport")
	want := workflow.DepartmentFigures{Code: "transport", Name: "transport", Open: 2, Overdue: 1, DueSoon: 1,
		Dispatched: 3, Responded: 1, Completed: 1, OnTime: 1, Ratings: 1, RatingSum: 4}
	if got != want {
		t.Errorf("transport's figures:\n got %+v\nwant %+v", got, want)
	}
	if rate, ok := got.OnTimeRate(); !ok || rate != 0.5 {
		t.Errorf("on-time rate %v %v: the open overdue assignment must count against it", rate, ok)
	}
	if rate, ok := got.ResponseRate(); !ok || rate != 1.0/3 {
		t.Errorf("response rate %v %v", rate, ok)
	}
	if _, ok := figuresOf(t, d, "police").Satisfaction(); ok {
		t.Error("police were never rated, yet have a satisfaction")
	}
	counts := map[workflow.CaseStatus]int{}
	for _, sc := range d.Figures.StatusCounts {
		counts[sc.Status] = sc.Count
	}
	if counts[workflow.CaseClosed] != 1 || counts[workflow.CaseInProgress] != 1 || counts[workflow.CaseDispatched] != 1 || d.Figures.Total() != 3 {
		t.Errorf("status counts %v", counts)
	}
	if !d.Global || d.Queues == nil {
		t.Fatal("the coordinator has no queues")
	}
	if ids := queueCaseIDs(d.Queues.Overdue); !slices.Equal(ids, []int64{b.ID}) {
		t.Errorf("overdue queue %v, want [%d]", ids, b.ID)
	}
}

func TestCoordinatorQueuesHoldWhatWaitsForThem(t *testing.T) {
	w := newWorld(t)
	submitted := w.newCase()
	declined, _ := w.leadIn(workflow.AssignmentDeclined)
	completed, _ := w.leadIn(workflow.AssignmentCompleted)
	extended, lead := w.leadIn(workflow.AssignmentInProgress)
	w.act("transport.officer", lead, workflow.RequestExtension{Until: w.now.Add(20 * 24 * time.Hour), Reason: "需协调施工单位"})
	// A declined lead that was replaced is no longer waiting.
	replaced, _ := w.leadIn(workflow.AssignmentDeclined)
	w.dispatch(replaced, "police", workflow.RoleLead)

	d, err := w.svc.Dashboard(w.as("viewer"))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		queue workflow.Queue
		want  []int64
	}{
		"awaiting triage":       {d.Queues.AwaitingTriage, []int64{submitted.ID}},
		"lead declined":         {d.Queues.LeadDeclined, []int64{declined.ID}},
		"awaiting confirmation": {d.Queues.AwaitingConfirmation, []int64{completed.ID}},
		"extension requests":    {d.Queues.ExtensionRequests, []int64{extended.ID}},
		"overdue":               {d.Queues.Overdue, nil},
	} {
		if got := queueCaseIDs(tc.queue); !slices.Equal(got, tc.want) || tc.queue.More {
			t.Errorf("%s: %v (more: %v), want %v", name, got, tc.queue.More, tc.want)
		}
	}
	if item := d.Queues.ExtensionRequests.Items[0]; item.ExtensionUntil == nil || item.Department != "transport" {
		t.Errorf("extension request item %+v", item)
	}
}

func TestExtensionRequestsWaitFromWhenTheyWereMade(t *testing.T) {
	w := newWorld(t)
	start := w.now
	first, firstLead := w.leadIn(workflow.AssignmentInProgress)
	second, secondLead := w.leadIn(workflow.AssignmentInProgress)
	until := start.Add(20 * 24 * time.Hour)
	w.act("transport.officer", firstLead, workflow.RequestExtension{Until: until, Reason: "需协调施工单位"})
	w.now = start.Add(time.Hour)
	w.act("transport.officer", secondLead, workflow.RequestExtension{Until: until, Reason: "需协调施工单位"})
	// Progress on the first request's work does not send it to the back.
	w.now = start.Add(2 * time.Hour)
	w.act("transport.officer", firstLead, workflow.Progress{Note: "已联系施工单位"})

	d, err := w.svc.Dashboard(w.as("coordinator"))
	if err != nil {
		t.Fatal(err)
	}
	q := d.Queues.ExtensionRequests
	if got := queueCaseIDs(q); !slices.Equal(got, []int64{first.ID, second.ID}) {
		t.Fatalf("extension requests %v, want [%d %d]: asked for longest ago first", got, first.ID, second.ID)
	}
	if !q.Items[0].At.Equal(start) || !q.Items[1].At.Equal(start.Add(time.Hour)) {
		t.Errorf("waiting since %v and %v, want %v and %v", q.Items[0].At, q.Items[1].At, start, start.Add(time.Hour))
	}
}

func TestDashboardCountsOnlyWhatTheActorMaySee(t *testing.T) {
	w := newWorld(t)
	w.leadIn(workflow.AssignmentInProgress) // transport's
	policeCase := w.newCase()
	w.dispatch(policeCase, "police", workflow.RoleLead)
	w.fileCase("resident", workflow.NewCase{Title: "秀湖公园站缺少人行横道"})

	for login, want := range map[string]struct {
		total, transportOpen, policeOpen int
	}{
		"police.officer": {1, 0, 1},
		"operator":       {2, 1, 1},
		"resident":       {1, 0, 0},
		"viewer":         {3, 1, 1},
	} {
		d, err := w.svc.Dashboard(w.as(login))
		if err != nil {
			t.Fatal(err)
		}
		if d.Figures.Total() != want.total || figuresOf(t, d, "transport").Open != want.transportOpen || figuresOf(t, d, "police").Open != want.policeOpen {
			t.Errorf("%s sees %d cases, transport %d open, police %d open; want %+v", login, d.Figures.Total(),
				figuresOf(t, d, "transport").Open, figuresOf(t, d, "police").Open, want)
		}
		if (d.Queues != nil) != d.Global || d.Global != (login == "viewer") {
			t.Errorf("%s: global %v, queues %v", login, d.Global, d.Queues != nil)
		}
	}
}

func TestDepartmentQueueListsTheOpenWork(t *testing.T) {
	w := newWorld(t)
	_, pending := w.leadIn(workflow.AssignmentPending)
	_, working := w.leadIn(workflow.AssignmentInProgress)
	_, returned := w.leadIn(workflow.AssignmentCompleted)
	returned = w.act("coordinator", returned, workflow.Return{Reason: "人行道未恢复"})
	soonCase, _ := w.caseIn(workflow.CaseTriaged)
	due := w.now.Add(2 * 24 * time.Hour)
	soon, err := w.svc.DispatchAssignment(w.as("coordinator"), soonCase.ID, workflow.Dispatch{Department: "transport", Role: workflow.RoleLead, DueAt: &due}, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.leadIn(workflow.AssignmentConfirmed) // done: in no list
	w.now = w.now.Add(8 * 24 * time.Hour)  // the 7-day ones are overdue now, the 2-day one too
	lateCase, _ := w.caseIn(workflow.CaseTriaged)
	due = w.now.Add(3 * 24 * time.Hour)
	upcoming, err := w.svc.DispatchAssignment(w.as("coordinator"), lateCase.ID, workflow.Dispatch{Department: "transport", Role: workflow.RoleLead, DueAt: &due}, 0)
	if err != nil {
		t.Fatal(err)
	}

	q, err := w.svc.DepartmentQueue(w.as("transport.officer"), "transport")
	if err != nil {
		t.Fatal(err)
	}
	ids := func(entries []*workflow.QueueEntry) []int64 {
		var out []int64
		for _, e := range entries {
			out = append(out, e.Assignment.ID)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(v ...int64) []int64 { slices.Sort(v); return v }
	for name, tc := range map[string]struct{ got, want []int64 }{
		"to accept":   {ids(q.ToAccept), sorted(pending.ID, soon.ID, upcoming.ID)},
		"in progress": {ids(q.InProgress), sorted(working.ID, returned.ID)},
		"returned":    {ids(q.Returned), sorted(returned.ID)},
		"overdue":     {ids(q.Overdue), sorted(pending.ID, working.ID, returned.ID, soon.ID)},
		"due soon":    {ids(q.DueSoon), sorted(upcoming.ID)},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: %v, want %v", name, tc.got, tc.want)
		}
	}
	// The officer may accept but not decline: the same allowed actions as everywhere.
	for _, e := range q.ToAccept {
		if !slices.Equal(e.Assignment.AllowedActions, []workflow.Action{workflow.ActionAccept}) {
			t.Errorf("officer's actions on a pending assignment: %v", e.Assignment.AllowedActions)
		}
	}

	if _, err := w.svc.DepartmentQueue(w.as("coordinator"), "transport"); err != nil {
		t.Errorf("the coordinator may read every queue: %v", err)
	}
	for login, code := range map[string]string{"police.officer": "transport", "operator": "transport", "transport.head": "police", "coordinator": "nowhere"} {
		_, err := w.svc.DepartmentQueue(w.as(login), code)
		wantCode(t, err, workflow.ErrNotFound)
	}
}

func TestMenuOffersWhatTheRoleMayUse(t *testing.T) {
	w := newWorld(t)
	for login, want := range map[string]struct {
		create, readAll, manage bool
		departments             []string
	}{
		"admin":          {true, true, true, nil},
		"coordinator":    {true, true, false, nil},
		"viewer":         {false, true, false, nil},
		"operator":       {true, false, false, nil},
		"transport.head": {true, false, false, []string{"transport"}},
	} {
		m, err := w.svc.MenuFor(w.as(login))
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, d := range m.Departments {
			codes = append(codes, d.Code)
		}
		if m.CreateCase != want.create || m.ReadAll != want.readAll || m.Manage != want.manage || !slices.Equal(codes, want.departments) {
			t.Errorf("%s: %+v, want %+v", login, m, want)
		}
	}
}

// leadWantedDefinition is which open cases wait for a new lead, and since
// when, computed from the assignments as migration 00008 defines it.
const leadWantedDefinition = `SELECT c.id, c.lead_wanted_since IS NOT NULL AS stored, EXISTS (
		SELECT 1 FROM assignments a WHERE a.case_id = c.id AND a.round = c.round AND a.role = 'lead' AND a.status = 'declined')
	AND NOT EXISTS (
		SELECT 1 FROM assignments l WHERE l.case_id = c.id AND l.round = c.round AND l.role = 'lead'
			AND l.status IN ('pending', 'in_progress', 'completed', 'confirmed'))
	AND c.status IN ('triaged', 'dispatched', 'in_progress') AS defined
	FROM cases c ORDER BY c.id`

func TestCasesWaitingForANewLeadAreKeptThroughEveryChange(t *testing.T) {
	w := newWorld(t)
	c, lead := w.caseIn(workflow.CaseDispatched)
	// It waits since the moment it began waiting, until it does not.
	check := func(step string, since *time.Time) {
		t.Helper()
		var rows []struct {
			ID      int64 `db:"id"`
			Stored  bool  `db:"stored"`
			Defined bool  `db:"defined"`
		}
		if err := w.db.Select(&rows, leadWantedDefinition); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Stored != r.Defined {
				t.Errorf("%s: case %d waits for a lead: stored %v, by definition %v", step, r.ID, r.Stored, r.Defined)
			}
		}
		q := w.dashboard(w.svc, "coordinator").Queues.LeadDeclined
		switch {
		case since == nil && len(q.Items) != 0:
			t.Errorf("%s: the queue holds %v, want nothing", step, queueCaseIDs(q))
		case since != nil && (len(q.Items) != 1 || q.Items[0].CaseID != c.ID || !q.Items[0].At.Equal(*since)):
			t.Errorf("%s: the queue holds %+v, want case %d waiting since %v", step, q.Items, c.ID, *since)
		}
	}
	check("a lead dispatched", nil)

	w.now = w.now.Add(time.Hour)
	declined := w.now
	w.act("transport.head", lead, workflow.Decline{Reason: "属于区城市管理局职能"})
	check("the only lead declined", &declined)

	w.now = w.now.Add(time.Hour)
	support := w.dispatch(c, "police", workflow.RoleSupport)
	check("a support dispatched", &declined)

	w.now = w.now.Add(time.Hour)
	newLead := w.dispatch(c, "citymgmt", workflow.RoleLead)
	check("a new lead dispatched", nil)

	w.now = w.now.Add(time.Hour)
	declinedAgain := w.now
	w.addUser("citymgmt.head", workflow.Grant{Role: workflow.RoleDeptHead, Department: "citymgmt"})
	w.act("citymgmt.head", newLead, workflow.Decline{Reason: "不属于本部门职能"})
	check("the new lead declined, the support still at work", &declinedAgain)

	w.now = w.now.Add(time.Hour)
	w.act("coordinator", support, workflow.Cancel{Reason: "不需要协办"})
	check("the support withdrawn", &declinedAgain)

	w.actOnCase("coordinator", c, workflow.Reject{Reason: "不属于本平台受理范围"})
	check("the case rejected", nil)
}
