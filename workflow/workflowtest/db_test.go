package workflowtest

import (
	"testing"
	"testing/fstest"

	"github.com/jmoiron/sqlx"
)

// In lib/pq's binary_parameters mode a []byte goes in binary form, which
// jsonb refuses (it expects its own version byte); a string goes as text.
func TestConnectionsBindParametersAsTheServiceDoes(t *testing.T) {
	t.Parallel()
	fromURL, err := sqlx.Open("postgres", NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fromURL.Close() })
	for name, db := range map[string]*sqlx.DB{"NewDB": NewDB(t), "NewURL": fromURL} {
		if _, err := db.Exec(`SELECT $1::jsonb`, []byte(`{"a":1}`)); err == nil {
			t.Errorf("%s: a []byte bound to jsonb passed: the connection is not in binary_parameters mode", name)
		}
		var got string
		if err := db.Get(&got, `SELECT ($1::jsonb)->>'a'`, `{"a":1}`); err != nil || got != "1" {
			t.Errorf("%s: a string bound to jsonb read back %q, %v; want 1", name, got, err)
		}
	}
}

func TestConfigFromURLKeepsOptionsAndAddsBinaryParameters(t *testing.T) {
	conf, err := configFromURL("postgres://u:pw@db.example/base?sslmode=disable&dbname=other")
	if err != nil {
		t.Fatal(err)
	}
	if conf.Options != "binary_parameters=yes&sslmode=disable" || conf.Port != "5432" || conf.Database != "base" || conf.Password != "pw" {
		t.Errorf("configFromURL = %+v", conf)
	}
	if _, err := configFromURL("mysql://db.example/base"); err == nil {
		t.Error("a mysql:// URL passed")
	}
}

func TestTemplatesChangeWithTheMigrationsNamesAndContents(t *testing.T) {
	hash := func(files fstest.MapFS) string {
		t.Helper()
		h, err := newMigrator(files).Hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	sql := &fstest.MapFile{Data: []byte("-- +goose Up\nSELECT 1;\n")}
	other := &fstest.MapFile{Data: []byte("-- +goose Up\nSELECT 2;\n")}
	base := hash(fstest.MapFS{"00001_a.sql": sql})
	if base != hash(fstest.MapFS{"00001_a.sql": sql}) {
		t.Error("the same migrations hash differently")
	}
	if base == hash(fstest.MapFS{"00002_a.sql": sql}) {
		t.Error("a renamed migration keeps its template")
	}
	if base == hash(fstest.MapFS{"00001_a.sql": other}) {
		t.Error("a changed migration keeps its template")
	}
}
