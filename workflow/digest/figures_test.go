package digest_test

import (
	"context"
	"testing"

	"casetrack/workflow/digest"
)

// refs returns the case references of the items listed, in order.
func refs(w *world, list digest.ItemList) []string {
	out := []string{}
	for _, it := range list.Items {
		out = append(out, titleOf(w, it.Ref))
	}
	return out
}

// titleOf names a case by its title, which the fixture chose, rather than its number.
func titleOf(w *world, ref string) string {
	w.t.Helper()
	var title string
	if err := w.db.Get(&title, `SELECT title FROM cases WHERE ref = $1`, ref); err != nil {
		w.t.Fatal(err)
	}
	return title
}

func wantCount(t *testing.T, name string, got, want digest.Count) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %+v, want %+v", name, got, want)
	}
}

func wantRate(t *testing.T, name string, got, want digest.ComparedRate) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %+v, want %+v", name, got, want)
	}
}

func wantList(t *testing.T, name string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %q, want %q", name, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %q, want %q", name, got, want)
			return
		}
	}
}

// Week 47 is counted as it stood at Monday 23 November 00:00 (AsOf), week
// 46 at Monday 16 November 00:00. Each expected number below is derived
// from the events of bishan() by hand.
func TestTransportDigestFiguresMatchTheEvents(t *testing.T) {
	t.Parallel()
	w := bishan(t)
	d := w.newDigester("", "test")
	got, err := d.DepartmentFigures(context.Background(), week47, "transport")
	if err != nil {
		t.Fatal(err)
	}
	if !got.AsOf.Equal(at("2026-11-23 00:00")) || !got.Start.Equal(at("2026-11-16 00:00")) {
		t.Errorf("period %v – %v as of %v", got.Start, got.End, got.AsOf)
	}
	// Transport's assignments: A (lead), C (support), D (lead), H (lead), I (lead).
	// At 23 Nov: A completed (awaiting review), D confirmed, C and H in progress, I pending → open 3.
	// At 16 Nov: A in progress (due 30 Nov after the extension), D in progress (due 15 Nov) → open 2.
	wantCount(t, "open", got.Open, digest.Count{Now: 3, Prev: 2})
	// Overdue at 23 Nov: none (C due 27 Nov, H 24 Nov, I 10 Dec). At 16 Nov: D (due 15 Nov 10:00).
	wantCount(t, "overdue", got.Overdue, digest.Count{Now: 0, Prev: 1})
	// Due before 30 Nov 00:00: H (24 Nov 09:00, 1 d 9 h → 2 days left) and C (27 Nov 10:30, 4 d 10.5 h → 5 days left).
	// At 16 Nov, before 23 Nov: nothing (A was due 30 Nov).
	wantCount(t, "due soon", got.DueSoon, digest.Count{Now: 2, Prev: 0})
	wantList(t, "due soon items", refs(w, got.DueSoonItems), []string{"刘家嘴站人行道恢复", "秀湖公园站缺少斑马线"})
	if got.DueSoonItems.Items[0].Days != 2 || got.DueSoonItems.Items[1].Days != 5 {
		t.Errorf("days left %d, %d; want 2, 5", got.DueSoonItems.Items[0].Days, got.DueSoonItems.Items[1].Days)
	}
	wantList(t, "later items", refs(w, got.LaterItems), []string{"秀湖公园站接驳站点设置"})
	// Dispatched in week 47: C (16 Nov), H (17 Nov), I (20 Nov); in week 46: A (9 Nov), D (11 Nov).
	wantCount(t, "dispatched", got.Dispatched, digest.Count{Now: 3, Prev: 2})
	wantList(t, "dispatched items", refs(w, got.DispatchedItems), []string{"秀湖公园站缺少斑马线", "刘家嘴站人行道恢复", "秀湖公园站接驳站点设置"})
	// Accepted in week 47: C (16 Nov 11:00), H (17 Nov 11:00); in week 46: A (9 Nov 20:00), D (11 Nov 15:00).
	wantCount(t, "accepted", got.Accepted, digest.Count{Now: 2, Prev: 2})
	// Completed in week 47: D (17 Nov), A (19 Nov); in week 46: none.
	wantCount(t, "completed", got.Completed, digest.Count{Now: 2, Prev: 0})
	wantList(t, "completed items", refs(w, got.CompletedItems), []string{"汽车露营地接驳小巴线路", "刘家嘴站围栏阻挡行人"})
	// Pending extension requests at 23 Nov: H (asks for 5 Dec). At 16 Nov: none (A's was granted on 14 Nov).
	wantCount(t, "extensions", got.Extensions, digest.Count{Now: 1, Prev: 0})
	if len(got.ExtensionItems.Items) == 1 && !got.ExtensionItems.Items[0].Until.Equal(at("2026-12-05 18:00")) {
		t.Errorf("extension asks for %v", got.ExtensionItems.Items[0].Until)
	}
	// No urge for transport in either week.
	wantCount(t, "urges", got.Urges, digest.Count{Now: 0, Prev: 0})
	for _, it := range got.DispatchedItems.Items {
		if it.URL != "https://casetrack.bishan.example/cases/"+itoa(it.CaseID) {
			t.Errorf("item %s links to %s", it.Ref, it.URL)
		}
	}
}

