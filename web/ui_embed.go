// Package web holds the files casetrack's web view and emails are made of,
// embedded in the binary: templates, static files and message catalogues.
package web

import "embed"

// UI is the web view: its templates (layouts, pages, partials, all parsed at
// start-up), its static files (CSS, vendored htmx) and its messages.
//
//go:embed templates/layouts templates/pages templates/partials static i18n/active.*.toml
var UI embed.FS
