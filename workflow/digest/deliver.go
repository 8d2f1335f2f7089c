package digest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Delivery limits.
const (
	// batchSize is how many rows a worker claims at a time, over one SMTP connection.
	batchSize = 20
	// MaxAttempts is how often a temporary failure (4xx) is retried before the row is marked failed.
	MaxAttempts = 10
	// retryBase is the wait after the first temporary failure; it doubles with each further one.
	retryBase = time.Minute
	// retryCap bounds the wait between two attempts.
	retryCap = 6 * time.Hour
)

// DeliverDue words the notices that wait for it, then, when SMTP is
// configured, sends every row due now, batch by batch, until none is left;
// it returns how many messages it delivered. A row that fails for a
// while (4xx) is retried later; one refused for good (5xx) is marked failed.
// When ctx ends, the rows this worker has claimed but not tried go back to
// the queue.
func (d *Digester) DeliverDue(ctx context.Context) (int, error) {
	if err := d.prepareNotices(ctx); err != nil {
		return 0, err
	}
	if d.mailer == nil {
		return 0, nil
	}
	sent := 0
	for ctx.Err() == nil {
		now := d.now()
		rows, err := claimDue(ctx, d.db, d.workerID, now, now.Add(-d.lease), batchSize)
		if err != nil {
			return sent, workflow.DBError(err)
		}
		if len(rows) == 0 {
			return sent, nil
		}
		n, err := d.sendBatch(ctx, rows)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, ctx.Err()
}

// sendBatch sends claimed rows over one connection and records each outcome.
func (d *Digester) sendBatch(ctx context.Context, rows []outboxMail) (int, error) {
	// Outcomes are recorded even when ctx ends: a message that went out must be marked sent.
	record := context.WithoutCancel(ctx)
	conn, dialErr := d.mailer.dial(ctx)
	if conn != nil {
		defer conn.close()
	}
	sent := 0
	for i, row := range rows {
		if ctx.Err() != nil {
			if err := d.release(record, rows[i:]); err != nil {
				return sent, err
			}
			return sent, ctx.Err()
		}
		err := dialErr
		if err == nil {
			err = conn.send(d.message(row))
		}
		if err := d.recordOutcome(record, row, err); err != nil {
			return sent, err
		}
		if err == nil {
			sent++
		}
	}
	return sent, nil
}

// release gives back claimed rows that were not tried.
func (d *Digester) release(ctx context.Context, rows []outboxMail) error {
	for _, row := range rows {
		if err := markUnsent(ctx, d.db, row.ID, d.workerID, StatusQueued, d.now(), "", 1); err != nil {
			return workflow.DBError(err)
		}
	}
	return nil
}

// recordOutcome marks a row sent, queued for a retry, or failed.
func (d *Digester) recordOutcome(ctx context.Context, row outboxMail, sendErr error) error {
	now := d.now()
	var err error
	switch {
	case sendErr == nil:
		err = markSent(ctx, d.db, row.ID, now)
	case permanent(sendErr) || row.Attempts >= MaxAttempts:
		d.log.Warn("mail failed", "id", row.ID, "recipient", row.Recipient, "attempts", row.Attempts, "error", sendErr)
		err = markUnsent(ctx, d.db, row.ID, d.workerID, StatusFailed, now, sendErr.Error(), 0)
	default:
		next := now.Add(backoff(row.Attempts))
		d.log.Info("mail deferred", "id", row.ID, "recipient", row.Recipient, "attempts", row.Attempts, "next", next, "error", sendErr)
		err = markUnsent(ctx, d.db, row.ID, d.workerID, StatusQueued, next, sendErr.Error(), 0)
	}
	return workflow.DBError(err)
}

// permanent reports whether the server refused the message for good (a 5xx reply).
func permanent(err error) bool {
	var sendErr *gomail.SendError
	return errors.As(err, &sendErr) && sendErr.ErrorCode() >= 500
}

// backoff is the wait after the attempts-th temporary failure: doubling
// from retryBase up to retryCap, with half of it random, so that rows that
// failed together do not come back together.
func backoff(attempts int) time.Duration {
	wait := retryCap
	if attempts < 20 {
		wait = min(retryBase<<(attempts-1), retryCap)
	}
	return wait/2 + rand.N(wait/2)
}

// message builds the email of a claimed row: text first, then HTML, with a
// Message-ID that stays the same on every attempt and, for a person, the
// one-click unsubscribe headers of RFC 8058.
func (d *Digester) message(row outboxMail) *gomail.Msg {
	m := gomail.NewMsg()
	m.SetAddrHeaderIgnoreInvalid(gomail.HeaderFrom, d.mailFrom)
	m.SetAddrHeaderIgnoreInvalid(gomail.HeaderTo, row.Recipient)
	m.Subject(row.Subject)
	m.SetMessageIDWithValue(row.MessageID + "@" + d.messageIDDomain())
	m.SetDateWithValue(d.now())
	m.SetBulk()
	m.SetBodyString(gomail.TypeTextPlain, row.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, row.HTML)
	if row.RecipientUserID != nil {
		m.SetListUnsubscribe(d.UnsubscribeURL(*row.RecipientUserID))
		m.SetListUnsubscribePost()
	}
	return m
}

// messageIDDomain is the sender's domain, the right-hand side of every Message-ID.
func (d *Digester) messageIDDomain() string {
	_, domain, _ := strings.Cut(d.mailFrom, "@")
	return strings.TrimSuffix(domain, ">")
}

// prepareNotices words the queued notices in their recipients' languages, a batch at a time.
func (d *Digester) prepareNotices(ctx context.Context) error {
	for {
		done := false
		err := inTx(ctx, d.db, func(tx *sqlx.Tx) error {
			rows, err := selectUnrendered(ctx, tx, batchSize)
			if err != nil {
				return err
			}
			done = len(rows) < batchSize
			for _, row := range rows {
				var unsubscribe string
				if row.RecipientUserID != nil {
					unsubscribe = d.UnsubscribeURL(*row.RecipientUserID)
				}
				m, err := d.render.renderNotice(row.Data, row.Language, d.baseURL, unsubscribe)
				if err != nil {
					d.log.Error("notice cannot be rendered", "id", row.ID, "error", err)
					if err := markUnrenderable(ctx, tx, row.ID, err.Error()); err != nil {
						return err
					}
					continue
				}
				if err := saveRendered(ctx, tx, row.ID, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}

// mailer sends over the SMTP server of SMTP_URL.
type mailer struct {
	client *gomail.Client
}

// newMailer reads smtp://user:pass@host:port (STARTTLS when the server
// offers it; port 587 by default) or smtps://user:pass@host:port (TLS from
// the start; port 465 by default).
func newMailer(raw string) (*mailer, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Hostname() == "" {
		return nil, errors.New("names no host")
	}
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("scheme %q is neither smtp nor smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("port %q is not a number", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if user := u.User.Username(); user != "" {
		password, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(user), gomail.WithPassword(password))
	}
	client, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, err
	}
	return &mailer{client: client}, nil
}

// mailConn is one SMTP connection, used for one batch.
type mailConn struct {
	client *gomail.Client
	conn   *smtp.Client
}

func (m *mailer) dial(ctx context.Context) (*mailConn, error) {
	conn, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, err
	}
	return &mailConn{client: m.client, conn: conn}, nil
}

// send delivers msg; a message the server took counts as sent even if the
// exchange after it (RSET) failed.
func (c *mailConn) send(msg *gomail.Msg) error {
	err := c.client.SendWithSMTPClient(c.conn, msg)
	if msg.IsDelivered() {
		return nil
	}
	return err
}

func (c *mailConn) close() { _ = c.client.CloseWithSMTPClient(c.conn) }
