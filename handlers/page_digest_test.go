package handlers_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/digest"

	"github.com/chromedp/chromedp"
)

// optedOut reads whether a user has stopped their mail.
func (e *env) optedOut(login string) bool {
	e.t.Helper()
	var out bool
	if err := e.db.Get(&out, `SELECT digest_opt_out FROM users WHERE id = $1`, e.ids[login]); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// optedOutCount counts the users who have stopped their mail.
func (e *env) optedOutCount() int {
	e.t.Helper()
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM users WHERE digest_opt_out`); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// unsubscribeLinkOf sends a dispatch notice to login through a real SMTP
// server and returns the List-Unsubscribe address of the email they got,
// as a path on the test server.
func (e *env) unsubscribeLinkOf(login string) string {
	e.t.Helper()
	address := e.giveEmail(login)
	c := e.fileCase("operator", "刘家嘴站道口缺少警示标志")
	e.dispatchTo(c.ID, fixtureUsers[login].Department, workflow.RoleLead)
	server := startMailServer(e.t, accept)
	e.deliverThrough(server.url())
	for _, m := range server.messages() {
		if m.Header.Get("To") != "<"+address+">" && m.Header.Get("To") != address {
			continue
		}
		if post := m.Header.Get("List-Unsubscribe-Post"); post != "List-Unsubscribe=One-Click" {
			e.t.Fatalf("List-Unsubscribe-Post %q", post)
		}
		link, err := url.Parse(strings.Trim(m.Header.Get("List-Unsubscribe"), "<>"))
		if err != nil || link.Host != "casetrack.test" || link.Path != "/unsubscribe" {
			e.t.Fatalf("List-Unsubscribe %q: %v", m.Header.Get("List-Unsubscribe"), err)
		}
		return link.RequestURI()
	}
	e.t.Fatalf("no email to %s among %d", address, len(server.messages()))
	return ""
}

// oneClick is the body of an RFC 8058 one-click unsubscribe.
var oneClick = url.Values{"List-Unsubscribe": {"One-Click"}}

func TestOneClickUnsubscribeWorksWithoutASession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.unsubscribeLinkOf("transport.officer")

	// A mail program posts to the link: no cookie, no CSRF token, no referrer.
	r := e.newPageClient().postRaw(link, oneClick).want(t, http.StatusOK)
	r.contains(t, `data-unsubscribe="done"`, "您已退订", `<html lang="zh-CN">`)
	if !e.optedOut("transport.officer") || e.optedOutCount() != 1 {
		t.Fatal("the one-click POST did not stop the officer's mail, or stopped someone else's")
	}
	// Posting again changes nothing and still says so.
	e.newPageClient().postRaw(link, oneClick).want(t, http.StatusOK).contains(t, `data-unsubscribe="done"`)

	// The next notice to transport goes to the head, not to the officer.
	e.giveEmail("transport.head")
	before := len(e.outboxTo("transport.officer@bishan.example"))
	e.caseWithLead("秀湖公园站接驳线路")
	if after := len(e.outboxTo("transport.officer@bishan.example")); after != before {
		t.Errorf("an unsubscribed officer still gets notices: %d → %d", before, after)
	}
	if len(e.outboxTo("transport.head@bishan.example")) == 0 {
		t.Error("the head got no notice: the check above proves nothing")
	}
}

// outboxTo lists the outbox rows to address.
func (e *env) outboxTo(address string) []digest.OutboxRow {
	e.t.Helper()
	rows, err := e.mail.ListOutbox(context.Background(), digest.OutboxFilter{Limit: workflow.MaxLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	var to []digest.OutboxRow
	for _, r := range rows {
		if r.Recipient == address {
			to = append(to, r)
		}
	}
	return to
}

func TestUnsubscribeLinkOpenedInABrowserOnlyAsks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.unsubscribeLinkOf("police.head") // of another department than the officer's above
	browser := e.newPageClient()
	for range 2 { // link scanners and previews open links, sometimes twice
		r := browser.get(link).want(t, http.StatusOK)
		r.contains(t, `data-unsubscribe="confirm"`, "确认退订", `name="List-Unsubscribe" value="One-Click"`)
		action := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindSubmatch(r.body)
		if action == nil || html.UnescapeString(string(action[1])) != link {
			t.Fatalf("the confirmation form posts to %q, want %q", action, link)
		}
	}
	if e.optedOut("police.head") {
		t.Fatal("a GET unsubscribed")
	}
	// In English, and then the button does it.
	browser.get(link+"&lang=en").want(t, http.StatusOK).contains(t, `<html lang="en">`, "Once you confirm")
	browser.postRaw(link, oneClick).want(t, http.StatusOK).contains(t, "You are unsubscribed")
	if !e.optedOut("police.head") {
		t.Fatal("the confirmation button did not unsubscribe")
	}
}

func TestForgedUnsubscribeLinksChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.unsubscribeLinkOf("transport.head")
	token, _ := url.Parse(link)
	id, sig, _ := strings.Cut(token.Query().Get("token"), ".")
	secret, err := digest.LoadSecret(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		token  string
		status int
	}{
		"another user's id with this signature": {fmt.Sprintf("%d.%s", e.ids["coordinator"], sig), http.StatusBadRequest},
		"a changed signature":                   {id + "." + strings.ToUpper(sig[:6]) + sig[6:], http.StatusBadRequest},
		"signed with another key":               {digest.UnsubscribeToken([]byte("not the key"), e.ids["coordinator"]), http.StatusBadRequest},
		"no signature":                          {id, http.StatusBadRequest},
		"no token":                              {"", http.StatusBadRequest},
		"garbage":                               {"<script>alert(1)</script>", http.StatusBadRequest},
	} {
		path := "/unsubscribe?" + url.Values{"token": {tc.token}}.Encode()
		for _, r := range []*response{e.newPageClient().get(path), e.newPageClient().postRaw(path, oneClick), e.signIn("admin").postRaw(path, oneClick)} {
			if r.status != tc.status {
				t.Errorf("%s: %d, want %d", name, r.status, tc.status)
			}
			r.contains(t, `data-unsubscribe="invalid"`, "退订链接无效").lacks(t, "<script>alert")
		}
	}
	// A link we signed for a user who is not there (users are never
	// deleted, so only a test can make one) asks, then says it does not work.
	path := "/unsubscribe?" + url.Values{"token": {digest.UnsubscribeToken(secret, 999999)}}.Encode()
	e.newPageClient().get(path).want(t, http.StatusOK).contains(t, `data-unsubscribe="confirm"`)
	e.newPageClient().postRaw(path, oneClick).want(t, http.StatusNotFound).contains(t, `data-unsubscribe="invalid"`, "退订链接无效")
	if n := e.optedOutCount(); n != 0 {
		t.Fatalf("forged links unsubscribed %d users", n)
	}
}

func TestDigestPreviewPageShowsAnyWeekAndDepartmentToCoordinators(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := e.caseWithLead("刘家嘴站围栏阻挡行人")
	week := digest.WeekOf(e.now(), time.UTC).String()
	coordinator := e.signIn("coordinator")

	// By default: last week's overview, in the page's language.
	r := coordinator.get("/digests/preview").want(t, http.StatusOK)
	r.contains(t, `<html lang="zh-CN">`, "每周工作进展简报预览", `value="`+e.lastWeek()+`"`,
		"【每周工作进展简报】全区汇总 "+e.lastWeek(), `<pre id="digest-text">`, "全区每周工作进展简报", `aria-current="page">简报预览`)
	frame := regexp.MustCompile(`<iframe id="digest-html" src="([^"]+)" sandbox=""`).FindSubmatch(r.body)
	if frame == nil {
		t.Fatalf("no sandboxed frame for the HTML part: %s", r.body)
	}

	// A department, a week, a language.
	query := url.Values{"week": {week}, "department": {"transport"}, "language": {"en"}}.Encode()
	r = coordinator.get("/digests/preview?"+query).want(t, http.StatusOK)
	r.contains(t, "Weekly progress digest: 区交通局, "+week, c.Ref, `<option value="transport" selected>`).lacks(t, `<h1 style=`) // the HTML part is only in the frame
	frame = regexp.MustCompile(`<iframe id="digest-html" src="([^"]+)"`).FindSubmatch(r.body)
	htmlPart := coordinator.get(html.UnescapeString(string(frame[1]))).want(t, http.StatusOK)
	htmlPart.contains(t, `<html lang="en">`, "Weekly progress digest for 区交通局", c.Ref)
	csp := htmlPart.header.Get("Content-Security-Policy")
	for _, part := range []string{"default-src 'none'", "frame-ancestors 'self'", "sandbox", "form-action 'none'"} {
		if !strings.Contains(csp, part) {
			t.Errorf("the HTML part's CSP %q lacks %q", csp, part)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "'self' data:") {
		t.Errorf("the HTML part may run or fetch something: %q", csp)
	}
	if got := htmlPart.header.Get("X-Frame-Options"); got != "SAMEORIGIN" {
		t.Errorf("X-Frame-Options %q", got)
	}
	if ct := htmlPart.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	// The page around it keeps the web view's own policy.
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("the preview page's CSP: %q", csp)
	}
}

