package handlers

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sync"
	"time"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// dashboardPage is the coordinators' picture (协调总览): counts by status, a
// table and a chart of the departments, and the queues that need them.
type dashboardPage struct {
	webPage
	Dash   *workflow.Dashboard
	Queues []queueView
	// Recent are the latest cases, for those who see only some cases.
	Recent []caseRow
	// DepartmentsPart is the departments' table and chart, rendered.
	DepartmentsPart template.HTML
	Live            webLive
}

// departmentsView is the departments' table and chart.
type departmentsView struct {
	Rows  []departmentRow
	Chart chartView
	// PeriodDays is the span of the rates.
	PeriodDays int
}

// departmentRow is one line of the departments table, its rates written out.
type departmentRow struct {
	workflow.DepartmentFigures
	Response, OnTime, Satisfaction string
	// Linked: the user may open the department's queue.
	Linked bool
}

// queueView is one of the coordinator's queues, under its heading.
type queueView struct {
	ID, Heading, Empty string // Heading and Empty are message ids
	Queue              workflow.Queue
	// ShowDue: the queue's items have a due date worth showing.
	ShowDue bool
}

// pageDashboard is the dashboard (GET /).
func (s *Server) pageDashboard(c echo.Context) error {
	p, err := s.newDashboardPage(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "dashboard", p)
}

// pageDashboardLive is the dashboard's live part, polled by htmx.
func (s *Server) pageDashboardLive(c echo.Context) error {
	p, err := s.newDashboardPage(c)
	if err != nil {
		return err
	}
	return answerLivePoll(c, "dashboard", p, p.Live)
}

func (s *Server) newDashboardPage(c echo.Context) (*dashboardPage, error) {
	ctx := c.Request().Context()
	page, err := s.newWebPage(c, "dashboard")
	if err != nil {
		return nil, err
	}
	dash, err := s.svc.Dashboard(ctx)
	if err != nil {
		return nil, err
	}
	p := dashboardPageOf(page, dash)
	if p.DepartmentsPart, err = s.departmentsPart(c, p); err != nil {
		return nil, err
	}
	if dash.Queues == nil {
		recent, err := s.svc.ListCases(ctx, workflow.CaseFilter{Limit: 10})
		if err != nil {
			return nil, err
		}
		p.Recent = newCaseRows(recent.Items)
	}
	p.Live, err = renderLivePart(c, "dashboard", p, "/dashboard/live")
	return p, err
}

// dashboardPageOf lays dash out for page: the coordinator's queues.
func dashboardPageOf(page webPage, dash *workflow.Dashboard) *dashboardPage {
	p := &dashboardPage{webPage: page, Dash: dash}
	if q := dash.Queues; q != nil {
		p.Queues = []queueView{
			{"queue-triage", "queue_awaiting_triage", "queue_awaiting_triage_empty", q.AwaitingTriage, false},
			{"queue-lead-declined", "queue_lead_declined", "queue_lead_declined_empty", q.LeadDeclined, false},
			{"queue-confirmation", "queue_awaiting_confirmation", "queue_awaiting_confirmation_empty", q.AwaitingConfirmation, false},
			{"queue-extension", "queue_extension_requests", "queue_extension_requests_empty", q.ExtensionRequests, true},
			{"queue-overdue", "queue_overdue", "queue_overdue_empty", q.Overdue, true},
		}
	}
	return p
}

// departmentsPart renders p's departments' table and chart, or takes them
// as kept for the global figures.
func (s *Server) departmentsPart(c echo.Context, p *dashboardPage) (template.HTML, error) {
	render := func() (template.HTML, error) {
		return renderPart(c, "dashboard/departments_part", departmentsViewOf(p.Menu, p.Dash.Figures))
	}
	if d := p.Dash; d.Global && p.Menu.ReadAll && d.Figures != nil {
		// The same for everyone who sees every department, in a language.
		return s.globalDepartments.get(p.Lang, d.Figures.TakenAt, render)
	}
	return render()
}

