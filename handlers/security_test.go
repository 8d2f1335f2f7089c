package handlers_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/workflowtest"

	"github.com/labstack/echo/v4"
)

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	responses := map[string]*response{
		"health":        e.call("", http.MethodGet, "/healthz", nil),
		"description":   e.call("", http.MethodGet, "/api/openapi.yaml", nil),
		"API 200":       e.call("operator", http.MethodGet, "/api/v1/me", nil),
		"API 401":       e.call("", http.MethodGet, "/api/v1/me", nil),
		"unknown route": e.call("", http.MethodGet, "/no/such/page", nil),
		"413":           e.call("operator", http.MethodPost, "/api/v1/cases", strings.Repeat(" ", 1<<20+1)),
		"path trick":    rawRequest(t, e, http.MethodGet, "/api/v1/../v1/me", ""),
	}
	for name, r := range responses {
		t.Run(name, func(t *testing.T) {
			csp := r.header.Get("Content-Security-Policy")
			for _, part := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, part) {
					t.Errorf("CSP %q lacks %q", csp, part)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP allows inline script: %q", csp)
			}
			for header, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
				if got := r.header.Get(header); got != want {
					t.Errorf("%s: %q, want %q", header, got, want)
				}
			}
		})
	}
	if got := responses["API 200"].header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("API answers may be cached: Cache-Control %q", got)
	}
}

// rawRequest sends a request line exactly as written, which no HTTP client
// library would (they clean or escape paths), and reads the answer.
func rawRequest(t *testing.T, e *env, method, target, token string) *response {
	t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := method + " " + target + " HTTP/1.1\r\nHost: casetrack.test\r\nConnection: close\r\n"
	if token != "" {
		req += "Authorization: Bearer " + token + "\r\n"
	}
	if method == http.MethodPost {
		req += "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
	} else {
		req += "\r\n"
	}
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &response{status: res.StatusCode, header: res.Header, body: body}
}