func TestDigestPreviewPageExplainsWhatIsWrong(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	coordinator := e.signIn("coordinator")
	for query, message := range map[string]string{
		"week=2026-48":                             "请填写 ISO 周次",
		"week=2026-W48&language=fr":                "请选择中文或 English",
		"week=2026-W48&department=nowhere":         "没有这个部门",
		"week=" + e.lastWeek() + "&department=%00": "没有这个部门",
	} {
		r := coordinator.get("/digests/preview?"+query).want(t, http.StatusUnprocessableEntity)
		r.contains(t, message, `aria-invalid="true"`).lacks(t, "<iframe", `id="digest-text"`)
	}
	coordinator.get("/digests/preview/html?week=2026-48").want(t, http.StatusBadRequest)
}

func TestOnlyCoordinatorsAndAdministratorsFindTheDigestPreview(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for login := range fixtureUsers {
		pc := e.signIn(login)
		may := login == "coordinator" || login == "admin"
		dashboard := pc.get("/").want(t, http.StatusOK)
		if links := strings.Contains(string(dashboard.body), `href="/digests/preview"`); links != may {
			t.Errorf("%s's menu links the digest preview: %v", login, links)
		}
		for _, path := range []string{"/digests/preview", "/digests/preview?week=" + e.lastWeek() + "&department=transport",
			"/digests/preview/html?week=" + e.lastWeek()} {
			r := pc.get(path)
			switch {
			case may && r.status != http.StatusOK:
				t.Errorf("%s GET %s: %d", login, path, r.status)
			case !may:
				r.want(t, http.StatusNotFound).contains(t, `data-status="404"`).lacks(t, "每周工作进展简报")
			}
		}
	}
	e.newPageClient().get("/digests/preview").want(t, http.StatusSeeOther)
}

