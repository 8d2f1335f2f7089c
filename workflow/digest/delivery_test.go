package digest_test

import (
	"context"
	"fmt"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/digest"

	"github.com/emersion/go-smtp"
)

// waitFor polls cond until it holds; it fails the test if that takes longer than a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recv waits for a value on ch, failing the test after a minute.
func recv[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("gave up waiting for %s", what)
		panic("unreachable")
	}
}

var (
	tempFailure = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	refused     = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
)

// The weekly run as the brief asks: three instances each run the scheduler
// and a worker against one database; the first message any of them tries
// hangs, and that instance is killed mid-send. Each recipient still
// receives exactly one digest, every queued email goes out exactly once,
// and producing the week again sends nothing.
func TestEachRecipientGetsOneDigestWhileInstancesComeAndGo(t *testing.T) {
	t.Parallel()
	w := bishan(t)
	w.clock.Set(afterMonday) // Monday 10:00: the 09:00 run was missed, each instance catches up on start
	stalled := make(chan int, 1)
	release := make(chan struct{})
	var first sync.Once
	server := startMailServer(t, 3, func(listener, _ int) error {
		hang := false
		first.Do(func() { hang = true })
		if !hang {
			return nil
		}
		stalled <- listener
		<-release
		return tempFailure
	})
	cancels := make([]context.CancelFunc, 3)
	done := make([]chan struct{}, 3)
	for i := range 3 {
		d := w.newDigester(server.url(i), fmt.Sprintf("instance-%d", i))
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i], done[i] = cancel, make(chan struct{})
		go func() {
			defer close(done[i])
			d.Run(ctx)
		}()
	}
	killed := recv(t, "a message to hang", stalled)
	cancels[killed]()
	close(release)
	recv(t, "the killed instance to stop", done[killed])

	// The survivors send everything due; the interrupted message waits for its retry.
	waitFor(t, "the survivors to send what is due", func() bool {
		return w.count(`SELECT count(*) FROM outbox WHERE status = 'sending' OR (status = 'queued' AND next_attempt_at <= $1)`, w.clock.Now()) == 0
	})
	if n := w.count(`SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts = 1 AND last_error LIKE '%451%'`); n != 1 {
		t.Errorf("%d messages wait for a retry after the 451, want 1", n)
	}
	w.clock.Advance(time.Hour)
	waitFor(t, "every message to be sent", func() bool { return w.count(`SELECT count(*) FROM outbox WHERE status <> 'sent'`) == 0 })
	for i, cancel := range cancels {
		cancel()
		recv(t, "an instance to stop", done[i])
	}

	// Every row of the outbox went out once, under its own Message-ID.
	var ids []string
	if err := w.db.Select(&ids, `SELECT '<' || message_id || '@bishan.example>' FROM outbox`); err != nil {
		t.Fatal(err)
	}
	delivered := map[string]int{}
	digests := map[string][]string{}
	for _, m := range server.messages() {
		id := m.Header.Get("Message-Id")
		delivered[id]++
		if strings.HasPrefix(messageIDKind(id), "digest_") {
			digests[m.To[0]] = append(digests[m.To[0]], messageIDKind(id))
		}
	}
	if len(server.messages()) != len(ids) {
		t.Errorf("the server accepted %d messages for %d outbox rows", len(server.messages()), len(ids))
	}
	for _, id := range ids {
		if delivered[id] != 1 {
			t.Errorf("%s delivered %d times", id, delivered[id])
		}
	}
	// The recipients of the fixture: members who opted out, were deactivated or hold no digest role get none.
	want := map[string]string{
		"transport@bishan.example": "digest_department", "t.head@bishan.example": "digest_department",
		"t.officer@bishan.example": "digest_department", "police@bishan.example": "digest_department",
		"p.head@bishan.example": "digest_department", "c.head@bishan.example": "digest_department",
		"ndrc@bishan.example":  "digest_department",
		"coord@bishan.example": "digest_overview", "leader@bishan.example": "digest_overview",
	}
	for to, kind := range want {
		if got := digests[to]; len(got) != 1 || got[0] != kind {
			t.Errorf("%s received digests %v, want one %s", to, got, kind)
		}
	}
	if len(digests) != len(want) {
		t.Errorf("digests went to %v", digests)
	}
	if n := w.count(`SELECT count(*) FROM digest_runs WHERE week = '2026-W47'`); n != 5 {
		t.Errorf("%d digest runs for the week, want 5 (four departments and the overview)", n)
	}

	// `casetrack digest send --week 2026-W47` again: nothing is produced, nothing is sent.
	again := w.newDigester(server.url(0), "again")
	if n, err := again.Enqueue(context.Background(), week47); err != nil || n != 0 {
		t.Errorf("enqueueing the week again queued %d (%v)", n, err)
	}
	if n, err := again.DeliverDue(context.Background()); err != nil || n != 0 {
		t.Errorf("delivering again sent %d (%v)", n, err)
	}
	if len(server.messages()) != len(ids) {
		t.Errorf("the server has %d messages after the second run, want %d", len(server.messages()), len(ids))
	}
}

