package workflow_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"casetrack/workflow"
)

// listWorld holds five cases, filed in this order (B and C at the same
// instant, and D and E, so that the newest-first order has ties):
//
//	A 刘家嘴站围栏阻挡行人  by operator      transport lead in progress, due in 7 days
//	B 沙坡站电动车乱停放    by operator      transport lead pending, due in 1 hour (overdue later); police declined
//	C 缺少斑马线和红绿灯    by police.head   submitted; address 秀湖公园站
//	D 道口缺少警示标志和防撞栏 by operator  submitted; description mentions 交叉
//	E 站前积水            by resident      submitted
type listWorld struct {
	*world
	refs map[string]string // title letter → ref
}

func newListWorld(t *testing.T) *listWorld {
	w := &listWorld{world: newWorld(t), refs: map[string]string{}}
	file := func(letter, login string, in workflow.NewCase) *workflow.Case {
		c := w.fileCase(login, in)
		w.refs[letter] = c.Ref
		return c
	}
	a := file("A", "operator", workflow.NewCase{Title: "A 刘家嘴站围栏阻挡行人", Location: workflow.Location{Address: "刘家嘴站"}})
	w.act("transport.officer", w.dispatch(a, "transport", workflow.RoleLead), workflow.Accept{})
	w.now = w.now.Add(time.Minute)
	b := file("B", "operator", workflow.NewCase{Title: "B 沙坡站电动车乱停放", Location: workflow.Location{Address: "沙坡站"}})
	soon := w.now.Add(time.Hour)
	if _, err := w.svc.DispatchAssignment(w.as("coordinator"), b.ID, workflow.Dispatch{Department: "transport", Role: workflow.RoleLead, DueAt: &soon}, 0); err != nil {
		t.Fatal(err)
	}
	w.act("police.head", w.dispatch(b, "police", workflow.RoleSupport), workflow.Decline{Reason: "不属于本部门职能"})
	file("C", "police.head", workflow.NewCase{Title: "C 缺少斑马线和红绿灯", Location: workflow.Location{Address: "秀湖公园站"}})
	w.now = w.now.Add(time.Minute)
	file("D", "operator", workflow.NewCase{Title: "D 道口缺少警示标志和防撞栏", Description: "云巴轨道与道路交叉处", Location: workflow.Location{Address: "汽车露营地站"}})
	file("E", "resident", workflow.NewCase{Title: "E 站前积水", Location: workflow.Location{Address: "璧泉街道"}})
	w.now = w.now.Add(2 * time.Hour) // B's lead is now overdue
	return w
}

// sub is the same world seen from subtest t.
func (w *listWorld) sub(t *testing.T) *listWorld {
	return &listWorld{world: w.world.sub(t), refs: w.refs}
}

// listAll walks every page of the list as login, limit cases at a time, and
// returns the cases' letters in order; it fails on a repeated case or a
// page count that does not fit.
func (w *listWorld) listAll(login string, f workflow.CaseFilter) string {
	w.t.Helper()
	var letters []string
	pages := 0
	for {
		page, err := w.svc.ListCases(w.as(login), f)
		if err != nil {
			w.t.Fatal(err)
		}
		pages++
		for _, c := range page.Items {
			letter, _, _ := strings.Cut(c.Title, " ")
			if slices.Contains(letters, letter) {
				w.t.Fatalf("case %s listed twice", letter)
			}
			letters = append(letters, letter)
		}
		if page.NextCursor == nil {
			break
		}
		f.Cursor = *page.NextCursor
	}
	if f.Limit > 0 {
		if want := max(1, (len(letters)+f.Limit-1)/f.Limit); pages != want {
			w.t.Errorf("%d cases took %d pages of %d, want %d", len(letters), pages, f.Limit, want)
		}
	}
	return strings.Join(letters, "")
}

// wantPages walks the list as login at each page size (0 for the default)
// and checks that it lists want, newest filed first, every case once.
func (w *listWorld) wantPages(login string, f workflow.CaseFilter, want string, limits ...int) {
	w.t.Helper()
	for _, limit := range limits {
		f.Limit = limit
		if got := w.listAll(login, f); got != want {
			w.t.Errorf("%d a page: lists %q, want %q", limit, got, want)
		}
	}
}

