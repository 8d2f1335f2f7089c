// Command bench measures casetrack against a database it fills itself, and
// against PostgreSQL's own limit for the same statements (pgbench), and
// prints one table; `make bench` runs it and writes docs/PERFORMANCE.md.
//
// It builds casetrack, finds the server scripts/postgres.sh finds (fsync
// on; never the test cluster), fills a database of its own with `casetrack
// seed synthetic` (kept for later runs), starts `casetrack serve` and
// drives it over HTTP with a fixed number of clients in a closed loop.
// The SQL it hands to pgbench and to EXPLAIN is captured from the running
// service by a proxy in front of PostgreSQL, so it is the code's SQL, not
// a copy.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the digest weeks are in Asia/Shanghai

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver
)

// options are the bench's flags.
type options struct {
	repo        string
	serverURL   string
	cases       int
	departments int
	warmup      time.Duration
	duration    time.Duration
	readClients int
	out         string
	command     string
	timezone    string
	only        map[string]bool
	rounds      int
	// debugAddr is the DEBUG_ADDR of the measured instance, serve-1, so
	// that its profiles can be taken during a run (go tool pprof
	// http://ADDR/debug/pprof/profile?seconds=10); the other instances have none.
	debugAddr string
}

// parts are the measurements -only may name.
var parts = []string{"a", "b", "c", "d", "e", "f", "three", "explain"}

// want reports whether the run includes a part.
func (o options) want(part string) bool { return len(o.only) == 0 || o.only[part] }