// oneNotice is a world with a single email queued: the notice of a
// dispatch to ndrc, whose only recipient is its department address.
func oneNotice(t *testing.T) *world {
	w := newWorld(t)
	c := w.fileCase("刘家嘴站道口缺少警示标志", "2026-11-20 10:00")
	w.dispatch(c, "ndrc", workflow.RoleLead, "2026-11-20 11:00", "")
	if n := w.count(`SELECT count(*) FROM outbox`); n != 1 {
		t.Fatalf("%d rows queued, want 1", n)
	}
	return w
}

func TestTemporaryFailureIsRetriedAfterABackoff(t *testing.T) {
	t.Parallel()
	w := oneNotice(t)
	server := startMailServer(t, 1, func(_, n int) error {
		if n == 1 {
			return tempFailure
		}
		return nil
	})
	d := w.newDigester(server.url(0), "worker")
	ctx := context.Background()
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("first delivery sent %d (%v), want 0", n, err)
	}
	var row struct {
		Status    string    `db:"status"`
		Attempts  int       `db:"attempts"`
		Next      time.Time `db:"next_attempt_at"`
		LastError string    `db:"last_error"`
	}
	if err := w.db.Get(&row, `SELECT status, attempts, next_attempt_at, last_error FROM outbox`); err != nil {
		t.Fatal(err)
	}
	// The first retry waits between half and all of one minute.
	now := w.clock.Now()
	if row.Status != "queued" || row.Attempts != 1 || !strings.Contains(row.LastError, "451") ||
		row.Next.Before(now.Add(30*time.Second)) || row.Next.After(now.Add(time.Minute)) {
		t.Fatalf("after a 451: %+v (now %v)", row, now)
	}
	// Not due yet: nothing is tried.
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 || server.calls() != 1 {
		t.Fatalf("before the backoff ended: sent %d (%v), %d attempts at the server", n, err, server.calls())
	}
	w.clock.Set(row.Next)
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("retry sent %d (%v), want 1", n, err)
	}
	if got := len(server.messages()); got != 1 || server.calls() != 2 {
		t.Errorf("server accepted %d messages in %d attempts, want 1 in 2", got, server.calls())
	}
	if err := w.db.Get(&row, `SELECT status, attempts, next_attempt_at, last_error FROM outbox`); err != nil {
		t.Fatal(err)
	}
	if row.Status != "sent" || row.Attempts != 2 || row.LastError != "" {
		t.Errorf("after the retry: %+v", row)
	}
}

func TestPermanentFailureIsNotRetriedUntilAnAdminResends(t *testing.T) {
	t.Parallel()
	w := oneNotice(t)
	server := startMailServer(t, 1, func(int, int) error { return refused })
	d := w.newDigester(server.url(0), "worker")
	ctx := context.Background()
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("delivery sent %d (%v), want 0", n, err)
	}
	w.clock.Advance(7 * 24 * time.Hour)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if server.calls() != 1 {
		t.Errorf("the server was tried %d times, want once", server.calls())
	}
	rows, err := d.ListOutbox(ctx, digest.OutboxFilter{Status: digest.StatusFailed})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Attempts != 1 || !strings.Contains(rows[0].LastError, "550") || rows[0].Kind != workflow.MailNoticeDispatch {
		t.Fatalf("failed rows %+v", rows)
	}
	// A coordinator may not resend; an administrator may, once the row has failed.
	if err := d.Resend(w.as("coordinator", "2026-11-28 10:00"), rows[0].ID); workflow.ErrorCodeOf(err) != workflow.ErrForbidden {
		t.Errorf("coordinator resend: %v", err)
	}
	if err := d.Resend(w.as("admin", "2026-11-28 10:00"), rows[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := d.Resend(w.as("admin", "2026-11-28 10:00"), rows[0].ID); workflow.ErrorCodeOf(err) != workflow.ErrConflict {
		t.Errorf("resending a queued row: %v", err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if server.calls() != 2 {
		t.Errorf("after the resend the server was tried %d times, want 2", server.calls())
	}
}

// A worker that hangs mid-send (a crash, as far as the others can tell)
// loses its rows when its lease runs out; another worker sends them, and
// the hung worker's late answer changes nothing.
func TestACrashedWorkersRowsAreTakenOverAfterTheLease(t *testing.T) {
	t.Parallel()
	w := oneNotice(t)
	hung := make(chan struct{})
	wake := make(chan struct{})
	server := startMailServer(t, 2, func(listener, _ int) error {
		if listener == 0 {
			close(hung)
			<-wake
			return tempFailure
		}
		return nil
	})
	crashed := w.newDigester(server.url(0), "crashed")
	crashedDone := make(chan error, 1)
	go func() { _, err := crashed.DeliverDue(context.Background()); crashedDone <- err }()
	recv(t, "the first worker to hang", hung)

	survivor := w.newDigester(server.url(1), "survivor")
	if n, err := survivor.DeliverDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("within the lease the survivor sent %d (%v)", n, err)
	}
	w.clock.Advance(11 * time.Minute) // past the 10-minute lease
	if n, err := survivor.DeliverDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("after the lease the survivor sent %d (%v), want 1", n, err)
	}
	close(wake)
	if err := recv(t, "the hung worker to answer", crashedDone); err != nil {
		t.Fatal(err)
	}
	var status string
	var attempts int
	if err := w.db.QueryRow(`SELECT status, attempts FROM outbox`).Scan(&status, &attempts); err != nil {
		t.Fatal(err)
	}
	if status != "sent" || attempts != 2 || len(server.messages()) != 1 {
		t.Errorf("row %s after %d attempts, %d delivered; want sent, 2, 1", status, attempts, len(server.messages()))
	}
}

func TestWithoutSMTPMailStaysInTheOutbox(t *testing.T) {
	t.Parallel()
	w := oneNotice(t)
	d := w.newDigester("", "worker")
	if n, err := d.DeliverDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("sent %d (%v) without SMTP", n, err)
	}
	rows, err := d.ListOutbox(context.Background(), digest.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// The notice is worded for admins to read, and waits.
	if len(rows) != 1 || rows[0].Status != digest.StatusQueued || rows[0].Attempts != 0 ||
		rows[0].Subject != "【派单】CT-2026-000001 刘家嘴站道口缺少警示标志" {
		t.Errorf("outbox %+v", rows)
	}
}

// parts returns the content types of a multipart message's parts, in order, and their bodies.
func parts(t *testing.T, m received) (types []string, bodies []string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Raw)))
	if err != nil {
		t.Fatal(err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		body := new(strings.Builder)
		buf := make([]byte, 4096)
		for {
			n, err := p.Read(buf)
			body.Write(buf[:n])
			if err != nil {
				break
			}
		}
		types, bodies = append(types, ct), append(bodies, body.String())
	}
	return types, bodies
}

