// Package policy decides who may use which capability, with casbin: the
// capabilities of each role live in the embedded model.conf and policy.csv,
// and a user's roles are handed in by the caller on every check.
package policy

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	stringadapter "github.com/casbin/casbin/v2/persist/string-adapter"
	"github.com/casbin/casbin/v2/util"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var policyText string

// globalDomain is the grouping domain of global roles; keyMatch lets it
// stand for every department, and it is also the domain of case-level checks.
const globalDomain = "*"

// Global roles hold in every domain; department roles only in their own.
var (
	globalRoles     = map[string]bool{"admin": true, "coordinator": true, "viewer": true, "reporter": true}
	departmentRoles = map[string]bool{"dept_head": true, "dept_officer": true}
)

// Enforcer answers capability checks for users whose roles the caller loads
// fresh from the database, so that a role change counts on the next request
// on every instance; it is safe for concurrent use.
//
// Why the extra lock around casbin: SyncedCachedEnforcer computes a decision
// under its own lock but stores it in the decision cache after releasing it,
// and keys it by (user, domain, capability) only. If a user's grouping lines
// were replaced and the cache cleared in that gap, a decision computed from
// the old lines would be stored after the clear and answered for the new
// version until the next clear. So mu guards both sides: every check holds mu
// for reading from the moment it compares the held version until its
// decision is stored, and every change of grouping lines holds mu for writing
// and clears the cache before releasing it. A change therefore never overlaps
// a check, which gives the invariant the cache relies on: every cached
// decision was computed from the lines held now for its user, and those lines
// are the ones of versions[user]. sync.RWMutex makes new readers wait once a
// writer waits, so a role change is not starved by a steady stream of checks.
type Enforcer struct {
	casbin       *casbin.SyncedCachedEnforcer
	capabilities map[string]bool // every capability policy.csv names; others are refused before casbin

	mu       sync.RWMutex
	versions map[int64]int64 // user id → rolesVersion whose grouping lines casbin holds
}

// New builds an enforcer from the embedded model and policy; it holds no
// user's roles until the first check for that user.
func New() (*Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("policy: model.conf: %w", err)
	}
	ce, err := casbin.NewSyncedCachedEnforcer(m, stringadapter.NewAdapter(policyText))
	if err != nil {
		return nil, fmt.Errorf("policy: policy.csv: %w", err)
	}
	// The string adapter cannot store changes (and its RemovePolicy empties
	// it): grouping lines live only in memory, and ForgetAll reloads from it.
	ce.EnableAutoSave(false)
	ce.AddNamedDomainMatchingFunc("g", "KeyMatch", util.KeyMatch)

	rules, err := ce.GetPolicy()
	if err != nil {
		return nil, fmt.Errorf("policy: policy.csv: %w", err)
	}
	if len(rules) == 0 {
		return nil, errors.New("policy: policy.csv grants nothing")
	}
	capabilities := make(map[string]bool, len(rules))
	for _, rule := range rules {
		if capability := rule[2]; capability != "*" {
			capabilities[capability] = true
		}
	}
	return &Enforcer{casbin: ce, capabilities: capabilities, versions: make(map[int64]int64)}, nil
}

// Allowed reports whether user userID, whose roles at version rolesVersion are roles
// (strings "role" or "role:department", e.g. "coordinator", "dept_head:transport"),
// may use capability in domain ("*" for case-level capabilities, else a department code).
func (e *Enforcer) Allowed(userID, rolesVersion int64, roles []string, domain, capability string) bool {
	// Refusing unknown names early keeps odd input out of the decision cache,
	// whose keys are the request fields joined by "$$".
	if !e.capabilities[capability] || (domain != globalDomain && !validDepartment(domain)) {
		return false
	}
	subject := subjectOf(userID)
	if allowed, held := e.allowedIfHeld(subject, userID, rolesVersion, domain, capability); held {
		return allowed
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.hold(subject, userID, rolesVersion, roles); err != nil {
		return false
	}
	return e.enforce(subject, domain, capability)
}

// AllowedAnywhere is Allowed in any domain the user holds a role in (for create/comment/rate, which a department role grants wherever it is held).
func (e *Enforcer) AllowedAnywhere(userID, rolesVersion int64, roles []string, capability string) bool {
	for _, domain := range domainsOf(roles) {
		if e.Allowed(userID, rolesVersion, roles, domain, capability) {
			return true
		}
	}
	return false
}

// Forget drops what the enforcer holds for one user (their grouping lines and cached decisions), so the next call reloads them.
func (e *Enforcer) Forget(userID int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	// An error here leaves stale lines in casbin, which is harmless: the
	// user is no longer in versions, so hold removes them before any check.
	_, _ = e.casbin.RemoveFilteredGroupingPolicy(0, subjectOf(userID))
	_ = e.casbin.InvalidateCache()
	delete(e.versions, userID)
}

// ForgetAll drops every user's grouping lines and the whole decision cache.
func (e *Enforcer) ForgetAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	// Reloading the embedded policy is the one call that drops every
	// grouping line at once. If it failed, the same reasoning as in Forget
	// applies: lines of users missing from versions are replaced before use.
	_ = e.casbin.LoadPolicy()
	_ = e.casbin.InvalidateCache()
	e.versions = make(map[int64]int64)
}