func TestPoliceDigestFiguresMatchTheEvents(t *testing.T) {
	t.Parallel()
	w := bishan(t)
	got, err := w.newDigester("", "test").DepartmentFigures(context.Background(), week47, "police")
	if err != nil {
		t.Fatal(err)
	}
	// Police: B (support; confirmed 19 Nov), C (lead; pending, due 18 Nov 10:00).
	// At 23 Nov: C open and overdue by 4 d 14 h → "逾期 5 天". At 16 Nov: B in progress, due 20 Nov → due soon.
	wantCount(t, "open", got.Open, digest.Count{Now: 1, Prev: 1})
	wantCount(t, "overdue", got.Overdue, digest.Count{Now: 1, Prev: 0})
	if len(got.OverdueItems.Items) != 1 || got.OverdueItems.Items[0].Days != 5 {
		t.Errorf("overdue items %+v, want C by 5 days", got.OverdueItems)
	}
	wantCount(t, "due soon", got.DueSoon, digest.Count{Now: 0, Prev: 1})
	// Dispatched: C in week 47, B in week 46. Accepted: none in 47, B in 46. Completed: B in 47.
	wantCount(t, "dispatched", got.Dispatched, digest.Count{Now: 1, Prev: 1})
	wantCount(t, "accepted", got.Accepted, digest.Count{Now: 0, Prev: 1})
	wantCount(t, "completed", got.Completed, digest.Count{Now: 1, Prev: 0})
	// Urged once in week 47 (C, 20 Nov), with the coordinator's note.
	wantCount(t, "urges", got.Urges, digest.Count{Now: 1, Prev: 0})
	if len(got.UrgeItems.Items) == 1 && got.UrgeItems.Items[0].Note != "请于本周内签收" {
		t.Errorf("urge note %q", got.UrgeItems.Items[0].Note)
	}
}

