package digest

import (
	"bytes"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"path"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"casetrack/web"
	"casetrack/workflow"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// message is one rendered email.
type message struct{ Subject, Text, HTML string }

// view is what an email template sees.
type view struct {
	// Digest is a *DepartmentDigest, an *Overview or a *workflow.Notice.
	Digest   any
	Lang     string
	Location *time.Location
	// UnsubscribeURL is empty for a department's own address and in previews.
	UnsubscribeURL string
	// CaseURL links a notice to its case.
	CaseURL string
}

// languageTemplates are the email templates bound to one language's messages.
type languageTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// renderer renders the emails of every language from the embedded
// templates; a broken template or message file fails at start-up.
type renderer struct {
	loc   *time.Location
	langs map[string]languageTemplates
}

const templateDir = "templates/email"

func newRenderer(loc *time.Location) (*renderer, error) {
	bundle := i18n.NewBundle(language.MustParse(workflow.Locales[0]))
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, lang := range workflow.Locales {
		if _, err := bundle.LoadMessageFileFS(web.EmailFS, "i18n/digest."+lang+".toml"); err != nil {
			return nil, fmt.Errorf("digest messages: %w", err)
		}
	}
	r := &renderer{loc: loc, langs: map[string]languageTemplates{}}
	for _, lang := range workflow.Locales {
		funcs := templateFuncs(i18n.NewLocalizer(bundle, lang), loc)
		text, err := texttemplate.New("email").Funcs(funcs).ParseFS(web.EmailFS, path.Join(templateDir, "*.txt.tmpl"))
		if err != nil {
			return nil, fmt.Errorf("email templates: %w", err)
		}
		html, err := htmltemplate.New("email").Funcs(funcs).ParseFS(web.EmailFS, path.Join(templateDir, "*.html.tmpl"))
		if err != nil {
			return nil, fmt.Errorf("email templates: %w", err)
		}
		r.langs[lang] = languageTemplates{text: text, html: html}
	}
	return r, nil
}

// render executes the templates "NAME.subject" and "NAME.text" (text) and
// "NAME.html" (HTML) in the view's language.
func (r *renderer) render(name string, v view) (message, error) {
	t, ok := r.langs[v.Lang]
	if !ok {
		return message{}, workflow.Errorf(workflow.ErrInvalid, "no language %q", v.Lang)
	}
	v.Location = r.loc
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, name+".subject", v); err != nil {
		return message{}, renderError(err)
	}
	if err := t.text.ExecuteTemplate(&text, name+".text", v); err != nil {
		return message{}, renderError(err)
	}
	if err := t.html.ExecuteTemplate(&html, name+".html", v); err != nil {
		return message{}, renderError(err)
	}
	return message{Subject: subject.String(), Text: text.String(), HTML: html.String()}, nil
}

func renderError(err error) error {
	return &workflow.Error{Code: workflow.ErrInternal, Message: "could not render an email", Err: err}
}

// renderNotice renders a notice stored in an outbox row.
func (r *renderer) renderNotice(data []byte, lang, baseURL, unsubscribeURL string) (message, error) {
	var n workflow.Notice
	if err := json.Unmarshal(data, &n); err != nil {
		return message{}, renderError(err)
	}
	return r.render("notice", view{Digest: noticeView{Notice: &n, Words: noticeWordsOf(&n)}, Lang: lang,
		UnsubscribeURL: unsubscribeURL, CaseURL: baseURL + "/cases/" + strconv.FormatInt(n.CaseID, 10)})
}

// noticeView is a notice with the ids of the messages that word it.
type noticeView struct {
	*workflow.Notice
	Words noticeWords
}

// noticeWords are the message ids of one kind of notice.
type noticeWords struct{ Subject, Body, Note string }

var noticeWordsByKind = map[workflow.MailKind]noticeWords{
	workflow.MailNoticeDispatch: {"NoticeDispatchSubject", "NoticeDispatchBody", "NoticeDispatchNote"},
	workflow.MailNoticeUrge:     {"NoticeUrgeSubject", "NoticeUrgeBody", "NoticeUrgeNote"},
	workflow.MailNoticeReturn:   {"NoticeReturnSubject", "NoticeReturnBody", "NoticeReturnNote"},
}

func noticeWordsOf(n *workflow.Notice) noticeWords {
	switch {
	case n.Kind != workflow.MailNoticeExtension:
		return noticeWordsByKind[n.Kind]
	case n.Granted:
		return noticeWords{"NoticeGrantedSubject", "NoticeGrantedBody", ""}
	default:
		return noticeWords{"NoticeDeniedSubject", "NoticeDeniedBody", "NoticeDeniedNote"}
	}
}

