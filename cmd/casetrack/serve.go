package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"casetrack/handlers"
	"casetrack/policy"
)

// HTTP server limits. The API's bodies are at most 1 MiB (API.md), so a
// client that needs longer than readTimeout to send one is stalling.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// gcPercent is serve's GOGC unless the environment sets one: the
	// collector runs when the heap has grown by this percentage since the
	// last collection. With Go's default, 100, serve spent about 15 % of its
	// CPU collecting a live heap of a few megabytes under list load; with
	// 400 its CPU per list request fell by 12 to 24 % in two runs
	// (docs/PERFORMANCE.md).
	gcPercent = 400
	// memoryLimit is serve's GOMEMLIMIT unless the environment sets GOGC or
	// GOMEMLIMIT: the heap may grow by gcPercent only up to this size, after
	// which the collector runs more often. Computing a week's digest at a
	// million cases holds about 35 MB, which gcPercent alone let grow to a
	// peak RSS of 151 MB.
	memoryLimit = 100 << 20
	// shutdownGrace is how long in-flight requests may run on after SIGTERM.
	shutdownGrace = 20 * time.Second
	// readyTimeout bounds the database ping of /readyz.
	readyTimeout = 2 * time.Second
)

// serveCommand runs the HTTP service until ctx is done (SIGINT or SIGTERM).
func serveCommand(ctx context.Context, e env, args []string) error {
	cfg, err := parseFlags(newFlagSet("serve"), args, e)
	if err != nil {
		return err
	}
	collectLessOften(e.getenv)
	// The backend refuses a database that needs `migrate`: with several
	// instances, migrating is a deliberate step, not a side effect of
	// starting one of them.
	return withBackend(ctx, cfg, func(b *backend) error {
		ln, err := net.Listen("tcp", cfg.ListenAddr)
		if err != nil {
			return fmt.Errorf("cannot listen on %s: %w", cfg.ListenAddr, err)
		}
		return serve(ctx, b, ln, slog.New(slog.NewJSONHandler(e.stderr, nil)))
	})
}

// collectLessOften sets the collector's GOGC to gcPercent and its
// GOMEMLIMIT to memoryLimit, unless the environment sets either.
func collectLessOften(getenv func(string) string) {
	if getenv("GOGC") == "" && getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(gcPercent)
		debug.SetMemoryLimit(memoryLimit)
	}
}

// serve runs the service on ln until ctx is done, then stops accepting
// connections and lets in-flight requests finish within shutdownGrace.
func serve(ctx context.Context, b *backend, ln net.Listener, logger *slog.Logger) error {
	defer ln.Close()
	cfg := b.cfg

	// Role changes made through other instances reach this one's enforcer.
	// Background work stops when serve returns.
	var background sync.WaitGroup
	listenCtx, stopListening := context.WithCancel(ctx)
	background.Go(func() { policy.Listen(listenCtx, b.dsn, b.enforcer, logger) })
	defer background.Wait()
	defer stopListening()

	// The weekly digest scheduler and the outbox worker run in every
	// instance; the database makes each digest and message go out once.
	digestRuns := handlers.NewDigestRuns()
	digests, err := b.digester(ctx, logger, digestRuns.Observe)
	if err != nil {
		return err
	}
	background.Go(func() { digests.Run(listenCtx) })

	h, err := handlers.New(handlers.Config{
		Digests:        digests,
		DigestRuns:     digestRuns,
		Service:        b.service(nil),
		Logger:         logger,
		BaseURL:        cfg.BaseURL,
		Location:       cfg.Location,
		TokenLifetime:  cfg.TokenTTL,
		TrustedProxies: cfg.TrustedProxies,
		Ready: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, readyTimeout)
			defer cancel()
			return b.db.PingContext(ctx)
		},
	})
	if err != nil {
		return err
	}

	listening := []any{"addr", ln.Addr().String(), "base_url", cfg.BaseURL}
	if cfg.DebugAddr != "" {
		debugAddr, stopDebug, err := serveDebug(cfg.DebugAddr, logger, &background)
		if err != nil {
			return err
		}
		defer stopDebug()
		listening = append(listening, "debug_addr", debugAddr)
	}

	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", listening...)

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", "grace", shutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("requests still running after %s were cut off: %w", shutdownGrace, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// serveDebug serves Go's profiles (net/http/pprof) at addr, on a listener
// and server of their own, apart from the public one, until stop is called;
// stop cuts a profile in progress off. It returns the address listened on.
func serveDebug(addr string, logger *slog.Logger, background *sync.WaitGroup) (listened string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("cannot listen on %s (DEBUG_ADDR): %w", addr, err)
	}
	// No write timeout: a CPU profile takes as long as its ?seconds= asks.
	srv := &http.Server{
		Handler:           handlers.DebugHandler(),
		ReadHeaderTimeout: readHeaderTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	background.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("the debug listener stopped", "addr", addr, "err", err.Error())
		}
	})
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}