func main() {
	// The load shares the machine's cores with what it measures: like serve,
	// the bench's clients collect garbage less often than Go's default.
	debug.SetGCPercent(400)
	var o options
	flag.StringVar(&o.repo, "repo", ".", "the casetrack source tree")
	flag.StringVar(&o.serverURL, "server-url", "", "a PostgreSQL URL whose server to use (default: the one scripts/postgres.sh finds)")
	flag.IntVar(&o.cases, "cases", 1_000_000, "cases in the data set")
	flag.IntVar(&o.departments, "departments", 100, "departments in the data set")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unrecorded load before each measurement")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "recorded load of each measurement")
	flag.IntVar(&o.readClients, "read-clients", 4, "concurrent clients of the list, search and dashboard measurements")
	flag.StringVar(&o.out, "out", "docs/PERFORMANCE.md", "the report to rewrite (between its bench markers); empty: none")
	flag.StringVar(&o.command, "command", "", "the command line to print in the report (default: this one)")
	flag.IntVar(&o.rounds, "rounds", 2, "turns of the write path and pgbench, alternating, per client count")
	flag.StringVar(&o.timezone, "timezone", "Asia/Shanghai", "zone of the digest weeks (TIMEZONE)")
	flag.StringVar(&o.debugAddr, "debug-addr", "", "DEBUG_ADDR of the measured instance (serve-1), e.g. 127.0.0.1:6060, to profile it during the run; empty: none")
	only := flag.String("only", "", "measure only these parts, comma-separated: "+strings.Join(parts, ",")+" (a partial run writes no report)")
	flag.Parse()
	if *only != "" {
		o.only = map[string]bool{}
		for _, p := range strings.Split(*only, ",") {
			if !slices.Contains(parts, p) {
				fmt.Fprintf(os.Stderr, "bench: -only: unknown part %q (parts: %s)\n", p, strings.Join(parts, ","))
				os.Exit(2)
			}
			o.only[p] = true
		}
		o.out = ""
	}
	if o.command == "" {
		o.command = strings.Join(os.Args, " ")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// say reports progress on stderr; the table goes to stdout.
func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) error {
	loc, err := time.LoadLocation(o.timezone)
	if err != nil {
		return err
	}
	r := &report{Started: time.Now(), Options: o, LoadBefore: loadAverage(), CPUBefore: readCPUTimes()}
	dir, err := os.MkdirTemp("", "casetrack-bench-")
	if err != nil {
		return err
	}
	say("work folder (binary, server logs, pgbench logs): %s", dir)

	say("building casetrack")
	bin, err := buildCasetrack(ctx, o.repo, dir)
	if err != nil {
		return err
	}
	dbURL, db, err := prepareDatabase(ctx, o, bin, r)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := r.describe(ctx, db); err != nil {
		return err
	}

	// Sessions and targets.
	codes, err := departmentCodes(ctx, db, o.departments)
	if err != nil {
		return err
	}
	say("creating the bench users that are missing")
	if err := ensureUsers(ctx, bin, dbURL, db, codes); err != nil {
		return err
	}
	// Before any instance starts: serve catches up on the last scheduled
	// digest run at start-up, and would produce the week in the background
	// of the measurements if nothing had.
	if o.want("e") {
		say("(e) every weekly digest of the last week")
		if r.Digest, err = produceDigests(ctx, db, loc); err != nil {
			r.DigestErr = err.Error()
			say("    digest production failed: %v", err)
		}
	}
	say("starting casetrack serve")
	var debug []string
	if o.debugAddr != "" {
		debug = append(debug, "DEBUG_ADDR="+o.debugAddr)
	}
	primary, err := startInstance(ctx, bin, dbURL, dir, "serve-1", debug...)
	if err != nil {
		return err
	}
	defer primary.stop()
	c := newClient(primary.base)
	say("signing %d users in", len(codes)+1)
	people, err := signIn(ctx, c, codes)
	if err != nil {
		return err
	}
	targets, err := chooseProgressTargets(ctx, db, codes, 20_000)
	if err != nil {
		return err
	}

	// The SQL of the requests, captured from a service instance behind a proxy.
	say("capturing the SQL of the write path and of the lists and dashboards, and explaining it")
	script, err := captureAndExplain(ctx, o, bin, dbURL, dir, db, people, targets, r)
	if err != nil {
		return err
	}

	if o.want("a") {
		// The write path, and pgbench with the same statements, taking turns:
		// on a shared machine the load of others changes from minute to minute.
		for _, clients := range []int{16, 64} {
			var m writeMeasure
			for round := 1; round <= o.rounds; round++ {
				say("(a) progress with %d clients, round %d of %d", clients, round, o.rounds)
				w, err := measureProgress(ctx, o, db, newClient(primary.base), targets, people, fmt.Sprintf("a%d.%d", clients, round), clients)
				if err != nil {
					return err
				}
				m.Load.merge(w.Load)
				m.Check.add(w.Check)
				pg, err := runPgbench(ctx, dbURL, script, dir, "prepared", clients, len(targets), o.duration)
				if err != nil {
					return err
				}
				m.Pgbench.merge(pg)
				say("    %.0f req/s; pgbench %.0f TPS (%.2f ×)", w.Load.PerSecond(), pg.TPS, w.Load.PerSecond()/pg.TPS)
			}
			say("(a) pgbench unprepared, %d clients", clients)
			pg, err := runPgbench(ctx, dbURL, script, dir, "simple", clients, len(targets), o.duration)
			if err != nil {
				return err
			}
			m.Unprepared.merge(pg)
			r.Writes = append(r.Writes, m)
		}
	}
	if o.want("b") {
		say("(b) dispatch followed by accept, 16 clients")
		queues, err := chooseDispatchTargets(ctx, db, codes, 40_000, 16)
		if err != nil {
			return err
		}
		r.DispatchAccept = runLoad(ctx, 16, o.warmup, o.duration, dispatchAcceptOp(c, queues, people))
	}
	if (o.want("a") || o.want("b")) && (o.want("c") || o.want("d")) {
		// Autovacuum visits assignments within a minute of a thousand dead
		// rows (migration 00012), so that the pages the writes touched are
		// all-visible again for the lists' index-only scans; where it is off,
		// as on CI's machines, the bench does what it would.
		say("vacuuming after the writes, as autovacuum would")
		if err := vacuum(ctx, db); err != nil {
			return err
		}
	}
	if o.want("c") {
		// One client: the time of one request; more: the same on two busy cores.
		for _, clients := range []int{1, o.readClients} {
			for _, lq := range []listQuery{filteredList, searchList} {
				for _, coordinator := range []bool{false, true} {
					name := lq.Name + ", " + who(coordinator)
					say("(c) %s, %d clients", name, clients)
					r.Reads = append(r.Reads, namedLoad{Name: name, Limit: 20 * time.Millisecond,
						Load: runLoad(ctx, clients, o.warmup, o.duration, listOp(c, people, lq, coordinator))})
				}
			}
		}
	}
	if o.want("d") {
		for _, coordinator := range []bool{true, false} {
			login := coordinatorLogin
			if !coordinator {
				login = officerLogin(codes[0])
			}
			cookie, err := webSignIn(ctx, c, primary.base, login)
			if err != nil {
				return err
			}
			name := "dashboard /, " + who(coordinator)
			say("(d) %s, %d clients", name, o.readClients)
			r.Reads = append(r.Reads, namedLoad{Name: name, Limit: 100 * time.Millisecond,
				Load: runLoad(ctx, o.readClients, o.warmup, o.duration, pageOp(c, "/", cookie))})
		}
	}
	if o.want("e") {
		// serve computes a week's figures itself for a preview, and for
		// Monday's run: its peak RSS is only meaningful with one of them.
		say("(e) the overview of the last week, previewed through serve")
		r.Preview = previewOverview(ctx, c, people, loc)
	}
	if r.RSS, err = primary.peakRSS(); err != nil {
		return err
	}
	if o.want("three") {
		say("three instances behind a round-robin client: progress, 16 clients")
		if r.Three, err = measureThree(ctx, o, bin, dbURL, dir, db, primary, targets, people); err != nil {
			return err
		}
	}
	primary.stop()
	if o.want("f") {
		say("(f) the authorization check: go test -bench BenchmarkAllowed ./policy/")
		if r.Authz, _, err = benchmarkAuthorization(ctx, o.repo); err != nil {
			return err
		}
	}

	r.Finished, r.LoadAfter, r.CPUAfter = time.Now(), loadAverage(), readCPUTimes()
	table := r.table()
	fmt.Println(table)
	if o.out != "" {
		out := o.out
		if !filepath.IsAbs(out) {
			out = filepath.Join(o.repo, out)
		}
		if err := r.write(out, table); err != nil {
			return err
		}
		say("wrote %s", o.out)
	}
	if failed := r.failedPlans(); len(failed) > 0 {
		return fmt.Errorf("SEQUENTIAL SCAN of cases or events on a filtered page: %s (see %s)", strings.Join(failed, "; "), o.out)
	}
	return nil
}

func who(coordinator bool) string {
	if coordinator {
		return "coordinator"
	}
	return "department officer"
}

// prepareDatabase returns the bench database, filled: reused when it holds
// enough cases, else made afresh and seeded.
func prepareDatabase(ctx context.Context, o options, bin string, r *report) (string, *sqlx.DB, error) {
	name := "casetrack_bench"
	if o.cases != 1_000_000 || o.departments != 100 {
		name = fmt.Sprintf("casetrack_bench_%d_%d", o.cases, o.departments)
	}
	dbURL, err := findServer(ctx, o.repo, o.serverURL, name)
	if err != nil {
		return "", nil, err
	}
	say("database %s", redact(dbURL))
	db, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		return "", nil, err
	}
	if r.ServerVersion, err = checkDurable(ctx, db); err != nil {
		db.Close()
		return "", nil, err
	}
	cases, departments, err := countCases(ctx, db)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	fresh := cases < o.cases || departments < o.departments
	if fresh {
		db.Close()
		say("making database %s afresh (it held %d cases)", name, cases)
		if err := recreateDatabase(ctx, dbURL); err != nil {
			return "", nil, err
		}
		if db, err = sqlx.Open("postgres", dbURL); err != nil {
			return "", nil, err
		}
	}
	say("migrating")
	if _, err := runCasetrack(ctx, bin, dbURL, "", "migrate"); err != nil {
		db.Close()
		return "", nil, err
	}
	if fresh {
		say("seeding %d cases over %d departments", o.cases, o.departments)
		r.Seed, err = seedDatabase(ctx, bin, dbURL, db, o.cases, o.departments)
		if err != nil {
			db.Close()
			return "", nil, err
		}
		say("    %s (%.1f s in all)", r.Seed.Line, r.Seed.Wall.Seconds())
	} else {
		say("reusing the %d cases already there", cases)
		r.Seed = reusedSeed(ctx, db)
	}
	say("vacuuming and analysing")
	if err := vacuum(ctx, db); err != nil {
		db.Close()
		return "", nil, err
	}
	// The dashboard's figures kept by an earlier run: this run computes and explains its own.
	if _, err := db.ExecContext(ctx, `DELETE FROM dashboard_figures`); err != nil {
		db.Close()
		return "", nil, err
	}
	db.SetMaxOpenConns(8)
	return dbURL, db, nil
}

