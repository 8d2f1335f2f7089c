package workflow_test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"

	"casetrack/workflow"
)

// together runs n calls of do at once (as near as goroutines allow) and returns their errors.
func together(n int, do func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = do(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestOnlyOneOfManySimultaneousAcceptsApplies(t *testing.T) {
	w := newWorld(t)
	const n = 16
	logins := make([]string, n)
	for i := range logins {
		logins[i] = fmt.Sprintf("transport.officer%d", i)
		w.addUser(logins[i], workflow.Grant{Role: workflow.RoleDeptOfficer, Department: "transport"})
	}
	c, lead := w.leadIn(workflow.AssignmentPending)
	errs := together(n, func(i int) error {
		_, err := w.svc.ActOnAssignment(w.as(logins[i]), lead.ID, workflow.Accept{}, 0)
		return err
	})
	accepted := 0
	for i, err := range errs {
		switch code := workflow.ErrorCodeOf(err); {
		case err == nil:
			accepted++
		case code != workflow.ErrConflict:
			t.Errorf("%s: %v, want a conflict", logins[i], err)
		}
	}
	if accepted != 1 {
		t.Fatalf("%d accepts applied, want 1", accepted)
	}
	var accepts, autos int
	err := w.db.QueryRow(`SELECT count(*) FILTER (WHERE kind = 'accept' AND assignment_id = $2), count(*) FILTER (WHERE kind = 'auto' AND to_state = 'in_progress')
		FROM events WHERE case_id = $1`, c.ID, lead.ID).Scan(&accepts, &autos)
	if err != nil {
		t.Fatal(err)
	}
	if accepts != 1 || autos != 1 {
		t.Fatalf("%d accept events and %d automatic moves to in_progress, want 1 each", accepts, autos)
	}
	if got := w.get(c); got.Status != workflow.CaseInProgress || got.Assignments[0].Version != 2 {
		t.Fatalf("case %s, assignment at version %d; want in_progress and version 2", got.Status, got.Assignments[0].Version)
	}
}

func TestARepeatedIdempotencyKeyFilesOneCase(t *testing.T) {
	w := newWorld(t)
	const n = 8
	in := workflow.NewCase{Title: "秀湖公园站缺少接驳小巴", Location: workflow.Location{Address: "秀湖公园站"}}
	idem := &workflow.Idempotency{Key: "operator-2026-11-25-001", RequestHash: []byte("hash of the body")}
	ids := make([]int64, n)
	replays := make([]bool, n)
	errs := together(n, func(i int) error {
		c, replayed, err := w.svc.CreateCase(w.as("operator"), in, idem)
		if err == nil {
			ids[i], replays[i] = c.ID, replayed
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if slices.ContainsFunc(ids, func(id int64) bool { return id != ids[0] }) {
		t.Fatalf("the requests got cases %v, want one", ids)
	}
	if first := slices.Index(replays, false); first < 0 || slices.Contains(replays[first+1:], false) {
		t.Fatalf("replayed %v, want exactly one first request", replays)
	}
	var cases int
	if err := w.db.QueryRow(`SELECT count(*) FROM cases`).Scan(&cases); err != nil || cases != 1 {
		t.Fatalf("%d cases (%v), want 1", cases, err)
	}
	other := &workflow.Idempotency{Key: idem.Key, RequestHash: []byte("hash of another body")}
	_, _, err := w.svc.CreateCase(w.as("operator"), workflow.NewCase{Title: "另一个问题"}, other)
	if e := wantCode(t, err, workflow.ErrInvalid); !slices.Equal(fieldNames(e), []string{"Idempotency-Key"}) {
		t.Fatalf("fields %v", fieldNames(e))
	}
}

func TestSimultaneousCasesGetConsecutiveReferences(t *testing.T) {
	w := newWorld(t)
	const n = 20
	refs := make([]string, n)
	errs := together(n, func(i int) error {
		login := []string{"operator", "resident", "coordinator", "transport.head"}[i%4]
		c, _, err := w.svc.CreateCase(w.as(login), workflow.NewCase{Title: fmt.Sprintf("第%d号问题", i)}, nil)
		if err == nil {
			refs[i] = c.Ref
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	pattern := regexp.MustCompile(fmt.Sprintf(`^CT-%d-(\d{6})$`, w.now.Year()))
	var numbers []int
	for _, ref := range refs {
		m := pattern.FindStringSubmatch(ref)
		if m == nil {
			t.Fatalf("ref %q does not match %s", ref, pattern)
		}
		n, _ := strconv.Atoi(m[1])
		numbers = append(numbers, n)
	}
	slices.Sort(numbers)
	for i, number := range numbers {
		if number != i+1 {
			t.Fatalf("numbers %v, want 1 to %d, each once", numbers, n)
		}
	}
}
