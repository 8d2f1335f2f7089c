package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"casetrack/workflow"
)

func TestEveryPageRendersForEveryRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, a := e.leadAt("in_progress")
	e.act("transport.officer", a.ID, workflow.RequestExtension{Until: e.now().Add(20 * 24 * time.Hour), Reason: "需协调施工单位"})
	if _, err := e.svc.AddComment(e.as("coordinator"), c.ID, workflow.NewComment{Body: "请尽快处理", Visibility: workflow.VisibilityInternal}, 0); err != nil {
		t.Fatal(err)
	}
	e.leadAt("completed")
	e.leadAt("closed")
	e.fileCase("operator", "沙坡站广场卫生差")
	casePath := fmt.Sprintf("/cases/%d", c.ID)

	// status by page and by user; a missing entry means 200.
	notFound := http.StatusNotFound
	expect := map[string]map[string]int{
		"/departments/transport": {"operator": notFound, "police.head": notFound, "police.officer": notFound},
		"/departments/police":    {"operator": notFound, "transport.head": notFound, "transport.officer": notFound},
		casePath:                 {"police.head": notFound, "police.officer": notFound},
		"/cases/new":             {"viewer": notFound},
		"/admin/users":           {"coordinator": notFound, "viewer": notFound, "operator": notFound, "transport.head": notFound, "transport.officer": notFound, "police.head": notFound, "police.officer": notFound},
		"/admin/roles":           {"coordinator": notFound, "viewer": notFound, "operator": notFound, "transport.head": notFound, "transport.officer": notFound, "police.head": notFound, "police.officer": notFound},
		"/admin/departments":     {"coordinator": notFound, "viewer": notFound, "operator": notFound, "transport.head": notFound, "transport.officer": notFound, "police.head": notFound, "police.officer": notFound},
		"/":                      {},
		"/cases":                 {},
		"/cases?done=triage":     {},
		"/admin/users/1":         {"coordinator": notFound, "viewer": notFound, "operator": notFound, "transport.head": notFound, "transport.officer": notFound, "police.head": notFound, "police.officer": notFound},
		"/admin/users/new":       {"coordinator": notFound, "viewer": notFound, "operator": notFound, "transport.head": notFound, "transport.officer": notFound, "police.head": notFound, "police.officer": notFound},
	}
	for login := range fixtureUsers {
		pc := e.signIn(login)
		// The departments table links only the queues the user may open.
		dashboard := pc.get("/").want(t, http.StatusOK)
		if links := strings.Contains(string(dashboard.body), `href="/departments/police"`); links != (expect["/departments/police"][login] == 0) {
			t.Errorf("%s's dashboard links police's queue: %v", login, links)
		}
		// Its figures say when they were taken.
		if !strings.Contains(string(dashboard.body), `id="figures-taken"`) {
			t.Errorf("%s's dashboard does not say when its figures were taken", login)
		}
		for path, byUser := range expect {
			want, ok := byUser[login]
			if !ok {
				want = http.StatusOK
			}
			r := pc.get(path)
			if r.status != want {
				t.Errorf("%s GET %s: %d, want %d", login, path, r.status, want)
				continue
			}
			r.contains(t, `<html lang="zh-CN">`)
			if want == http.StatusNotFound {
				r.contains(t, `data-status="404"`, "页面不存在").lacks(t, c.Title, "需协调施工单位")
			}
		}
	}
}

func TestWhatAUserMayNotSeeIsTheHTML404Page(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := e.caseWithLead("刘家嘴站围栏阻挡行人")
	pc := e.signIn("police.officer")
	for _, path := range []string{fmt.Sprintf("/cases/%d", c.ID), fmt.Sprintf("/cases/%d/live", c.ID), "/cases/999999",
		"/cases/abc", "/departments/transport", "/departments/nowhere", "/no/such/page"} {
		r := pc.get(path).want(t, http.StatusNotFound)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %s", path, ct)
		}
		r.contains(t, `data-status="404"`).lacks(t, c.Title)
	}
	// Posting to a case one may not see is 404 too, and changes nothing.
	pc.post(fmt.Sprintf("/cases/%d/comments", c.ID), url.Values{"body": {"试探"}, "visibility": {"public"}}).want(t, http.StatusNotFound)
	// The API keeps answering problem+json.
	r := pc.get("/api/v2/no/such/thing").want(t, http.StatusNotFound)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("API 404 is %s", ct)
	}
}

