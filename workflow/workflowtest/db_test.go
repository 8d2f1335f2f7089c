package workflowtest

import (
	"testing"

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
