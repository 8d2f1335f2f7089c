package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"casetrack/workflow/digest"
)

// digester returns the backend's weekly digest and mail service; onRun, if
// not nil, learns the outcome of each scheduled run.
func (b *backend) digester(ctx context.Context, logger *slog.Logger, onRun func(int, error)) (*digest.Digester, error) {
	secret, err := digest.LoadSecret(ctx, b.db)
	if err != nil {
		return nil, fmt.Errorf("loading the unsubscribe secret: %s", reason(err))
	}
	return digest.New(digest.Config{DB: b.db, BaseURL: b.cfg.BaseURL, SMTPURL: b.cfg.SMTPURL, MailFrom: b.cfg.MailFrom,
		Schedule: b.cfg.DigestSchedule, Location: b.cfg.Location, Secret: secret, Logger: logger, Authorizer: b.enforcer,
		OnRun: onRun})
}

// digestPreviewCommand prints the text part of a week's digest: a department's, or the coordinators' overview.
func digestPreviewCommand(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("digest preview")
	department := fs.String("department", "", "department code; without it, the coordinators' overview")
	lang := fs.String("lang", "zh", "language: zh or en")
	cfg, w, err := parseDigestFlags(fs, args, e)
	if err != nil {
		return err
	}
	return withBackend(ctx, cfg, func(b *backend) error {
		d, err := b.digester(ctx, slog.New(slog.DiscardHandler), nil)
		if err != nil {
			return err
		}
		_, text, _, err := d.Preview(ctx, w, *department, *lang)
		if err != nil {
			return err
		}
		_, err = fmt.Fprint(e.stdout, text)
		return err
	})
}

// digestSendCommand enqueues a week's digests and sends what is due. A
// digest already produced for that week is not produced again.
func digestSendCommand(ctx context.Context, e env, args []string) error {
	cfg, w, err := parseDigestFlags(newFlagSet("digest send"), args, e)
	if err != nil {
		return err
	}
	return withBackend(ctx, cfg, func(b *backend) error {
		d, err := b.digester(ctx, slog.New(slog.NewJSONHandler(e.stderr, nil)), nil)
		if err != nil {
			return err
		}
		queued, err := d.Enqueue(ctx, w)
		if err != nil {
			return err
		}
		sent, err := d.DeliverDue(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: queued %d digests, sent %d messages", w, queued, sent)
		if cfg.SMTPURL == "" {
			fmt.Fprint(e.stdout, " (SMTP_URL is unset: mail stays in the outbox)")
		}
		fmt.Fprintln(e.stdout)
		return nil
	})
}

// parseDigestFlags parses the flags of a digest command, --week among them.
func parseDigestFlags(fs *flag.FlagSet, args []string, e env) (*Config, digest.Week, error) {
	week := fs.String("week", "", "ISO week, e.g. 2026-W48 (required)")
	cfg, err := parseFlags(fs, args, e)
	if err != nil {
		return nil, digest.Week{}, err
	}
	if *week == "" {
		return nil, digest.Week{}, usageErrorf("missing --week (e.g. 2026-W48)")
	}
	w, err := digest.ParseWeek(*week)
	if err != nil {
		return nil, digest.Week{}, usageErrorf("--week: %v", err)
	}
	return cfg, w, nil
}
