package handlers

import (
	"net/http"
	"strings"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// requireBearer authenticates an API request by its bearer token and puts
// the actor in the request's context; anything else is 401.
func (s *Server) requireBearer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := bearerToken(c.Request())
		if token == "" {
			return workflow.Errorf(workflow.ErrUnauthenticated, "send Authorization: Bearer <token>")
		}
		actor, err := s.svc.Authenticate(c.Request().Context(), token)
		if err != nil {
			return err
		}
		c.SetRequest(c.Request().WithContext(workflow.WithActor(c.Request().Context(), actor)))
		return next(c)
	}
}

// actor returns the signed-in user of the request.
func actor(c echo.Context) *workflow.Actor { return workflow.ActorFrom(c.Request().Context()) }

// loginRequest is the body of POST /auth/login.
type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// login exchanges a login and password for a bearer token. Failed logins
// are throttled per login and per client address (429 with Retry-After).
func (s *Server) login(c echo.Context) error {
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	sess, err := s.svc.LoginThrottled(c.Request().Context(), workflow.LoginAttempt{
		Login: req.Login, Password: req.Password, Client: c.RealIP(),
		Kind: workflow.TokenAPI, Lifetime: s.cfg.TokenLifetime,
	}, s.cfg.LoginLimits)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, sess)
}

// logout revokes the bearer token at once.
func (s *Server) logout(c echo.Context) error {
	if err := s.svc.Logout(c.Request().Context(), bearerToken(c.Request())); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// meResponse is GET /me.
type meResponse struct {
	ID     int64            `json:"id"`
	Login  string           `json:"login"`
	Name   string           `json:"name"`
	Email  string           `json:"email"`
	Locale string           `json:"locale"`
	Roles  []workflow.Grant `json:"roles"`
}

// me describes the signed-in user.
func (s *Server) me(c echo.Context) error {
	a := actor(c)
	roles := a.Grants
	if roles == nil {
		roles = []workflow.Grant{}
	}
	return writeJSON(c, http.StatusOK, meResponse{ID: a.UserID, Login: a.Login, Name: a.Name, Email: a.Email, Locale: a.Locale, Roles: roles})
}
