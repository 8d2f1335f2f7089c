package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"casetrack/workflow"
)

// noServerError fails a fuzz iteration on any 5xx: bad input is never the server's fault.
func noServerError(t *testing.T, r *response, what string) {
	t.Helper()
	if r.status >= 500 {
		t.Fatalf("%s: %d %s", what, r.status, r.body)
	}
}

func FuzzCreateCaseBody(f *testing.F) {
	for _, seed := range []string{
		`{"title":"沙坡站广场卫生差","description":"垃圾未及时清运","category":"环境卫生","location":{"address":"璧山区沙坡站","lat":29.6,"lng":106.2},"priority":"urgent"}`,
		`{"title":"x"}`, `{}`, ``, `null`, `[]`, `"title"`, `{"title":`, `{"title":"x"}{}`,
		`{"title":5}`, `{"title":"\u0000"}`, `{"title":"\ud800"}`, `{"title":"x","priority":"someday"}`,
		`{"title":"x","location":{"lat":91,"lng":0}}`, `{"title":"x","location":{"lat":1}}`,
		`{"title":"x","location":{"lat":1e400,"lng":1}}`, `{"title":"x","location":{"lat":"north"}}`,
		`{"title":"` + strings.Repeat("长", 201) + `"}`, `{"title":"x","description":"` + strings.Repeat("a", 10001) + `"}`,
		`{"title":"x","unknown":{"deep":[1,2,{"a":null}]}}`, `{"title":null,"location":null}`,
		"\xff\xfe{}", `{"title":"x","category":"` + strings.Repeat("类", 101) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		noServerError(t, e.withT(t).call("operator", http.MethodPost, "/api/v1/cases", body), "create")
	})
}

func FuzzActionBody(f *testing.F) {
	for action, body := range map[string]string{
		"triage": `{}`, "reject": `{"reason":"重复"}`, "close": `{"note":5}`, "reopen": `{"reason":""}`,
		"rate": `{"score":99999999999999999999}`, "dispatch": `{"department":"ndrc","role":"support","due_at":"2099-01-01T00:00:00Z"}`,
		"comment": `{"body":"请尽快","visibility":"public"}`, "accept": ``, "decline": `{"reason":"x","reason_code":"bogus"}`,
		"progress": `{"note":"\u0000"}`, "request_extension": `{"until":"9999-12-31T23:59:59Z","reason":"x"}`,
		"grant_extension": `[]`, "deny_extension": `{"reason":null}`, "complete": `{"resolution":"done"}`,
		"confirm": `null`, "return": `{"reason":"` + strings.Repeat("退", 2001) + `"}`, "cancel": `{"reason":"x"}`,
		"urge": `{"note":"快"}`, "../../users": `{}`, "": `{}`, "accept?x=1": `{}`,
	} {
		f.Add(action, []byte(body))
	}
	f.Add("dispatch", []byte(`{"department":"\u0000","role":"lead"}`))
	f.Add("dispatch", []byte(`{"department":"`+strings.Repeat("d", 5000)+`","role":"lead","due_at":"0001-01-01T00:00:00Z"}`))
	f.Add("request_extension", []byte(`{"until":"2026-13-45T99:99:99Z"}`))
	e := newEnv(f)
	c, a := e.leadAt("in_progress")
	f.Fuzz(func(t *testing.T, action string, body []byte) {
		et := e.withT(t)
		var path string
		switch {
		case action == "dispatch":
			path = fmt.Sprintf("/api/v1/cases/%d/assignments", c.ID)
		case action == "comment":
			path = fmt.Sprintf("/api/v1/cases/%d/comments", c.ID)
		case workflow.IsCaseAction(workflow.Action(action)):
			path = fmt.Sprintf("/api/v1/cases/%d/actions/%s", c.ID, url.PathEscape(action))
		default:
			path = fmt.Sprintf("/api/v1/assignments/%d/actions/%s", a.ID, url.PathEscape(action))
		}
		for _, caller := range []string{"coordinator", "transport.head", "operator"} {
			noServerError(t, et.call(caller, http.MethodPost, path, body), caller+" "+action)
		}
	})
}
