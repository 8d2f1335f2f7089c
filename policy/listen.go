package policy

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/lib/pq"
)

// RolesChannel is the PostgreSQL channel on which a role change is announced:
// NOTIFY it with the user's id in the same transaction as the change.
const RolesChannel = "casetrack_roles"

// forgetAllEvery bounds how long a missed notification can leave a user's
// lines in memory.
const forgetAllEvery = 30 * time.Second

// Listen makes the enforcer drop a user's roles as soon as any instance
// announces a change on RolesChannel, until ctx is done. Checks stay correct
// without it, because callers pass the roles version they load on every
// request; Listen keeps lines of users who stopped calling from lingering and
// is a second path should a version not be bumped.
func Listen(ctx context.Context, dsn string, e *Enforcer, logger *slog.Logger) {
	listener := pq.NewListener(dsn, 500*time.Millisecond, 15*time.Second, func(event pq.ListenerEventType, err error) {
		switch event {
		case pq.ListenerEventConnected, pq.ListenerEventReconnected:
			// Notifications sent while no connection listened are lost.
			e.ForgetAll()
			logger.Info("policy: listening for role changes", "channel", RolesChannel, "event", event.String())
		case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
			logger.Warn("policy: role change listener lost its connection", "event", event.String(), "err", err)
		}
	})
	// Listener.Listen blocks until the server answers, which may be never
	// while the database is down; closing the listener is what ends it.
	stop := context.AfterFunc(ctx, func() { _ = listener.Close() })
	defer stop()
	defer func() { _ = listener.Close() }()
	if err := listener.Listen(RolesChannel); err != nil {
		if ctx.Err() == nil {
			logger.Error("policy: cannot listen for role changes", "channel", RolesChannel, "err", err)
		}
		return
	}

	ticker := time.NewTicker(forgetAllEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case n, ok := <-listener.Notify:
			if !ok {
				return
			}
			forget(e, n, logger)
		case <-ticker.C:
			e.ForgetAll()
			// A half-open connection only shows itself when something is sent.
			go func() { _ = listener.Ping() }()
		}
	}
}

// forget applies one notification; nil is pq's sign of a reconnection, and
// a payload that is not a user id could be about anyone.
func forget(e *Enforcer, n *pq.Notification, logger *slog.Logger) {
	if n == nil {
		e.ForgetAll()
		return
	}
	userID, err := strconv.ParseInt(n.Extra, 10, 64)
	if err != nil {
		logger.Warn("policy: role change notification without a user id; forgetting everyone", "payload", n.Extra)
		e.ForgetAll()
		return
	}
	e.Forget(userID)
}
