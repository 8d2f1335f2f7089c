package handlers_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"casetrack/workflow"
)

// pageBudget is the most a page may weigh before images (issue 4): its HTML
// and everything it loads, as the bytes a browser receives.
const pageBudget = 100 * 1024

// TestPagesStayUnder100KB weighs the heaviest pages: a case with a long
// history, the dashboard and a department queue, with the CSS and htmx they load.
func TestPagesStayUnder100KB(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, a := e.leadAt("in_progress")
	for i := range 30 {
		e.act("transport.officer", a.ID, workflow.Progress{Note: fmt.Sprintf("第 %d 次进展：已与施工单位现场核实围栏位置，拆除方案已报区交通局审定，预计本周内完成。", i+1)})
		if _, err := e.svc.AddComment(e.as("coordinator"), c.ID, workflow.NewComment{Body: "请按期完成并及时反馈现场照片。", Visibility: workflow.VisibilityInternal}, 0); err != nil {
			t.Fatal(err)
		}
	}
	for range 12 {
		e.leadAt("pending")
	}
	pc := e.signIn("coordinator")
	assets := regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)
	for _, path := range []string{fmt.Sprintf("/cases/%d", c.ID), "/", "/departments/transport", "/cases"} {
		page := pc.get(path, "Accept-Encoding", "identity").want(t, http.StatusOK)
		raw, sent := len(page.body), len(page.body)
		for _, m := range assets.FindAllSubmatch(page.body, -1) {
			asset := strings.ReplaceAll(string(m[1]), "&amp;", "&")
			plain := pc.get(asset, "Accept-Encoding", "identity").want(t, http.StatusOK)
			gz := pc.get(asset, "Accept-Encoding", "gzip").want(t, http.StatusOK)
			raw, sent = raw+len(plain.body), sent+len(gz.body)
		}
		t.Logf("%s: HTML %d bytes; with CSS and htmx %d bytes as sent (gzip where offered), %d unpacked", path, len(page.body), sent, raw)
		if sent > pageBudget {
			t.Errorf("%s weighs %d bytes, over %d", path, sent, pageBudget)
		}
	}
}
