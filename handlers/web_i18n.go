package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"casetrack/web"
	"casetrack/workflow"

	"github.com/BurntSushi/toml"
	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The web view speaks the languages of workflow.Locales; the first is the default.
var webLanguages = workflow.Locales

// langCookie remembers a language chosen with ?lang= across pages.
const langCookie = "casetrack_lang"

// loadMessages reads the message catalogues web/i18n/active.LANG.toml and
// checks that every language has every message, so that a missing
// translation fails the boot instead of showing a message id.
func loadMessages() (*i18n.Bundle, error) {
	bundle := i18n.NewBundle(language.Make(webLanguages[0]))
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	ids := map[string][]string{}
	for _, lang := range webLanguages {
		path := "i18n/active." + lang + ".toml"
		file, err := bundle.LoadMessageFileFS(web.UI, path)
		if err != nil {
			return nil, fmt.Errorf("web: %s: %w", path, err)
		}
		for _, m := range file.Messages {
			ids[lang] = append(ids[lang], m.ID)
		}
		sort.Strings(ids[lang])
	}
	first := webLanguages[0]
	for _, lang := range webLanguages[1:] {
		if missing := difference(ids[first], ids[lang]); len(missing) > 0 {
			return nil, fmt.Errorf("web: active.%s.toml lacks %s", lang, strings.Join(missing, ", "))
		}
		if extra := difference(ids[lang], ids[first]); len(extra) > 0 {
			return nil, fmt.Errorf("web: active.%s.toml lacks %s", first, strings.Join(extra, ", "))
		}
	}
	return bundle, nil
}

// difference lists the sorted strings of a that b lacks.
func difference(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found {
			out = append(out, s)
		}
	}
	return out
}

// translator returns the template function t for one language:
// {{t "id"}} or {{t "id" "Key" value ...}}; a "Count" value also picks the plural form.
func translator(bundle *i18n.Bundle, lang string) func(id string, pairs ...any) string {
	localizer := i18n.NewLocalizer(bundle, lang)
	return func(id string, pairs ...any) string {
		cfg := &i18n.LocalizeConfig{MessageID: id}
		if len(pairs) > 0 {
			data := make(map[string]any, len(pairs)/2)
			for i := 0; i+1 < len(pairs); i += 2 {
				key := fmt.Sprint(pairs[i])
				data[key] = pairs[i+1]
				if key == "Count" {
					cfg.PluralCount = pairs[i+1]
				}
			}
			cfg.TemplateData = data
		}
		s, err := localizer.Localize(cfg)
		if err != nil {
			// The boot check and TestEveryMessageExists keep this from happening.
			return id
		}
		return s
	}
}

// chooseLanguage picks the page's language: ?lang= (remembered in a
// cookie), else the remembered choice, else the user's own locale, else
// the default.
func chooseLanguage(c echo.Context, actor *workflow.Actor, secure bool) string {
	if lang := c.QueryParam("lang"); slices.Contains(webLanguages, lang) {
		c.SetCookie(&http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		return lang
	}
	if ck, err := c.Cookie(langCookie); err == nil && slices.Contains(webLanguages, ck.Value) {
		return ck.Value
	}
	if actor != nil && slices.Contains(webLanguages, actor.Locale) {
		return actor.Locale
	}
	return webLanguages[0]
}
