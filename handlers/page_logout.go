package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// pageLogout ends the session at once, on every instance (POST /logout).
func (s *Server) pageLogout(c echo.Context) error {
	if token, ok := c.Get(webSessionKey).(string); ok {
		if err := s.svc.Logout(c.Request().Context(), token); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}
