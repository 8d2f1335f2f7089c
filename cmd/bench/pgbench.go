package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pgbenchScript turns the statements of one progress request into a
// pgbench script over random targets. The values that name the request's
// assignment, case and department become the variables :aid, :cid and
// :did, looked up in bench_progress_targets by a random :n; every other
// value stays as the request sent it. The request's own first lookup of
// the assignment's case (a one-row index lookup before the transaction)
// is replaced by the target lookup, so pgbench runs no statement more
// than the request did. The variables are cast to bigint, as the request's
// parameters are typed: pgbench runs the script prepared (runPgbench),
// where an untyped variable in ARRAY[...] would be text.
func pgbenchScript(stmts []statement, t progressTarget) (script string, replaced string, err error) {
	vars := map[string]string{
		strconv.FormatInt(t.AssignmentID, 10):             ":aid::bigint",
		strconv.FormatInt(t.CaseID, 10):                   ":cid::bigint",
		"{" + strconv.FormatInt(t.CaseID, 10) + "}":       "ARRAY[:cid::bigint]",
		"{" + strconv.FormatInt(t.DepartmentID, 10) + "}": "ARRAY[:did::bigint]",
	}
	lookup := `SELECT assignment_id AS aid, case_id AS cid, department_id AS did FROM bench_progress_targets WHERE n = :n \gset`
	var b strings.Builder
	b.WriteString("\\set n random(1, :ntargets)\n")
	inTx, looked := false, false
	for _, st := range stmts {
		sql := substitute(st, vars)
		upper := strings.ToUpper(strings.TrimSpace(st.SQL))
		switch {
		case strings.HasPrefix(upper, "BEGIN"):
			inTx = true
		case upper == "COMMIT" || upper == "ROLLBACK":
			inTx = false
		}
		if !looked && strings.Contains(sql, ":aid") {
			looked = true
			if !inTx && strings.HasPrefix(upper, "SELECT") && !strings.Contains(sql, ":cid") {
				replaced = st.oneLine()
				b.WriteString(lookup + "\n")
				continue
			}
			b.WriteString(lookup + "\n") // an extra statement; said in the report
			replaced = "(nothing: the lookup is an extra statement)"
		}
		b.WriteString(strings.TrimSpace(sql) + ";\n")
	}
	if !looked {
		return "", "", fmt.Errorf("the captured request never names assignment %d", t.AssignmentID)
	}
	return b.String(), replaced, nil
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

// setParam is a column set to a parameter in an UPDATE.
var setParam = regexp.MustCompile(`\b([a-z_]+) = \$(\d+)`)

// substitute writes the statement's parameters into its SQL as literals, or
// as pgbench variables. An UPDATE's SET values become the columns' own, as
// the captured values belong to the captured assignment and written into
// random ones they would change the data later measurements read; all but
// updated_at, which the service writes on every action, so that pgbench
// changes what the request changes.
func substitute(st statement, vars map[string]string) string {
	sql := st.SQL
	if upper := strings.ToUpper(strings.TrimSpace(sql)); strings.HasPrefix(upper, "UPDATE") {
		if i := strings.LastIndex(upper, " WHERE "); i > 0 {
			sql = setParam.ReplaceAllStringFunc(sql[:i], func(set string) string {
				if column := setParam.FindStringSubmatch(set)[1]; column != "updated_at" {
					return column + " = " + column
				}
				return set
			}) + sql[i:]
		}
	}
	return placeholder.ReplaceAllStringFunc(sql, func(p string) string {
		i, _ := strconv.Atoi(p[1:])
		if i < 1 || i > len(st.Params) {
			return p
		}
		v := st.Params[i-1]
		if v == nil {
			return "NULL"
		}
		if name, ok := vars[*v]; ok {
			return name
		}
		return "'" + strings.ReplaceAll(*v, "'", "''") + "'"
	})
}

// pgbenchResult is one pgbench run.
type pgbenchResult struct {
	Clients   int
	TPS       float64
	Failed    int
	P50, P99  time.Duration
	Output    string
	latencies []time.Duration
	runs      int
}

// merge adds another run with the same clients: the mean TPS, the pooled latencies.
func (r *pgbenchResult) merge(o pgbenchResult) {
	r.TPS = (r.TPS*float64(r.runs) + o.TPS) / float64(r.runs+1)
	r.runs++
	r.Clients, r.Output = o.Clients, o.Output
	r.Failed += o.Failed
	r.latencies = append(r.latencies, o.latencies...)
	slices.Sort(r.latencies)
	l := loadResult{Latencies: r.latencies}
	r.P50, r.P99 = l.Percentile(50), l.Percentile(99)
}

var (
	tpsLine    = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	failedLine = regexp.MustCompile(`number of failed transactions: (\d+)`)
)

// runPgbench runs the script with clients connections for duration, in
// query mode (prepared or simple), and reads each transaction's latency
// from pgbench's log.
func runPgbench(ctx context.Context, dbURL, script, dir, mode string, clients, targets int, duration time.Duration) (pgbenchResult, error) {
	scriptFile := filepath.Join(dir, "progress.pgbench")
	if err := os.WriteFile(scriptFile, []byte(script), 0o644); err != nil {
		return pgbenchResult{}, err
	}
	prefix := filepath.Join(dir, fmt.Sprintf("pgbench-c%d", clients))
	old, _ := filepath.Glob(prefix + "*")
	for _, f := range old {
		_ = os.Remove(f)
	}
	cmd := exec.CommandContext(ctx, "pgbench", "-n", "-M", mode, "-c", strconv.Itoa(clients), "-j", "2",
		"-T", strconv.Itoa(int(duration.Seconds())), "-f", scriptFile, "-D", "ntargets="+strconv.Itoa(targets),
		"-l", "--log-prefix", prefix, dbURL)
	out, err := cmd.CombinedOutput()
	res := pgbenchResult{Clients: clients, Output: string(out)}
	if err != nil {
		return res, fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	m := tpsLine.FindStringSubmatch(string(out))
	if m == nil {
		return res, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	res.TPS, _ = strconv.ParseFloat(m[1], 64)
	if m := failedLine.FindStringSubmatch(string(out)); m != nil {
		res.Failed, _ = strconv.Atoi(m[1])
	}
	logs, _ := filepath.Glob(prefix + "*")
	var latencies []time.Duration
	for _, f := range logs {
		lat, err := readPgbenchLog(f)
		if err != nil {
			return res, err
		}
		latencies = append(latencies, lat...)
	}
	slices.Sort(latencies)
	r := loadResult{Latencies: latencies}
	res.P50, res.P99 = r.Percentile(50), r.Percentile(99)
	res.latencies, res.runs = latencies, 1
	return res, nil
}

// readPgbenchLog reads the latencies of a pgbench transaction log:
// "client transaction latency_us script epoch us" per line.
func readPgbenchLog(path string) ([]time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		us, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			continue // "failed" or "skipped"
		}
		out = append(out, time.Duration(us)*time.Microsecond)
	}
	return out, sc.Err()
}
