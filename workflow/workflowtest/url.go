package workflowtest

import (
	"fmt"
	"net/url"

	"github.com/peterldowns/pgtestdb"
)

// configFromURL turns a postgres:// URL into pgtestdb's configuration, with
// lib/pq's binary_parameters on, as the service connects (cmd/casetrack's
// connString): a []byte bound to a json or jsonb column then fails in the
// tests as it would in production.
func configFromURL(raw string) (pgtestdb.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return pgtestdb.Config{}, err
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return pgtestdb.Config{}, fmt.Errorf("want a postgres:// URL, got %q", u.Scheme)
	}
	password, _ := u.User.Password()
	opts := u.Query()
	opts.Del("dbname")
	opts.Set("binary_parameters", "yes")
	conf := pgtestdb.Config{
		DriverName: "postgres",
		Host:       u.Hostname(),
		Port:       u.Port(),
		User:       u.User.Username(),
		Password:   password,
		Database:   trimSlash(u.Path),
		Options:    opts.Encode(),
	}
	if conf.Port == "" {
		conf.Port = "5432"
	}
	return conf, nil
}

func trimSlash(p string) string {
	if len(p) > 0 && p[0] == '/' {
		return p[1:]
	}
	return p
}
