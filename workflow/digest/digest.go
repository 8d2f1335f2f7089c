// Package digest sends casetrack's email: every Monday each department's
// weekly progress digest (每周工作进展简报) and the coordinators' overview,
// and the same day the notices of dispatches, urges, returns and extension
// decisions. Everything goes through the outbox table: produced once per
// week and recipient whichever instances run, claimed by workers with
// FOR UPDATE SKIP LOCKED, sent over SMTP with retries.
package digest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"

	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
	"github.com/robfig/cron/v3"
)

// Config wires a Digester.
type Config struct {
	DB *sqlx.DB
	// BaseURL is the public address the emails link to (BASE_URL).
	BaseURL string
	// SMTPURL is smtp://user:pass@host:port (STARTTLS when offered) or
	// smtps://…; empty keeps the mail in the outbox.
	SMTPURL string
	// MailFrom is the sender address; it defaults to casetrack@localhost.
	MailFrom string
	// Schedule is the cron expression of the weekly digest (DIGEST_SCHEDULE), default DefaultSchedule.
	Schedule string
	// Location is the zone of weeks, due dates and the schedule (TIMEZONE); nil means UTC.
	Location *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Secret signs unsubscribe links (see LoadSecret); it must not be empty.
	Secret []byte
	// Logger reports what the scheduler and the workers do; nil means slog.Default().
	Logger *slog.Logger
	// Authorizer checks the actor in ctx, if any, before a preview or an outbox change.
	Authorizer workflow.Authorizer
	// WorkerID names this instance in claimed rows; empty means host, process and a random suffix.
	WorkerID string
	// PollInterval is how often a worker looks for due mail; 0 means 5 seconds.
	PollInterval time.Duration
	// Lease is how long a claim lasts before another worker may take the row over; 0 means 10 minutes.
	Lease time.Duration
	// OnRun, if set, learns the outcome of every scheduled run: the digests queued, or the error.
	OnRun func(queued int, err error)
}

// DefaultSchedule sends the digests on Monday at 09:00.
const DefaultSchedule = "0 9 * * MON"

// Digester produces, previews and delivers casetrack's email.
type Digester struct {
	db           *sqlx.DB
	svc          *workflow.Service
	baseURL      string
	mailFrom     string
	schedule     cron.Schedule
	loc          *time.Location
	now          func() time.Time
	secret       []byte
	log          *slog.Logger
	authz        workflow.Authorizer
	workerID     string
	pollInterval time.Duration
	lease        time.Duration
	onRun        func(queued int, err error)
	render       *renderer
	mailer       *mailer
}

