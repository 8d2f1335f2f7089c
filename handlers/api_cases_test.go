package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"casetrack/workflow"
)

func TestARepeatedIdempotencyKeyAnswersTheFirstResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"title":"秀湖公园站缺少接驳公交","priority":"normal"}`
	first := e.call("operator", http.MethodPost, "/api/v1/cases", body, "Idempotency-Key", "feeder-1").want(t, http.StatusCreated)
	again := e.call("operator", http.MethodPost, "/api/v1/cases", body, "Idempotency-Key", "feeder-1").want(t, http.StatusCreated)
	if string(again.body) != string(first.body) {
		t.Errorf("the repeat answered another body:\n%s\n%s", first.body, again.body)
	}
	for _, h := range []string{"Location", "ETag"} {
		if again.header.Get(h) != first.header.Get(h) {
			t.Errorf("%s: %q then %q", h, first.header.Get(h), again.header.Get(h))
		}
	}
	// Keys belong to their user: the same key from someone else is a new request.
	e.call("transport.officer", http.MethodPost, "/api/v1/cases", body, "Idempotency-Key", "feeder-1").want(t, http.StatusCreated)

	// Concurrent repeats of a new key create one case.
	var wg sync.WaitGroup
	locations := make([]string, 8)
	for i := range locations {
		wg.Go(func() {
			r := e.withT(t).call("operator", http.MethodPost, "/api/v1/cases", `{"title":"汽车露营地站无指示牌"}`, "Idempotency-Key", "camp-1")
			if r.status != http.StatusCreated {
				t.Errorf("concurrent repeat: %d %s", r.status, r.body)
			}
			locations[i] = r.header.Get("Location")
		})
	}
	wg.Wait()
	if distinct := slices.Compact(slices.Sorted(slices.Values(locations))); len(distinct) != 1 {
		t.Errorf("concurrent repeats created several cases: %v", locations)
	}
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM cases`); err != nil || n != 3 {
		t.Errorf("%d cases (%v), want 3", n, err)
	}
}

// listCases reads a list as login and returns the refs in order, and the next cursor.
func listCases(t *testing.T, e *env, login, query string) ([]string, *string) {
	t.Helper()
	var page workflow.CasePage
	e.call(login, http.MethodGet, "/api/v1/cases?"+query, nil).want(t, http.StatusOK).decode(t, &page)
	var titles []string
	for _, c := range page.Items {
		titles = append(titles, c.Title)
	}
	return titles, page.NextCursor
}

func TestListingCasesFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fileCase("operator", "沙坡站广场卫生差")
	_, transportLead := e.caseWithLead("刘家嘴站围栏阻挡行人")
	policeCase := e.fileCase("operator", "璧山站信号灯缺失")
	policeLead := e.dispatchTo(policeCase.ID, "police", workflow.RoleLead)
	e.dispatchTo(policeCase.ID, "ndrc", workflow.RoleSupport)
	e.act("police.officer", policeLead.ID, workflow.Accept{})

	all, next := listCases(t, e, "coordinator", "")
	if !slices.Equal(all, []string{"璧山站信号灯缺失", "刘家嘴站围栏阻挡行人", "沙坡站广场卫生差"}) || next != nil {
		t.Fatalf("newest first: %v (next %v)", all, next)
	}
	for query, want := range map[string][]string{
		"status=submitted":                 {"沙坡站广场卫生差"},
		"status=submitted,dispatched":      {"刘家嘴站围栏阻挡行人", "沙坡站广场卫生差"},
		"status=in_progress&status=closed": {"璧山站信号灯缺失"},
		"department=police":                {"璧山站信号灯缺失"},
		"department=ndrc":                  {"璧山站信号灯缺失"},
		"department=transport":             {"刘家嘴站围栏阻挡行人"},
		"q=" + url.QueryEscape("信号灯"):      {"璧山站信号灯缺失"},
		"q=" + url.QueryEscape("围栏"):       {"刘家嘴站围栏阻挡行人"},
		"overdue=true":                     nil,
		"overdue=false&status=":            all,
	} {
		if got, _ := listCases(t, e, "coordinator", query); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
	if got, _ := listCases(t, e, "transport.head", ""); !slices.Equal(got, []string{"刘家嘴站围栏阻挡行人"}) {
		t.Errorf("transport sees %v", got)
	}

	// Past the due date, the open assignments are overdue.
	e.offset.Store(int64(8 * 24 * time.Hour))
	if got, _ := listCases(t, e, "coordinator", "overdue=true"); !slices.Equal(got, []string{"璧山站信号灯缺失", "刘家嘴站围栏阻挡行人"}) {
		t.Errorf("overdue: %v", got)
	}
	if got, _ := listCases(t, e, "coordinator", "overdue=true&department=transport"); !slices.Equal(got, []string{"刘家嘴站围栏阻挡行人"}) {
		t.Errorf("overdue in transport: %v", got)
	}
	var a workflow.Assignment
	e.call("transport.head", http.MethodGet, fmt.Sprintf("/api/v1/assignments/%d", transportLead.ID), nil).decode(t, &a)
	if !a.Overdue {
		t.Error("the transport lead is past due but not overdue")
	}

	// Pages of one, followed by their cursors, give the whole list once.
	var paged []string
	query := "limit=1"
	for {
		page, next := listCases(t, e, "coordinator", query)
		paged = append(paged, page...)
		if next == nil {
			break
		}
		query = "limit=1&cursor=" + url.QueryEscape(*next)
	}
	if !slices.Equal(paged, all) {
		t.Errorf("paged: %v, want %v", paged, all)
	}
}

func TestVersionsTravelAsETagsAndIfMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.fileCase("operator", "沙坡站照明不足")
	path := fmt.Sprintf("/api/v1/cases/%d", c.ID)
	if got := e.call("coordinator", http.MethodGet, path, nil).header.Get("ETag"); got != `"1"` {
		t.Fatalf("ETag %q", got)
	}
	triaged := e.call("coordinator", http.MethodPost, path+"/actions/triage", nil, "If-Match", `W/"1"`).want(t, http.StatusOK)
	if triaged.header.Get("ETag") != `"2"` {
		t.Errorf("ETag after triage %q", triaged.header.Get("ETag"))
	}
	r := e.call("coordinator", http.MethodPost, path+"/assignments", map[string]string{"department": "transport", "role": "lead"}, "If-Match", "*")
	r.want(t, http.StatusCreated)
	if r.header.Get("ETag") != `"1"` {
		t.Errorf("a new assignment's ETag %q", r.header.Get("ETag"))
	}
}

func TestReportersSeeTheirCaseRedacted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, lead := e.caseWithLead("刘家嘴站围栏阻挡行人")
	support := e.dispatchTo(c.ID, "police", workflow.RoleSupport)
	e.act("police.head", support.ID, workflow.Decline{Reason: "机密的退单理由", ReasonCode: "not_our_area"})
	e.act("transport.officer", lead.ID, workflow.Accept{})
	e.act("transport.officer", lead.ID, workflow.RequestExtension{Until: e.now().Add(30 * 24 * time.Hour), Reason: "机密的延期理由"})
	e.comment("coordinator", c.ID, workflow.VisibilityInternal)
	e.call("operator", http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/comments", c.ID), map[string]string{"body": "公开留言", "visibility": "public"}).want(t, http.StatusCreated)
	e.call("operator", http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/comments", c.ID), map[string]string{"body": "内部", "visibility": "internal"}).want(t, http.StatusForbidden)

	seen := string(e.call("operator", http.MethodGet, fmt.Sprintf("/api/v1/cases/%d", c.ID), nil).want(t, http.StatusOK).body) +
		string(e.call("operator", http.MethodGet, fmt.Sprintf("/api/v1/assignments/%d", lead.ID), nil).want(t, http.StatusOK).body) +
		string(e.call("operator", http.MethodGet, fmt.Sprintf("/api/v1/cases/%d/events", c.ID), nil).want(t, http.StatusOK).body)
	for _, secret := range []string{"请于本周内拆除围栏", "机密的退单理由", "机密的延期理由", "请尽快处理"} {
		if strings.Contains(seen, secret) {
			t.Errorf("the reporter reads %q", secret)
		}
	}
	for _, public := range []string{"公开留言", `"department":"police"`, `"due_at"`} {
		if !strings.Contains(seen, public) {
			t.Errorf("the reporter does not read %s", public)
		}
	}
	if full := string(e.call("transport.head", http.MethodGet, fmt.Sprintf("/api/v1/cases/%d/events", c.ID), nil).body); !strings.Contains(full, "机密的延期理由") {
		t.Error("the department does not read its own extension reason")
	}
}