func TestEachUserListsOnlyTheCasesTheyMaySee(t *testing.T) {
	w := newListWorld(t)
	tests := []struct {
		login string
		want  string // newest first
	}{
		{"coordinator", "EDCBA"},
		{"viewer", "EDCBA"},
		{"admin", "EDCBA"},
		{"operator", "DBA"},
		{"resident", "E"},
		{"transport.officer", "BA"},
		// B had a police assignment (declined); C is the police head's own report.
		{"police.head", "CB"},
		{"police.officer", "B"},
	}
	for _, tt := range tests {
		t.Run(tt.login, func(t *testing.T) {
			w := w.sub(t)
			if got := w.listAll(tt.login, workflow.CaseFilter{Limit: 2}); got != tt.want {
				t.Fatalf("lists %s, want %s", got, tt.want)
			}
		})
	}
}

func TestListFilters(t *testing.T) {
	w := newListWorld(t)
	yes, no := true, false
	tests := []struct {
		name   string
		login  string
		filter workflow.CaseFilter
		want   string
	}{
		{"by one status", "coordinator", workflow.CaseFilter{Statuses: []workflow.CaseStatus{"submitted"}}, "EDC"},
		{"by several statuses", "coordinator", workflow.CaseFilter{Statuses: []workflow.CaseStatus{"dispatched", "in_progress"}}, "BA"},
		{"by a department that declined", "coordinator", workflow.CaseFilter{Department: "police"}, "B"},
		{"by a department", "coordinator", workflow.CaseFilter{Department: "transport"}, "BA"},
		{"overdue", "coordinator", workflow.CaseFilter{Overdue: &yes}, "B"},
		{"not overdue", "coordinator", workflow.CaseFilter{Overdue: &no}, "EDCA"},
		{"overdue for the department itself", "coordinator", workflow.CaseFilter{Department: "transport", Overdue: &yes}, "B"},
		{"overdue only for another department", "coordinator", workflow.CaseFilter{Department: "police", Overdue: &yes}, ""},
		{"not overdue for the department itself", "coordinator", workflow.CaseFilter{Department: "transport", Overdue: &no}, "A"},
		{"not overdue for a department whose work is over", "coordinator", workflow.CaseFilter{Department: "police", Overdue: &no}, "B"},
		{"an officer's own department", "transport.officer", workflow.CaseFilter{Department: "transport"}, "BA"},
		{"an officer's overdue work", "transport.officer", workflow.CaseFilter{Department: "transport", Overdue: &yes}, "B"},
		{"an officer's cases overdue anywhere", "transport.officer", workflow.CaseFilter{Overdue: &yes}, "B"},
		{"another department, as far as an officer may see", "police.officer", workflow.CaseFilter{Department: "transport"}, "B"},
		{"a department, among the cases a reporter filed", "operator", workflow.CaseFilter{Department: "transport"}, "BA"},
		{"a department, among the cases a reporter filed, none of them", "resident", workflow.CaseFilter{Department: "transport"}, ""},
		{"a status, among a department's and its own reports", "police.head", workflow.CaseFilter{Statuses: []workflow.CaseStatus{"submitted"}}, "C"},
		{"two Chinese characters in the title", "coordinator", workflow.CaseFilter{Query: "围栏"}, "A"},
		{"one Chinese character", "coordinator", workflow.CaseFilter{Query: "栏"}, "DA"},
		{"words in the address", "coordinator", workflow.CaseFilter{Query: "秀湖"}, "C"},
		{"words in the description", "coordinator", workflow.CaseFilter{Query: "交叉"}, "D"},
		{"a reference, in any case", "coordinator", workflow.CaseFilter{Query: strings.ToLower(w.refs["B"])}, "B"},
		{"no match", "coordinator", workflow.CaseFilter{Query: "地铁"}, ""},
		{"search stays within what the user may see", "operator", workflow.CaseFilter{Query: "斑马线"}, ""},
		{"an officer's search", "transport.officer", workflow.CaseFilter{Query: "站"}, "BA"},
		{"a search among one's own reports", "police.head", workflow.CaseFilter{Query: "斑马线"}, "C"},
		{"status and search together", "coordinator", workflow.CaseFilter{Statuses: []workflow.CaseStatus{"submitted"}, Query: "缺少"}, "DC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One page, then a page per case: the cursor neither skips nor repeats a match.
			w.sub(t).wantPages(tt.login, tt.filter, tt.want, 0, 1)
		})
	}
}

