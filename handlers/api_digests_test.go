package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/digest"

	"github.com/emersion/go-smtp"
	"github.com/jmoiron/sqlx"
)

// newDigester returns a Digester over db, signing unsubscribe links with
// the database's key as `casetrack serve` does; smtpURL "" keeps the mail
// in the outbox.
func newDigester(t testing.TB, db *sqlx.DB, authz workflow.Authorizer, now func() time.Time, smtpURL string) *digest.Digester {
	t.Helper()
	secret, err := digest.LoadSecret(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	d, err := digest.New(digest.Config{DB: db, BaseURL: "http://casetrack.test", SMTPURL: smtpURL, Location: time.UTC,
		Now: now, Secret: secret, Authorizer: authz, Logger: slog.New(slog.DiscardHandler), WorkerID: "test-worker"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// mailServer is a real SMTP server (go-smtp) in the test process; reply
// decides the answer to each DATA (nil accepts).
type mailServer struct {
	addr     string
	mu       sync.Mutex
	accepted []*mail.Message
	reply    func() error
}

// startMailServer listens on a loopback address until the test ends.
func startMailServer(t testing.TB, reply func() error) *mailServer {
	t.Helper()
	s := &mailServer{reply: reply}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{server: s}, nil }))
	srv.Domain = "mail.bishan.example"
	srv.ErrorLog = discardLogger{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go srv.Serve(l) //nolint:errcheck // ends when the server closes
	t.Cleanup(func() { srv.Close() })
	return s
}

// url is the server's SMTP_URL.
func (s *mailServer) url() string { return "smtp://" + s.addr }

// messages returns what the server accepted so far.
func (s *mailServer) messages() []*mail.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*mail.Message(nil), s.accepted...)
}

type mailSession struct{ server *mailServer }

func (m *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (m *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (m *mailSession) Reset()                               {}
func (m *mailSession) Logout() error                        { return nil }

func (m *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := m.server.reply(); err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	m.server.mu.Lock()
	defer m.server.mu.Unlock()
	m.server.accepted = append(m.server.accepted, msg)
	return nil
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// refuseForGood is a 550: the mailbox does not exist, and retrying will not help.
func refuseForGood() error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
}

func accept() error { return nil }

// deliverThrough sends every due email of the env's outbox to an SMTP
// server at url, as an outbox worker of `casetrack serve` does.
func (e *env) deliverThrough(url string) {
	e.t.Helper()
	if _, err := newDigester(e.t, e.db, nil, e.now, url).DeliverDue(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// giveEmail gives login an address, so that mail is queued for them.
func (e *env) giveEmail(login string) string {
	e.t.Helper()
	address := login + "@bishan.example"
	if _, err := e.svc.UpdateUser(e.as("admin"), e.ids[login], workflow.UserPatch{Email: &address}); err != nil {
		e.t.Fatal(err)
	}
	return address
}

// outboxRow returns the outbox row id, as an operator sees it.
func (e *env) outboxRow(id int64) digest.OutboxRow {
	e.t.Helper()
	rows, err := e.mail.ListOutbox(context.Background(), digest.OutboxFilter{BeforeID: id + 1, Limit: 1})
	if err != nil || len(rows) != 1 || rows[0].ID != id {
		e.t.Fatalf("outbox row %d: %v %v", id, rows, err)
	}
	return rows[0]
}

// failedNotice dispatches a new case to transport, whose head has an
// address, and has a mail server refuse the dispatch notice for good: it
// returns the notice's outbox row, now failed.
func (e *env) failedNotice() digest.OutboxRow {
	e.t.Helper()
	address := e.giveEmail("transport.head")
	e.caseWithLead(fmt.Sprintf("沙坡站广场卫生差（%d）", time.Now().UnixNano()))
	e.deliverThrough(startMailServer(e.t, refuseForGood).url())
	rows, err := e.mail.ListOutbox(context.Background(), digest.OutboxFilter{Status: digest.StatusFailed, Limit: 1})
	if err != nil || len(rows) != 1 || rows[0].Recipient != address {
		e.t.Fatalf("no failed notice to %s: %v %v", address, rows, err)
	}
	return rows[0]
}

// lastWeek is the ISO week before the env's current one.
func (e *env) lastWeek() string { return digest.WeekOf(e.now(), time.UTC).Prev().String() }

func TestDigestPreviewAnswersSubjectTextAndHTMLInBothLanguages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := e.caseWithLead("刘家嘴站围栏阻挡行人")
	week := digest.WeekOf(e.now(), time.UTC).String()
	for _, tc := range []struct {
		name, query      string
		subject, content []string
		lang             string
	}{
		{"overview in Chinese", "week=" + week + "&lang=zh", []string{"【每周工作进展简报】全区汇总 " + week}, []string{"全区每周工作进展简报", "指标说明"}, "zh-CN"},
		{"overview, default language", "week=" + week, []string{"【每周工作进展简报】全区汇总"}, []string{"全区每周工作进展简报"}, "zh-CN"},
		{"overview in English", "week=" + week + "&lang=en", []string{"Weekly progress digest: district overview, " + week}, []string{"District weekly progress digest", "Definitions"}, "en"},
		{"department in Chinese", "week=" + week + "&department=transport&lang=zh-CN", []string{"【每周工作进展简报】区交通局 " + week}, []string{"区交通局每周工作进展简报", c.Ref, c.Title}, "zh-CN"},
		{"department in English", "week=" + week + "&department=transport&lang=en", []string{"Weekly progress digest: 区交通局, " + week}, []string{"Weekly progress digest for 区交通局", c.Ref}, "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, login := range []string{"coordinator", "admin"} {
				var p struct{ Subject, Text, HTML string }
				e.withT(t).call(login, http.MethodGet, "/api/v1/digests/preview?"+tc.query, nil).want(t, http.StatusOK).decode(t, &p)
				for _, s := range tc.subject {
					if !strings.Contains(p.Subject, s) {
						t.Errorf("%s: subject %q lacks %q", login, p.Subject, s)
					}
				}
				for _, s := range tc.content {
					if !strings.Contains(p.Text, s) || !strings.Contains(p.HTML, s) {
						t.Errorf("%s: text or HTML lacks %q\ntext: %.300s", login, s, p.Text)
					}
				}
				if !strings.Contains(p.HTML, `<html lang="`+tc.lang+`">`) {
					t.Errorf("%s: HTML is not in %s: %.200s", login, tc.lang, p.HTML)
				}
				if strings.Contains(p.Text, "<") && strings.Contains(p.Text, "</") {
					t.Errorf("%s: the text part holds HTML: %.300s", login, p.Text)
				}
			}
		})
	}
	// The department's digest is about the department: police's does not list transport's case.
	var police struct{ Text string }
	e.call("coordinator", http.MethodGet, "/api/v1/digests/preview?week="+week+"&department=police", nil).want(t, http.StatusOK).decode(t, &police)
	if strings.Contains(police.Text, c.Ref) {
		t.Errorf("police's digest lists transport's case %s", c.Ref)
	}
}

func TestDigestPreviewIsForCoordinatorsAndAdministratorsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/api/v1/digests/preview?week=" + e.lastWeek() + "&department=transport"
	for login := range fixtureUsers {
		want := http.StatusForbidden
		if login == "coordinator" || login == "admin" {
			want = http.StatusOK
		}
		r := e.call(login, http.MethodGet, path, nil).want(t, want)
		if want == http.StatusForbidden {
			r.problem(t)
		}
	}
	e.call("", http.MethodGet, path, nil).want(t, http.StatusUnauthorized)
}

