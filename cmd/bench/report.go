package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// progressMeasure is a progress run and its check of the events.
type progressMeasure struct {
	Load  loadResult
	Check eventCheck
}

// writeMeasure is the write path and pgbench with the same clients: its
// statements prepared, as the service runs them, and once unprepared.
type writeMeasure struct {
	progressMeasure
	Pgbench, Unprepared pgbenchResult
}

// namedLoad is a read measurement and its p99 target.
type namedLoad struct {
	Name  string
	Load  loadResult
	Limit time.Duration
}

// report is everything one bench run found.
type report struct {
	Started, Finished time.Time
	Options           options
	ServerVersion     string
	Machine           string
	// LoadBefore and LoadAfter are the 1-minute load averages at the run's ends.
	LoadBefore, LoadAfter string
	// CPUBefore and CPUAfter are the machine's CPU times at the run's ends.
	CPUBefore, CPUAfter cpuTimes
	Data                string
	Seed                seedResult

	WriteStatements []statement
	Script          string
	Replaced        string
	Plans           []requestPlans

	Writes         []writeMeasure
	DispatchAccept loadResult
	Reads          []namedLoad
	Digest         digestResult
	DigestErr      string
	Preview        previewResult
	RSS            int64
	Three          progressMeasure
	Authz          time.Duration
}

// describe notes the machine and the data set.
func (r *report) describe(ctx context.Context, db *sqlx.DB) error {
	cpu := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(raw); m != nil {
			cpu = string(m[1])
		}
	}
	mem := ""
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := regexp.MustCompile(`MemTotal:\s+(\d+) kB`).FindSubmatch(raw); m != nil {
			kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
			mem = fmt.Sprintf(", %.0f GB RAM", float64(kb)/(1<<20))
		}
	}
	kernel, _ := exec.Command("uname", "-sr").Output()
	var settings struct {
		SharedBuffers string `db:"shared_buffers"`
		MaxConns      string `db:"max_connections"`
	}
	_ = db.GetContext(ctx, &settings, `SELECT current_setting('shared_buffers') AS shared_buffers, current_setting('max_connections') AS max_connections`)
	r.Machine = fmt.Sprintf("%d × %s%s, %s; %s; PostgreSQL %s (fsync on, shared_buffers %s, max_connections %s), same machine",
		runtime.NumCPU(), cpu, mem, strings.TrimSpace(string(kernel)), runtime.Version(), r.ServerVersion, settings.SharedBuffers, settings.MaxConns)
	var counts struct {
		Cases       int    `db:"cases"`
		Assignments int    `db:"assignments"`
		Events      int    `db:"events"`
		Departments int    `db:"departments"`
		Size        string `db:"size"`
	}
	err := db.GetContext(ctx, &counts, `SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM assignments) AS assignments,
		(SELECT count(*) FROM events) AS events, (SELECT count(*) FROM departments) AS departments,
		pg_size_pretty(pg_database_size(current_database())) AS size`)
	r.Data = fmt.Sprintf("%d cases, %d assignments, %d events, %d departments; database %s",
		counts.Cases, counts.Assignments, counts.Events, counts.Departments, counts.Size)
	return err
}

// loadAverage is the 1-minute load average of the machine.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(raw))[0]
}

// cpuTimes is the CPU time of every core so far, in ticks: all of it, and
// what the hypervisor gave to other virtual machines while this one had
// work (steal).
type cpuTimes struct{ total, steal uint64 }

func readCPUTimes() cpuTimes {
	raw, _ := os.ReadFile("/proc/stat")
	return parseCPUTimes(string(raw))
}

// parseCPUTimes reads the first line of /proc/stat: "cpu" and the ticks
// spent in user, nice, system, idle, iowait, irq, softirq, steal, and then
// guest time, which user time already holds.
func parseCPUTimes(stat string) cpuTimes {
	line, _, _ := strings.Cut(stat, "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return cpuTimes{}
	}
	var t cpuTimes
	for i, f := range fields[1:9] {
		n, _ := strconv.ParseUint(f, 10, 64)
		t.total += n
		if i == 7 {
			t.steal = n
		}
	}
	return t
}

// stolen is the share of the CPU time from a to b that was stolen.
func stolen(a, b cpuTimes) string {
	if b.total <= a.total {
		return "an unknown share"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(b.steal-a.steal)/float64(b.total-a.total))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**MISSED**"
}