// New checks cfg, parses the schedule and the email templates, and returns a Digester.
func New(cfg Config) (*Digester, error) {
	d := &Digester{db: cfg.DB, baseURL: strings.TrimRight(cfg.BaseURL, "/"), mailFrom: cfg.MailFrom, loc: cfg.Location,
		now: cfg.Now, secret: cfg.Secret, log: cfg.Logger, authz: cfg.Authorizer, workerID: cfg.WorkerID,
		pollInterval: cfg.PollInterval, lease: cfg.Lease, onRun: cfg.OnRun}
	if d.mailFrom == "" {
		d.mailFrom = "casetrack@localhost"
	}
	if d.loc == nil {
		d.loc = time.UTC
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.workerID == "" {
		d.workerID = defaultWorkerID()
	}
	if d.pollInterval == 0 {
		d.pollInterval = 5 * time.Second
	}
	if d.lease == 0 {
		d.lease = 10 * time.Minute
	}
	if err := d.check(cfg); err != nil {
		return nil, err
	}
	spec := cfg.Schedule
	if spec == "" {
		spec = DefaultSchedule
	}
	var err error
	if d.schedule, err = parseSchedule(spec, d.loc); err != nil {
		return nil, invalid("schedule", err.Error())
	}
	if cfg.SMTPURL != "" {
		if d.mailer, err = newMailer(cfg.SMTPURL); err != nil {
			return nil, invalid("smtp_url", err.Error())
		}
	}
	if d.render, err = newRenderer(d.loc); err != nil {
		return nil, err
	}
	d.svc = workflow.NewService(workflow.Config{DB: d.db, Location: d.loc, Now: d.now})
	return d, nil
}

// check refuses a configuration that would send broken mail.
func (d *Digester) check(cfg Config) error {
	if cfg.DB == nil {
		return invalid("db", "is required")
	}
	if u, err := url.Parse(d.baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("base_url", "must be an http:// or https:// URL")
	}
	if a, err := mail.ParseAddress(d.mailFrom); err != nil || !strings.Contains(a.Address, "@") {
		return invalid("mail_from", "must be an email address")
	}
	if len(d.secret) == 0 {
		return invalid("secret", "is required to sign unsubscribe links")
	}
	return nil
}

func invalid(field, message string) error {
	return &workflow.Error{Code: workflow.ErrInvalid, Message: "invalid digest configuration: " + field + " " + message,
		Fields: []workflow.FieldError{{Field: field, Message: message}}}
}

// parseSchedule reads a five-field cron expression, evaluated in loc.
func parseSchedule(spec string, loc *time.Location) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, err
	}
	if spec, ok := s.(*cron.SpecSchedule); ok {
		spec.Location = loc
	}
	return s, nil
}

func defaultWorkerID() string {
	host, _ := os.Hostname()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(suffix))
}

// authorize checks that the actor in ctx, if there is one, holds
// capability; without an actor the caller is the operator's command line.
func (d *Digester) authorize(ctx context.Context, capability string) error {
	actor := workflow.ActorFrom(ctx)
	if actor == nil {
		return nil
	}
	grants := make([]string, len(actor.Grants))
	for i, g := range actor.Grants {
		grants[i] = g.String()
	}
	if d.authz == nil || !d.authz.Allowed(actor.UserID, actor.RolesVersion, grants, workflow.GlobalDomain, capability) {
		return workflow.Errorf(workflow.ErrForbidden, "your role may not do this")
	}
	return nil
}

// Language returns the language casetrack writes for lang ("zh", "zh-CN",
// "en"); empty means the default, zh-CN.
func Language(lang string) (string, error) {
	switch strings.ToLower(lang) {
	case "", "zh", "zh-cn":
		return "zh-CN", nil
	case "en":
		return "en", nil
	}
	return "", invalid("lang", "must be zh or en")
}

// DepartmentFigures returns the figures of one department's digest of week.
func (d *Digester) DepartmentFigures(ctx context.Context, week Week, departmentCode string) (*DepartmentDigest, error) {
	f, err := d.collect(ctx, week)
	if err != nil {
		return nil, err
	}
	return f.department(departmentCode)
}

// OverviewFigures returns the figures of the coordinators' overview of week.
func (d *Digester) OverviewFigures(ctx context.Context, week Week) (*Overview, error) {
	f, err := d.collect(ctx, week)
	if err != nil {
		return nil, err
	}
	return f.overview(), nil
}

// Preview renders the digest of week for departmentCode ("" = the
// coordinators' overview) in lang, as it would be sent now, without the
// recipient's unsubscribe link. An actor in ctx needs digest_preview.
func (d *Digester) Preview(ctx context.Context, week Week, departmentCode, lang string) (subject, text, html string, err error) {
	if err := d.authorize(ctx, workflow.CapDigestPreview); err != nil {
		return "", "", "", err
	}
	if lang, err = Language(lang); err != nil {
		return "", "", "", err
	}
	f, err := d.collect(ctx, week)
	if err != nil {
		return "", "", "", err
	}
	set, err := f.recipientSet(departmentCode)
	if err != nil {
		return "", "", "", err
	}
	m, err := d.render.render(set.template, view{Digest: set.digest, Lang: lang})
	return m.Subject, m.Text, m.HTML, err
}
