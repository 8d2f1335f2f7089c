package digest_test

import (
	"testing"

	"casetrack/workflow"
	"casetrack/workflow/digest"

	"github.com/jmoiron/sqlx"
)

func TestNewRefusesAConfigurationThatWouldSendBrokenMail(t *testing.T) {
	t.Parallel()
	db := sqlx.MustOpen("postgres", "postgres://127.0.0.1:1/none?sslmode=disable") // never connected
	valid := func() digest.Config {
		return digest.Config{DB: db, BaseURL: "https://casetrack.bishan.example", Secret: testSecret, Location: shanghai}
	}
	if _, err := digest.New(valid()); err != nil {
		t.Fatalf("valid configuration: %v", err)
	}
	for name, change := range map[string]func(*digest.Config){
		"no database":                 func(c *digest.Config) { c.DB = nil },
		"a relative base URL":         func(c *digest.Config) { c.BaseURL = "casetrack.bishan.example" },
		"no secret":                   func(c *digest.Config) { c.Secret = nil },
		"a bad sender":                func(c *digest.Config) { c.MailFrom = "casetrack" },
		"a bad schedule":              func(c *digest.Config) { c.Schedule = "every monday" },
		"an SMTP URL without scheme":  func(c *digest.Config) { c.SMTPURL = "mail.bishan.example:25" },
		"an SMTP URL with a bad port": func(c *digest.Config) { c.SMTPURL = "smtp://mail.bishan.example:smtp" },
	} {
		c := valid()
		change(&c)
		if _, err := digest.New(c); workflow.ErrorCodeOf(err) != workflow.ErrInvalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	for _, url := range []string{"smtp://user:secret@mail.bishan.example:587", "smtps://mail.bishan.example", "smtp://127.0.0.1:2525"} {
		c := valid()
		c.SMTPURL = url
		if _, err := digest.New(c); err != nil {
			t.Errorf("%s: %v", url, err)
		}
	}
}
