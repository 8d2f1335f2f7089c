package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// benchPassword is the password of every bench user.
const benchPassword = "bench-password-not-secret"

// Logins of the bench users: a coordinator, and an officer per department.
const coordinatorLogin = "bench.coordinator"

func officerLogin(department string) string { return "bench.officer." + department }

// buildCasetrack builds the casetrack binary of the tree into dir.
func buildCasetrack(ctx context.Context, repo, dir string) (string, error) {
	bin := filepath.Join(dir, "casetrack")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/casetrack")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/casetrack: %v\n%s", err, out)
	}
	return bin, nil
}

// findServer returns the URL of database name on the server that
// scripts/postgres.sh finds (never its fsync-less test cluster), or on the
// server of serverURL when given. postgres.sh creates the database if missing.
func findServer(ctx context.Context, repo, serverURL, name string) (string, error) {
	if serverURL != "" {
		u, err := url.Parse(serverURL)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	cmd := exec.CommandContext(ctx, filepath.Join(repo, "scripts", "postgres.sh"), name)
	cmd.Env = append(os.Environ(), "DATABASE_URL=") // the bench never touches the developer's database
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/postgres.sh: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// withDatabase returns the URL with another database name.
func withDatabase(dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	u.Path = "/" + name
	return u.String()
}

// databaseName returns the name of the URL's database.
func databaseName(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// checkDurable refuses a server that runs without fsync: its figures
// would not be those of a real deployment.
func checkDurable(ctx context.Context, db *sqlx.DB) (serverVersion string, err error) {
	var fsync, syncCommit string
	if err := db.GetContext(ctx, &fsync, `SHOW fsync`); err != nil {
		return "", err
	}
	if err := db.GetContext(ctx, &syncCommit, `SHOW synchronous_commit`); err != nil {
		return "", err
	}
	if fsync != "on" || syncCommit == "off" {
		return "", fmt.Errorf("the server runs with fsync=%s, synchronous_commit=%s: benchmarks need a durable server", fsync, syncCommit)
	}
	err = db.GetContext(ctx, &serverVersion, `SELECT current_setting('server_version')`)
	return serverVersion, err
}

// countCases counts the cases of a migrated database; 0 before migrations.
func countCases(ctx context.Context, db *sqlx.DB) (cases, departments int, err error) {
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT to_regclass('cases') IS NOT NULL`); err != nil || !exists {
		return 0, 0, err
	}
	// The planner's estimate would do for a million, but a half-filled database must not pass.
	if err := db.GetContext(ctx, &cases, `SELECT count(*) FROM cases`); err != nil {
		return 0, 0, err
	}
	err = db.GetContext(ctx, &departments, `SELECT count(*) FROM departments`)
	return cases, departments, err
}

// recreateDatabase drops and creates the database of dbURL.
func recreateDatabase(ctx context.Context, dbURL string) error {
	admin, err := sqlx.Open("postgres", withDatabase(dbURL, "postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	name := pq.QuoteIdentifier(databaseName(dbURL))
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return err
	}
	_, err = admin.ExecContext(ctx, `CREATE DATABASE `+name)
	return err
}

// runCasetrack runs a casetrack command against the database and returns its output.
func runCasetrack(ctx context.Context, bin, dbURL, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("casetrack %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// seedResult is how the data set was made.
type seedResult struct {
	Reused bool
	// Line is casetrack seed synthetic's own report, with its cases/s.
	Line string
	// Wall is the whole command's time, start-up and ANALYZE included.
	Wall time.Duration
	At   time.Time
}

var seedLine = regexp.MustCompile(`added \d+ cases.*cases/s\)`)

// seedDatabase fills the database with synthetic cases and notes how fast
// it went in the database's comment, for the runs that reuse it.
func seedDatabase(ctx context.Context, bin, dbURL string, db *sqlx.DB, cases, departments int) (seedResult, error) {
	start := time.Now()
	out, err := runCasetrack(ctx, bin, dbURL, "", "seed", "synthetic", "--cases", fmt.Sprint(cases), "--departments", fmt.Sprint(departments))
	if err != nil {
		return seedResult{}, err
	}
	res := seedResult{Line: seedLine.FindString(out), Wall: time.Since(start), At: time.Now()}
	if res.Line == "" {
		res.Line = strings.TrimSpace(out)
	}
	comment := fmt.Sprintf("casetrack bench: %s; %.1f s with start-up and ANALYZE; %s", res.Line, res.Wall.Seconds(), res.At.Format(time.RFC3339))
	_, err = db.ExecContext(ctx, `COMMENT ON DATABASE `+pq.QuoteIdentifier(databaseName(dbURL))+` IS `+pq.QuoteLiteral(comment))
	return res, err
}

// reusedSeed reads how a reused database was seeded.
func reusedSeed(ctx context.Context, db *sqlx.DB) seedResult {
	var comment *string
	_ = db.GetContext(ctx, &comment, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()`)
	res := seedResult{Reused: true, Line: "(seeded by an earlier run; no record of its speed)"}
	if comment != nil {
		res.Line = strings.TrimPrefix(*comment, "casetrack bench: ")
	}
	return res
}

// vacuum brings the tables to the state autovacuum keeps them in: a
// visibility map that lets index-only scans skip the table, fresh statistics.
func vacuum(ctx context.Context, db *sqlx.DB) error {
	_, err := db.ExecContext(ctx, `VACUUM (ANALYZE) cases, assignments, events, outbox`)
	return err
}

// departmentCodes returns the codes of the departments, by id.
func departmentCodes(ctx context.Context, db *sqlx.DB, n int) ([]string, error) {
	var codes []string
	err := db.SelectContext(ctx, &codes, `SELECT code FROM departments ORDER BY id LIMIT $1`, n)
	return codes, err
}

// ensureUsers creates the bench users that are missing, with casetrack user add.
func ensureUsers(ctx context.Context, bin, dbURL string, db *sqlx.DB, departments []string) error {
	var existing []string
	if err := db.SelectContext(ctx, &existing, `SELECT login FROM users WHERE login LIKE 'bench.%'`); err != nil {
		return err
	}
	have := map[string]bool{}
	for _, l := range existing {
		have[l] = true
	}
	type user struct{ login, role string }
	var missing []user
	if !have[coordinatorLogin] {
		missing = append(missing, user{coordinatorLogin, "coordinator"})
	}
	for _, d := range departments {
		if !have[officerLogin(d)] {
			missing = append(missing, user{officerLogin(d), "dept_officer:" + d})
		}
	}
	return parallel(ctx, 4, len(missing), func(i int) error {
		u := missing[i]
		_, err := runCasetrack(ctx, bin, dbURL, benchPassword+"\n", "user", "add", "--login", u.login,
			"--name", "压测 "+u.login, "--email", u.login+"@bench.example.gov.cn", "--role", u.role, "--password-stdin")
		return err
	})
}

// parallel runs fn(0..n-1) on at most width goroutines and returns the first error.
func parallel(ctx context.Context, width, n int, fn func(i int) error) error {
	var mu sync.Mutex
	var first error
	next := 0
	var wg sync.WaitGroup
	for range width {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil || i >= n || ctx.Err() != nil
				mu.Unlock()
				if stop {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// instance is a running casetrack serve.
type instance struct {
	cmd      *exec.Cmd
	base     string
	log      *os.File
	done     chan error
	stopOnce sync.Once
}

// startInstance starts casetrack serve on a free port with its log in dir,
// with env added to its environment.
func startInstance(ctx context.Context, bin, dbURL, dir, name string, env ...string) (*instance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "BASE_URL=http://"+addr), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	in := &instance{cmd: cmd, base: "http://" + addr, log: logFile, done: make(chan error, 1)}
	go func() { in.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(in.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return in, nil
			}
		}
		select {
		case err := <-in.done:
			logFile.Close()
			return nil, fmt.Errorf("casetrack serve (%s) exited: %v; log: %s", name, err, logFile.Name())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			in.stop()
			return nil, fmt.Errorf("casetrack serve (%s) not ready after a minute; log: %s", name, logFile.Name())
		}
		if ctx.Err() != nil {
			in.stop()
			return nil, ctx.Err()
		}
	}
}

// stop asks the instance to drain and exit, and kills it if it does not.
func (in *instance) stop() {
	in.stopOnce.Do(func() {
		_ = in.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.done:
		case <-time.After(30 * time.Second):
			_ = in.cmd.Process.Kill()
			<-in.done
		}
		in.log.Close()
	})
}

// peakRSS returns the instance's peak resident set size (VmHWM) in bytes.
func (in *instance) peakRSS() (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", in.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