// pathTricks spells a path in ways that a careless router or proxy might
// take for it.
func pathTricks(path string) []string {
	rest := strings.TrimPrefix(path, "/api/v1/")
	return []string{
		"/" + path,
		"/api/v1//" + rest,
		"/api/v1/./" + rest,
		"/api/v1/x/../" + rest,
		"/api/v1/%2e%2e/v1/" + rest,
		"/api%2Fv1%2F" + strings.ReplaceAll(rest, "/", "%2F"),
		"/api/v1%2f" + rest,
		"/api%5Cv1%5C" + strings.ReplaceAll(rest, "/", "%5C"),
		`/api\v1\` + strings.ReplaceAll(rest, "/", `\`),
		"/api/v1/" + rest + "/",
		"/API/V1/" + rest,
		"/api/v1/" + rest + "%00",
		"/api/v1/" + rest + ";.css",
		"/api/v1/auth/login/../../" + rest,
	}
}

func TestPathTricksNeverReachAProtectedRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, a := e.caseWithLead("刘家嘴站围栏阻挡行人")
	for _, route := range e.echo.Routes() {
		if !strings.HasPrefix(route.Path, "/api/v1/") || route.Method == echo.RouteNotFound || route.Path == "/api/v1/auth/login" {
			continue
		}
		id, action := c.ID, "triage"
		if strings.HasPrefix(route.Path, "/api/v1/assignments/") {
			id, action = a.ID, "accept"
		}
		path := strings.NewReplacer(":id", strconv.FormatInt(id, 10), ":action", action).Replace(route.Path)
		t.Run(route.Method+" "+route.Path, func(t *testing.T) {
			if r := rawRequest(t, e, route.Method, path, ""); r.status != http.StatusUnauthorized {
				t.Fatalf("the plain path %s answers %d to an anonymous caller, want 401", path, r.status)
			}
			for _, trick := range pathTricks(path) {
				for _, caller := range []string{"", "police.head"} {
					r := rawRequest(t, e, route.Method, trick, e.tokens[caller])
					if r.status < 400 || r.status >= 500 {
						t.Errorf("%s %s as %q answers %d", route.Method, trick, caller, r.status)
					}
				}
			}
		})
	}
}

// loginAs posts a login, from a given X-Forwarded-For when it is not "".
func loginAs(e *env, login, pw, forwardedFor string) *response {
	var headers []string
	if forwardedFor != "" {
		headers = []string{"X-Forwarded-For", forwardedFor}
	}
	return e.call("", http.MethodPost, "/api/v1/auth/login", map[string]string{"login": login, "password": pw}, headers...)
}

func TestFailedLoginsAreThrottledPerLogin(t *testing.T) {
	t.Parallel()
	limits := workflow.LoginLimits{PerLogin: 3, PerClient: 100, Window: time.Hour}
	e := newEnvOn(t, workflowtest.NewDB(t), envOptions{limits: limits})
	for range limits.PerLogin {
		loginAs(e, "operator", "wrong-password", "").want(t, http.StatusUnauthorized)
	}
	r := loginAs(e, "operator", password, "").want(t, http.StatusTooManyRequests)
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 3500 || s > 3600 {
		t.Errorf("Retry-After %q, want about an hour", r.header.Get("Retry-After"))
	}
	loginAs(e, "viewer", password, "").want(t, http.StatusOK) // another login from the same address

	e.offset.Store(int64(limits.Window + time.Second))
	loginAs(e, "operator", "wrong-password", "").want(t, http.StatusUnauthorized)
	loginAs(e, "operator", password, "").want(t, http.StatusOK)
	// A success clears the login's failures: three more mistakes are allowed.
	for range limits.PerLogin {
		loginAs(e, "operator", "wrong-password", "").want(t, http.StatusUnauthorized)
	}
	loginAs(e, "operator", "wrong-password", "").want(t, http.StatusTooManyRequests)
}

func TestConcurrentGuessesCannotSlipPastTheLimit(t *testing.T) {
	t.Parallel()
	limits := workflow.LoginLimits{PerLogin: 3, PerClient: 100, Window: time.Hour}
	e := newEnvOn(t, workflowtest.NewDB(t), envOptions{limits: limits})
	const guesses = 12
	statuses := make([]int, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			req := e.request("", http.MethodPost, "/api/v1/auth/login", map[string]string{"login": "operator", "password": fmt.Sprintf("guess-%d", i)})
			res, err := e.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_ = res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	wg.Wait()
	checked := map[int]int{}
	for _, s := range statuses {
		checked[s]++
	}
	if checked[http.StatusUnauthorized] > limits.PerLogin || checked[http.StatusUnauthorized]+checked[http.StatusTooManyRequests] != guesses {
		t.Errorf("statuses %v: more than %d passwords were checked", checked, limits.PerLogin)
	}
}

func TestFailedLoginsAreThrottledPerAddress(t *testing.T) {
	t.Parallel()
	limits := workflow.LoginLimits{PerLogin: 100, PerClient: 3, Window: time.Hour}
	e := newEnvOn(t, workflowtest.NewDB(t), envOptions{limits: limits})
	for _, login := range []string{"operator", "viewer", "admin"} {
		loginAs(e, login, "wrong-password", "").want(t, http.StatusUnauthorized)
	}
	loginAs(e, "coordinator", password, "").want(t, http.StatusTooManyRequests)
}

func TestSpoofedForwardedForDoesNotChangeTheThrottleKey(t *testing.T) {
	t.Parallel()
	limits := workflow.LoginLimits{PerLogin: 100, PerClient: 3, Window: time.Hour}
	logins := []string{"operator", "viewer", "admin", "coordinator"}

	t.Run("from an untrusted peer the header is ignored", func(t *testing.T) {
		t.Parallel()
		e := newEnvOn(t, workflowtest.NewDB(t), envOptions{limits: limits})
		for i, login := range logins[:3] {
			loginAs(e, login, "wrong-password", fmt.Sprintf("203.0.113.%d", i+1)).want(t, http.StatusUnauthorized)
		}
		loginAs(e, logins[3], password, "198.51.100.77").want(t, http.StatusTooManyRequests)
		for _, line := range e.logLines("request") {
			if line["client"] != "127.0.0.1" {
				t.Errorf("request logged from %v", line["client"])
			}
		}
	})

	t.Run("behind a trusted proxy the client is the address the proxy saw", func(t *testing.T) {
		t.Parallel()
		e := newEnvOn(t, workflowtest.NewDB(t), envOptions{limits: limits, proxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		// A client forges the left part of the header; the proxy appends the address it saw.
		for i, login := range logins[:3] {
			loginAs(e, login, "wrong-password", fmt.Sprintf("10.0.0.%d, 203.0.113.9", i+1)).want(t, http.StatusUnauthorized)
		}
		loginAs(e, logins[3], password, "10.0.0.99, 203.0.113.9").want(t, http.StatusTooManyRequests)
		// Another client behind the same proxy has its own count.
		loginAs(e, logins[3], password, "203.0.113.10").want(t, http.StatusOK)
	})
}

func TestDeniedActionsAreLoggedOnceAndNoSecretEver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := e.caseWithLead("璧山站共享单车乱停放")
	const secret = "correct-horse-battery"
	var sess workflow.Session
	loginAs(e, "operator", password, "").want(t, http.StatusOK).decode(t, &sess)
	loginAs(e, "viewer", secret, "").want(t, http.StatusUnauthorized)
	e.call("admin", http.MethodPost, "/api/v1/users", map[string]any{"login": "newcomer", "name": "新人", "password": secret}).want(t, http.StatusCreated)
	e.call("", http.MethodGet, "/api/v1/me", nil, "Authorization", "Bearer "+secret).want(t, http.StatusUnauthorized)

	denials := []struct {
		login, method, path, action string
		status                      int
	}{
		{"viewer", http.MethodPost, "/api/v1/cases", "POST /api/v1/cases", http.StatusForbidden},
		{"police.head", http.MethodGet, fmt.Sprintf("/api/v1/cases/%d", c.ID), "GET /api/v1/cases/:id", http.StatusNotFound},
		{"transport.officer", http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/actions/triage", c.ID), "triage", http.StatusForbidden},
	}
	for _, d := range denials {
		e.call(d.login, d.method, d.path, map[string]string{"title": "x"}).want(t, d.status)
	}
	lines := e.logLines("access denied")
	if len(lines) != len(denials) {
		t.Fatalf("%d denial lines for %d denials: %v", len(lines), len(denials), lines)
	}
	for i, d := range denials {
		line := lines[i]
		if line["actor"] != d.login || line["action"] != d.action || line["object"] != d.path || line["reason"] == "" {
			t.Errorf("denial %d logged as %v", i, line)
		}
	}

	logged := e.logs.String()
	secrets := map[string]string{"password": password, "other password": secret, "new token": sess.Token}
	for login, token := range e.tokens {
		secrets["token of "+login] = token
	}
	for what, s := range secrets {
		if strings.Contains(logged, s) {
			t.Errorf("the log holds a %s", what)
		}
	}
}

func TestNonCanonicalPathsAre400(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, target := range []string{"//healthz", "/./healthz", "/x/../healthz", "/api%2Fopenapi.yaml", "/api%5Copenapi.yaml", "/api/openapi.yaml%00"} {
		if r := rawRequest(t, e, http.MethodGet, target, ""); r.status != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", target, r.status)
		}
	}
	rawRequest(t, e, http.MethodGet, "/healthz", "").want(t, http.StatusOK)
}
