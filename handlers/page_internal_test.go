package handlers

import (
	"io/fs"
	"regexp"
	"testing"
	"time"

	"casetrack/web"
	"casetrack/workflow"

	"github.com/BurntSushi/toml"
)

func TestEveryMessageExistsInEveryLanguage(t *testing.T) {
	catalogues := map[string]map[string]any{}
	for _, lang := range webLanguages {
		raw, err := fs.ReadFile(web.UI, "i18n/active."+lang+".toml")
		if err != nil {
			t.Fatal(err)
		}
		messages := map[string]any{}
		if err := toml.Unmarshal(raw, &messages); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		catalogues[lang] = messages
	}
	// The ids written in the templates and in the code...
	ids := map[string]bool{}
	literal := regexp.MustCompile(`\bt "([a-z][a-zA-Z0-9_-]*)"`)
	err := fs.WalkDir(web.UI, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(web.UI, path)
		for _, m := range literal.FindAllStringSubmatch(string(body), -1) {
			ids[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// ...and the ids made from the domain's names.
	for _, s := range workflow.CaseStatuses {
		ids["case_status_"+string(s)] = true
	}
	for _, s := range workflow.AssignmentStatuses {
		ids["assignment_status_"+string(s)] = true
	}
	for _, a := range doneActions {
		ids["action_"+string(a)] = true
	}
	for _, r := range workflow.Roles {
		ids["role_"+string(r)], ids["role_"+string(r)+"_help"] = true, true
	}
	for _, p := range workflow.Priorities {
		ids["priority_"+string(p)] = true
	}
	for _, code := range workflow.DeclineReasonCodes {
		ids["reason_code_"+code] = true
	}
	for _, l := range webLanguages {
		ids["locale_"+l], ids["switch_to_"+l] = true, true
	}
	for _, p := range fieldErrorPatterns {
		ids[p.id] = true
	}
	for action, fields := range actionFields {
		ids["action_"+string(action)] = true
		for _, f := range fields {
			ids["field_"+f.name] = true
		}
	}
	for _, key := range eventDetailOrder {
		ids["field_"+key] = true
	}
	for _, id := range []string{"event_auto", "comment_internal", "comment_public", "visibility_internal", "visibility_public",
		"due_left", "due_today", "due_overdue", "due_overdue_today", "extension_pending", "extension_granted", "extension_denied",
		"score_1", "score_2", "score_3", "score_4", "score_5", "login_failed", "notice_stale", "invalid_overdue", "invalid_limit"} {
		ids[id] = true
	}
	for _, status := range []int{400, 403, 404, 409, 413, 422, 429, 500, 503} {
		id := errorMessage(nil, status)
		ids[id], ids[id+"_title"] = true, true
	}
	ids["error_csrf"], ids["error_csrf_title"], ids["error_signed_out"], ids["error_signed_out_title"] = true, true, true, true
	for _, queue := range []string{"to_accept", "in_progress", "due_soon", "overdue", "returned"} {
		ids["queue_"+queue], ids["queue_"+queue+"_empty"] = true, true
	}
	for id := range ids {
		for lang, messages := range catalogues {
			if _, ok := messages[id]; !ok {
				t.Errorf("active.%s.toml lacks %s", lang, id)
			}
		}
	}
	if _, err := loadMessages(); err != nil {
		t.Error(err)
	}
}

func TestRelativeDueDatesCountCalendarDaysInTheZone(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 23, 0, 0, 0, shanghai)
	for _, tc := range []struct {
		due    time.Time
		id     string
		days   int
		reason string
	}{
		{now.Add(2 * time.Hour), "due_left", 1, "due after midnight is tomorrow"},
		{now.Add(30 * time.Minute), "due_today", 0, "due later today"},
		{now.Add(49 * time.Hour), "due_left", 3, "two days and an hour on is the third day"},
		{now.Add(-time.Hour), "due_overdue_today", 0, "overdue since earlier today"},
		{now.Add(-24 * time.Hour), "due_overdue", 1, "due yesterday"},
		{now.Add(-72*time.Hour - 23*time.Hour + time.Minute), "due_overdue", 3, "due three calendar days ago"},
	} {
		id, days := dueText(tc.due, now, shanghai)
		if id != tc.id || days != tc.days {
			t.Errorf("%s: got %s %d, want %s %d", tc.reason, id, days, tc.id, tc.days)
		}
	}
}

func TestSignInRedirectsOnlyWithinTheSite(t *testing.T) {
	for next, want := range map[string]string{
		"/cases/12?x=1":         "/cases/12?x=1",
		"":                      "/",
		"//evil.example/":       "/",
		`/\evil.example`:        "/",
		"https://evil.example/": "/",
		"cases":                 "/",
		"/departments/police":   "/departments/police",
	} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestFormTimesAreReadInTheZone(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for value, want := range map[string]time.Time{
		"2026-12-01T17:30":    time.Date(2026, 12, 1, 17, 30, 0, 0, shanghai),
		"2026-12-01T17:30:15": time.Date(2026, 12, 1, 17, 30, 15, 0, shanghai),
		"2026-12-01":          time.Date(2026, 12, 1, 18, 0, 0, 0, shanghai),
	} {
		got, err := parseFormTime(value, shanghai)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseFormTime(%q) = %v, %v; want %v", value, got, err, want)
		}
	}
	if _, err := parseFormTime("next week", shanghai); err == nil {
		t.Error("parseFormTime accepted words")
	}
}

func TestDomainValidationMessagesAreTranslated(t *testing.T) {
	for message, want := range map[string]fieldMessage{
		"is required":                     {ID: "invalid_required"},
		"must be at most 200 characters":  {ID: "invalid_too_long", N: 200},
		"must be a time in the future":    {ID: "invalid_future"},
		"must be in the future":           {ID: "invalid_future"},
		"login coordinator is taken":      {ID: "invalid_taken"},
		"something no pattern knows of 7": {Raw: "something no pattern knows of 7"},
	} {
		if got := translateFieldError(message); *got != want {
			t.Errorf("%q: got %+v, want %+v", message, *got, want)
		}
	}
}