func TestNewCaseFormShowsFieldErrorsInline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pc := e.signIn("operator")
	pc.get("/cases/new").want(t, http.StatusOK).contains(t, `name="title"`, `name="address"`, `name="priority"`)
	r := pc.post("/cases", url.Values{"title": {"  "}, "description": {"站前人行道被围栏阻断"}, "priority": {"urgent"}})
	r.want(t, http.StatusUnprocessableEntity).contains(t, `id="title-error"`, "必填。", `aria-invalid="true"`, "站前人行道被围栏阻断",
		`<option value="urgent" selected>`)
	r = pc.post("/cases", url.Values{"title": {strings.Repeat("长", 201)}})
	r.want(t, http.StatusUnprocessableEntity).contains(t, "不能超过 200 个字。")

	r = pc.post("/cases", url.Values{"title": {"秀湖公园站缺少人行横道"}, "address": {"璧山区秀湖公园站"}, "priority": {"high"}})
	loc := r.want(t, http.StatusSeeOther).header.Get("Location")
	if !regexp.MustCompile(`^/cases/\d+\?done=create$`).MatchString(loc) {
		t.Fatalf("after filing, sent to %q", loc)
	}
	pc.get(loc).want(t, http.StatusOK).contains(t, "秀湖公园站缺少人行横道", "已完成：登记", "待受理")
}

func TestActionFormsShowErrorsAndRefuseStaleVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, a := e.caseWithLead("刘家嘴站围栏阻挡行人")
	head := e.signIn("transport.head")
	page := head.get(fmt.Sprintf("/cases/%d", c.ID)).want(t, http.StatusOK)
	page.contains(t, `data-action="accept"`, `data-action="decline"`)

	decline := fmt.Sprintf("/assignments/%d/actions/decline", a.ID)
	casePage := fmt.Sprintf("/cases/%d", c.ID)
	r := head.post(decline, url.Values{"reason_code": {"not_our_function"}, "version": {fmt.Sprint(a.Version)}}, "Referer", e.srv.URL+casePage)
	r.want(t, http.StatusUnprocessableEntity).contains(t, fmt.Sprintf(`id="a%d-decline-reason-error"`, a.ID), "必填。",
		`<option value="not_our_function" selected>`, "<details class=\"action action-danger\" open>",
		fmt.Sprintf(`href="%s?lang=en"`, casePage))

	// Someone accepts meanwhile: the form, rendered at the old version, is refused.
	e.act("transport.officer", a.ID, workflow.Accept{})
	r = head.post(decline, url.Values{"reason": {"不属于本部门职能"}, "version": {fmt.Sprint(a.Version)}})
	r.want(t, http.StatusConflict).contains(t, "工单已被他人更新")
	got, err := e.svc.GetAssignment(e.as("coordinator"), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != workflow.AssignmentInProgress {
		t.Fatalf("the stale decline applied: %s", got.Status)
	}
	// An action the role may not take is refused.
	officer := e.signIn("transport.officer")
	officer.post(fmt.Sprintf("/assignments/%d/actions/complete", a.ID), url.Values{"resolution": {"已拆除"}}).want(t, http.StatusForbidden)
}

// liveURL finds the address the page's live part polls.
var liveURL = regexp.MustCompile(`hx-get="([^"]+\?v=[0-9a-f]+)"`)

