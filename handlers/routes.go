package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the one route table of the service. The middleware that every
// response needs runs before routing (Pre), so that it also covers requests
// no route matches and paths refused as tricks.
func (s *Server) routes(e *echo.Echo) error {
	e.Pre(middleware.RequestID(), s.logRequests, s.recoverPanics(), securityHeaders(), rejectPathTricks)
	e.Use(middleware.BodyLimit(strconv.Itoa(MaxBodyBytes)))

	// Prometheus scrapes without credentials, like the health checks: the
	// series hold timings and counts, never a case.
	if s.cfg.DigestRuns != nil {
		s.instrument(e, s.cfg.DigestRuns)
	} else {
		s.instrument(e)
	}
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/api/openapi.yaml", s.openAPI)

	s.apiRoutes(e.Group("/api/v1", noStore))
	return s.pageRoutes(e)
}

// apiRoutes is the JSON API of API.md. Everything but signing in needs a
// bearer token; the Service decides what each caller may see and do.
func (s *Server) apiRoutes(api *echo.Group) {
	api.POST("/auth/login", s.login)

	auth := api.Group("", s.requireBearer)
	auth.POST("/auth/logout", s.logout)
	auth.GET("/me", s.me)

	auth.GET("/departments", s.listDepartments)
	auth.POST("/departments", s.createDepartment)
	auth.GET("/users", s.listUsers)
	auth.POST("/users", s.createUser)
	auth.PATCH("/users/:id", s.updateUser)

	auth.GET("/cases", s.listCases)
	auth.POST("/cases", s.createCase)
	auth.GET("/cases/:id", s.getCase)
	auth.POST("/cases/:id/actions/:action", s.actOnCase)
	auth.POST("/cases/:id/assignments", s.dispatch)
	auth.POST("/cases/:id/comments", s.addComment)
	auth.GET("/cases/:id/events", s.listEvents)

	auth.GET("/assignments/:id", s.getAssignment)
	auth.POST("/assignments/:id/actions/:action", s.actOnAssignment)

	auth.GET("/digests/preview", s.previewDigest)
	auth.GET("/outbox", s.listOutbox)
	auth.POST("/outbox/:id/resend", s.resendOutbox)
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

// logRequests writes one line per request. It hands errors to the error
// handler itself, so that the line has the status that was sent. It logs
// the path, never the query, headers or body, where credentials travel.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		s.log.Info("request", "method", req.Method, "path", req.URL.Path, "route", c.Path(),
			"status", res.Status, "bytes", res.Size, "duration_ms", time.Since(start).Milliseconds(),
			"client", c.RealIP(), "request_id", res.Header().Get(echo.HeaderXRequestID))
		return nil
	}
}

// recoverPanics turns a panic into a 500 whose log line (see handleError)
// carries the stack.
func (s *Server) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(_ echo.Context, err error, stack []byte) error {
			return fmt.Errorf("panic: %w\n%s", err, stack)
		},
	})
}
