package workflow

import (
	"context"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// LoginLimits bound failed logins: within Window, at most PerLogin failures
// for one login and PerClient from one client address. Past either limit a
// login answers ErrTooManyRequests, whatever the password, until enough
// failures have aged out of the window.
type LoginLimits struct {
	PerLogin  int
	PerClient int
	Window    time.Duration
}

// DefaultLoginLimits are the limits of a production server. The address
// limit is higher because one office behind NAT shares an address.
var DefaultLoginLimits = LoginLimits{PerLogin: 5, PerClient: 20, Window: 15 * time.Minute}

// LoginAttempt is one try to sign in.
type LoginAttempt struct {
	Login    string
	Password string
	// Client is the address the attempt comes from, as the edge determined it.
	Client   string
	Kind     TokenKind
	Lifetime time.Duration
}

// maxThrottleKey bounds what one failed attempt stores, in bytes: no login
// is longer (64 characters of at most 4 bytes), and an attacker's
// megabyte-long login must not fill the table.
const maxThrottleKey = 256

// LoginThrottled is Login with failed attempts throttled per login and per
// client address, in the database, so that the limits hold across instances.
// The attempt is recorded before the password is checked, so concurrent
// guesses cannot slip past a limit together; an attempt that succeeds, is
// throttled or fails for another reason takes its record back, and a success
// also clears the login's earlier failures.
func (s *Service) LoginThrottled(ctx context.Context, in LoginAttempt, limits LoginLimits) (*Session, error) {
	now := s.now()
	since := now.Add(-limits.Window)
	login, client := throttleKey(in.Login), throttleKey(in.Client)
	attempt, err := recordLoginAttempt(ctx, s.db, login, client, now, since)
	if err != nil {
		return nil, dbError(err)
	}
	until, err := throttledUntil(ctx, s.db, attempt, login, client, since, limits)
	if err != nil {
		return nil, dbError(err)
	}
	if !until.IsZero() {
		if err := forgetLoginAttempt(ctx, s.db, attempt); err != nil {
			return nil, dbError(err)
		}
		retryAfter := int(math.Ceil(until.Add(limits.Window).Sub(now).Seconds()))
		return nil, &Error{Code: ErrTooManyRequests, Message: "too many failed logins; try again later",
			RetryAfterSeconds: max(retryAfter, 1)}
	}
	if login != in.Login {
		// Such a login cannot exist (see throttleKey); looking it up would only fail in the database.
		return nil, Errorf(ErrUnauthenticated, "wrong login or password")
	}
	sess, err := s.Login(ctx, in.Login, in.Password, in.Kind, in.Lifetime)
	if err == nil {
		err = clearLoginFailures(ctx, s.db, login)
	} else if ErrorCodeOf(err) != ErrUnauthenticated {
		// Not a failed guess: the database failed. A failure keeps its record.
		_ = forgetLoginAttempt(ctx, s.db, attempt)
	}
	if err != nil {
		return nil, dbError(err)
	}
	return sess, nil
}

// throttleKey makes text safe to store and bounded: PostgreSQL text holds no
// NUL and only valid UTF-8, and no login is longer than maxThrottleKey bytes.
func throttleKey(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"), "\uFFFD")
	if len(s) <= maxThrottleKey {
		return s
	}
	cut := maxThrottleKey
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