func TestDigestEmailsAreMultipartInTheRecipientsLanguageWithOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	w := bishan(t)
	server := startMailServer(t, 1, nil)
	d := w.newDigester(server.url(0), "worker")
	ctx := context.Background()
	if _, err := d.Enqueue(ctx, week47); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	byTo := map[string]received{}
	for _, m := range server.messages() {
		if messageIDKind(m.Header.Get("Message-Id")) == "digest_department" {
			byTo[m.To[0]] = m
		}
	}
	head, officer, dept := byTo["t.head@bishan.example"], byTo["t.officer@bishan.example"], byTo["transport@bishan.example"]
	if head.Raw == nil || officer.Raw == nil || dept.Raw == nil {
		t.Fatalf("transport digests went to %v", byTo)
	}
	dec := new(mime.WordDecoder)
	subject := func(m received) string { s, _ := dec.DecodeHeader(m.Header.Get("Subject")); return s }
	if got := subject(head); got != "【每周工作进展简报】区交通局 2026-W47" {
		t.Errorf("zh-CN subject %q", got)
	}
	if got := subject(officer); got != "Weekly progress digest: 区交通局, 2026-W47" {
		t.Errorf("en subject %q", got)
	}
	types, bodies := parts(t, head)
	if len(types) != 2 || types[0] != "text/plain" || types[1] != "text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", types)
	}
	headID := w.userID("transport.head")
	unsubscribe := "https://casetrack.bishan.example/unsubscribe?token=" + digest.UnsubscribeToken(testSecret, headID)
	if got := head.Header.Get("List-Unsubscribe"); got != "<"+unsubscribe+">" {
		t.Errorf("List-Unsubscribe %q, want <%s>", got, unsubscribe)
	}
	if got := head.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	if !strings.Contains(bodies[0], "https://casetrack.bishan.example/cases/") {
		t.Errorf("the text part links to no case:\n%s", bodies[0])
	}
	// The department's own address cannot opt out: no unsubscribe header.
	if got := dept.Header.Get("List-Unsubscribe"); got != "" {
		t.Errorf("department address got List-Unsubscribe %q", got)
	}
	// The Message-ID is the row's, whatever the attempt.
	var id string
	if err := w.db.Get(&id, `SELECT message_id FROM outbox WHERE dedupe_key = 'digest_department/2026-W47/transport/t.head@bishan.example'`); err != nil {
		t.Fatal(err)
	}
	if got := head.Header.Get("Message-Id"); got != "<"+id+"@bishan.example>" {
		t.Errorf("Message-ID %s, want <%s@bishan.example>", got, id)
	}
}

// userID reads the id of the user with login.
func (w *world) userID(login string) int64 {
	w.t.Helper()
	var id int64
	if err := w.db.Get(&id, `SELECT id FROM users WHERE login = $1`, login); err != nil {
		w.t.Fatal(err)
	}
	return id
}
