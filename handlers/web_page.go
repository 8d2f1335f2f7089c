package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"casetrack/workflow"

	"github.com/labstack/echo/v4"
)

// webPage is what every page's layout needs; each page's data embeds it.
type webPage struct {
	Lang  string
	Actor *workflow.Actor
	// Menu is nil when nobody is signed in.
	Menu *workflow.Menu
	// CSRF is the token every form carries in the field "csrf".
	CSRF string
	// Section names the current menu item: dashboard, cases, new_case, department:CODE, admin.
	Section string
	// SwitchLang is the other language, SwitchURL this page in it.
	SwitchLang, SwitchURL string
	// Done names the action that the previous request completed (?done=), for a notice.
	Done workflow.Action
}

// newWebPage fills in what the layout needs for the request.
func (s *Server) newWebPage(c echo.Context, section string) (webPage, error) {
	p := webPage{Lang: webLang(c), Actor: actor(c), CSRF: sessionCSRF(c), Section: section, Done: doneAction(c.QueryParam("done"))}
	p.SwitchLang = webLanguages[0]
	if p.Lang == webLanguages[0] {
		p.SwitchLang = webLanguages[1]
	}
	u := *c.Request().URL
	if r := c.Request(); r.Method != http.MethodGet {
		// A form shown again after a failed post: switch on the page it came from.
		u = url.URL{Path: "/"}
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
			u = url.URL{Path: ref.Path, RawQuery: ref.RawQuery}
		}
	}
	q := u.Query()
	q.Set("lang", p.SwitchLang)
	q.Del("done")
	u.RawQuery = q.Encode()
	p.SwitchURL = u.RequestURI()
	if p.Actor != nil {
		menu, err := s.svc.MenuFor(c.Request().Context())
		if err != nil {
			return p, err
		}
		p.Menu = menu
	}
	return p, nil
}

// doneActions are the notices that ?done= may ask for: the actions and the administrators' changes.
var doneActions = append(append([]workflow.Action{workflow.ActionCreate, workflow.ActionComment, workflow.ActionDispatch,
	"create_user", "update_user", "create_department"}, workflow.CaseActions...), workflow.AssignmentActions...)

// doneAction returns the action ?done= names, or "" for anything else, so
// that a made-up link cannot make the page say something untrue.
func doneAction(done string) workflow.Action {
	if slices.Contains(doneActions, workflow.Action(done)) {
		return workflow.Action(done)
	}
	return ""
}

// webRequireManager answers 404 to anyone but administrators, as for any page they may not see.
func (s *Server) webRequireManager(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		menu, err := s.svc.MenuFor(c.Request().Context())
		if err != nil {
			return err
		}
		if !menu.Manage {
			return workflow.Errorf(workflow.ErrNotFound, "no such page")
		}
		return next(c)
	}
}

// webLive is the part of a page that htmx refreshes every few seconds (see
// partials/live.html): the browser polls URL?v=FP, and gets 204 while the
// part is unchanged, so that nothing moves under the user's hands.
type webLive struct {
	URL         string
	Fingerprint string
	Body        template.HTML
}

// renderLivePart renders the template "live_body" of page with data and fingerprints it.
func renderLivePart(c echo.Context, page string, data any, url string) (webLive, error) {
	body, err := renderPart(c, page+"/live_body", data)
	if err != nil {
		return webLive{}, err
	}
	sum := sha256.Sum256([]byte(body))
	return webLive{URL: url, Fingerprint: hex.EncodeToString(sum[:8]), Body: body}, nil
}

// renderPart renders a page's fragment ("page/fragment") for another
// template to include as it is.
func renderPart(c echo.Context, name string, data any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := c.Echo().Renderer.Render(&buf, name, data, c); err != nil {
		return "", err
	}
	// The part is html/template's own output, already escaped.
	return template.HTML(buf.String()), nil //nolint:gosec
}

// answerLivePoll answers a poll for the live part: 204 when the browser's copy is current, else the new part.
func answerLivePoll(c echo.Context, page string, data any, live webLive) error {
	if c.QueryParam("v") == live.Fingerprint {
		return c.NoContent(http.StatusNoContent)
	}
	return c.Render(http.StatusOK, page+"/live", data)
}
