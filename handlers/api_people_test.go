package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"casetrack/workflow"
)

func TestMeDescribesTheCaller(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for login, want := range map[string][]workflow.Grant{
		"transport.head": {{Role: workflow.RoleDeptHead, Department: "transport"}},
		"admin":          {{Role: workflow.RoleAdmin, Department: ""}},
	} {
		var me struct {
			ID     int64
			Login  string
			Locale string
			Roles  []workflow.Grant
		}
		e.call(login, http.MethodGet, "/api/v1/me", nil).want(t, http.StatusOK).decode(t, &me)
		if me.ID != e.ids[login] || me.Login != login || me.Locale != "zh-CN" || !slices.EqualFunc(me.Roles, want, sameGrant) {
			t.Errorf("me as %s: %+v", login, me)
		}
	}
}

func sameGrant(a, b workflow.Grant) bool { return a.Role == b.Role && a.Department == b.Department }

func TestLoginAndLogoutThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var sess workflow.Session
	loginAs(e, "coordinator", password, "").want(t, http.StatusOK).decode(t, &sess)
	if sess.Token == "" || sess.User.Login != "coordinator" || !sess.ExpiresAt.After(e.now()) {
		t.Fatalf("session: %+v", sess)
	}
	bearer := "Bearer " + sess.Token
	e.call("", http.MethodGet, "/api/v1/me", nil, "Authorization", bearer).want(t, http.StatusOK)
	e.call("", http.MethodPost, "/api/v1/auth/logout", nil, "Authorization", bearer).want(t, http.StatusNoContent)
	e.call("", http.MethodGet, "/api/v1/me", nil, "Authorization", bearer).want(t, http.StatusUnauthorized)
	e.call("coordinator", http.MethodGet, "/api/v1/me", nil).want(t, http.StatusOK) // other tokens live on
}

func TestAdministratorsManageDepartments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	water := map[string]string{"code": "water", "name": "区水利局", "email": "water@bishan.gov.cn"}
	var created workflow.Department
	e.call("admin", http.MethodPost, "/api/v1/departments", water).want(t, http.StatusCreated).decode(t, &created)
	if created != (workflow.Department{Code: "water", Name: "区水利局", Email: "water@bishan.gov.cn"}) {
		t.Errorf("created %+v", created)
	}
	wantProblem(t, e.call("admin", http.MethodPost, "/api/v1/departments", water), http.StatusConflict, "conflict")
	wantProblem(t, e.call("admin", http.MethodPost, "/api/v1/departments", map[string]string{"code": "Water Bureau", "name": ""}), http.StatusUnprocessableEntity, "invalid")
	var list struct{ Items []workflow.Department }
	e.call("operator", http.MethodGet, "/api/v1/departments", nil).want(t, http.StatusOK).decode(t, &list)
	codes := []string{}
	for _, d := range list.Items {
		codes = append(codes, d.Code)
	}
	if !slices.Equal(codes, []string{"citymgmt", "ndrc", "police", "transport", "water"}) {
		t.Errorf("departments %v", codes)
	}
}

func TestAdministratorsManageUsersAndChangesApplyAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var u workflow.User
	e.call("admin", http.MethodPost, "/api/v1/users", map[string]any{"login": "ndrc.officer", "name": "发改委经办人", "email": "officer@ndrc.bishan.gov.cn",
		"password": "a-long-password", "locale": "en", "roles": []workflow.Grant{{Role: workflow.RoleDeptOfficer, Department: "ndrc"}}}).
		want(t, http.StatusCreated).decode(t, &u)
	if u.Login != "ndrc.officer" || !u.Active || u.Locale != "en" || len(u.Roles) != 1 || u.Roles[0].Department != "ndrc" {
		t.Errorf("created %+v", u)
	}
	loginAs(e, "ndrc.officer", "a-long-password", "").want(t, http.StatusOK)
	wantProblem(t, e.call("admin", http.MethodPost, "/api/v1/users", map[string]any{"login": "ndrc.officer", "name": "重复", "password": "a-long-password"}), http.StatusConflict, "conflict")
	wantProblem(t, e.call("admin", http.MethodPost, "/api/v1/users", map[string]any{"login": "x", "name": "x", "password": "short",
		"roles": []workflow.Grant{{Role: workflow.RoleDeptHead}}}), http.StatusUnprocessableEntity, "invalid")

	// A transport officer moves to the police: what they see changes on their next request.
	c, _ := e.caseWithLead("刘家嘴站围栏阻挡行人")
	casePath := fmt.Sprintf("/api/v1/cases/%d", c.ID)
	e.call("transport.officer", http.MethodGet, casePath, nil).want(t, http.StatusOK)
	userPath := fmt.Sprintf("/api/v1/users/%d", e.ids["transport.officer"])
	e.call("admin", http.MethodPatch, userPath, map[string]any{"roles": []workflow.Grant{{Role: workflow.RoleDeptOfficer, Department: "police"}}}).want(t, http.StatusOK)
	e.call("transport.officer", http.MethodGet, casePath, nil).want(t, http.StatusNotFound)

	// Deactivated, they are signed out everywhere.
	e.call("admin", http.MethodPatch, userPath, map[string]any{"active": false}).want(t, http.StatusOK)
	e.call("transport.officer", http.MethodGet, "/api/v1/me", nil).want(t, http.StatusUnauthorized)
	loginAs(e, "transport.officer", password, "").want(t, http.StatusUnauthorized)

	// An administrator can subscribe a user again after they unsubscribed.
	var patched workflow.User
	e.call("admin", http.MethodPatch, userPath, map[string]any{"digest_opt_out": true}).want(t, http.StatusOK).decode(t, &patched)
	if !patched.DigestOptOut {
		t.Errorf("after opting out: %+v", patched)
	}
	e.call("admin", http.MethodPatch, userPath, map[string]any{"digest_opt_out": false}).want(t, http.StatusOK).decode(t, &patched)
	if patched.DigestOptOut {
		t.Errorf("after subscribing again: %+v", patched)
	}

	var users struct{ Items []workflow.User }
	e.call("admin", http.MethodGet, "/api/v1/users", nil).want(t, http.StatusOK).decode(t, &users)
	if len(users.Items) != len(fixtureUsers)+1 {
		t.Errorf("%d users listed", len(users.Items))
	}
}