func TestLivePartsAnswer204UntilSomethingChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, a := e.caseWithLead("刘家嘴站围栏阻挡行人")
	pc := e.signIn("coordinator")
	for _, tc := range []struct {
		page   string
		change func()
		shows  string
	}{
		{fmt.Sprintf("/cases/%d", c.ID), func() { e.act("transport.officer", a.ID, workflow.Accept{}) }, "astatus-in_progress"},
		{"/", func() { e.fileCase("operator", "汽车露营地站缺少接驳小巴") }, "汽车露营地站缺少接驳小巴"},
		{"/departments/transport", func() { e.act("transport.officer", a.ID, workflow.Progress{Note: "已联系"}) }, ""},
	} {
		m := liveURL.FindSubmatch(pc.get(tc.page).want(t, http.StatusOK).body)
		if m == nil {
			t.Fatalf("%s has no live part", tc.page)
		}
		poll := strings.ReplaceAll(string(m[1]), "&amp;", "&")
		pc.get(poll, "HX-Request", "true").want(t, http.StatusNoContent)
		tc.change()
		if tc.shows == "" {
			continue
		}
		r := pc.get(poll, "HX-Request", "true").want(t, http.StatusOK).contains(t, `id="live"`, tc.shows)
		if strings.Contains(string(r.body), "<html") {
			t.Errorf("%s: the live part is a whole page", tc.page)
		}
	}
	// A signed-out poll asks htmx to load the sign-in page rather than swapping it in.
	anon := e.newPageClient()
	r := anon.get(fmt.Sprintf("/cases/%d/live?v=0", c.ID), "HX-Request", "true").want(t, http.StatusNoContent)
	if !strings.HasPrefix(r.header.Get("HX-Redirect"), "/login") {
		t.Errorf("HX-Redirect %q", r.header.Get("HX-Redirect"))
	}
}

func TestLanguageFollowsTheUserAndTheLangParameter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.svc.CreateUser(e.as("admin"), workflow.NewUser{Login: "visitor", Name: "Visiting expert", Password: password, Locale: "en",
		Roles: []workflow.Grant{{Role: workflow.RoleViewer}}}); err != nil {
		t.Fatal(err)
	}
	en := e.signIn("visitor")
	en.get("/").want(t, http.StatusOK).contains(t, `<html lang="en">`, "Overview", "Awaiting triage").lacks(t, "协调总览")
	en.get("/cases?lang=zh-CN").want(t, http.StatusOK).contains(t, `<html lang="zh-CN">`, "工单")
	en.get("/").contains(t, `<html lang="zh-CN">`)

	zh := e.signIn("coordinator")
	zh.get("/").contains(t, `<html lang="zh-CN">`, "协调总览", `hreflang="en"`)
	zh.get("/login?lang=en")
	anon := e.newPageClient()
	anon.get("/login?lang=en").want(t, http.StatusOK).contains(t, `<html lang="en">`, "Sign in")
}

func TestCaseListFiltersSearchesAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.fileCase("operator", "刘家嘴站围栏阻挡行人")
	e.fileCase("operator", "沙坡站广场电动车乱停放")
	third := e.fileCase("operator", "秀湖公园站缺少人行横道")
	e.dispatchTo(third.ID, "transport", workflow.RoleLead)
	pc := e.signIn("coordinator")

	r := pc.get("/cases?limit=2").want(t, http.StatusOK)
	if n := strings.Count(string(r.body), "data-case-ref="); n != 2 {
		t.Fatalf("page 1 has %d cases", n)
	}
	next := regexp.MustCompile(`href="(/cases\?[^"]*cursor=[^"]+)"[^>]*rel="next"`).FindSubmatch(r.body)
	if next == nil {
		t.Fatal("no next page link")
	}
	r = pc.get(strings.ReplaceAll(string(next[1]), "&amp;", "&")).want(t, http.StatusOK)
	r.contains(t, fmt.Sprintf(`data-case-ref="%s"`, first.Ref), "第一页").lacks(t, `rel="next"`)

	pc.get("/cases?status=dispatched").contains(t, third.Ref).lacks(t, first.Ref)
	pc.get("/cases?status=submitted&status=dispatched").contains(t, third.Ref, first.Ref)
	pc.get("/cases?status=submitted,dispatched").contains(t, third.Ref, first.Ref)
	pc.get("/cases?department=transport").contains(t, third.Ref).lacks(t, first.Ref)
	pc.get("/cases?q="+url.QueryEscape("围栏")).contains(t, first.Ref).lacks(t, third.Ref)
	pc.get("/cases?overdue=maybe").want(t, http.StatusUnprocessableEntity).contains(t, "须为 true 或 false。")
	pc.get("/cases?status=lost").want(t, http.StatusUnprocessableEntity).contains(t, "未知的工单状态。")
	pc.get("/cases?limit=1000").want(t, http.StatusUnprocessableEntity).contains(t, "每页条数须为 1 到 200 之间的整数。")

	// A department officer's list holds only what they may see.
	police := e.signIn("police.officer")
	police.get("/cases").want(t, http.StatusOK).lacks(t, first.Ref, third.Ref).contains(t, "没有符合条件的工单。")
}