func TestDigestPreviewRefusesBadParametersWith400NamingThem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for query, field := range map[string]string{
		"":                                 "week",
		"week=2026-48":                     "week",
		"week=2026-W54":                    "week",
		"week=2026-W00":                    "week",
		"week=2026-W1":                     "week",
		"week=2026-W48x":                   "week",
		"week=9999-W52":                    "week", // has not begun
		"week=2026-W48&lang=fr":            "lang",
		"week=2026-W48&lang=%00":           "lang",
		"week=2026-W48&department=nowhere": "department",
		"week=2026-W48&department=%00":     "department",
	} {
		p := e.call("coordinator", http.MethodGet, "/api/v1/digests/preview?"+query, nil).want(t, http.StatusBadRequest).problem(t)
		if len(p.Errors) != 1 || p.Errors[0].Field != field {
			t.Errorf("%q: errors %+v, want one about %s", query, p.Errors, field)
		}
	}
	e.call("coordinator", http.MethodGet, "/api/v1/digests/preview?week=%zz", nil).want(t, http.StatusBadRequest).problem(t)
	// Any week that has begun previews, however old: no 5xx for any input.
	for _, week := range []string{"0001-W01", "2020-W53", e.lastWeek(), digest.WeekOf(e.now(), time.UTC).String()} {
		e.call("coordinator", http.MethodGet, "/api/v1/digests/preview?week="+week, nil).want(t, http.StatusOK)
	}
}