// allowedIfHeld answers from the lines held for the user, when they are of
// rolesVersion; held is false when the caller must replace them first.
func (e *Enforcer) allowedIfHeld(subject string, userID, rolesVersion int64, domain, capability string) (allowed, held bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if version, ok := e.versions[userID]; !ok || version != rolesVersion {
		return false, false
	}
	return e.enforce(subject, domain, capability), true
}

// hold makes casbin hold the user's grouping lines of rolesVersion; the
// caller holds mu for writing.
func (e *Enforcer) hold(subject string, userID, rolesVersion int64, roles []string) error {
	version, known := e.versions[userID]
	if known && version == rolesVersion {
		return nil // another check replaced them while this one waited for mu
	}
	err := e.replaceLines(subject, roles)
	if err != nil {
		// Some lines may have changed: drop every decision, and leave the
		// user unknown so that the next check replaces the lines again.
		delete(e.versions, userID)
		_ = e.casbin.InvalidateCache()
		return err
	}
	// An unknown user has no cached decisions (Forget and ForgetAll clear
	// the cache when they drop a user), so only a version change needs a
	// clear. Sparing the clear matters after ForgetAll, when every user's
	// next check passes here.
	if known {
		if err := e.casbin.InvalidateCache(); err != nil {
			delete(e.versions, userID)
			return err
		}
	}
	e.versions[userID] = rolesVersion
	return nil
}

// replaceLines swaps the user's grouping lines for those of roles.
func (e *Enforcer) replaceLines(subject string, roles []string) error {
	if _, err := e.casbin.RemoveFilteredGroupingPolicy(0, subject); err != nil {
		return err
	}
	lines := groupingLines(subject, roles)
	if len(lines) == 0 {
		return nil
	}
	_, err := e.casbin.AddGroupingPolicies(lines)
	return err
}

// enforce fails closed: a casbin error is a refusal.
func (e *Enforcer) enforce(subject, domain, capability string) bool {
	allowed, err := e.casbin.Enforce(subject, domain, capability)
	return err == nil && allowed
}

// subjectOf prefixes user ids so that a user can never be mistaken for a role.
func subjectOf(userID int64) string {
	return "u:" + strconv.FormatInt(userID, 10)
}

// groupingLines turns roles into casbin grouping lines, skipping unknown
// roles, a global role given a department and a department role given none:
// each would grant something nobody meant to grant.
func groupingLines(subject string, roles []string) [][]string {
	lines := make([][]string, 0, len(roles))
	for _, r := range roles {
		if role, domain, ok := parseRole(r); ok {
			lines = append(lines, []string{subject, role, domain})
		}
	}
	return lines
}

// domainsOf lists "*" and every department the roles are held in, which are
// the only domains where a capability can be granted to them.
func domainsOf(roles []string) []string {
	domains := []string{globalDomain}
	for _, r := range roles {
		if _, domain, ok := parseRole(r); ok && domain != globalDomain && !slices.Contains(domains, domain) {
			domains = append(domains, domain)
		}
	}
	return domains
}

// parseRole splits "role" or "role:department" and reports whether the
// pair is one this policy grants.
func parseRole(r string) (role, domain string, ok bool) {
	role, department, scoped := strings.Cut(r, ":")
	switch {
	case globalRoles[role] && !scoped:
		return role, globalDomain, true
	case departmentRoles[role] && scoped && validDepartment(department):
		return role, department, true
	default:
		return "", "", false
	}
}

// validDepartment keeps department codes to plain ASCII words, because a
// "*" in one would make keyMatch treat it as a pattern over other
// departments, and a "$" could collide with the cache's key separator.
func validDepartment(code string) bool {
	if code == "" {
		return false
	}
	for _, c := range code {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}
