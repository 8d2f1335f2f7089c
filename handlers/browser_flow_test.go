package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"casetrack/workflow"

	"github.com/chromedp/chromedp"
)

// TestBrowser drives the web view in a real Chromium, one browser for all
// its scenarios, as the people of DESIGN.md use it.
func TestBrowser(t *testing.T) {
	t.Parallel()
	b := startBrowser(t)

	t.Run("a case goes from triage to rating in the browser", func(t *testing.T) { caseLifeInTheBrowser(t, b) })
	t.Run("an officer sees no coordinator-only or head-only button", func(t *testing.T) { officerSeesOnlyHisButtons(t, b) })
	t.Run("a reporter's page shows no internal comment", func(t *testing.T) { reporterSeesNoInternalComment(t, b) })
	t.Run("another department's officer gets the 404 page", func(t *testing.T) { otherDepartmentGets404(t, b) })
	t.Run("the case page and the dashboard follow changes without a reload", func(t *testing.T) { pagesFollowChanges(t, b) })
	t.Run("pages fit a 375 px screen and switch to English", func(t *testing.T) { narrowScreenAndEnglish(t, b) })
	t.Run("every control has a label and the keyboard reaches the content first", func(t *testing.T) { labelsAndKeyboard(t, b) })
	t.Run("screenshots", func(t *testing.T) { takeScreenshots(t, b) })
}

// caseStatusText is the status badge of the case page.
const caseStatusText = ".case-facts .status-line .badge"

func caseLifeInTheBrowser(t *testing.T, b *browser) {
	e := newEnv(t)
	c := e.fileCase("operator", "刘家嘴站围栏阻挡行人")
	casePath := fmt.Sprintf("/cases/%d", c.ID)

	// The coordinator triages and dispatches to two departments.
	coord := b.newTab(t, e.srv.URL)
	coord.signIn("coordinator")
	coord.open(casePath)
	coord.act("", "triage", nil)
	wantText(t, coord, caseStatusText, "已受理")
	coord.act("", "dispatch", map[string]string{"department": "transport", "role": "lead", "instructions": "请于本周内拆除站前围栏"})
	coord.act("", "dispatch", map[string]string{"department": "police", "role": "support", "instructions": "请配合设置临时交通标志"})
	wantText(t, coord, caseStatusText, "已派单")
	coord.wantCount(`[data-department="transport"] .astatus-pending`, 1)
	coord.wantCount(`[data-department="police"] .astatus-pending`, 1)

	// The transport head accepts from the department's queue, posts progress and completes.
	head := b.newTab(t, e.srv.URL)
	head.signIn("transport.head")
	head.open("/departments/transport")
	head.wantCount(fmt.Sprintf(`#to_accept [data-case-ref="%s"]`, c.Ref), 1)
	head.act("#to_accept", "accept", nil)
	lead := `[data-department="transport"]`
	head.wantCount(lead+" .astatus-in_progress", 1)
	wantText(t, head, caseStatusText, "办理中")
	head.act(lead, "progress", map[string]string{"note": "已联系施工单位，周三拆除"})
	head.act(lead, "complete", map[string]string{"resolution": "围栏已拆除，人行道已恢复通行"})
	head.wantCount(lead+" .astatus-completed", 1)

	// The police finish their supporting part (through the service).
	k, err := e.svc.GetCase(e.as("coordinator"), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	police := k.Assignments[slices.IndexFunc(k.Assignments, func(a *workflow.Assignment) bool { return a.Department == "police" })]
	e.act("police.head", police.ID, workflow.Accept{})
	e.act("police.head", police.ID, workflow.Complete{Resolution: "临时交通标志已设置"})

	// The coordinator confirms both parts; the case is resolved.
	coord.open(casePath)
	coord.act(lead, "confirm", nil)
	coord.act(`[data-department="police"]`, "confirm", nil)
	wantText(t, coord, caseStatusText, "已办结（待评价）")

	// The reporter rates; the case is closed.
	operator := b.newTab(t, e.srv.URL)
	operator.signIn("operator")
	operator.open(casePath)
	operator.act("", "rate", map[string]string{"score": "5", "comment": "处理及时，非常满意"})
	wantText(t, operator, caseStatusText, "已结案")
	final, err := e.svc.GetCase(e.as("coordinator"), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.Status != workflow.CaseClosed || final.Rating == nil || *final.Rating != 5 {
		t.Fatalf("the case ended %s, rated %v", final.Status, final.Rating)
	}
}

func officerSeesOnlyHisButtons(t *testing.T, b *browser) {
	e := newEnv(t)
	c, a := e.caseWithLead("沙坡站广场电动车乱停放")
	officer := b.newTab(t, e.srv.URL)
	officer.signIn("transport.officer")
	casePath := fmt.Sprintf("/cases/%d", c.ID)

	// Pending, and then in progress: the page offers exactly what the API allows.
	for _, step := range []workflow.AssignmentCommand{nil, workflow.Accept{}} {
		if step != nil {
			e.act("transport.officer", a.ID, step)
		}
		officer.open(casePath)
		k, err := e.svc.GetCase(e.as("transport.officer"), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(k.AllowedActions)
		for _, as := range k.Assignments {
			want = append(want, as.AllowedActions...)
		}
		got := pageActions(officer)
		if fmt.Sprint(got) != fmt.Sprint(sortedActions(want)) {
			t.Errorf("the officer's buttons are %v, the API allows %v", got, sortedActions(want))
		}
		for _, forbidden := range []string{"triage", "reject", "dispatch", "close", "reopen", "decline", "complete",
			"confirm", "return", "cancel", "urge", "grant_extension", "deny_extension"} {
			officer.wantCount(fmt.Sprintf(`[data-action="%s"]`, forbidden), 0)
		}
	}
}

// pageActions lists the data-action hooks of the page, sorted.
func pageActions(tb *tab) []string {
	tb.t.Helper()
	actions := run(tb, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-action]")].map(e => e.dataset.action)`))
	sort.Strings(actions)
	return actions
}

func sortedActions(actions []workflow.Action) []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a)
	}
	sort.Strings(out)
	return out
}