func errorsOf(l loadResult) string {
	if l.Failed == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%.1f%%)", l.Failed, 100*float64(l.Failed)/float64(l.Failed+l.OK))
}

var seedRate = regexp.MustCompile(`\(([0-9]+) cases/s\)`)

// table is the results as one Markdown table.
func (r *report) table() string {
	var b strings.Builder
	b.WriteString("| measure | clients | throughput | p50 | p99 | errors | compared | target | |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |\n")
	row := func(cells ...string) { b.WriteString("| " + strings.Join(cells, " | ") + " |\n") }
	for _, w := range r.Writes {
		ratio := w.Load.PerSecond() / w.Pgbench.TPS
		target, ok := "—", true
		if w.Load.Clients == 16 {
			target = "≥ 0.6 × pgbench, p99 ≤ 30 ms"
			ok = ratio >= 0.6 && w.Load.Percentile(99) <= 30*time.Millisecond
		}
		row("(a) progress on an assignment", strconv.Itoa(w.Load.Clients), fmt.Sprintf("%.0f req/s", w.Load.PerSecond()),
			ms(w.Load.Percentile(50)), ms(w.Load.Percentile(99)), errorsOf(w.Load),
			fmt.Sprintf("**%.2f ×** pgbench", ratio), target, verdict(ok && w.Load.Failed == 0 && w.Check.ok()))
		row("  pgbench, the same statements, prepared", strconv.Itoa(w.Pgbench.Clients), fmt.Sprintf("%.0f TPS", w.Pgbench.TPS),
			ms(w.Pgbench.P50), ms(w.Pgbench.P99), strconv.Itoa(w.Pgbench.Failed), "", "", "")
		if u := w.Unprepared; u.runs > 0 {
			row("  pgbench, the same statements, unprepared", strconv.Itoa(u.Clients), fmt.Sprintf("%.0f TPS", u.TPS),
				ms(u.P50), ms(u.P99), strconv.Itoa(u.Failed), fmt.Sprintf("%.2f × pgbench", w.Load.PerSecond()/u.TPS), "", "")
		}
	}
	if da := r.DispatchAccept; da.Clients > 0 {
		row("(b) dispatch, then accept", strconv.Itoa(da.Clients), fmt.Sprintf("%.0f pairs/s", da.PerSecond()),
			ms(da.Percentile(50)), ms(da.Percentile(99)), errorsOf(da), "", "", "")
	}
	for _, rd := range r.Reads {
		label := "(c) " + rd.Name
		if strings.HasPrefix(rd.Name, "dashboard") {
			label = "(d) " + rd.Name
		}
		row(label, strconv.Itoa(rd.Load.Clients), fmt.Sprintf("%.0f req/s", rd.Load.PerSecond()),
			ms(rd.Load.Percentile(50)), ms(rd.Load.Percentile(99)), errorsOf(rd.Load), "",
			"p99 ≤ "+ms(rd.Limit), verdict(rd.Load.Percentile(99) <= rd.Limit && rd.Load.Failed == 0))
	}
	switch {
	case r.DigestErr != "":
		row("(e) every weekly digest", "1", "", "", "", "failed: "+firstLine(r.DigestErr), "", "≤ 10 s", verdict(false))
	case r.Digest.Week != "":
		row(fmt.Sprintf("(e) every weekly digest of %s", r.Digest.Week), "1", fmt.Sprintf("%d messages", r.Digest.Messages),
			"", fmt.Sprintf("%.1f s", r.Digest.Elapsed.Seconds()), "0", "", "≤ 10 s", verdict(r.Digest.Elapsed <= 10*time.Second))
	}
	if p := r.Preview; p.Week != "" {
		errs, failure := "0", ""
		if p.Err != "" {
			errs, failure = "1", "failed: "+firstLine(p.Err)
		}
		row(fmt.Sprintf("(e) the overview of %s, previewed through serve", p.Week), "1", "", "",
			fmt.Sprintf("%.1f s", p.Elapsed.Seconds()), errs, failure, "≤ 10 s", verdict(p.Err == "" && p.Elapsed <= 10*time.Second))
	}
	if r.Authz > 0 {
		row("(f) authorization check (BenchmarkAllowed)", "1", "", fmt.Sprintf("%.2f µs", float64(r.Authz)/float64(time.Microsecond)),
			"", "", "median of 5", "≤ 5 µs", verdict(r.Authz <= 5*time.Microsecond))
	}
	row("(g) peak RSS of serve (VmHWM)", "", "", fmt.Sprintf("%.0f MB", float64(r.RSS)/(1<<20)), "", "", "after (a)–(e)",
		"≤ 150 MB", verdict(r.RSS <= 150<<20))
	if t := r.Three; t.Load.Clients > 0 {
		row("three instances, progress, round-robin", strconv.Itoa(t.Load.Clients), fmt.Sprintf("%.0f req/s", t.Load.PerSecond()),
			ms(t.Load.Percentile(50)), ms(t.Load.Percentile(99)), errorsOf(t.Load),
			fmt.Sprintf("%d events for %d successes: %d lost, %d doubled", t.Check.Events, t.Check.Succeeded, t.Check.Lost, t.Check.Doubled),
			"no error, none lost or doubled", verdict(t.Load.Failed == 0 && t.Check.ok()))
	}
	if r.Seed.Reused {
		row("seed synthetic (earlier run)", "", firstLine(r.Seed.Line), "", "", "", "", "≥ 20,000 cases/s", "")
	} else {
		rate := 0
		if m := seedRate.FindStringSubmatch(r.Seed.Line); m != nil {
			rate, _ = strconv.Atoi(m[1])
		}
		row("seed synthetic", "", fmt.Sprintf("%d cases/s", rate), "", "", "", r.Seed.Line, "≥ 20,000 cases/s", verdict(rate >= 20_000))
	}
	return b.String()
}