func TestOverviewFiguresMatchTheEvents(t *testing.T) {
	t.Parallel()
	w := bishan(t)
	got, err := w.newDigester("", "test").OverviewFigures(context.Background(), week47)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]digest.DepartmentRow{}
	for _, r := range got.Rows {
		rows[r.Department.Code] = r
	}
	if len(got.Rows) != 4 || got.Rows[0].Department.Code != "citymgmt" {
		t.Fatalf("rows %+v, want the four departments by code", got.Rows)
	}

	// City management: B (lead, overdue since 14 Nov 18:00), G (confirmed 12 Nov, rated 5 on 13 Nov).
	cm := rows["citymgmt"]
	wantCount(t, "citymgmt open", cm.Open, digest.Count{Now: 1, Prev: 1})
	wantCount(t, "citymgmt new", cm.New, digest.Count{Now: 0, Prev: 1})
	wantCount(t, "citymgmt completed", cm.Completed, digest.Count{Now: 0, Prev: 1})
	wantCount(t, "citymgmt overdue", cm.Overdue, digest.Count{Now: 1, Prev: 1})
	// 响应率: nothing dispatched in 47 (undefined); in 46 B was accepted 26 h after dispatch → 0 of 1.
	wantRate(t, "citymgmt response", cm.Response, digest.ComparedRate{Now: digest.Rate{Num: 0, Den: 0}, Prev: digest.Rate{Num: 0, Den: 1}})
	// 按时办结率: 47: 0 on time ÷ (0 completed + B overdue) = 0/1; 46: G completed late + B overdue = 0/2.
	wantRate(t, "citymgmt on time", cm.OnTime, digest.ComparedRate{Now: digest.Rate{Num: 0, Den: 1}, Prev: digest.Rate{Num: 0, Den: 2}})
	// 满意度: nothing rated in 47; G rated 5 in 46.
	if cm.Satisfaction != (digest.ComparedAverage{Now: digest.Average{}, Prev: digest.Average{Sum: 5, N: 1}}) {
		t.Errorf("citymgmt satisfaction %+v", cm.Satisfaction)
	}

	// Ndrc: C (support) dispatched 16 Nov 10:40 and declined: one dispatch, never accepted.
	nd := rows["ndrc"]
	wantCount(t, "ndrc open", nd.Open, digest.Count{Now: 0, Prev: 0})
	wantCount(t, "ndrc new", nd.New, digest.Count{Now: 1, Prev: 0})
	wantRate(t, "ndrc response", nd.Response, digest.ComparedRate{Now: digest.Rate{Num: 0, Den: 1}})
	wantRate(t, "ndrc on time", nd.OnTime, digest.ComparedRate{})

	// Police: C dispatched 16 Nov, not accepted → 0/1; B in 46 accepted after 6 h → 1/1.
	po := rows["police"]
	wantRate(t, "police response", po.Response, digest.ComparedRate{Now: digest.Rate{Num: 0, Den: 1}, Prev: digest.Rate{Num: 1, Den: 1}})
	// On time in 47: B completed 18 Nov, due 20 Nov (on time) + C overdue → 1/2; in 46 nothing to count.
	wantRate(t, "police on time", po.OnTime, digest.ComparedRate{Now: digest.Rate{Num: 1, Den: 2}})
	wantCount(t, "police overdue", po.Overdue, digest.Count{Now: 1, Prev: 0})

	// Transport: in 47 C (0.5 h), H (2 h) accepted within 24 h, I not at all → 2/3 (67%); in 46 A (6 h), D (5 h) → 2/2.
	tr := rows["transport"]
	wantRate(t, "transport response", tr.Response, digest.ComparedRate{Now: digest.Rate{Num: 2, Den: 3}, Prev: digest.Rate{Num: 2, Den: 2}})
	if p := tr.Response.Now.Percent(); p != 67 {
		t.Errorf("transport response %d%%, want 67%%", p)
	}
	// On time in 47: A done 19 Nov, due 30 Nov (yes); D done 17 Nov, due 15 Nov (no); nothing overdue → 1/2.
	// In 46: nothing completed, D overdue → 0/1.
	wantRate(t, "transport on time", tr.OnTime, digest.ComparedRate{Now: digest.Rate{Num: 1, Den: 2}, Prev: digest.Rate{Num: 0, Den: 1}})
	// D rated 4 on 18 Nov, after transport's work on it was confirmed on 17 Nov.
	if tr.Satisfaction != (digest.ComparedAverage{Now: digest.Average{Sum: 4, N: 1}}) {
		t.Errorf("transport satisfaction %+v", tr.Satisfaction)
	}

	// The district: sums of the rows, and every rating once.
	tot := got.Total
	wantCount(t, "total open", tot.Open, digest.Count{Now: 1 + 0 + 1 + 3, Prev: 1 + 0 + 1 + 2})
	wantCount(t, "total new", tot.New, digest.Count{Now: 0 + 1 + 1 + 3, Prev: 1 + 0 + 1 + 2})
	wantCount(t, "total completed", tot.Completed, digest.Count{Now: 0 + 0 + 1 + 2, Prev: 1 + 0 + 0 + 0})
	wantCount(t, "total overdue", tot.Overdue, digest.Count{Now: 1 + 0 + 1 + 0, Prev: 1 + 0 + 0 + 1})
	// Response 47: (0+0+0+2)/(0+1+1+3) = 2/5 = 40%; 46: (0+0+1+2)/(1+0+1+2) = 3/4.
	wantRate(t, "total response", tot.Response, digest.ComparedRate{Now: digest.Rate{Num: 2, Den: 5}, Prev: digest.Rate{Num: 3, Den: 4}})
	// On time 47: (0+0+1+1)/(1+0+2+2) = 2/5; 46: 0/(2+0+0+1) = 0/3.
	wantRate(t, "total on time", tot.OnTime, digest.ComparedRate{Now: digest.Rate{Num: 2, Den: 5}, Prev: digest.Rate{Num: 0, Den: 3}})
	// Satisfaction 47: D's 4; 46: G's 5.
	if tot.Satisfaction != (digest.ComparedAverage{Now: digest.Average{Sum: 4, N: 1}, Prev: digest.Average{Sum: 5, N: 1}}) {
		t.Errorf("total satisfaction %+v", tot.Satisfaction)
	}

	// Waiting for triage: E (filed 20 Nov) at 23 Nov; K (filed 13 Nov, rejected 17 Nov) at 16 Nov.
	wantCount(t, "awaiting triage", got.AwaitingTriage, digest.Count{Now: 1, Prev: 1})
	wantList(t, "triage items", refs(w, got.TriageItems), []string{"刘家嘴站道口缺少警示标志"})
	// Waiting for dispatch: F, triaged 12 Nov, both weeks.
	wantCount(t, "awaiting dispatch", got.AwaitingDispatch, digest.Count{Now: 1, Prev: 1})
	wantList(t, "dispatch items", refs(w, got.DispatchItems), []string{"沙坡站道口防撞护栏缺失"})
	// Waiting for review: A (transport completed 19 Nov); at 16 Nov nothing was completed and unreviewed.
	wantCount(t, "awaiting confirmation", got.AwaitingConfirmation, digest.Count{Now: 1, Prev: 0})
	wantList(t, "confirmation items", refs(w, got.ConfirmationItems), []string{"刘家嘴站围栏阻挡行人"})
	// Longest overdue: B by 8 d 6 h → 9 days, then C by 4 d 14 h → 5 days.
	wantList(t, "longest overdue", refs(w, got.LongestOverdue), []string{"沙坡站广场电动车乱停放", "秀湖公园站缺少斑马线"})
	if len(got.LongestOverdue.Items) == 2 && (got.LongestOverdue.Items[0].Days != 9 || got.LongestOverdue.Items[1].Days != 5) {
		t.Errorf("overdue by %d and %d days, want 9 and 5", got.LongestOverdue.Items[0].Days, got.LongestOverdue.Items[1].Days)
	}
}
