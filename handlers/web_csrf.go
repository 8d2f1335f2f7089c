package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Every form of the web view carries a CSRF token in the field csrfField,
// and every POST is refused (403, nothing changes) unless it matches.
//
// A signed-in user's token is an HMAC keyed with their session token, which
// only their browser holds (HttpOnly cookie): another site cannot compute
// it, any instance can check it without shared state, and it dies with the
// session. The sign-in form, which has no session yet, uses a random
// pre-session cookie the same way (double submit). Sec-Fetch-Site is only
// an extra refusal for cross-site posts, never a reason to let one through.
const (
	csrfField  = "csrf"
	csrfCookie = "casetrack_csrf"
)

// csrfToken derives the form token of a secret.
func csrfToken(secret, purpose string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("casetrack csrf v1 " + purpose))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// sessionCSRF is the form token of the request's session, or "" when signed out.
func sessionCSRF(c echo.Context) string {
	if token, ok := c.Get(webSessionKey).(string); ok && token != "" {
		return csrfToken(token, "session")
	}
	return ""
}

// signInCSRF is the sign-in form's token; it sets the pre-session cookie when there is none.
func (s *Server) signInCSRF(c echo.Context) string {
	if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		return csrfToken(ck.Value, "sign-in")
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := base64.RawURLEncoding.EncodeToString(raw)
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: secret, Path: "/login", HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteStrictMode})
	return csrfToken(secret, "sign-in")
}

// webCheckCSRF refuses a POST whose form lacks the session's token.
func webCheckCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkCSRF(c, sessionCSRF(c)); err != nil {
			return err
		}
		return next(c)
	}
}

// webCheckSignInCSRF refuses a sign-in whose form lacks the pre-session cookie's token.
func webCheckSignInCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		want := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
			want = csrfToken(ck.Value, "sign-in")
		}
		if err := checkCSRF(c, want); err != nil {
			return err
		}
		return next(c)
	}
}

// errCSRF is the answer to a form without a valid token.
var errCSRF = echo.NewHTTPError(http.StatusForbidden, "the form is missing its security token or it has expired; reload the page and try again")

// checkCSRF compares the posted token with want, in constant time.
func checkCSRF(c echo.Context, want string) error {
	r := c.Request()
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
		return nil
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return errCSRF
	}
	got := c.FormValue(csrfField)
	if want == "" || got == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return errCSRF
	}
	return nil
}
