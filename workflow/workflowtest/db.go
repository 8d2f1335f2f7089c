// Package workflowtest gives tests their own freshly migrated PostgreSQL database.
package workflowtest

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"strings"
	"testing"

	"casetrack/migrations"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/goosemigrator"
)

// DefaultURL is the server the tests use when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=5"

// NewDB returns a connection to a new database, cloned from a migrated
// template and dropped when the test passes.
func NewDB(t testing.TB) *sqlx.DB {
	t.Helper()
	db := pgtestdb.New(t, serverConfig(t), newMigrator(migrations.FS))
	return sqlx.NewDb(db, "postgres")
}

// NewURL is NewDB for tests that need a connection URL, such as a second server instance.
func NewURL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, serverConfig(t), newMigrator(migrations.FS)).URL()
}

// migrator is goose's, with templates keyed by the migrations' file names
// as well as their contents: goose orders migrations by name, so a renamed
// migration needs a new template, where pgtestdb's hash reads only the
// contents and kept handing out a template migrated under the old names.
type migrator struct {
	*goosemigrator.GooseMigrator
	fsys fs.FS
}

func newMigrator(fsys fs.FS) migrator {
	return migrator{goosemigrator.New(".", goosemigrator.WithFS(fsys)), fsys}
}

// Hash names the template of these migrations.
func (m migrator) Hash() (string, error) {
	contents, err := m.GooseMigrator.Hash()
	if err != nil {
		return "", err
	}
	names, err := fs.Glob(m.fsys, "*.sql")
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(contents + "\n" + strings.Join(names, "\n")))
	return hex.EncodeToString(sum[:16]), nil
}

func serverConfig(t testing.TB) pgtestdb.Config {
	t.Helper()
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		url = DefaultURL
	}
	conf, err := configFromURL(url)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	return conf
}
