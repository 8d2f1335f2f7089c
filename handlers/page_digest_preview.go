package handlers

import (
	"net/http"
	"net/url"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/digest"

	"github.com/labstack/echo/v4"
)

// digestPreviewPage shows a week's digest of any department, or the
// coordinators' overview, as it would be sent now: its subject, its HTML
// part in a sandboxed frame (see pageDigestPreviewHTML) and its text part.
type digestPreviewPage struct {
	webPage
	Fields  []formField
	Preview *digestPreview // nil when the form needs correcting
	// HTMLURL is the address of the HTML part, for the frame.
	HTMLURL string
	Invalid bool
}

// digestPreviewHTMLPolicy is the Content-Security-Policy of the HTML part.
// The email's HTML carries inline styles, which the web view's policy
// forbids: the part gets an address of its own with a policy that allows
// those styles and nothing else (no script, no request anywhere, no form,
// no plugin), and is framed only by the preview page, which also sandboxes
// the frame. So an email, whatever case titles it quotes, can neither run
// nor fetch anything, nor touch the page around it.
const digestPreviewHTMLPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"

// pageDigestPreview is the preview page (GET /digests/preview?week=&department=&language=);
// those who may not preview digests get 404.
func (s *Server) pageDigestPreview(c echo.Context) error {
	page, digests, err := s.digestPreviewer(c)
	if err != nil {
		return err
	}
	departments, err := s.svc.ListDepartments(c.Request().Context())
	if err != nil {
		return err
	}
	form, q, errs := s.digestPreviewForm(c)
	p := &digestPreviewPage{webPage: page}
	if errs == nil {
		p.Preview, err = previewOf(c, digests, q)
		if msgs, invalid := fieldMessages(err); invalid {
			errs = msgs
			if errs["week"] != nil { // the only thing wrong with a well-formed week
				errs["week"] = &fieldMessage{ID: "invalid_week_not_begun"}
			}
		} else if err != nil {
			return err
		}
	}
	p.Fields = digestPreviewFields(form, departments, errs)
	if errs != nil {
		p.Invalid = true
		return c.Render(http.StatusUnprocessableEntity, "digest_preview", p)
	}
	p.HTMLURL = "/digests/preview/html?" + form.Encode()
	return c.Render(http.StatusOK, "digest_preview", p)
}

// pageDigestPreviewHTML serves the HTML part of a preview
// (GET /digests/preview/html?…), for the preview page's sandboxed frame.
func (s *Server) pageDigestPreviewHTML(c echo.Context) error {
	_, digests, err := s.digestPreviewer(c)
	if err != nil {
		return err
	}
	_, q, errs := s.digestPreviewForm(c)
	if errs != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "invalid query parameters")
	}
	preview, err := previewOf(c, digests, q)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", digestPreviewHTMLPolicy)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(http.StatusOK, []byte(preview.HTML))
}

// digestPreviewer returns the page's frame and the Digester, for those who
// may preview digests (the menu, from the policy, says who); others get 404,
// even before their form is read.
func (s *Server) digestPreviewer(c echo.Context) (webPage, *digest.Digester, error) {
	page, err := s.newWebPage(c, "digests")
	if err != nil {
		return page, nil, err
	}
	if page.Menu == nil || !page.Menu.DigestPreview {
		return page, nil, workflow.Errorf(workflow.ErrNotFound, "no such page")
	}
	digests, err := s.digests()
	return page, digests, err
}

// digestPreviewForm reads the preview form: the week (default: the last
// full week, the one Monday's digests are about), the department ("" for
// the overview) and the email's language (default: the page's). It
// returns the form as read, for the page and the frame's address, and
// messages for the fields it cannot use.
func (s *Server) digestPreviewForm(c echo.Context) (url.Values, digestQuery, map[string]*fieldMessage) {
	form := url.Values{
		"week":       {c.QueryParam("week")},
		"department": {c.QueryParam("department")},
		"language":   {c.QueryParam("language")},
	}
	if form.Get("week") == "" {
		form.Set("week", digest.WeekOf(time.Now(), s.cfg.Location).Prev().String())
	}
	if form.Get("language") == "" {
		form.Set("language", webLang(c))
	}
	q := digestQuery{Department: form.Get("department")}
	errs := map[string]*fieldMessage{}
	var err error
	if q.Week, err = digest.ParseWeek(form.Get("week")); err != nil {
		errs["week"] = &fieldMessage{ID: "invalid_week"}
	}
	if q.Lang, err = digest.Language(form.Get("language")); err != nil {
		errs["language"] = &fieldMessage{ID: "invalid_language"}
	} else {
		form.Set("language", q.Lang)
	}
	if len(errs) > 0 {
		return form, q, errs
	}
	return form, q, nil
}

// digestPreviewFields are the inputs of the preview form.
func digestPreviewFields(form url.Values, departments []workflow.Department, errs map[string]*fieldMessage) []formField {
	recipients := []formOption{{Value: "", Label: "digest_overview"}}
	for _, d := range departments {
		recipients = append(recipients, formOption{Value: d.Code, Text: d.Name})
	}
	var languages []formOption
	for _, lang := range webLanguages {
		languages = append(languages, formOption{Value: lang, Label: "locale_" + lang})
	}
	return []formField{
		{ID: "week", Name: "week", Kind: "week", Label: "field_week", Hint: "hint_week", Required: true, Value: form.Get("week"), Error: errs["week"]},
		{ID: "department", Name: "department", Kind: "select", Label: "field_digest_recipients", Options: recipients,
			Value: form.Get("department"), Error: errs["department"]},
		{ID: "language", Name: "language", Kind: "select", Label: "field_digest_language", Options: languages,
			Value: form.Get("language"), Error: errs["language"]},
	}
}