// departmentsViewOf lays out the departments' figures (none while they are
// computed for the first time), linking those whose queue menu may open.
func departmentsViewOf(menu *workflow.Menu, figures *workflow.DashboardFigures) departmentsView {
	v := departmentsView{PeriodDays: int(workflow.DashboardPeriod / (24 * time.Hour))}
	if figures == nil {
		return v
	}
	v.Chart = newChart(figures.Departments)
	for _, f := range figures.Departments {
		linked := menu.ReadAll || slices.ContainsFunc(menu.Departments, func(d workflow.Department) bool { return d.Code == f.Code })
		v.Rows = append(v.Rows, departmentRow{DepartmentFigures: f, Response: rateText(f.ResponseRate()),
			OnTime: rateText(f.OnTimeRate()), Satisfaction: averageText(f.Satisfaction()), Linked: linked})
	}
	return v
}

// rateText writes a rate as a percentage, or a dash when there is nothing to rate.
func rateText(rate float64, ok bool) string {
	if !ok {
		return "—"
	}
	return percent(rate)
}

// averageText writes an average rating with one decimal, or a dash.
func averageText(avg float64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.1f", avg)
}

// chartView is a horizontal bar chart of each department's open work,
// split into overdue, due soon and the rest; drawn as SVG on the server.
type chartView struct {
	Width, Height     int
	LabelW, BarHeight int
	Bars              []chartBar
}

// chartBar is one department's bar; X and W are in SVG units.
type chartBar struct {
	Name                   string
	Y, TextY               int
	OverdueW, SoonW, RestW float64
	SoonX, RestX, CountX   float64
	Overdue, Soon, Open    int
}

// Chart geometry, in SVG user units.
const (
	chartWidth     = 360
	chartLabelW    = 104
	chartBarSpace  = 220
	chartRowHeight = 28
	chartBarHeight = 16
)

func newChart(figures []workflow.DepartmentFigures) chartView {
	most := 1
	for _, f := range figures {
		most = max(most, f.Open)
	}
	scale := float64(chartBarSpace) / float64(most)
	ch := chartView{Width: chartWidth, Height: len(figures)*chartRowHeight + 8, LabelW: chartLabelW, BarHeight: chartBarHeight}
	for i, f := range figures {
		b := chartBar{Name: f.Name, Y: i*chartRowHeight + 8, Overdue: f.Overdue, Soon: f.DueSoon, Open: f.Open}
		b.TextY = b.Y + chartBarHeight - 3
		rest := max(f.Open-f.Overdue-f.DueSoon, 0)
		b.OverdueW = float64(f.Overdue) * scale
		b.SoonW = float64(f.DueSoon) * scale
		b.RestW = float64(rest) * scale
		b.SoonX = chartLabelW + b.OverdueW
		b.RestX = b.SoonX + b.SoonW
		b.CountX = b.RestX + b.RestW + 6
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}

// renderedParts keeps the departments' table and chart of the global
// figures as last rendered in each language. They depend on nothing but the
// figures, which are kept and change only when computed again (TakenAt), and
// for a hundred departments they took 4.0 of the 4.7 ms that rendering a
// coordinator's live part took (BenchmarkDashboardLivePart), on every page
// and every poll.
type renderedParts struct {
	mu   sync.Mutex
	last map[string]renderedPart // by language
}

type renderedPart struct {
	takenAt time.Time
	html    template.HTML
}

// get returns the part for lang and the figures taken at takenAt, rendering
// it when it is not kept; it keeps the part of the newest figures.
func (r *renderedParts) get(lang string, takenAt time.Time, render func() (template.HTML, error)) (template.HTML, error) {
	r.mu.Lock()
	kept, ok := r.last[lang]
	r.mu.Unlock()
	if ok && kept.takenAt.Equal(takenAt) {
		return kept.html, nil
	}
	html, err := render()
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if kept, ok := r.last[lang]; !ok || !kept.takenAt.After(takenAt) {
		if r.last == nil {
			r.last = map[string]renderedPart{}
		}
		r.last[lang] = renderedPart{takenAt, html}
	}
	return html, nil
}
