package web

import "embed"

// EmailFS holds the email templates (templates/email) and the messages of
// the digests and notices (i18n/digest.LANG.toml), read by workflow/digest.
//
//go:embed templates/email i18n/digest.*
var EmailFS embed.FS
