package main

import (
	"io"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// parseWith parses args and the environment vars as serve would.
func parseWith(vars map[string]string, args ...string) (*Config, error) {
	e := env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return vars[k] }}
	return parseFlags(newFlagSet("serve"), args, e)
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := parseWith(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		StatementTimeout: 5 * time.Second, ListenAddr: "127.0.0.1:8080", BaseURL: "http://127.0.0.1:8080",
		MailFrom: "casetrack@localhost", DigestSchedule: "0 9 * * MON", RefPrefix: "CT", TokenTTL: 30 * 24 * time.Hour,
	}
	if cfg.Location.String() != "Asia/Shanghai" {
		t.Errorf("Location = %s, want Asia/Shanghai", cfg.Location)
	}
	cfg.Location = nil
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", *cfg, want)
	}
}

func TestFlagsWinOverTheEnvironment(t *testing.T) {
	vars := map[string]string{"LISTEN_ADDR": "0.0.0.0:9000", "TIMEZONE": "UTC", "CASE_REF_PREFIX": "BS", "TOKEN_TTL": "12h"}
	cfg, err := parseWith(vars, "--listen", "127.0.0.1:9001", "--case-ref-prefix=YB")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != "127.0.0.1:9001" || cfg.RefPrefix != "YB" {
		t.Errorf("flags lost to the environment: %+v", cfg)
	}
	if cfg.Location != time.UTC || cfg.TokenTTL != 12*time.Hour {
		t.Errorf("environment ignored: zone %s, ttl %s", cfg.Location, cfg.TokenTTL)
	}
	if cfg.BaseURL != "http://127.0.0.1:9001" {
		t.Errorf("BASE_URL defaults to http:// + LISTEN_ADDR, got %s", cfg.BaseURL)
	}
}

func TestTrustedProxiesAreCIDRsOrAddresses(t *testing.T) {
	cfg, err := parseWith(map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ,fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("fd00::/8")}
	if !slices.Equal(cfg.TrustedProxies, want) {
		t.Errorf("TrustedProxies = %v, want %v", cfg.TrustedProxies, want)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for variable, value := range map[string]string{
		"LISTEN_ADDR":       "8080",
		"DEBUG_ADDR":        "6060",
		"BASE_URL":          "casetrack.example.gov.cn",
		"SMTP_URL":          "mail.example.gov.cn:25",
		"MAIL_FROM":         "casetrack",
		"DIGEST_SCHEDULE":   "every monday",
		"TIMEZONE":          "Asia/Bishan",
		"CASE_REF_PREFIX":   "ct-",
		"TOKEN_TTL":         "a month",
		"STATEMENT_TIMEOUT": "-1s",
		"TRUSTED_PROXIES":   "10.0.0.0/33",
	} {
		t.Run(variable, func(t *testing.T) {
			if _, err := parseWith(map[string]string{variable: value}); err == nil || !strings.Contains(err.Error(), variable) {
				t.Errorf("%s=%q: error %v does not name the variable", variable, value, err)
			}
		})
	}
}

func TestConnStringAddsTimeouts(t *testing.T) {
	dsn, err := connString("postgres://u:secret@db.example:5432/casetrack?sslmode=disable", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("connect_timeout") != "5" || q.Get("sslmode") != "disable" || q.Get("options") != "-c statement_timeout=5000" ||
		q.Get("binary_parameters") != "yes" {
		t.Errorf("connString = %s", dsn)
	}

	dsn, err = connString("postgres://db.example/casetrack?connect_timeout=2&options=-c%20search_path%3Dct", 0)
	if err != nil {
		t.Fatal(err)
	}
	u, _ = url.Parse(dsn)
	if q := u.Query(); q.Get("connect_timeout") != "2" || q.Get("options") != "-c search_path=ct" {
		t.Errorf("connString overrode the URL's own settings: %s", dsn)
	}

	if _, err := connString("host=db.example dbname=casetrack", time.Second); err == nil {
		t.Error("a key=value string passed for a URL")
	}
	if _, err := connString("", time.Second); err == nil || !strings.Contains(err.Error(), "make run") {
		t.Errorf("an unset DATABASE_URL: %v", err)
	}
}