// measureProgress posts progress with clients clients and checks the events.
func measureProgress(ctx context.Context, o options, db *sqlx.DB, c *client, targets []progressTarget, p *people, tag string, clients int) (progressMeasure, error) {
	from, err := lastEventID(ctx, db)
	if err != nil {
		return progressMeasure{}, err
	}
	run := newProgressRun(c, targets, p, fmt.Sprintf("bench %s %s", time.Now().Format("20060102T150405"), tag))
	m := progressMeasure{Load: runLoad(ctx, clients, o.warmup, o.duration, run.op)}
	m.Check, err = run.check(ctx, db, from)
	return m, err
}

// measureThree starts two more instances and posts progress through all three.
func measureThree(ctx context.Context, o options, bin, dbURL, dir string, db *sqlx.DB, first *instance, targets []progressTarget, p *people) (progressMeasure, error) {
	bases := []string{first.base}
	for i := 2; i <= 3; i++ {
		in, err := startInstance(ctx, bin, dbURL, dir, fmt.Sprintf("serve-%d", i))
		if err != nil {
			return progressMeasure{}, err
		}
		defer in.stop()
		bases = append(bases, in.base)
	}
	return measureProgress(ctx, o, db, newClient(bases...), targets, p, "three", 16)
}

// captureAndExplain starts an instance behind the capturing proxy, takes
// the statements of one progress request (for pgbench) and of every list
// filter and dashboard (for EXPLAIN), and returns the pgbench script.
func captureAndExplain(ctx context.Context, o options, bin, dbURL, dir string, db *sqlx.DB, p *people, targets []progressTarget, r *report) (string, error) {
	host, err := hostPort(dbURL)
	if err != nil {
		return "", err
	}
	sn, err := startSniffer(host)
	if err != nil {
		return "", err
	}
	defer sn.close()
	in, err := startInstance(ctx, bin, replaceHost(dbURL, sn.addr()), dir, "serve-capture")
	if err != nil {
		return "", err
	}
	defer in.stop()
	c := newClient(in.base)

	// The write path: a first request warms the instance up, the second is captured.
	first, second := targets[0], targets[0]
	for _, t := range targets[1:] {
		if t.Department == first.Department {
			second = t
			break
		}
	}
	post := func(t progressTarget, note string) error {
		return c.api(ctx, "POST", fmt.Sprintf("/api/v1/assignments/%d/actions/progress", t.AssignmentID), p.officer(t.Department),
			map[string]string{"note": note}, nil, 200)
	}
	if err := post(first, "bench capture warm-up"); err != nil {
		return "", err
	}
	// The instance's outbox worker polls in the background; a capture it
	// slipped into is taken again (the write path never touches the outbox).
	var stmts []statement
	for try := 1; ; try++ {
		if stmts, err = sn.record(func() error { return post(second, "bench capture") }); err != nil {
			return "", err
		}
		if len(background(stmts)) == 0 {
			break
		}
		if try == 5 {
			return "", fmt.Errorf("the outbox worker ran during every capture of the write path")
		}
	}
	r.WriteStatements = stmts
	script, replaced, err := pgbenchScript(stmts, second)
	if err != nil {
		return "", err
	}
	r.Script, r.Replaced = script, replaced

	if !o.want("explain") {
		return script, nil
	}
	// Every list filter and both dashboards.
	dept := p.departments[0]
	for _, ch := range listChecks(dept) {
		for _, coordinator := range []bool{false, true} {
			token := p.officer(dept)
			if coordinator {
				token = p.coordinator()
			}
			path := "/api/v1/cases?" + ch.query
			if ch.page2 {
				var page struct {
					Next *string `json:"next_cursor"`
				}
				if err := c.api(ctx, "GET", path, token, nil, &page, 200); err != nil {
					return "", err
				}
				if page.Next == nil {
					continue
				}
				path += "&cursor=" + *page.Next
			}
			name := ch.name + ", " + who(coordinator)
			stmts, reqErr := sn.record(func() error { return c.api(ctx, "GET", path, token, nil, nil, 200) })
			rp, err := explainRequest(ctx, db, name, true, withoutBackground(stmts))
			if err != nil {
				return "", err
			}
			rp.noteFailure(reqErr)
			r.Plans = append(r.Plans, rp)
		}
	}
	for _, coordinator := range []bool{true, false} {
		login := coordinatorLogin
		if !coordinator {
			login = officerLogin(dept)
		}
		cookie, err := webSignIn(ctx, c, in.base, login)
		if err != nil {
			return "", err
		}
		// The figures are kept per scope and computed when due, outside
		// the request once they take long: the first request starts the
		// computation, the page shows the figures once it is done.
		name := "dashboard figures (kept, computed when due), " + who(coordinator)
		stmts, reqErr := sn.record(func() error { return waitForFigures(ctx, c, cookie) })
		rp, err := explainRequest(ctx, db, name, false, withoutBackground(stmts))
		if err != nil {
			return "", err
		}
		rp.noteFailure(reqErr)
		r.Plans = append(r.Plans, rp)

		name = "dashboard /, " + who(coordinator)
		stmts, reqErr = sn.record(func() error { return c.getPage(ctx, "/", cookie) })
		rp, err = explainRequest(ctx, db, name, false, withoutBackground(stmts))
		if err != nil {
			return "", err
		}
		rp.noteFailure(reqErr)
		r.Plans = append(r.Plans, rp)
	}
	return script, nil
}

// listCheck is a list whose statements are explained.
type listCheck struct {
	name, query string
	page2       bool
}

// listChecks are every list filter, alone and together, and second pages.
func listChecks(dept string) []listCheck {
	return []listCheck{
		{"no filter", "", false},
		{"status", "status=in_progress", false},
		{"status, two", "status=submitted,triaged", false},
		{"department", "department=" + dept, false},
		{"overdue", "overdue=true", false},
		{"not overdue", "overdue=false", false},
		{"q 围栏", "q=%E5%9B%B4%E6%A0%8F", false},
		{"q one character", "q=%E6%A0%8F", false},
		{"q reference", "q=CT-2026-0001", false},
		{"status+department+overdue", "status=in_progress&department=" + dept + "&overdue=true", false},
		{"q+status", "q=%E5%9B%B4%E6%A0%8F&status=in_progress", false},
		{"q+department", "q=%E5%9B%B4%E6%A0%8F&department=" + dept, false},
		{"status+department+overdue, page 2", "status=in_progress&department=" + dept + "&overdue=true", true},
		{"q 围栏, page 2", "q=%E5%9B%B4%E6%A0%8F", true},
		{"no filter, page 2", "", true},
	}
}
