package digest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"casetrack/workflow"
	"casetrack/workflow/digest"
)

func TestUnsubscribeTokensVerifyAndForgeriesFail(t *testing.T) {
	t.Parallel()
	token := digest.UnsubscribeToken(testSecret, 42)
	if id, err := digest.VerifyUnsubscribeToken(testSecret, token); err != nil || id != 42 {
		t.Fatalf("own token: %d, %v", id, err)
	}
	_, sig, _ := strings.Cut(token, ".")
	for name, forged := range map[string]string{
		"another user's id":     "43." + sig,
		"another secret":        digest.UnsubscribeToken([]byte("another secret"), 42),
		"a changed signature":   "42." + strings.ToUpper(sig[:4]) + sig[4:],
		"a truncated signature": token[:len(token)-2],
		"no signature":          "42",
		"no id":                 "." + sig,
		"a negative id":         "-42." + sig,
		"nothing":               "",
	} {
		if id, err := digest.VerifyUnsubscribeToken(testSecret, forged); workflow.ErrorCodeOf(err) != workflow.ErrInvalid || id != 0 {
			t.Errorf("%s (%q): user %d, %v; want invalid", name, forged, id, err)
		}
	}
	if _, err := digest.VerifyUnsubscribeToken(nil, digest.UnsubscribeToken(nil, 42)); err == nil {
		t.Error("a token signed with an empty secret verified")
	}
}

func TestUnsubscribedPeopleGetNoMoreDigestsOrNotices(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.newDigester("", "worker")
	ctx := context.Background()
	head := w.userID("transport.head")
	id, err := digest.VerifyUnsubscribeToken(testSecret, digest.UnsubscribeToken(testSecret, head))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Unsubscribe(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := d.Unsubscribe(ctx, 999999); workflow.ErrorCodeOf(err) != workflow.ErrNotFound {
		t.Errorf("unsubscribing nobody: %v", err)
	}
	c := w.fileCase("刘家嘴站道口缺少警示标志", "2026-11-20 10:00")
	w.dispatch(c, "transport", workflow.RoleLead, "2026-11-20 11:00", "")
	w.clock.Set(mondayRun)
	if _, err := d.Enqueue(ctx, week47); err != nil {
		t.Fatal(err)
	}
	var transport []string
	if err := w.db.Select(&transport, `SELECT kind || ' ' || recipient FROM outbox WHERE kind IN ('notice_dispatch', 'digest_department')
		AND dedupe_key NOT LIKE '%/ndrc/%' AND dedupe_key NOT LIKE '%/police/%' AND dedupe_key NOT LIKE '%/citymgmt/%' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"digest_department t.officer@bishan.example", "digest_department transport@bishan.example",
		"notice_dispatch t.officer@bishan.example", "notice_dispatch transport@bishan.example",
	}
	wantList(t, "transport's mail", transport, want)
}

func TestTheSigningSecretIsSharedThroughTheDatabase(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	first, err := digest.LoadSecret(context.Background(), w.db)
	if err != nil {
		t.Fatal(err)
	}
	second, err := digest.LoadSecret(context.Background(), w.db)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 || !bytes.Equal(first, second) {
		t.Errorf("secrets %x and %x, want the same 32 bytes", first, second)
	}
}

func TestOnlyCoordinatorsPreviewAndOnlyFinishedWeeksAreSent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.clock.Set(mondayRun)
	d := w.newDigester("", "worker")
	for login, want := range map[string]workflow.ErrorCode{
		"coordinator": "", "admin": "", "viewer": workflow.ErrForbidden, "transport.head": workflow.ErrForbidden,
	} {
		ctx := workflow.WithActor(context.Background(), w.actors[login])
		if _, _, _, err := d.Preview(ctx, week47, "", "zh"); (err == nil) != (want == "") || (err != nil && workflow.ErrorCodeOf(err) != want) {
			t.Errorf("%s preview: %v, want %q", login, err, want)
		}
	}
	ctx := workflow.WithActor(context.Background(), w.actors["coordinator"])
	for name, call := range map[string]func() error{
		"unknown department": func() error { _, _, _, err := d.Preview(ctx, week47, "nosuch", "zh"); return err },
		"unknown language":   func() error { _, _, _, err := d.Preview(ctx, week47, "transport", "fr"); return err },
		"sending the current week": func() error {
			_, err := d.Enqueue(context.Background(), digest.WeekOf(mondayRun, shanghai))
			return err
		},
		"previewing next week": func() error {
			_, _, _, err := d.Preview(ctx, digest.WeekOf(mondayRun.AddDate(0, 0, 7), shanghai), "", "zh")
			return err
		},
	} {
		if err := call(); workflow.ErrorCodeOf(err) != workflow.ErrInvalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

func TestNoticesAreWordedInEachRecipientsLanguage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.fileCase("刘家嘴站道口缺少警示标志", "2026-11-20 10:00")
	a := w.dispatch(c, "transport", workflow.RoleLead, "2026-11-20 11:00", "2026-11-27 18:00")
	w.act("coordinator", a, workflow.Urge{Note: "请尽快签收"}, "2026-11-21 09:00")
	d := w.newDigester("", "worker")
	if _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Recipient string `db:"recipient"`
		Kind      string `db:"kind"`
		Subject   string `db:"subject"`
		Text      string `db:"body_text"`
		HTML      string `db:"body_html"`
	}
	if err := w.db.Select(&rows, `SELECT recipient, kind, subject, body_text, body_html FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"notice_dispatch t.head@bishan.example": {"【派单】CT-2026-000001 刘家嘴站道口缺少警示标志",
			"区协调办已将工单 CT-2026-000001「刘家嘴站道口缺少警示标志」派给区交通局（主办），办理期限 2026-11-27 18:00", "办理要求：请按会议纪要办理"},
		"notice_dispatch t.officer@bishan.example": {"New assignment: CT-2026-000001 刘家嘴站道口缺少警示标志",
			"dispatched case CT-2026-000001 “刘家嘴站道口缺少警示标志” to 区交通局 (lead), due 2026-11-27 18:00", "Instructions: 请按会议纪要办理"},
		"notice_urge transport@bishan.example": {"【督办】CT-2026-000001 刘家嘴站道口缺少警示标志", "督办意见：请尽快签收"},
		"notice_urge t.officer@bishan.example": {"Urged: CT-2026-000001 刘家嘴站道口缺少警示标志", "Note: 请尽快签收"},
	}
	seen := 0
	for _, r := range rows {
		texts, ok := want[r.Kind+" "+r.Recipient]
		if !ok {
			continue
		}
		seen++
		if r.Subject != texts[0] {
			t.Errorf("%s to %s: subject %q, want %q", r.Kind, r.Recipient, r.Subject, texts[0])
		}
		for _, s := range append(texts[1:], "https://casetrack.bishan.example/cases/1") {
			if !strings.Contains(r.Text, s) {
				t.Errorf("%s to %s: text lacks %q:\n%s", r.Kind, r.Recipient, s, r.Text)
			}
		}
		if !strings.Contains(r.HTML, `<a href="https://casetrack.bishan.example/cases/1">`) {
			t.Errorf("%s to %s: HTML lacks the case link:\n%s", r.Kind, r.Recipient, r.HTML)
		}
	}
	if seen != len(want) || len(rows) != 6 {
		t.Errorf("%d notices, %d of them checked; want 6 (3 recipients × 2 actions) and %d", len(rows), seen, len(want))
	}
}
