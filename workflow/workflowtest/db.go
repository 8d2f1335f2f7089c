// Package workflowtest gives tests their own freshly migrated PostgreSQL database.
package workflowtest

import (
	"os"
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
	conf := serverConfig(t)
	migrator := goosemigrator.New(".", goosemigrator.WithFS(migrations.FS))
	db := pgtestdb.New(t, conf, migrator)
	return sqlx.NewDb(db, "postgres")
}

// NewURL is NewDB for tests that need a connection URL, such as a second server instance.
func NewURL(t testing.TB) string {
	t.Helper()
	conf := serverConfig(t)
	migrator := goosemigrator.New(".", goosemigrator.WithFS(migrations.FS))
	return pgtestdb.Custom(t, conf, migrator).URL()
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
