package handlers

import (
	"net/http"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// loginPage is the sign-in form.
type loginPage struct {
	webPage
	Login string
	Next  string
	// Error is the id of a message about a refused sign-in.
	Error string
}

// pageLogin shows the sign-in form (GET /login); a signed-in user goes on.
func (s *Server) pageLogin(c echo.Context) error {
	next := localPath(c.QueryParam("next"))
	if actor(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return s.renderLogin(c, http.StatusOK, loginPage{Next: next})
}

// pageSignIn checks the password and starts a session (POST /login). The
// session is a workflow.TokenSession token in an HttpOnly cookie. Failed
// sign-ins are throttled together with the API's (429).
func (s *Server) pageSignIn(c echo.Context) error {
	login, next := c.FormValue("login"), localPath(c.FormValue("next"))
	sess, err := s.svc.LoginThrottled(c.Request().Context(), workflow.LoginAttempt{
		Login: login, Password: c.FormValue("password"), Client: c.RealIP(),
		Kind: workflow.TokenSession, Lifetime: s.cfg.TokenLifetime,
	}, s.cfg.LoginLimits)
	switch {
	case err == nil:
	case workflow.ErrorCodeOf(err) == workflow.ErrUnauthenticated:
		return s.renderLogin(c, http.StatusUnauthorized, loginPage{Login: login, Next: next, Error: "login_failed"})
	case workflow.ErrorCodeOf(err) == workflow.ErrTooManyRequests:
		setErrorHeaders(c, err, http.StatusTooManyRequests)
		return s.renderLogin(c, http.StatusTooManyRequests, loginPage{Login: login, Next: next, Error: "error_too_many"})
	default:
		return err
	}
	s.setSessionCookie(c, sess)
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) renderLogin(c echo.Context, status int, p loginPage) error {
	page, err := s.newWebPage(c, "")
	if err != nil {
		return err
	}
	p.webPage = page
	p.CSRF = s.signInCSRF(c)
	return c.Render(status, "login", p)
}
