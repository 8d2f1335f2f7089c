package handlers_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"casetrack/handlers"
	"casetrack/policy"
	"casetrack/workflow"
	"casetrack/workflow/workflowtest"

	"github.com/chromedp/chromedp"
	"github.com/jmoiron/sqlx"
)

// screenshots makes TestBrowser/screenshots load the demo data (`casetrack
// seed demo`) and save its pictures to docs/screenshots/ (make screenshots).
// Without it the same pictures are taken of small fixtures into a temporary
// folder, so that the machinery is tested on every run.
var screenshots = flag.Bool("screenshots", false, "save screenshots of the demo data to docs/screenshots/")

// shot is one picture: who looks at which page, at which width.
type shot struct {
	file, login, path string
	width             int64
}

func takeScreenshots(t *testing.T, b *browser) {
	var base, dir string
	var showcase int64
	if *screenshots {
		// Without a Chinese font the pictures would show boxes for every character.
		if out, err := exec.Command("fc-list", ":lang=zh", "family").Output(); err != nil || len(out) == 0 {
			t.Fatalf("no Chinese font for the screenshots (apt-get install -y --no-install-recommends fonts-noto-cjk): %v", err)
		}
		base, showcase = demoServer(t)
		dir = filepath.Join("..", "docs", "screenshots")
	} else {
		base, showcase = fixtureServer(t)
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	casePath := fmt.Sprintf("/cases/%d", showcase)
	shots := []shot{
		{"dashboard.png", "coordinator", "/", 1280},
		{"case.png", "coordinator", casePath, 1280},
		{"department.png", "transport.head", "/departments/transport", 1280},
		{"cases.png", "coordinator", "/cases", 1280},
		{"dashboard-phone.png", "coordinator", "/", 375},
		{"case-phone.png", "transport.head", casePath, 375},
		{"dashboard-en.png", "coordinator", "/?lang=en", 1280},
	}
	tabs := map[string]*tab{}
	for _, s := range shots {
		tb, ok := tabs[s.login]
		if !ok {
			tb = b.newTab(t, base)
			tb.signIn(s.login)
			tabs[s.login] = tb
		}
		tb.do(chromedp.EmulateViewport(s.width, 900))
		tb.open(s.path)
		png := run(tb, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, s.file), png, 0o644); err != nil {
			t.Fatal(err)
		}
		if len(png) < 10_000 {
			t.Errorf("%s is only %d bytes", s.file, len(png))
		}
	}
	t.Logf("screenshots in %s", dir)
}

// demoServer serves a new database loaded with `casetrack seed demo` and
// returns its address and the id of the case to show: the one with the longest history.
func demoServer(t *testing.T) (string, int64) {
	t.Helper()
	url := workflowtest.NewURL(t)
	bin := filepath.Join(t.TempDir(), "casetrack")
	build := exec.Command("go", "build", "-o", bin, "casetrack/cmd/casetrack")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/casetrack: %v\n%s", err, out)
	}
	seed := exec.Command(bin, "seed", "demo")
	seed.Env = append(os.Environ(), "DATABASE_URL="+url)
	if out, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("casetrack seed demo: %v\n%s", err, out)
	}
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var showcase int64
	const q = `SELECT c.id FROM cases c JOIN events e ON e.case_id = c.id
		WHERE c.status = 'in_progress' GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1`
	if err := db.Get(&showcase, q); err != nil {
		t.Fatalf("finding a case in progress in the demo data: %v", err)
	}
	return serveDB(t, db), showcase
}

// fixtureServer serves a small world in several states, and a case in progress to show.
func fixtureServer(t *testing.T) (string, int64) {
	t.Helper()
	e := newEnv(t)
	e.fileCase("operator", "沙坡站站前广场卫生差")
	for _, state := range []string{"pending", "completed", "closed"} {
		e.leadAt(state)
	}
	c, a := e.leadAt("in_progress")
	e.dispatchTo(c.ID, "police", workflow.RoleSupport)
	e.act("transport.officer", a.ID, workflow.Progress{Note: "已联系施工单位，计划周三拆除围栏"})
	if _, err := e.svc.AddComment(e.as("coordinator"), c.ID, workflow.NewComment{Body: "请优先处理，周五前反馈", Visibility: workflow.VisibilityInternal}, 0); err != nil {
		t.Fatal(err)
	}
	return e.srv.URL, c.ID
}

// serveDB starts a server over db as `casetrack serve` would, in the demo's zone.
func serveDB(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	enforcer, err := policy.New()
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.NewService(workflow.Config{DB: db, Authorizer: enforcer, RefPrefix: "CT", Location: loc})
	e, err := handlers.New(handlers.Config{Service: svc, Logger: slog.New(slog.DiscardHandler), BaseURL: "http://casetrack.test",
		Location: loc, Ready: func(ctx context.Context) error { return db.PingContext(ctx) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}
