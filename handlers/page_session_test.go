package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"casetrack/handlers"
	"casetrack/workflow"
)

// sessionCookieOf returns the session cookie a response sets.
func sessionCookieOf(t *testing.T, r *response) *http.Cookie {
	t.Helper()
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "casetrack_session" {
			return ck
		}
	}
	t.Fatalf("no session cookie in %v", r.header.Values("Set-Cookie"))
	return nil
}

func TestSignInStartsAServerSideSessionThatSignOutEndsAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pc := e.newPageClient()
	pc.get("/").want(t, http.StatusSeeOther)
	form := pc.get("/login").want(t, http.StatusOK).contains(t, `name="login"`, `name="password"`, `<html lang="zh-CN">`)
	pc.csrf = findCSRF(t, form.body)

	pc.post("/login", url.Values{"login": {"coordinator"}, "password": {"wrong-password"}}).
		want(t, http.StatusUnauthorized).contains(t, "账号或密码不正确")
	r := pc.post("/login", url.Values{"login": {"coordinator"}, "password": {password}, "next": {"/cases"}}).want(t, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/cases" {
		t.Errorf("signed in, sent to %q, want /cases", loc)
	}
	ck := sessionCookieOf(t, r)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure {
		t.Errorf("session cookie: HttpOnly %v, SameSite %v, Secure %v; want HttpOnly, Lax, not Secure on http", ck.HttpOnly, ck.SameSite, ck.Secure)
	}
	if _, err := e.svc.Authenticate(context.Background(), ck.Value); err != nil {
		t.Errorf("the session is not a token the service knows: %v", err)
	}
	page := pc.get("/").want(t, http.StatusOK)
	pc.csrf = findCSRF(t, page.body)

	pc.post("/logout", nil).want(t, http.StatusSeeOther)
	if _, err := e.svc.Authenticate(context.Background(), ck.Value); workflow.ErrorCodeOf(err) != workflow.ErrUnauthenticated {
		t.Errorf("after sign-out the session still works: %v", err)
	}
	// The old cookie, replayed, no longer opens anything.
	stale := e.newPageClient()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: "casetrack_session", Value: ck.Value})
	if r := stale.do(req); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("a revoked session got %d %s", r.status, r.header.Get("Location"))
	}
}

func TestSignInNeverRedirectsOffSite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pc := e.newPageClient()
	pc.csrf = findCSRF(t, pc.get("/login?next=//evil.example/").body)
	r := pc.post("/login", url.Values{"login": {"viewer"}, "password": {password}, "next": {"https://evil.example/"}})
	if r.want(t, http.StatusSeeOther).header.Get("Location") != "/" {
		t.Errorf("sent to %q", r.header.Get("Location"))
	}
}

func TestDeactivationEndsTheSessionAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pc := e.signIn("transport.officer")
	active := false
	if _, err := e.svc.UpdateUser(e.as("admin"), e.ids["transport.officer"], workflow.UserPatch{Active: &active}); err != nil {
		t.Fatal(err)
	}
	pc.get("/").want(t, http.StatusSeeOther)
}

func TestSessionCookieIsSecureBehindHTTPS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv, err := handlers.New(handlers.Config{Service: e.svc, Logger: slog.New(slog.DiscardHandler), BaseURL: "https://casetrack.example.gov.cn",
		Location: time.UTC, LoginLimits: roomyLimits})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	pc := e.newPageClient()
	pc.e = &env{t: t, srv: ts}
	pc.csrf = findCSRF(t, pc.get("/login").body)
	r := pc.post("/login", url.Values{"login": {"viewer"}, "password": {password}}).want(t, http.StatusSeeOther)
	if ck := sessionCookieOf(t, r); !ck.Secure || !ck.HttpOnly {
		t.Errorf("session cookie behind https: Secure %v, HttpOnly %v", ck.Secure, ck.HttpOnly)
	}
}

func TestFormPostsWithoutTheSessionsTokenAreRefusedAndChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.fileCase("operator", "刘家嘴站围栏阻挡行人")
	coordinator, operator := e.signIn("coordinator"), e.signIn("operator")
	triage := fmt.Sprintf("/cases/%d/actions/triage", c.ID)
	for _, tc := range []struct {
		name    string
		token   string
		headers []string
	}{
		{"no token, posted from another site", "", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
		{"no token, claiming the same origin", "", []string{"Sec-Fetch-Site", "same-origin"}},
		{"no token, no fetch metadata", "", nil},
		{"another session's token", operator.csrf, nil},
		{"a made-up token", "bm90LWEtdG9rZW4", nil},
		{"the right token, posted from another site", coordinator.csrf, []string{"Sec-Fetch-Site", "cross-site"}},
	} {
		form := url.Values{}
		if tc.token != "" {
			form.Set("csrf", tc.token)
		}
		r := coordinator.postRaw(triage, form, tc.headers...).want(t, http.StatusForbidden)
		r.contains(t, "表单已失效", `data-status="403"`)
		if got := e.caseStatus(c.ID); got != workflow.CaseSubmitted {
			t.Fatalf("%s: the case became %s", tc.name, got)
		}
	}
	// The sign-in form is checked too.
	fresh := e.newPageClient()
	fresh.postRaw("/login", url.Values{"login": {"coordinator"}, "password": {password}}, "Sec-Fetch-Site", "cross-site").want(t, http.StatusForbidden)

	coordinator.post(triage, nil).want(t, http.StatusSeeOther)
	if got := e.caseStatus(c.ID); got != workflow.CaseTriaged {
		t.Fatalf("with its token the form did not apply: %s", got)
	}
}

// caseStatus reads a case's status through the service, as the coordinator.
func (e *env) caseStatus(id int64) workflow.CaseStatus {
	e.t.Helper()
	c, err := e.svc.GetCase(e.as("coordinator"), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Status
}
