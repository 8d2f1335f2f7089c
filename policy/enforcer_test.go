package policy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The spec's capability table, written out independently of policy.csv so
// that a wrong line there fails here. admin is absent: it may do everything.
var (
	caseCapabilities       = []string{"triage", "reject", "dispatch", "close", "reopen", "rate", "create", "comment", "comment_internal", "read_all", "digest_preview", "manage"}
	assignmentCapabilities = []string{"accept", "decline", "progress", "request_extension", "complete", "grant_extension", "deny_extension", "confirm", "return", "cancel", "urge"}

	grantedTo = map[string][]string{
		"triage":            {"coordinator"},
		"reject":            {"coordinator"},
		"dispatch":          {"coordinator"},
		"close":             {"coordinator"},
		"reopen":            {"coordinator"},
		"rate":              {"coordinator", "reporter", "dept_head", "dept_officer"},
		"create":            {"coordinator", "reporter", "dept_head", "dept_officer"},
		"comment":           {"coordinator", "reporter", "dept_head", "dept_officer"},
		"comment_internal":  {"coordinator", "dept_head", "dept_officer"},
		"read_all":          {"coordinator", "viewer"},
		"digest_preview":    {"coordinator"},
		"manage":            {},
		"accept":            {"dept_head", "dept_officer"},
		"decline":           {"dept_head"},
		"progress":          {"dept_head", "dept_officer"},
		"request_extension": {"dept_head", "dept_officer"},
		"complete":          {"dept_head"},
		"grant_extension":   {"coordinator"},
		"deny_extension":    {"coordinator"},
		"confirm":           {"coordinator"},
		"return":            {"coordinator"},
		"cancel":            {"coordinator"},
		"urge":              {"coordinator"},
	}
)

