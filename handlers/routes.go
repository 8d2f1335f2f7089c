package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the one route table of the service.
func (s *Server) routes(e *echo.Echo) error {
	e.Use(middleware.RequestID(), middleware.Recover(), middleware.BodyLimit("1M"))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	s.apiRoutes(e.Group("/api/v1"))
	return s.pageRoutes(e)
}

// apiRoutes is the JSON API of API.md.
func (s *Server) apiRoutes(api *echo.Group) {
	api.POST("/auth/login", s.login)

	auth := api.Group("", s.requireBearer)
	auth.POST("/auth/logout", s.logout)
	auth.GET("/me", s.me)
}

// healthz answers while the process is alive.
func (s *Server) healthz(c echo.Context) error { return c.String(http.StatusOK, "ok\n") }

// readyz answers 200 while the database answers, else 503.
func (s *Server) readyz(c echo.Context) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.Request().Context()); err != nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "the database is unavailable")
		}
	}
	return c.String(http.StatusOK, "ready\n")
}