// failedPlans names the filtered pages whose plans scan cases or events sequentially.
func (r *report) failedPlans() []string {
	var out []string
	for _, rp := range r.Plans {
		if rp.Filtered && len(rp.seqScans()) > 0 {
			out = append(out, rp.Name)
		}
	}
	return out
}

// slowPlan marks a request whose statements together ran longer, in ms.
const slowPlan = 100

// Markers of the generated part of the report; what lies outside them is kept.
const (
	beginMarker = "<!-- bench:begin (written by make bench; edits between the markers are lost) -->"
	endMarker   = "<!-- bench:end -->"
)

// write puts the run's figures into the report file between the markers.
func (r *report) write(path, table string) error {
	before, after := "# Performance\n\n", "\n"
	if raw, err := os.ReadFile(path); err == nil {
		s := string(raw)
		if i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker); i >= 0 && j > i {
			before, after = s[:i], s[j+len(endMarker):]
		} else {
			before = s + "\n"
		}
	}
	return os.WriteFile(path, []byte(before+beginMarker+"\n"+r.markdown(table)+endMarker+after), 0o644)
}

// markdown is the generated part of the report.
func (r *report) markdown(table string) string {
	var b strings.Builder
	o := r.Options
	fmt.Fprintf(&b, "Measured %s (%s, %.0f min), with:\n\n```sh\n%s\n```\n\n", r.Started.Format("2006-01-02 15:04 MST"),
		r.Started.Format("Monday"), r.Finished.Sub(r.Started).Minutes(), o.command)
	fmt.Fprintf(&b, "- Machine: %s.\n", r.Machine)
	fmt.Fprintf(&b, "- Data: %s. Seed: %s.\n", r.Data, r.Seed.Line)
	fmt.Fprintf(&b, "- Each measurement: %s warm-up, then %s recorded; closed loop (a client sends again when answered); HTTP/1.1 keep-alive; "+
		"lists and search with 1 and with %d clients, dashboards with %d. Latencies are of successful requests.\n",
		o.warmup, o.duration, o.readClients, o.readClients)
	fmt.Fprintf(&b, "- pgbench runs the statements captured from one real progress request (below), over the same 20,000 in-progress "+
		"assignments, with the same number of clients, on the same database, prepared (`-M prepared`) as the service runs them; "+
		"our run and pgbench take %d turns each, alternating, and the table pools them. One more pgbench run per client count "+
		"sends them unprepared (`-M simple`: parsed and planned on every execution), as the service did before it prepared them.\n", o.rounds)
	fmt.Fprintf(&b, "- Load average (1 min) when the run began: %s; when it ended: %s. Other engineers' tests share the machine, "+
		"and the host other virtual machines: it took %s of this one's CPU time during the run (steal).\n\n",
		r.LoadBefore, r.LoadAfter, stolen(r.CPUBefore, r.CPUAfter))
	b.WriteString(table)
	b.WriteString("\n")
	for _, w := range r.Writes {
		fmt.Fprintf(&b, "- Progress, %d clients: %d requests, %d events written, %d lost, %d doubled, %d unconfirmed.\n",
			w.Load.Clients, w.Check.Requests, w.Check.Events, w.Check.Lost, w.Check.Doubled, w.Check.Unconfirmed)
	}
	for _, l := range r.allLoads() {
		for e, n := range l.load.Errors {
			fmt.Fprintf(&b, "- Error in %s (%d×): `%s`\n", l.name, n, e)
		}
	}
	b.WriteString("\n### The write path's statements (pgbench script)\n\n")
	if r.Replaced != "" {
		fmt.Fprintf(&b, "The request's own lookup `%s` is replaced by the lookup of a random target.\n\n", r.Replaced)
	}
	b.WriteString("```sql\n" + r.Script + "```\n")
	b.WriteString("\n### EXPLAIN ANALYZE of every list filter and dashboard (1 request each, statements as captured)\n\n")
	b.WriteString("| request | statements | total | slowest statement | sequential scan of cases/events |\n| --- | ---: | ---: | --- | --- |\n")
	for _, rp := range r.Plans {
		slow, _ := r.slowestOf(rp)
		seq := "none"
		if s := rp.seqScans(); len(s) > 0 {
			seq = fmt.Sprintf("%d statement(s)", len(s))
			if rp.Filtered {
				seq = "**FAIL**: " + seq
			}
		}
		if rp.total() > slowPlan {
			seq += " (slow: over 100 ms)"
		}
		name := rp.Name
		if rp.Failure != "" {
			name += " (the request failed: " + abbreviate(rp.Failure, 60) + ")"
		}
		fmt.Fprintf(&b, "| %s | %d | %.1f ms | %s | %s |\n", name, len(rp.Statements), rp.total(), slow, seq)
	}
	b.WriteString("\n<details><summary>Plan shapes (statements over 1 ms, and every sequential scan)</summary>\n\n")
	for _, rp := range r.Plans {
		for _, e := range rp.Statements {
			if e.Execution < 1 && len(e.SeqScans) == 0 {
				continue
			}
			took := fmt.Sprintf("%.1f ms", e.Execution)
			if e.TimedOut {
				took = "over " + explainTimeLimit.String() + ", plan estimated"
			}
			fmt.Fprintf(&b, "**%s** — %s — `%s`\n\n```\n", rp.Name, took, abbreviate(e.SQL, 300))
			var sb strings.Builder
			shape(e.Plan, "", &sb)
			b.WriteString(sb.String() + "```\n\n")
		}
	}
	b.WriteString("</details>\n")
	return b.String()
}

