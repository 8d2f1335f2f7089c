package handlers_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// pageClient is a plain HTTP client of the web view with its own cookie
// jar, for tests that need no browser. It does not follow redirects, so
// that tests see them. The authorization matrix can use it for the page
// routes: signIn, then get, or post with the session's CSRF token.
type pageClient struct {
	t    testing.TB
	e    *env
	http *http.Client
	// csrf is the token of the signed-in session (or of the sign-in form).
	csrf string
}

// csrfInput finds the CSRF token of a form in a page.
var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// newPageClient returns a client that is not signed in.
func (e *env) newPageClient() *pageClient {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &pageClient{t: e.t, e: e, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn returns a client signed in as login through the sign-in form.
func (e *env) signIn(login string) *pageClient {
	e.t.Helper()
	pc := e.newPageClient()
	form := pc.get("/login").want(pc.t, http.StatusOK)
	pc.csrf = findCSRF(pc.t, form.body)
	r := pc.post("/login", url.Values{"login": {login}, "password": {password}})
	if r.status != http.StatusSeeOther {
		pc.t.Fatalf("sign in as %s: status %d: %s", login, r.status, r.body)
	}
	pc.csrf = findCSRF(pc.t, pc.get("/").want(pc.t, http.StatusOK).body)
	return pc
}

// findCSRF reads the CSRF token of the first form of a page.
func findCSRF(t testing.TB, page []byte) string {
	t.Helper()
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page: %.400s", page)
	}
	return string(m[1])
}

// get fetches a page; headers come in name, value pairs.
func (pc *pageClient) get(path string, headers ...string) *response {
	pc.t.Helper()
	req, err := http.NewRequest(http.MethodGet, pc.e.srv.URL+path, nil)
	if err != nil {
		pc.t.Fatal(err)
	}
	return pc.do(req, headers...)
}

// post submits a form with the client's CSRF token added; headers come in name, value pairs.
func (pc *pageClient) post(path string, form url.Values, headers ...string) *response {
	pc.t.Helper()
	withToken := url.Values{}
	for k, v := range form {
		withToken[k] = v
	}
	withToken.Set("csrf", pc.csrf)
	return pc.postRaw(path, withToken, headers...)
}

// postRaw submits a form as it is, without adding a CSRF token.
func (pc *pageClient) postRaw(path string, form url.Values, headers ...string) *response {
	pc.t.Helper()
	req, err := http.NewRequest(http.MethodPost, pc.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		pc.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return pc.do(req, headers...)
}

func (pc *pageClient) do(req *http.Request, headers ...string) *response {
	pc.t.Helper()
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := pc.http.Do(req)
	if err != nil {
		pc.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		pc.t.Fatal(err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: body}
}

// contains fails the test unless the page holds every one of texts.
func (r *response) contains(t testing.TB, texts ...string) *response {
	t.Helper()
	for _, text := range texts {
		if !strings.Contains(string(r.body), text) {
			t.Errorf("the page lacks %q", text)
		}
	}
	return r
}

// lacks fails the test if the page holds any of texts.
func (r *response) lacks(t testing.TB, texts ...string) *response {
	t.Helper()
	for _, text := range texts {
		if strings.Contains(string(r.body), text) {
			t.Errorf("the page holds %q", text)
		}
	}
	return r
}