func reporterSeesNoInternalComment(t *testing.T, b *browser) {
	e := newEnv(t)
	c, _ := e.caseWithLead("秀湖公园站缺少人行横道")
	for _, comment := range []workflow.NewComment{
		{Body: "内部批示：先与施工方沟通围挡位置", Visibility: workflow.VisibilityInternal},
		{Body: "已转交区交通局办理，请耐心等待", Visibility: workflow.VisibilityPublic},
	} {
		if _, err := e.svc.AddComment(e.as("coordinator"), c.ID, comment, 0); err != nil {
			t.Fatal(err)
		}
	}
	operator := b.newTab(t, e.srv.URL)
	operator.signIn("operator")
	operator.open(fmt.Sprintf("/cases/%d", c.ID))
	html := run(operator, chromedp.OuterHTML(chromedp.CSS("html")))
	for _, hidden := range []string{"内部批示", "请于本周内拆除围栏", "badge-internal"} {
		if strings.Contains(html, hidden) {
			t.Errorf("the reporter's page shows %q", hidden)
		}
	}
	if !strings.Contains(html, "已转交区交通局办理") {
		t.Error("the reporter's page lacks the public comment")
	}
	// The reporter may only comment publicly.
	operator.wantCount(`#comment input[name="visibility"]`, 1)
	operator.wantCount(`#comment input[name="visibility"][value="public"]`, 1)
}

func otherDepartmentGets404(t *testing.T, b *browser) {
	e := newEnv(t)
	c, _ := e.caseWithLead("刘家嘴站围栏阻挡行人")
	officer := b.newTab(t, e.srv.URL)
	officer.signIn("police.officer")
	for _, path := range []string{fmt.Sprintf("/cases/%d", c.ID), "/departments/transport", "/admin/users"} {
		res := run(officer, chromedp.NavigateResponse(e.srv.URL+path))
		if res.Status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, res.Status)
		}
		officer.wantCount(`.error-page[data-status="404"]`, 1)
		if strings.Contains(run(officer, chromedp.OuterHTML(chromedp.CSS("main"))), c.Title) {
			t.Errorf("%s: the 404 page shows the case", path)
		}
	}
}