func TestAdministratorsResendAFailedEmailFromTheOutboxPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	failed := e.failedNotice()
	admin := e.signIn("admin")

	r := admin.get("/admin/users").want(t, http.StatusOK)
	r.contains(t, `href="/admin/outbox"`)
	r = admin.get("/admin/outbox?status=failed").want(t, http.StatusOK)
	r.contains(t, "邮件队列", fmt.Sprintf(`id="outbox-%d" data-outbox-status="failed"`, failed.ID), "派单通知", failed.Recipient,
		html.EscapeString(failed.Subject), "550", "发送失败", fmt.Sprintf(`action="/admin/outbox/%d/resend"`, failed.ID))
	r.lacks(t, "outbox_kind_", "outbox_status_")
	resend := fmt.Sprintf("/admin/outbox/%d/resend", failed.ID)

	// Without the session's token nothing happens.
	admin.postRaw(resend, url.Values{"status": {"failed"}}).want(t, http.StatusForbidden)
	if row := e.outboxRow(failed.ID); row.Status != digest.StatusFailed {
		t.Fatalf("a post without a CSRF token resent the row: %+v", row)
	}

	r = admin.post(resend, url.Values{"status": {"failed"}}).want(t, http.StatusSeeOther)
	back := r.header.Get("Location")
	if back != fmt.Sprintf("/admin/outbox?resent=%d&status=failed", failed.ID) {
		t.Errorf("after a resend: Location %q", back)
	}
	if row := e.outboxRow(failed.ID); row.Status != digest.StatusQueued || row.Attempts != 0 {
		t.Fatalf("resent row: %+v", row)
	}
	admin.get(back).want(t, http.StatusOK).contains(t, fmt.Sprintf("第 %d 封邮件", failed.ID), "已重新排队")
	admin.get("/admin/outbox?status=queued&lang=en").want(t, http.StatusOK).
		contains(t, fmt.Sprintf(`id="outbox-%d" data-outbox-status="queued"`, failed.ID), "Dispatch notice", "Queued").
		lacks(t, fmt.Sprintf(`action="/admin/outbox/%d/resend"`, failed.ID))
	// A made-up notice says nothing; a second resend of a queued row is refused.
	admin.get("/admin/outbox?resent=999999&lang=zh-CN").want(t, http.StatusOK).lacks(t, "已重新排队")
	admin.post(resend, nil).want(t, http.StatusConflict).contains(t, `data-status="409"`)
	admin.get("/admin/outbox?status=lost").want(t, http.StatusUnprocessableEntity).contains(t, "<code>status</code>", "未知的邮件状态")
	admin.get("/admin/outbox?cursor=x&limit=0").want(t, http.StatusUnprocessableEntity).contains(t, "这个翻页位置无效", "每页条数须为 1 到 200")

	for _, login := range []string{"coordinator", "viewer", "transport.head"} {
		pc := e.signIn(login)
		pc.get("/admin/outbox").want(t, http.StatusNotFound).lacks(t, failed.Recipient)
		pc.post(resend, nil).want(t, http.StatusNotFound)
	}
}

