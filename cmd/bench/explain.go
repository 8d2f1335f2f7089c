package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// planNode is the part of EXPLAIN (FORMAT JSON) the bench reads.
type planNode struct {
	NodeType    string     `json:"Node Type"`
	Relation    string     `json:"Relation Name"`
	Index       string     `json:"Index Name"`
	Strategy    string     `json:"Strategy"`
	JoinType    string     `json:"Join Type"`
	SubplanName string     `json:"Subplan Name"`
	PlanRows    float64    `json:"Plan Rows"`
	ActualRows  float64    `json:"Actual Rows"`
	ActualLoops float64    `json:"Actual Loops"`
	ActualTotal float64    `json:"Actual Total Time"`
	RowsRemoved float64    `json:"Rows Removed by Filter"`
	Plans       []planNode `json:"Plans"`
}

// explained is one statement of a request and its plan.
type explained struct {
	SQL       string
	Plan      planNode
	Execution float64 // ms
	// TimedOut: EXPLAIN ANALYZE ran longer than explainTimeLimit; the plan is the planner's estimate.
	TimedOut bool
	SeqScans []string
}

// explainTimeLimit bounds each EXPLAIN ANALYZE; a slower statement is explained without ANALYZE.
const explainTimeLimit = 20 * time.Second

// requestPlans is the plans of the statements one request ran.
type requestPlans struct {
	Name string
	// Filtered: a filtered page of cases, where a sequential scan of cases or events fails the bench.
	Filtered   bool
	Statements []explained
	// Failure is how the captured request itself failed, if it did (e.g. a statement timeout).
	Failure string
}

// noteFailure records the captured request's error, if any.
func (rp *requestPlans) noteFailure(err error) {
	if err != nil {
		rp.Failure = firstLine(err.Error())
		say("    %s failed: %s", rp.Name, rp.Failure)
	}
}

// explainRequest explains every read statement of a captured request,
// executing it (EXPLAIN ANALYZE) with the parameters it was sent with.
func explainRequest(ctx context.Context, db *sqlx.DB, name string, filtered bool, stmts []statement) (requestPlans, error) {
	rp := requestPlans{Name: name, Filtered: filtered}
	conn, err := db.Connx(ctx)
	if err != nil {
		return rp, err
	}
	defer conn.Close()
	// The connection goes back to the pool: the limit must not outlive the explaining.
	defer conn.ExecContext(context.WithoutCancel(ctx), `RESET statement_timeout`) //nolint:errcheck // best effort
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`SET statement_timeout = %d`, explainTimeLimit.Milliseconds())); err != nil {
		return rp, err
	}
	for _, st := range stmts {
		head := strings.ToUpper(strings.TrimSpace(st.SQL))
		if !strings.HasPrefix(head, "SELECT") && !strings.HasPrefix(head, "WITH") {
			continue
		}
		var raw []byte
		timedOut := false
		err := conn.QueryRowxContext(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+st.SQL, st.args()...).Scan(&raw)
		if pqErr, ok := err.(*pq.Error); ok && pqErr.Code == "57014" { // query_canceled: the time limit
			timedOut = true
			err = conn.QueryRowxContext(ctx, "EXPLAIN (FORMAT JSON) "+st.SQL, st.args()...).Scan(&raw)
		}
		if err != nil {
			return rp, fmt.Errorf("EXPLAIN %s: %w", st.oneLine(), err)
		}
		var out []struct {
			Plan      planNode `json:"Plan"`
			Execution float64  `json:"Execution Time"`
		}
		if err := json.Unmarshal(raw, &out); err != nil || len(out) == 0 {
			return rp, fmt.Errorf("reading the plan of %s: %v", st.oneLine(), err)
		}
		e := explained{SQL: st.oneLine(), Plan: out[0].Plan, Execution: out[0].Execution, TimedOut: timedOut}
		if timedOut {
			e.Execution = float64(explainTimeLimit.Milliseconds())
		}
		walk(e.Plan, func(n planNode) {
			if strings.HasSuffix(n.NodeType, "Seq Scan") && (n.Relation == "cases" || n.Relation == "events") {
				e.SeqScans = append(e.SeqScans, n.Relation)
			}
		})
		rp.Statements = append(rp.Statements, e)
	}
	return rp, nil
}

func walk(n planNode, fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		walk(c, fn)
	}
}

// slowest is the statement that took longest.
func (rp requestPlans) slowest() (explained, bool) {
	var best explained
	found := false
	for _, e := range rp.Statements {
		if !found || e.Execution > best.Execution {
			best, found = e, true
		}
	}
	return best, found
}

// total is the time of every statement together, ms.
func (rp requestPlans) total() float64 {
	t := 0.0
	for _, e := range rp.Statements {
		t += e.Execution
	}
	return t
}

// seqScans lists the statements that scan cases or events sequentially.
func (rp requestPlans) seqScans() []explained {
	var out []explained
	for _, e := range rp.Statements {
		if len(e.SeqScans) > 0 {
			out = append(out, e)
		}
	}
	return out
}

// shape writes a plan as an indented tree: node, relation, index, rows.
func shape(n planNode, indent string, b *strings.Builder) {
	b.WriteString(indent + n.NodeType)
	if n.Strategy != "" && n.NodeType == "Aggregate" {
		b.WriteString(" (" + n.Strategy + ")")
	}
	if n.JoinType != "" && n.JoinType != "Inner" {
		b.WriteString(" (" + n.JoinType + ")")
	}
	if n.Index != "" {
		b.WriteString(" using " + n.Index)
	}
	if n.Relation != "" {
		b.WriteString(" on " + n.Relation)
	}
	if n.SubplanName != "" {
		b.WriteString(" [" + n.SubplanName + "]")
	}
	if n.ActualLoops == 0 { // not executed, or explained without ANALYZE
		fmt.Fprintf(b, "  estimated rows=%.0f\n", n.PlanRows)
		for _, c := range n.Plans {
			shape(c, indent+"  ", b)
		}
		return
	}
	fmt.Fprintf(b, "  rows=%.0f", n.ActualRows)
	if n.ActualLoops > 1 {
		fmt.Fprintf(b, " loops=%.0f", n.ActualLoops)
	}
	if n.RowsRemoved > 0 {
		fmt.Fprintf(b, " removed=%.0f", n.RowsRemoved)
	}
	fmt.Fprintf(b, "  %.2f ms\n", n.ActualTotal)
	for _, c := range n.Plans {
		shape(c, indent+"  ", b)
	}
}