func (r *report) slowestOf(rp requestPlans) (string, bool) {
	e, ok := rp.slowest()
	if !ok {
		return "", false
	}
	if e.TimedOut {
		return fmt.Sprintf("over %s `%s`", explainTimeLimit, abbreviate(e.SQL, 80)), true
	}
	return fmt.Sprintf("%.1f ms `%s`", e.Execution, abbreviate(e.SQL, 80)), true
}

type labelledLoad struct {
	name string
	load loadResult
}

func (r *report) allLoads() []labelledLoad {
	var out []labelledLoad
	for _, w := range r.Writes {
		out = append(out, labelledLoad{fmt.Sprintf("progress (%d clients)", w.Load.Clients), w.Load})
	}
	out = append(out, labelledLoad{"dispatch + accept", r.DispatchAccept})
	for _, rd := range r.Reads {
		out = append(out, labelledLoad{rd.Name, rd.Load})
	}
	return append(out, labelledLoad{"three instances", r.Three.Load})
}

func abbreviate(s string, n int) string {
	s = strings.ReplaceAll(s, "`", "'")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// redact hides a URL's password.
func redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "(a database URL)"
	}
	return u.Redacted()
}

// hostPort is the host:port of a database URL.
func hostPort(dbURL string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	if host == "" {
		return "", fmt.Errorf("the database URL needs a TCP host, for the capturing proxy")
	}
	return net.JoinHostPort(host, port), nil
}

// replaceHost points a database URL at another host:port.
func replaceHost(dbURL, hostport string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	u.Host = hostport
	return u.String()
}