func newEnforcer(t testing.TB) *Enforcer {
	t.Helper()
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// expected is the spec's answer: admin may do everything anywhere; any other
// role may use what it is granted, a global role in every domain and a
// department role only in its own department.
func expected(grant, domain, capability string) bool {
	role, department, scoped := strings.Cut(grant, ":")
	if role == "admin" {
		return true
	}
	return slices.Contains(grantedTo[capability], role) && (!scoped || domain == department)
}

func TestEveryRoleEveryCapabilityEveryDomain(t *testing.T) {
	e := newEnforcer(t)
	grants := []string{"admin", "coordinator", "viewer", "reporter", "dept_head:transport", "dept_officer:transport"}
	domains := []string{"*", "transport", "police"}
	capabilities := slices.Concat(caseCapabilities, assignmentCapabilities)
	if len(grantedTo) != len(capabilities) {
		t.Fatalf("the test's table names %d capabilities, the lists %d", len(grantedTo), len(capabilities))
	}
	for i, grant := range grants {
		userID := int64(i + 1)
		roles := []string{grant}
		for _, capability := range capabilities {
			for _, domain := range domains {
				if got, want := e.Allowed(userID, 1, roles, domain, capability), expected(grant, domain, capability); got != want {
					t.Errorf("%s: Allowed(%s in %s) = %v, want %v", grant, capability, domain, got, want)
				}
			}
			want := slices.ContainsFunc(domains, func(d string) bool { return expected(grant, d, capability) })
			if got := e.AllowedAnywhere(userID, 1, roles, capability); got != want {
				t.Errorf("%s: AllowedAnywhere(%s) = %v, want %v", grant, capability, got, want)
			}
		}
	}
}

func TestPolicyNamesNoCapabilityTheSpecDoesNot(t *testing.T) {
	e := newEnforcer(t)
	for capability := range e.capabilities {
		if _, ok := grantedTo[capability]; !ok {
			t.Errorf("policy.csv grants %q, which the spec does not name", capability)
		}
	}
}

func TestOfficerCannotComplete(t *testing.T) {
	e := newEnforcer(t)
	officer := []string{"dept_officer:transport"}
	if e.Allowed(1, 1, officer, "transport", "complete") || e.Allowed(1, 1, officer, "transport", "decline") {
		t.Error("an officer may complete or decline; only the head may")
	}
	if !e.Allowed(1, 1, officer, "transport", "progress") {
		t.Error("an officer may not post progress in their own department")
	}
}

func TestPoliceHeadCannotActOnTransportAssignment(t *testing.T) {
	e := newEnforcer(t)
	head := []string{"dept_head:police"}
	for _, capability := range assignmentCapabilities {
		if e.Allowed(1, 1, head, "transport", capability) {
			t.Errorf("the police head may %s a transport assignment", capability)
		}
	}
	if !e.Allowed(1, 1, head, "police", "complete") {
		t.Error("the police head may not complete a police assignment")
	}
}

func TestDepartmentRoleGrantsNoCaseLevelCapabilityGlobally(t *testing.T) {
	e := newEnforcer(t)
	head := []string{"dept_head:transport"}
	if e.Allowed(1, 1, head, "*", "comment_internal") || e.Allowed(1, 1, head, "*", "create") {
		t.Error(`a department role grants in domain "*"; it must count only in its department`)
	}
	if !e.AllowedAnywhere(1, 1, head, "comment_internal") || !e.AllowedAnywhere(1, 1, head, "create") {
		t.Error("a department role does not grant its case-level capabilities anywhere")
	}
}

func TestAdminMayDoEverything(t *testing.T) {
	e := newEnforcer(t)
	for _, capability := range slices.Concat(caseCapabilities, assignmentCapabilities) {
		for _, domain := range []string{"*", "transport"} {
			if !e.Allowed(1, 1, []string{"admin"}, domain, capability) {
				t.Errorf("admin may not %s in %s", capability, domain)
			}
		}
	}
}

func TestViewerMayOnlyReadAll(t *testing.T) {
	e := newEnforcer(t)
	for _, capability := range slices.Concat(caseCapabilities, assignmentCapabilities) {
		if got := e.AllowedAnywhere(1, 1, []string{"viewer"}, capability); got != (capability == "read_all") {
			t.Errorf("viewer: %s = %v", capability, got)
		}
	}
}

func TestRolesThatGrantNothingAreIgnored(t *testing.T) {
	e := newEnforcer(t)
	odd := []string{"", "root", "Coordinator", "dept_head", "coordinator:transport", "dept_head:*", "dept_head:tr*", "dept_officer:a$$b", "dept_head:"}
	for _, capability := range slices.Concat(caseCapabilities, assignmentCapabilities) {
		for _, domain := range []string{"*", "transport", "tr", "a"} {
			if e.Allowed(1, 1, odd, domain, capability) {
				t.Errorf("%v may %s in %s", odd, capability, domain)
			}
		}
	}
	// Ignored entries must not spoil the valid ones beside them.
	if !e.Allowed(2, 1, append(odd, "dept_head:transport"), "transport", "complete") {
		t.Error("a valid role next to ignored ones grants nothing")
	}
}

func TestUnknownCapabilityOrDomainIsRefused(t *testing.T) {
	e := newEnforcer(t)
	admin := []string{"admin"}
	for _, c := range []struct{ domain, capability string }{
		{"*", "fly"}, {"*", ""}, {"*", "*"}, {"", "triage"}, {"a$$b", "triage"}, {"tr*", "triage"},
	} {
		if e.Allowed(1, 1, admin, c.domain, c.capability) {
			t.Errorf("admin may %q in %q", c.capability, c.domain)
		}
	}
}

// mayComplete asks whether the user may complete a transport assignment,
// the one capability that tells a head from an officer.
func mayComplete(e *Enforcer, userID, version int64, roles ...string) bool {
	return e.Allowed(userID, version, roles, "transport", "complete")
}

func TestRevokedRoleCountsAtOnce(t *testing.T) {
	e := newEnforcer(t)
	if !mayComplete(e, 7, 1, "dept_head:transport") {
		t.Fatal("the head may not complete")
	}
	if mayComplete(e, 7, 2, "dept_officer:transport") {
		t.Error("after dept_head was revoked (version 2), the user may still complete")
	}
	if e.Allowed(7, 3, nil, "transport", "progress") || e.AllowedAnywhere(7, 3, nil, "comment") {
		t.Error("after every role was revoked (version 3), the user may still act")
	}
}

func TestGrantedRoleCountsAtOnce(t *testing.T) {
	e := newEnforcer(t)
	if e.Allowed(7, 1, []string{"viewer"}, "*", "triage") {
		t.Fatal("a viewer may triage")
	}
	if !e.Allowed(7, 2, []string{"viewer", "coordinator"}, "*", "triage") {
		t.Error("after coordinator was granted (version 2), the user may not triage")
	}
}

func TestRoleChangeLeavesOtherUsersAlone(t *testing.T) {
	e := newEnforcer(t)
	mayComplete(e, 1, 1, "dept_head:transport")
	mayComplete(e, 2, 1, "dept_head:transport")
	mayComplete(e, 1, 2)
	if !mayComplete(e, 2, 1, "dept_head:transport") {
		t.Error("revoking user 1's role took user 2's")
	}
}

func TestForgetReloadsOneUsersRoles(t *testing.T) {
	e := newEnforcer(t)
	mayComplete(e, 1, 1, "dept_head:transport")
	mayComplete(e, 2, 1, "dept_head:transport")
	// With the version unchanged the enforcer keeps what it holds...
	if !mayComplete(e, 1, 1) {
		t.Fatal("an unchanged version reloaded the roles")
	}
	// ...until it is told to forget.
	e.Forget(1)
	if mayComplete(e, 1, 1) {
		t.Error("after Forget the user still holds the roles they had")
	}
	if !mayComplete(e, 2, 1) {
		t.Error("Forget(1) made user 2 reload")
	}
}

func TestForgetAllReloadsEveryoneAndKeepsThePolicy(t *testing.T) {
	e := newEnforcer(t)
	e.Allowed(1, 1, []string{"coordinator"}, "transport", "urge")
	mayComplete(e, 2, 1, "dept_head:transport")
	e.ForgetAll()
	if e.Allowed(1, 1, nil, "transport", "urge") || mayComplete(e, 2, 1) {
		t.Error("after ForgetAll a user still holds the roles they had")
	}
	e.ForgetAll()
	if !e.Allowed(1, 1, []string{"coordinator"}, "transport", "urge") {
		t.Error("after ForgetAll a global role no longer counts in a department")
	}
	if !mayComplete(e, 2, 1, "dept_head:transport") || e.Allowed(2, 1, []string{"dept_head:transport"}, "police", "complete") {
		t.Error("after ForgetAll a department role is not limited to its department")
	}
}

// TestConcurrentChecksAnswerForTheirOwnVersion runs checks for the same users
// with alternating versions next to Forget and ForgetAll: odd versions make
// a user head of transport, even ones officer. Every answer must match the
// version its call carried; a decision cached under the wrong version shows
// up as a head refused or an officer let through.
func TestConcurrentChecksAnswerForTheirOwnVersion(t *testing.T) {
	e := newEnforcer(t)
	const workers, checks, users = 8, 2000, 3
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range checks {
				userID, version := rng.Int64N(users), rng.Int64N(4)
				switch rng.IntN(50) {
				case 0:
					e.Forget(userID)
				case 1:
					e.ForgetAll()
				}
				role := "dept_officer:transport"
				if version%2 == 1 {
					role = "dept_head:transport"
				}
				if got, want := mayComplete(e, userID, version, role), version%2 == 1; got != want {
					t.Errorf("user %d at version %d (%s): complete = %v", userID, version, role, got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkAllowed measures the steady state: the version is unchanged and
// the decision is cached, as on nearly every request.
func BenchmarkAllowed(b *testing.B) {
	e := newEnforcer(b)
	roles := []string{"dept_officer:police", "dept_head:transport"}
	e.Allowed(42, 1, roles, "transport", "complete")
	for b.Loop() {
		if !e.Allowed(42, 1, roles, "transport", "complete") {
			b.Fatal("refused")
		}
	}
}

// BenchmarkAllowedParallel is the steady state with every core checking, to
// show what the shared read lock costs under contention.
func BenchmarkAllowedParallel(b *testing.B) {
	e := newEnforcer(b)
	roles := []string{"dept_head:transport"}
	for userID := range int64(100) {
		e.Allowed(userID, 1, roles, "transport", "complete")
	}
	b.RunParallel(func(pb *testing.PB) {
		userID := rand.Int64N(100)
		for pb.Next() {
			e.Allowed(userID, 1, roles, "transport", "complete")
		}
	})
}

// BenchmarkAllowedAfterRoleChange is the price of a check right after a role
// change: replace the user's lines, clear the cache, evaluate the matcher.
func BenchmarkAllowedAfterRoleChange(b *testing.B) {
	e := newEnforcer(b)
	for userID := range int64(50) {
		e.Allowed(userID, 1, []string{fmt.Sprintf("dept_head:d%d", userID), "reporter"}, "*", "create")
	}
	roles := [][]string{{"dept_head:transport"}, {"dept_officer:transport"}}
	version := int64(0)
	for b.Loop() {
		version++
		e.Allowed(42, version, roles[version%2], "transport", "complete")
	}
}
