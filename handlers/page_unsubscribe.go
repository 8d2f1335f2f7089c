package handlers

import (
	"net/http"
	"net/url"

	"casetrack/workflow"
	"casetrack/workflow/digest"

	"github.com/labstack/echo/v4"
)

// unsubscribePage answers the unsubscribe link of an email
// (List-Unsubscribe): a confirmation form, the confirmation that it is
// done, or why the link does not work.
type unsubscribePage struct {
	webPage
	// State is "confirm" (GET), "done" (POST) or "invalid" (a link that is
	// not ours, or a user that no longer exists).
	State string
	// Action is where the form posts: the link itself, token included.
	Action string
}

// pageUnsubscribe shows what the link of an email would do
// (GET /unsubscribe?token=…), with a button that does it. A GET changes
// nothing: mail scanners and link previews follow links.
func (s *Server) pageUnsubscribe(c echo.Context) error {
	if _, err := s.unsubscribeUserOf(c, c.QueryParam("token")); err != nil {
		return s.renderUnsubscribe(c, err, "")
	}
	return s.renderUnsubscribe(c, nil, "confirm")
}

// pageUnsubscribeConfirm stops the digests and notices of the user the
// link was signed for (POST /unsubscribe?token=…): RFC 8058 one-click, as
// mail programs send it (body List-Unsubscribe=One-Click), or the button
// of the confirmation page. It needs no session and no CSRF token: the
// signed token is the credential, and it only ever says "stop mailing me".
func (s *Server) pageUnsubscribeConfirm(c echo.Context) error {
	digests, err := s.digests()
	if err != nil {
		return err
	}
	userID, err := s.unsubscribeUserOf(c, c.QueryParam("token"))
	if err == nil {
		err = digests.Unsubscribe(c.Request().Context(), userID)
	}
	if err != nil {
		return s.renderUnsubscribe(c, err, "")
	}
	return s.renderUnsubscribe(c, nil, "done")
}

// unsubscribeUserOf returns the user an unsubscribe token was signed for.
// The key is the one every instance signs the links with, kept in the
// database (digest.LoadSecret).
func (s *Server) unsubscribeUserOf(c echo.Context, token string) (int64, error) {
	secret, err := digest.LoadSecret(c.Request().Context(), s.svc.DB())
	if err != nil {
		return 0, err
	}
	return digest.VerifyUnsubscribeToken(secret, token)
}

// renderUnsubscribe answers with the page in state; a forged or broken
// link is 400, a user that does not exist 404, both with a page that says
// what to do; anything else goes to the error handler.
func (s *Server) renderUnsubscribe(c echo.Context, err error, state string) error {
	status := http.StatusOK
	switch workflow.ErrorCodeOf(err) {
	case workflow.ErrInvalid:
		status, state = http.StatusBadRequest, "invalid"
	case workflow.ErrNotFound:
		status, state = http.StatusNotFound, "invalid"
	default:
		if err != nil {
			return err
		}
	}
	page, err := s.newWebPage(c, "")
	if err != nil {
		return err
	}
	p := unsubscribePage{webPage: page, State: state}
	if state == "confirm" {
		p.Action = "/unsubscribe?" + url.Values{"token": {c.QueryParam("token")}}.Encode()
	}
	return c.Render(status, "unsubscribe", p)
}