// templateFuncs are the functions the email templates call, speaking one language.
func templateFuncs(l *i18n.Localizer, loc *time.Location) map[string]any {
	t := func(id string, pairs ...any) (string, error) { return localize(l, id, pairs...) }
	date := func(at time.Time) string { return at.In(loc).Format(time.DateOnly) }
	return map[string]any{
		"t":    t,
		"date": date,
		// lastDay is the last day of a period that ends (exclusive) at end.
		"lastDay": func(end time.Time) string { return date(end.AddDate(0, 0, -1)) },
		"time":    func(at time.Time) string { return at.In(loc).Format("2006-01-02 15:04") },
		"zone":    func() string { return loc.String() },
		"vs": func(c Count) (string, error) {
			return compared(t, c.Delta() == 0, fmt.Sprintf("%+d", c.Delta()), "Vs")
		},
		"vsRate": func(c ComparedRate) (string, error) {
			if !c.Now.Defined() || !c.Prev.Defined() {
				return t("VsNone")
			}
			d := c.Now.Percent() - c.Prev.Percent()
			return compared(t, d == 0, fmt.Sprintf("%+d", d), "VsPoints")
		},
		"vsAverage": func(c ComparedAverage) (string, error) {
			if !c.Now.Defined() || !c.Prev.Defined() {
				return t("VsNone")
			}
			d := c.Now.Value() - c.Prev.Value()
			return compared(t, d == 0, fmt.Sprintf("%+.1f", d), "Vs")
		},
		"pct": func(r Rate) string {
			if !r.Defined() {
				return "—"
			}
			return strconv.Itoa(r.Percent()) + "%"
		},
		"average": func(a Average) string {
			if !a.Defined() {
				return "—"
			}
			return strconv.FormatFloat(a.Value(), 'f', 1, 64)
		},
		"role":    func(r workflow.AssignmentRole) (string, error) { return t(roleMessage(r)) },
		"section": newSection,
		"details": func(kind string, it Item) (string, error) { return details(t, date, kind, it) },
	}
}

// roleMessage is the message id of an assignment role's name (主办, 协办).
func roleMessage(r workflow.AssignmentRole) string {
	if r == workflow.RoleLead {
		return "RoleLead"
	}
	return "RoleSupport"
}

// section is a titled list of items; Kind says which details each line shows.
type section struct {
	TitleID string
	Kind    string
	Items   []Item
	// More counts the items left out; ListURL shows them all.
	More    int
	ListURL string
}

// ItemsShown is how many items a section of an email lists; the rest are
// counted, with a link to the full list, so that a busy week stays readable.
const ItemsShown = 20

func newSection(titleID, kind string, list ItemList, listURL string) section {
	shown := min(len(list.Items), ItemsShown)
	return section{TitleID: titleID, Kind: kind, Items: list.Items[:shown], More: list.Total - shown, ListURL: listURL}
}

// details words what a line of a section of kind says after the case's reference and title.
func details(t func(string, ...any) (string, error), date func(time.Time) string, kind string, it Item) (string, error) {
	var parts []string
	var err error
	add := func(id string, pairs ...any) {
		if err == nil {
			var s string
			s, err = t(id, pairs...)
			parts = append(parts, s)
		}
	}
	addRole := func() { add(roleMessage(it.Role)) }
	switch kind {
	case "overdue", "due_soon", "open", "extension":
		addRole()
		add("Due", "Date", date(it.DueAt))
	case "dispatched":
		parts = append(parts, date(it.At))
		addRole()
		add("Due", "Date", date(it.DueAt))
	case "event":
		parts = append(parts, date(it.At))
		addRole()
	case "urge":
		parts = append(parts, date(it.At))
		if it.Note != "" {
			parts = append(parts, it.Note)
		}
	case "waiting":
		add("WaitingSince", "Date", date(it.At))
	case "confirmation", "longest":
		parts = append(parts, it.DepartmentName)
		addRole()
		add("Due", "Date", date(it.DueAt))
	default:
		return "", fmt.Errorf("unknown kind of item %q", kind)
	}
	switch kind {
	case "overdue", "longest":
		add("OverdueDays", "Count", it.Days)
	case "due_soon":
		add("DaysLeft", "Count", it.Days)
	case "extension":
		add("ExtensionUntil", "Date", date(it.Until))
	}
	return strings.Join(parts, " · "), err
}

// compared words a change on last week: "比上周 +2", or "与上周持平" when there is none.
func compared(t func(string, ...any) (string, error), same bool, delta, id string) (string, error) {
	if same {
		return t("VsSame")
	}
	return t(id, "Delta", delta)
}

// localize looks message id up; pairs are template data as name, value,
// and a "Count" also picks the plural form.
func localize(l *i18n.Localizer, id string, pairs ...any) (string, error) {
	if len(pairs)%2 != 0 {
		return "", fmt.Errorf("message %s: odd number of arguments", id)
	}
	data := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		name, ok := pairs[i].(string)
		if !ok {
			return "", fmt.Errorf("message %s: argument %d is not a name", id, i)
		}
		data[name] = pairs[i+1]
	}
	lc := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if count, ok := data["Count"]; ok {
		lc.PluralCount = count
	}
	return l.Localize(lc)
}
