package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// sessionCookie holds a workflow.TokenSession token. The token lives in the
// tokens table (as a hash), so signing out, a deactivation or a role change
// applies on the next request, on every instance.
const sessionCookie = "casetrack_session"

// Keys of what the web middleware leaves in echo.Context.
const (
	webLangKey    = "web.lang"
	webSessionKey = "web.session" // the session token of the request, if signed in
)

// secureCookies reports whether cookies get the Secure flag: when the public address is https.
func (s *Server) secureCookies() bool { return strings.HasPrefix(s.cfg.BaseURL, "https://") }

// webContext prepares every web request: it signs the user in from the
// session cookie when there is a valid one, and picks the language.
func (s *Server) webContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s.webSignInFromCookie(c)
		c.Set(webLangKey, chooseLanguage(c, actor(c), s.secureCookies()))
		return next(c)
	}
}

// webSignInFromCookie puts the session's actor in the request's context
// when the cookie holds a valid session, and drops a cookie that does not.
func (s *Server) webSignInFromCookie(c echo.Context) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return
	}
	a, err := s.svc.Authenticate(c.Request().Context(), ck.Value)
	if err != nil {
		if workflow.ErrorCodeOf(err) == workflow.ErrUnauthenticated {
			s.clearSessionCookie(c)
		}
		return
	}
	c.Set(webSessionKey, ck.Value)
	c.SetRequest(c.Request().WithContext(workflow.WithActor(c.Request().Context(), a)))
}

// webRequireSession sends a visitor who is not signed in to the sign-in
// page, and back here afterwards. A live fragment polled by htmx asks the
// browser to load the sign-in page instead of swapping it in.
func (s *Server) webRequireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if actor(c) != nil {
			return next(c)
		}
		target := "/login"
		if r := c.Request(); r.Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		if c.Request().Header.Get("HX-Request") == "true" {
			c.Response().Header().Set("HX-Redirect", target)
			return c.NoContent(http.StatusNoContent)
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
}

// setSessionCookie hands the browser its session token.
func (s *Server) setSessionCookie(c echo.Context, sess *workflow.Session) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		MaxAge: int(time.Until(sess.ExpiresAt).Seconds()), HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

// clearSessionCookie makes the browser forget its session token.
func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

// webLang returns the language webContext chose for the request.
func webLang(c echo.Context) string {
	if lang, ok := c.Get(webLangKey).(string); ok {
		return lang
	}
	return webLanguages[0]
}

// localPath returns next when it is a path on this site, else "/": the
// sign-in page never sends anyone to another site.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) ||
		u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}