func pagesFollowChanges(t *testing.T, b *browser) {
	e := newEnv(t)
	c, a := e.caseWithLead("刘家嘴站缺少交通信号灯")
	coord := b.newTab(t, e.srv.URL)
	coord.signIn("coordinator")

	// The case page: another user accepts; the page shows it without a reload.
	coord.open(fmt.Sprintf("/cases/%d", c.ID))
	coord.do(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	e.act("transport.officer", a.ID, workflow.Accept{})
	coord.do(chromedp.WaitVisible(chromedp.CSS(`[data-department="transport"] .astatus-in_progress`)))
	wantText(t, coord, caseStatusText, "办理中")
	if !run(coord, chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Error("the case page was reloaded")
	}

	// The dashboard: a new case appears in the triage queue.
	coord.open("/")
	coord.do(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	filed := e.fileCase("operator", "汽车露营地站缺少接驳小巴")
	coord.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#queue-triage [data-case-ref="%s"]`, filed.Ref))))
	if !run(coord, chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Error("the dashboard was reloaded")
	}
}

func narrowScreenAndEnglish(t *testing.T, b *browser) {
	e := newEnv(t)
	c, _ := e.caseWithLead("刘家嘴站围栏阻挡行人")
	head := b.newTab(t, e.srv.URL)
	head.signIn("transport.head")
	head.do(chromedp.EmulateViewport(375, 812))
	for _, path := range []string{"/", fmt.Sprintf("/cases/%d", c.ID), "/cases", "/departments/transport", "/cases/new"} {
		head.open(path)
		if width := run(head, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); width > 375 {
			t.Errorf("%s is %d px wide on a 375 px screen", path, width)
		}
	}
	head.open("/?lang=en")
	if lang := run(head, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "en" {
		t.Errorf("<html lang=%q>, want en", lang)
	}
	wantText(t, head, `nav.menu a[aria-current="page"]`, "Overview")
	head.open("/cases")
	if lang := run(head, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "en" {
		t.Errorf("the chosen language was not kept: <html lang=%q>", lang)
	}
	head.open("/?lang=zh-CN")
	wantText(t, head, `nav.menu a[aria-current="page"]`, "协调总览")
}

func labelsAndKeyboard(t *testing.T, b *browser) {
	e := newEnv(t)
	c, _ := e.leadAt("in_progress")
	admin := b.newTab(t, e.srv.URL)
	admin.signIn("admin")
	for _, path := range []string{"/", "/cases", "/cases/new", fmt.Sprintf("/cases/%d", c.ID), "/departments/transport",
		"/admin/users", "/admin/users/new", "/admin/departments"} {
		admin.open(path)
		unlabelled := run(admin, chromedp.Evaluate[[]string](`[...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
			.filter(e => e.labels.length === 0 && !e.getAttribute("aria-label")).map(e => e.outerHTML)`))
		if len(unlabelled) > 0 {
			t.Errorf("%s: controls without a label: %v", path, unlabelled)
		}
	}
	admin.open("/")
	admin.do(chromedp.KeyEvent("\t"))
	if got := run(admin, chromedp.Evaluate[string](`document.activeElement.className`)); got != "skip-link" {
		t.Errorf("the first Tab focuses %q, want the skip link", got)
	}
	admin.do(chromedp.KeyEvent("\r"))
	if got := run(admin, chromedp.Evaluate[string](`document.activeElement.id`)); got != "main" {
		t.Errorf("the skip link leads to %q, want main", got)
	}
}

// wantText fails the test unless the element's text is want.
func wantText(t *testing.T, tb *tab, selector, want string) {
	t.Helper()
	if got := strings.TrimSpace(tb.text(selector)); got != want {
		t.Errorf("%s reads %q, want %q", selector, got, want)
	}
}