func TestPagesWalkEveryCaseOnceNewestFirst(t *testing.T) {
	newListWorld(t).wantPages("coordinator", workflow.CaseFilter{}, "EDCBA", 1, 2, 3, 4, 5, 6)
}

func TestListRefusesBadFilters(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name   string
		filter workflow.CaseFilter
		field  string
	}{
		{"an unknown status", workflow.CaseFilter{Statuses: []workflow.CaseStatus{"open"}}, "status"},
		{"too long a page", workflow.CaseFilter{Limit: workflow.MaxLimit + 1}, "limit"},
		{"a cursor this server never gave out", workflow.CaseFilter{Cursor: "bm90IGEgY3Vyc29y"}, "cursor"},
		{"an unknown department", workflow.CaseFilter{Department: "weather"}, "department"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.ListCases(w.as("coordinator"), tt.filter)
			if e := wantCode(t, err, workflow.ErrInvalid); !slices.Equal(fieldNames(e), []string{tt.field}) {
				t.Fatalf("fields %v, want %s", fieldNames(e), tt.field)
			}
		})
	}
}

func TestListsRunNewestFiledFirstWhateverTheirCreationTime(t *testing.T) {
	w := newWorld(t)
	first := w.fileCase("operator", workflow.NewCase{Title: "1 刘家嘴站围栏阻挡行人"})
	// Backdated, as imported or seeded data may be: filed later, created earlier.
	w.now = w.now.Add(-24 * time.Hour)
	second := w.fileCase("operator", workflow.NewCase{Title: "2 沙坡站电动车乱停放"})
	if !second.CreatedAt.Before(first.CreatedAt) {
		t.Fatalf("the second case was created at %s, not before the first (%s)", second.CreatedAt, first.CreatedAt)
	}
	(&listWorld{world: w}).wantPages("coordinator", workflow.CaseFilter{}, "21", 0, 1)
}

func TestAnOfficerOfSeveralDepartmentsSeesEachOfTheirCasesOnce(t *testing.T) {
	w := newListWorld(t)
	w.addUser("duty.officer",
		workflow.Grant{Role: "dept_officer", Department: "transport"},
		workflow.Grant{Role: "dept_officer", Department: "police"})
	// A is transport's only, G police's only, B has an assignment of each
	// of their departments, F is their own report.
	g := w.fileCase("resident", workflow.NewCase{Title: "G 站前积水严重"})
	w.dispatch(g, "police", workflow.RoleLead)
	w.fileCase("duty.officer", workflow.NewCase{Title: "F 站内广播听不清"})
	yes := true
	tests := []struct {
		name   string
		filter workflow.CaseFilter
		want   string
	}{
		{"everything", workflow.CaseFilter{}, "FGBA"},
		{"by status", workflow.CaseFilter{Statuses: []workflow.CaseStatus{"submitted", "in_progress"}}, "FA"},
		{"one of their departments", workflow.CaseFilter{Department: "police"}, "GB"},
		{"a department not theirs", workflow.CaseFilter{Department: "ndrc"}, ""},
		{"overdue", workflow.CaseFilter{Overdue: &yes}, "B"},
		{"search", workflow.CaseFilter{Query: "站"}, "FGBA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.sub(t).wantPages("duty.officer", tt.filter, tt.want, 0, 1, 2)
		})
	}
}

func TestOverdueListsACaseOnceHoweverManyOfItsAssignmentsAreOverdue(t *testing.T) {
	w := newWorld(t)
	soon := w.now.Add(time.Hour)
	for _, title := range []string{"1 刘家嘴站围栏阻挡行人", "2 沙坡站电动车乱停放"} {
		c := w.fileCase("operator", workflow.NewCase{Title: title})
		for _, d := range []workflow.Dispatch{
			{Department: "transport", Role: workflow.RoleLead, DueAt: &soon},
			{Department: "police", Role: workflow.RoleSupport, DueAt: &soon},
		} {
			if _, err := w.svc.DispatchAssignment(w.as("coordinator"), c.ID, d, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.fileCase("operator", workflow.NewCase{Title: "3 站前积水"})
	w.now = w.now.Add(2 * time.Hour)
	yes := true
	// Everyone's overdue work comes from the live assignments, two per case here.
	(&listWorld{world: w}).wantPages("coordinator", workflow.CaseFilter{Overdue: &yes}, "21", 0, 1)
}
