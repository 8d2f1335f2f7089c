package handlers

import (
	"fmt"
	"html/template"
	"net/http/httptest"
	"testing"
	"time"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// BenchmarkDashboardLivePart renders the part of a coordinator's dashboard
// that every request and every poll renders, for a city of 100 departments
// with full queues, as a request does: with figures computed since the last
// request ("new figures"), and with the figures the last request had.
//
//	go test ./handlers -run '^$' -bench DashboardLivePart
func BenchmarkDashboardLivePart(b *testing.B) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	e := echo.New()
	var err error
	if e.Renderer, err = newWebRenderer(time.UTC, func() time.Time { return now }); err != nil {
		b.Fatal(err)
	}
	c := e.NewContext(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())
	dash := cityDashboard(now)
	s := &Server{}
	for _, bc := range []struct {
		name       string
		newFigures bool
	}{{"new figures", true}, {"kept figures", false}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if bc.newFigures {
					dash.Figures.TakenAt = dash.Figures.TakenAt.Add(time.Second)
				}
				p := dashboardPageOf(webPage{Lang: webLanguages[0], Menu: &workflow.Menu{ReadAll: true}}, dash)
				if p.DepartmentsPart, err = s.departmentsPart(c, p); err != nil {
					b.Fatal(err)
				}
				if _, err := renderLivePart(c, "dashboard", p, "/dashboard/live"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cityDashboard is a coordinator's dashboard of 100 departments with full queues.
func cityDashboard(now time.Time) *workflow.Dashboard {
	figures := &workflow.DashboardFigures{TakenAt: now, Since: now.AddDate(0, 0, -30)}
	for _, st := range workflow.CaseStatuses {
		figures.StatusCounts = append(figures.StatusCounts, workflow.StatusCount{Status: st, Count: 12_345})
	}
	for i := range 100 {
		figures.Departments = append(figures.Departments, workflow.DepartmentFigures{Code: fmt.Sprintf("dept-%03d", i),
			Name: fmt.Sprintf("区第%d部门", i), Open: 1000 + i, Overdue: 40 + i, DueSoon: 90, Dispatched: 500, Responded: 450,
			Completed: 300, OnTime: 250, Ratings: 100, RatingSum: 420})
	}
	queue := func(n int) workflow.Queue {
		q := workflow.Queue{More: true}
		for i := range n {
			due := now.Add(time.Duration(i-5) * 24 * time.Hour)
			q.Items = append(q.Items, workflow.QueueItem{CaseID: int64(1000 + i), Ref: fmt.Sprintf("CT-2026-%06d", i),
				Title: "轻轨站出口围栏占道，行人绕行", AssignmentID: int64(i), DepartmentName: "区交通局", DueAt: &due, At: now})
		}
		return q
	}
	return &workflow.Dashboard{Global: true, Now: now, Figures: figures, Queues: &workflow.CoordinatorQueues{
		AwaitingTriage: queue(10), LeadDeclined: queue(10), AwaitingConfirmation: queue(10), ExtensionRequests: queue(10), Overdue: queue(10)}}
}

// The departments' part of the global figures is rendered once per
// language and figures, and again when the figures are computed again.
func TestGlobalDepartmentsAreRenderedOncePerFiguresAndLanguage(t *testing.T) {
	var parts renderedParts
	renders := 0
	part := func(lang string, takenAt time.Time) template.HTML {
		t.Helper()
		html, err := parts.get(lang, takenAt, func() (template.HTML, error) {
			renders++
			return template.HTML(fmt.Sprintf("%s %s", lang, takenAt.Format(time.TimeOnly))), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return html
	}
	nine, ten := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, step := range []struct {
		lang    string
		takenAt time.Time
		want    template.HTML
		renders int
	}{
		{"zh-CN", nine, "zh-CN 09:00:00", 1},
		{"zh-CN", nine, "zh-CN 09:00:00", 1},
		{"en", nine, "en 09:00:00", 2},
		{"zh-CN", ten, "zh-CN 10:00:00", 3},
		{"zh-CN", ten, "zh-CN 10:00:00", 3},
		// A request that read the figures before they were computed again gets its own, and keeps the newer.
		{"zh-CN", nine, "zh-CN 09:00:00", 4},
		{"zh-CN", ten, "zh-CN 10:00:00", 4},
	} {
		if got := part(step.lang, step.takenAt); got != step.want || renders != step.renders {
			t.Fatalf("%s, figures of %s: got %q after %d renderings, want %q after %d",
				step.lang, step.takenAt.Format(time.TimeOnly), got, renders, step.want, step.renders)
		}
	}
}
