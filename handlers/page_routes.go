package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// pageRoutes is the web view of API.md ("Web view: stable addresses").
func (s *Server) pageRoutes(e *echo.Echo) error {
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/login") })
	return nil
}