func TestAdministratorsListTheOutboxAndResendAFailedEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	failed := e.failedNotice()

	var page struct {
		Items      []digest.OutboxRow
		NextCursor *string `json:"next_cursor"`
	}
	e.call("admin", http.MethodGet, "/api/v1/outbox?status=failed", nil).want(t, http.StatusOK).decode(t, &page)
	if len(page.Items) != 1 || page.NextCursor != nil {
		t.Fatalf("failed rows: %+v, next %v", page.Items, page.NextCursor)
	}
	row := page.Items[0]
	if row.ID != failed.ID || row.Kind != workflow.MailNoticeDispatch || row.Recipient != "transport.head@bishan.example" ||
		row.Status != digest.StatusFailed || row.Attempts != 1 || !strings.Contains(row.LastError, "550") ||
		!strings.HasPrefix(row.Subject, "【派单】") || row.SentAt != nil || row.MessageID == "" {
		t.Errorf("failed row: %+v", row)
	}

	e.call("admin", http.MethodPost, fmt.Sprintf("/api/v1/outbox/%d/resend", row.ID), nil).want(t, http.StatusNoContent)
	again := e.outboxRow(row.ID)
	if again.Status != digest.StatusQueued || again.Attempts != 0 || again.LastError != "" || again.MessageID != row.MessageID {
		t.Errorf("resent row: %+v", again)
	}
	// Only a failed row can be resent: a queued one is 409, and stays as it is.
	e.call("admin", http.MethodPost, fmt.Sprintf("/api/v1/outbox/%d/resend", row.ID), nil).want(t, http.StatusConflict).problem(t)
	if now := e.outboxRow(row.ID); now.Status != digest.StatusQueued || now.NextAttemptAt != again.NextAttemptAt {
		t.Errorf("a refused resend changed the row: %+v", now)
	}

	// Queued again, it goes out once, with its Message-ID; a sent row cannot be resent either.
	server := startMailServer(t, accept)
	e.deliverThrough(server.url())
	if got := server.messages(); len(got) != 1 || !strings.HasPrefix(got[0].Header.Get("Message-Id"), "<"+row.MessageID+"@") {
		t.Fatalf("delivered %d messages after the resend", len(got))
	}
	if sent := e.outboxRow(row.ID); sent.Status != digest.StatusSent || sent.SentAt == nil || sent.Attempts != 1 {
		t.Errorf("sent row: %+v", sent)
	}
	e.call("admin", http.MethodPost, fmt.Sprintf("/api/v1/outbox/%d/resend", row.ID), nil).want(t, http.StatusConflict)
	e.call("admin", http.MethodPost, "/api/v1/outbox/999999/resend", nil).want(t, http.StatusNotFound)
	e.call("admin", http.MethodPost, "/api/v1/outbox/abc/resend", nil).want(t, http.StatusNotFound)

	// Nobody else may read or change the outbox.
	failed = e.failedNotice()
	for _, login := range []string{"coordinator", "viewer", "operator", "transport.head", "police.officer"} {
		e.call(login, http.MethodGet, "/api/v1/outbox", nil).want(t, http.StatusForbidden)
		e.call(login, http.MethodPost, fmt.Sprintf("/api/v1/outbox/%d/resend", failed.ID), nil).want(t, http.StatusForbidden)
	}
	if still := e.outboxRow(failed.ID); still.Status != digest.StatusFailed {
		t.Errorf("a refused resend queued the row: %+v", still)
	}
}

func TestOutboxPagesNewestFirstAndRefusesBadParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.giveEmail("transport.head")
	for i := range 3 {
		e.caseWithLead(fmt.Sprintf("秀湖公园站接驳线路（%d）", i))
	}
	var ids []int64
	path := "/api/v1/outbox?limit=2"
	for range 3 {
		var page struct {
			Items      []digest.OutboxRow
			NextCursor *string `json:"next_cursor"`
		}
		e.call("admin", http.MethodGet, path, nil).want(t, http.StatusOK).decode(t, &page)
		for _, r := range page.Items {
			ids = append(ids, r.ID)
		}
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/outbox?limit=2&cursor=" + *page.NextCursor
	}
	if len(ids) != 3 || ids[0] <= ids[1] || ids[1] <= ids[2] {
		t.Errorf("pages hold %v, want 3 rows newest first", ids)
	}
	var queued struct{ Items []digest.OutboxRow }
	e.call("admin", http.MethodGet, "/api/v1/outbox?status=queued&status=", nil).want(t, http.StatusOK).decode(t, &queued)
	if len(queued.Items) != 3 {
		t.Errorf("queued: %d rows", len(queued.Items))
	}
	for query, field := range map[string]string{
		"status=lost": "status", "limit=0": "limit", "limit=201": "limit", "limit=x": "limit",
		"cursor=abc": "cursor", "cursor=-1": "cursor",
	} {
		p := e.call("admin", http.MethodGet, "/api/v1/outbox?"+query, nil).want(t, http.StatusBadRequest).problem(t)
		if len(p.Errors) != 1 || p.Errors[0].Field != field {
			t.Errorf("%q: errors %+v, want one about %s", query, p.Errors, field)
		}
	}
}