func TestDigestHTMLPartShowsInItsSandboxedFrameUnderTheCSP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := e.caseWithLead("刘家嘴站围栏阻挡行人")
	b := startBrowser(t)
	tab := b.newTab(t, e.srv.URL) // fails the test on any CSP violation in the page's console
	tab.signIn("coordinator")
	tab.open("/digests/preview?department=transport&week=" + digest.WeekOf(e.now(), time.UTC).String())
	tab.do(chromedp.WaitVisible(chromedp.CSS("iframe#digest-html")))
	// The page cannot reach into the frame: the sandbox gives it an origin of its own.
	if reachable := run(tab, chromedp.Evaluate[bool](`document.getElementById("digest-html").contentDocument !== null`)); reachable {
		t.Error("the page can reach the frame's document: it is not sandboxed")
	}
	// Chromium runs the sandboxed frame in a process of its own: work in it through its target.
	const frame = "/digests/preview/html?"
	if heading := inFrame(tab, frame, chromedp.Text(chromedp.CSS("h1"))); heading != "区交通局每周工作进展简报" {
		t.Errorf("the frame's heading: %q", heading)
	}
	link := fmt.Sprintf(`a[href="http://casetrack.test/cases/%d"]`, c.ID)
	if ref := inFrame(tab, frame, chromedp.Text(chromedp.CSS(link))); ref != c.Ref {
		t.Errorf("the frame's link to the case reads %q, want %s", ref, c.Ref)
	}
	// The frame's own policy lets the email's inline styles apply (the page's would not).
	for _, p := range inFrame(tab, frame, chromedp.ComputedStyle(chromedp.CSS("h1"))) {
		if p.Name == "font-size" && p.Value != "20px" {
			t.Errorf("the email's inline style did not apply: h1 font-size %s", p.Value)
		}
	}
}

// inFrame runs one action in the iframe of the tab whose address starts
// with path, through the frame's own target: Chromium runs a sandboxed
// frame in a process of its own. Each action attaches anew, since a second
// action on one attachment does not finish (chromedp v0.23).
func inFrame[T any](tb *tab, path string, action chromedp.Action[T]) T {
	tb.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(tb.ctx)
		if err != nil {
			tb.t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, tb.base+path) {
				// Ending the context would close the frame: it ends with the test.
				ctx, cancel := chromedp.NewContext(tb.ctx, chromedp.WithTargetID(info.TargetID))
				tb.t.Cleanup(cancel)
				return run(&tab{t: tb.t, ctx: ctx, base: tb.base}, action)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.t.Fatalf("no frame of %s in the tab", path)
	var none T
	return none
}
