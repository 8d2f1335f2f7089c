package main

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

func ptr(s string) *string { return &s }

func TestPgbenchScriptTurnsTheRequestsIdsIntoVariables(t *testing.T) {
	target := progressTarget{AssignmentID: 5123, CaseID: 777, DepartmentID: 9, Department: "syn-009"}
	stmts := []statement{
		{SQL: `SELECT u.id FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`, Params: []*string{ptr(`\xabcd`)}},
		{SQL: `SELECT case_id FROM assignments WHERE id = $1`, Params: []*string{ptr("5123")}},
		{SQL: `BEGIN READ WRITE`},
		{SQL: `SELECT c.id FROM cases c WHERE c.id = $1 AND ($2::bool OR EXISTS (SELECT 1 FROM assignments va WHERE va.case_id = c.id AND va.department_id = ANY($3::bigint[]))) FOR UPDATE OF c`,
			Params: []*string{ptr("777"), ptr("false"), ptr("{9}")}},
		{SQL: `SELECT a.id FROM assignments a WHERE a.case_id = ANY($1)`, Params: []*string{ptr("{777}")}},
		{SQL: `UPDATE assignments AS a SET status = $2, accepted_at = $3, updated_at = $4, version = version + 1 WHERE id = $1 RETURNING a.id`,
			Params: []*string{ptr("5123"), ptr("in_progress"), nil, ptr("2026-12-07 16:00:00Z")}},
		{SQL: `INSERT INTO events (case_id, assignment_id, data) VALUES ($1, $2, $3) RETURNING id`,
			Params: []*string{ptr("777"), ptr("5123"), ptr(`{"note":"it's done"}`)}},
		{SQL: `COMMIT`},
	}
	script, replaced, err := pgbenchScript(stmts, target)
	if err != nil {
		t.Fatal(err)
	}
	if replaced != "SELECT case_id FROM assignments WHERE id = $1" {
		t.Errorf("the request's own lookup of the case should give way to the target lookup, replaced %q", replaced)
	}
	for _, want := range []string{
		"\\set n random(1, :ntargets)\n",
		`WHERE t.hash = '\xabcd';`,
		`FROM bench_progress_targets WHERE n = :n \gset`,
		`WHERE c.id = :cid::bigint AND ('false'::bool OR`,
		`va.department_id = ANY(ARRAY[:did::bigint]::bigint[])`,
		`a.case_id = ANY(ARRAY[:cid::bigint])`,
		// The captured values belong to the captured assignment: random ones keep their
		// own, but for the time of the change, which every request writes.
		`SET status = status, accepted_at = accepted_at, updated_at = '2026-12-07 16:00:00Z', version = version + 1 WHERE id = :aid::bigint`,
		`VALUES (:cid::bigint, :aid::bigint, '{"note":"it''s done"}')`,
		"COMMIT;\n",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %q:\n%s", want, script)
		}
	}
	if strings.Contains(script, "5123") || strings.Contains(script, "777") {
		t.Errorf("the captured ids stayed in the script:\n%s", script)
	}
}

// bindMessage builds the body of a Bind message with text parameters (nil is NULL).
func bindMessage(statementName string, params ...*string) []byte {
	b := []byte("\x00" + statementName + "\x00")
	b = binary.BigEndian.AppendUint16(b, 0) // no format codes: all text
	b = binary.BigEndian.AppendUint16(b, uint16(len(params)))
	for _, p := range params {
		if p == nil {
			b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF)
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(*p)))
		b = append(b, *p...)
	}
	return binary.BigEndian.AppendUint16(b, 0)
}

func TestBindStatementReadsTheParsedSQLAndItsParameters(t *testing.T) {
	parsed := map[string]string{"": "SELECT $1, $2, $3"}
	st, err := bindStatement(bindMessage("", ptr("42"), nil, ptr("围栏")), parsed)
	if err != nil {
		t.Fatal(err)
	}
	if st.SQL != "SELECT $1, $2, $3" || len(st.Params) != 3 {
		t.Fatalf("got %+v", st)
	}
	if *st.Params[0] != "42" || st.Params[1] != nil || *st.Params[2] != "围栏" {
		t.Errorf("parameters: %q, %v, %q", *st.Params[0], st.Params[1], *st.Params[2])
	}
	if _, err := bindStatement(bindMessage("unknown"), parsed); err == nil {
		t.Error("a bind of a statement never parsed is refused")
	}
}

func TestPercentilesOfSortedLatencies(t *testing.T) {
	var r loadResult
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	if p := r.Percentile(50); p != 50*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := r.Percentile(99); p != 99*time.Millisecond {
		t.Errorf("p99 = %v", p)
	}
	if p := (loadResult{}).Percentile(99); p != 0 {
		t.Errorf("no latencies: p99 = %v", p)
	}
}

func TestStealIsTheShareOfCPUTimeTheHostTook(t *testing.T) {
	before := parseCPUTimes("cpu  1000 0 500 8000 100 0 50 350 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
	if before != (cpuTimes{total: 10000, steal: 350}) {
		t.Fatalf("parsed %+v", before)
	}
	after := parseCPUTimes("cpu  1600 0 700 8400 100 0 50 1150 0 0\n")
	if got := stolen(before, after); got != "40.0 %" {
		t.Errorf("800 of 2000 ticks stolen: %s", got)
	}
	if got := stolen(before, parseCPUTimes("")); got != "an unknown share" {
		t.Errorf("without /proc/stat: %s", got)
	}
}