func TestAdministratorsManageUsersRolesAndDepartments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin")
	admin.get("/admin/users").want(t, http.StatusOK).contains(t, "transport.officer", "部门经办人 · 区交通局")
	admin.get("/admin/roles").want(t, http.StatusOK).contains(t, "协调员（区协调办）", "部门负责人")

	r := admin.post("/admin/users", url.Values{"login": {"ndrc.officer"}, "name": {"李娜"}, "password": {"short"}, "role": {"dept_officer:ndrc"}})
	r.want(t, http.StatusUnprocessableEntity).contains(t, "密码长度须为 8 到 72 个字节。", `value="dept_officer:ndrc" id="role-dept_officer:ndrc" checked`)
	r = admin.post("/admin/users", url.Values{"login": {"ndrc.officer"}, "name": {"李娜"}, "password": {password}, "locale": {"zh-CN"},
		"role": {"dept_officer:ndrc"}, "active": {"true"}}).want(t, http.StatusSeeOther)
	userPath := strings.SplitN(r.header.Get("Location"), "?", 2)[0]
	admin.post("/admin/users", url.Values{"login": {"ndrc.officer"}, "name": {"重名"}, "password": {password}}).
		want(t, http.StatusUnprocessableEntity).contains(t, "已被占用。")

	// The new user works in ndrc; a role change moves them to police at once.
	worker := e.signIn("ndrc.officer")
	worker.get("/departments/ndrc").want(t, http.StatusOK)
	admin.post(userPath, url.Values{"name": {"李娜"}, "locale": {"zh-CN"}, "active": {"true"}, "role": {"dept_head:police"}}).want(t, http.StatusSeeOther)
	worker.get("/departments/ndrc").want(t, http.StatusNotFound)
	worker.get("/departments/police").want(t, http.StatusOK)
	// Deactivated: signed out everywhere at once.
	admin.post(userPath, url.Values{"name": {"李娜"}, "locale": {"zh-CN"}, "role": {"dept_head:police"}}).want(t, http.StatusSeeOther)
	worker.get("/").want(t, http.StatusSeeOther)

	admin.post("/admin/departments", url.Values{"code": {"Bad Code"}, "name": {"区住建委"}}).
		want(t, http.StatusUnprocessableEntity).contains(t, "须以英文小写字母开头")
	admin.post("/admin/departments", url.Values{"code": {"housing"}, "name": {"区住房城乡建委"}, "email": {"housing@bishan.example"}}).want(t, http.StatusSeeOther)
	admin.get("/admin/departments").contains(t, "区住房城乡建委", "housing@bishan.example")
	admin.post("/admin/departments", url.Values{"code": {"housing"}, "name": {"重复"}}).want(t, http.StatusUnprocessableEntity).contains(t, "已被占用。")
}

func TestStaticFilesAreCachedByContentAndGzipped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pc := e.newPageClient()
	page := pc.get("/login").body
	for _, name := range []string{"app.css", "htmx.min.js"} {
		m := regexp.MustCompile(`"(/static/` + regexp.QuoteMeta(name) + `\?v=[0-9a-f]+)"`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("the page does not link %s", name)
		}
		r := pc.get(string(m[1])).want(t, http.StatusOK)
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", name, cc)
		}
	}
	// Go's client asks for gzip and unpacks it transparently; ask explicitly to see the encoding.
	r := pc.get("/static/htmx.min.js", "Accept-Encoding", "gzip").want(t, http.StatusOK)
	if r.header.Get("Content-Encoding") != "gzip" || r.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("htmx: Content-Encoding %q, Cache-Control %q", r.header.Get("Content-Encoding"), r.header.Get("Cache-Control"))
	}
	pc.get("/static/nothing.js").want(t, http.StatusNotFound)
	pc.get("/static/../web.go").want(t, http.StatusBadRequest)
}
