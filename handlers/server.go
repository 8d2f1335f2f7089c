// Package handlers is casetrack's HTTP edge: the JSON API and the web view's
// pages, on Echo. Handlers bind and validate requests, call workflow.Service
// and render; they decide no permission on their own.
package handlers

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/digest"

	"github.com/labstack/echo/v4"
)

// Config wires the HTTP server.
type Config struct {
	Service *workflow.Service
	Logger  *slog.Logger
	// BaseURL is the public address, e.g. https://casetrack.example.gov.cn.
	BaseURL string
	// Location is the zone times are shown in.
	Location *time.Location
	// TokenLifetime is how long a login lasts.
	TokenLifetime time.Duration
	// Ready reports whether the database answers, for /readyz.
	Ready func(ctx context.Context) error
	// TrustedProxies are the networks whose X-Forwarded-For names the
	// client; a request from anywhere else is taken to come from its peer.
	TrustedProxies []netip.Prefix
	// LoginLimits throttle failed logins; zero means workflow.DefaultLoginLimits.
	LoginLimits workflow.LoginLimits
	// Digests previews the weekly digests and administers the outbox.
	Digests *digest.Digester
	// DigestRuns, if set, is served at /metrics with the digest scheduler's results.
	DigestRuns *DigestRuns
}

// Server holds what every handler needs.
type Server struct {
	svc *workflow.Service
	log *slog.Logger
	cfg Config
	// globalDepartments keeps the dashboard's departments' part of the global figures.
	globalDepartments renderedParts
}

// New returns the Echo instance serving casetrack's API and web view.
func New(cfg Config) (*echo.Echo, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TokenLifetime == 0 {
		cfg.TokenLifetime = workflow.DefaultTokenLifetime
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.LoginLimits == (workflow.LoginLimits{}) {
		cfg.LoginLimits = workflow.DefaultLoginLimits
	}
	s := &Server{svc: cfg.Service, log: cfg.Logger, cfg: cfg}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = clientAddress(cfg.TrustedProxies)
	if err := s.routes(e); err != nil {
		return nil, err
	}
	return e, nil
}
