package handlers

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"path"
	"strings"
	"time"

	"casetrack/web"
	"casetrack/workflow"

	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// webRenderer holds every template of the web view, parsed at start-up once
// per language (so that {{t "id"}} needs no per-request state), and renders
// pages and their live fragments. It is Echo's Renderer.
type webRenderer struct {
	// pages maps a language and a page name (its file name under
	// templates/pages, without .html) to the page's templates.
	pages  map[string]map[string]*template.Template
	static map[string]*staticFile // by name under web/static
	loc    *time.Location
	now    func() time.Time
}

// newWebRenderer parses every template in web/templates (except email/,
// which is the digest's) for every language; a broken template fails here.
func newWebRenderer(loc *time.Location, now func() time.Time) (*webRenderer, error) {
	bundle, err := loadMessages()
	if err != nil {
		return nil, err
	}
	r := &webRenderer{pages: map[string]map[string]*template.Template{}, loc: loc, now: now}
	if r.static, err = loadStatic(); err != nil {
		return nil, err
	}
	pageFiles, err := fs.Glob(web.UI, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, lang := range webLanguages {
		base, err := template.New("").Funcs(r.funcs(bundle, lang)).
			ParseFS(web.UI, "templates/layouts/*.html", "templates/partials/*.html")
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		r.pages[lang] = map[string]*template.Template{}
		for _, file := range pageFiles {
			page, err := template.Must(base.Clone()).ParseFS(web.UI, file)
			if err != nil {
				return nil, fmt.Errorf("web: %w", err)
			}
			r.pages[lang][strings.TrimSuffix(path.Base(file), ".html")] = page
		}
	}
	return r, nil
}

// Render writes a page ("case") or one of its fragments ("case/live") in the
// request's language.
func (r *webRenderer) Render(w io.Writer, name string, data any, c echo.Context) error {
	page, fragment, isFragment := strings.Cut(name, "/")
	if !isFragment {
		fragment = "layout"
	}
	t, ok := r.pages[webLang(c)][page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	// Render into a buffer, so that a failing template leaves the response
	// unwritten for the error handler.
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, fragment, data); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}

// funcs are the template functions of one language.
func (r *webRenderer) funcs(bundle *i18n.Bundle, lang string) template.FuncMap {
	t := translator(bundle, lang)
	return template.FuncMap{
		"t":                t,
		"caseStatus":       func(s workflow.CaseStatus) string { return t("case_status_" + string(s)) },
		"assignmentStatus": func(s workflow.AssignmentStatus) string { return t("assignment_status_" + string(s)) },
		"assignmentRole":   func(role workflow.AssignmentRole) string { return t("assignment_role_" + string(role)) },
		"actionName":       func(a workflow.Action) string { return t("action_" + string(a)) },
		"roleName":         func(role workflow.Role) string { return t("role_" + string(role)) },
		"priority":         func(p workflow.Priority) string { return t("priority_" + string(p)) },
		"time":             func(at time.Time) string { return at.In(r.loc).Format(webTimeLayout) },
		"date":             func(at time.Time) string { return at.In(r.loc).Format(webDateLayout) },
		"isoTime":          func(at time.Time) string { return at.In(r.loc).Format(time.RFC3339) },
		"due": func(due time.Time) string {
			id, days := dueText(due, r.now(), r.loc)
			return t(id, "Count", days)
		},
		"dueClass": func(due time.Time) string {
			id, _ := dueText(due, r.now(), r.loc)
			switch {
			case strings.HasPrefix(id, "due_overdue"):
				return "overdue"
			case due.Before(r.now().Add(workflow.DueSoonWithin)):
				return "soon"
			}
			return ""
		},
		"percent": percent,
		"asset": func(name string) (string, error) {
			if f, ok := r.static[name]; ok {
				return f.url, nil
			}
			return "", fmt.Errorf("no static file %q", name)
		},
	}
}

// staticFile is a file of web/static, ready to serve.
type staticFile struct {
	body, gzipped []byte // gzipped is nil when compressing does not pay
	contentType   string
	// url is the file's address with a hash of its content, which may be cached for good.
	url string
}

// loadStatic reads web/static at start-up: it gives every file an address
// that changes with its content and gzips the text files once.
func loadStatic() (map[string]*staticFile, error) {
	files := map[string]*staticFile{}
	err := fs.WalkDir(web.UI, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(web.UI, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		f := &staticFile{body: body, contentType: mime.TypeByExtension(path.Ext(name)),
			url: "/static/" + name + "?v=" + hex.EncodeToString(sum[:6])}
		if f.contentType == "" {
			f.contentType = echo.MIMEOctetStream
		}
		if strings.HasPrefix(f.contentType, "text/") || strings.Contains(f.contentType, "javascript") {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = zw.Write(body)
			if err := zw.Close(); err != nil {
				return err
			}
			f.gzipped = buf.Bytes()
		}
		files[name] = f
		return nil
	})
	return files, err
}
