package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Config is casetrack's configuration. Each value comes from its flag, else
// its environment variable, else its default (API.md, "Command line").
type Config struct {
	// DatabaseURL is the postgres:// URL of the database.
	DatabaseURL string
	// StatementTimeout ends any one SQL statement of the service that runs longer; 0 means none.
	StatementTimeout time.Duration
	// ListenAddr is the address serve listens on.
	ListenAddr string
	// DebugAddr is the private address on which serve exposes Go's
	// profiles (net/http/pprof); empty means none.
	DebugAddr string
	// BaseURL is the public address used in emails and links, without a trailing slash.
	BaseURL string
	// SMTPURL is smtp://user:pass@host:port or smtps://…; empty keeps mail in the outbox.
	SMTPURL string
	// MailFrom is the sender of every email.
	MailFrom string
	// DigestSchedule is the cron expression of the weekly digest.
	DigestSchedule string
	// Location is the zone of due dates, weeks, case references and the digest schedule.
	Location *time.Location
	// RefPrefix starts every case reference (CT-2026-000001).
	RefPrefix string
	// TokenTTL is how long a login lasts.
	TokenTTL time.Duration
	// TrustedProxies are the networks whose X-Forwarded-For header names the client.
	TrustedProxies []netip.Prefix
}

// setting is one row of the configuration table: a flag, the environment
// variable behind it, its default and how a value is checked and stored.
type setting struct {
	flag, env, def, usage string
	apply                 func(c *Config, value string) error
}

// settings is the configuration table: adding a setting is adding a row.
// BASE_URL's default depends on LISTEN_ADDR and is filled in by parseFlags.
func settings() []setting {
	return []setting{
		{"database-url", "DATABASE_URL", "", "PostgreSQL connection URL (postgres://…); required", func(c *Config, v string) error {
			c.DatabaseURL = v
			return nil
		}},
		{"statement-timeout", "STATEMENT_TIMEOUT", "5s", "longest one SQL statement may run (0 for no limit)", func(c *Config, v string) error {
			d, err := parseDuration(v)
			c.StatementTimeout = d
			return err
		}},
		{"listen", "LISTEN_ADDR", "127.0.0.1:8080", "address to listen on", func(c *Config, v string) error {
			c.ListenAddr = v
			_, _, err := net.SplitHostPort(v)
			return err
		}},
		{"debug-addr", "DEBUG_ADDR", "", "private address serving Go's profiles at /debug/pprof/; unset: none", func(c *Config, v string) error {
			c.DebugAddr = v
			if v == "" {
				return nil
			}
			_, _, err := net.SplitHostPort(v)
			return err
		}},
		{"base-url", "BASE_URL", "", "public URL, used in emails; by default http:// + LISTEN_ADDR", func(c *Config, v string) error {
			c.BaseURL = strings.TrimRight(v, "/")
			return checkURL(v, "http", "https")
		}},
		{"smtp-url", "SMTP_URL", "", "smtp://user:pass@host:port or smtps://…; unset keeps mail in the outbox", func(c *Config, v string) error {
			c.SMTPURL = v
			return checkURL(v, "smtp", "smtps")
		}},
		{"mail-from", "MAIL_FROM", "casetrack@localhost", "sender address", func(c *Config, v string) error {
			c.MailFrom = v
			_, err := mail.ParseAddress(v)
			return err
		}},
		{"digest-schedule", "DIGEST_SCHEDULE", "0 9 * * MON", "cron expression for the weekly digest", func(c *Config, v string) error {
			c.DigestSchedule = v
			_, err := cron.ParseStandard(v)
			return err
		}},
		{"timezone", "TIMEZONE", "Asia/Shanghai", "IANA zone for due dates, weeks and the schedule", func(c *Config, v string) (err error) {
			c.Location, err = time.LoadLocation(v)
			return err
		}},
		{"case-ref-prefix", "CASE_REF_PREFIX", "CT", "prefix of case reference numbers", func(c *Config, v string) error {
			c.RefPrefix = v
			if !refPrefix.MatchString(v) {
				return errors.New("must be 1–10 capital letters or digits, starting with a letter")
			}
			return nil
		}},
		{"token-ttl", "TOKEN_TTL", "30d", "how long a login lasts (e.g. 30d, 12h)", func(c *Config, v string) error {
			d, err := parseDuration(v)
			if err == nil && d <= 0 {
				err = errors.New("must be positive")
			}
			c.TokenTTL = d
			return err
		}},
		{"trusted-proxies", "TRUSTED_PROXIES", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed", func(c *Config, v string) (err error) {
			c.TrustedProxies, err = parseNetworks(v)
			return err
		}},
	}
}

var refPrefix = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,9}$`)

// parseFlags adds the configuration flags to fs (which may hold the
// command's own), parses args and resolves every setting. It returns
// flag.ErrHelp after printing the flags for -h, and a usageError for a
// mistake on the command line.
func parseFlags(fs *flag.FlagSet, args []string, e env) (*Config, error) {
	table := settings()
	given := make([]*string, len(table))
	for i, s := range table {
		note := " (env " + s.env
		if s.def != "" {
			note += ", default " + s.def
		}
		given[i] = fs.String(s.flag, "", s.usage+note+")")
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(e.stdout, "usage: %s [flags]\n\nflags:\n", fs.Name())
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		return nil, err
	} else if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfg := &Config{}
	for i, s := range table {
		value := *given[i]
		if !set[s.flag] {
			value = e.getenv(s.env)
		}
		if value == "" {
			value = s.def
		}
		if err := s.apply(cfg, value); err != nil {
			return nil, fmt.Errorf("%s (--%s): %w", s.env, s.flag, err)
		}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.ListenAddr
	}
	return cfg, nil
}

// parseDuration reads a Go duration ("90s", "12h") or a number of days ("30d").
func parseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, errors.New("want a duration such as 30d, 12h or 90s")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("want a duration such as 30d, 12h or 90s")
	}
	return d, nil
}

// checkURL accepts an empty value or an absolute URL with one of schemes.
func checkURL(v string, schemes ...string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("not a URL")
	}
	for _, s := range schemes {
		if u.Scheme == s && u.Host != "" {
			return nil
		}
	}
	return fmt.Errorf("want a %s:// URL with a host", strings.Join(schemes, ":// or "))
}

// parseNetworks reads comma-separated CIDRs; a bare address stands for itself alone.
func parseNetworks(v string) ([]netip.Prefix, error) {
	var nets []netip.Prefix
	for _, field := range strings.Split(v, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		if addr, err := netip.ParseAddr(field); err == nil {
			nets = append(nets, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		prefix, err := netip.ParsePrefix(field)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR such as 10.0.0.0/8", field)
		}
		nets = append(nets, prefix.Masked())
	}
	return nets, nil
}
