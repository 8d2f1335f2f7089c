// Package migrations holds the goose SQL migrations, embedded so the binary migrates itself.
package migrations

import "embed"

// FS holds every migration file; goose reads them in version order.
//
//go:embed *.sql
var FS embed.FS
