package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/workflowtest"
)

func TestDepartmentAddCreatesADepartment(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": workflowtest.NewURL(t)}
	r := runCommand(t, vars, "", "department", "add", "--code", "transport", "--name", "区交通局", "--email", "transport@bishan.example.gov.cn").mustSucceed(t)
	if r.stdout != "created department transport (区交通局)\n" {
		t.Errorf("stdout = %q", r.stdout)
	}
	depts, err := openTestBackend(t, vars["DATABASE_URL"]).service(nil).Departments(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []workflow.Department{{Code: "transport", Name: "区交通局", Email: "transport@bishan.example.gov.cn"}}
	if !slices.Equal(depts, want) {
		t.Errorf("departments = %+v, want %+v", depts, want)
	}
}

func TestDepartmentAddRejectsBadInput(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": workflowtest.NewURL(t)}
	runCommand(t, vars, "", "department", "add", "--code", "police", "--name", "区公安局").mustSucceed(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"duplicate code", []string{"--code", "police", "--name", "区公安局"}, exitError, "department police already exists"},
		{"code not ASCII", []string{"--code", "公安", "--name", "区公安局"}, exitError, "code: must be"},
		{"bad email", []string{"--code", "ndrc", "--name", "区发展改革委", "--email", "ndrc at bishan"}, exitError, "email: must be an email address"},
		{"no name", []string{"--code", "ndrc"}, exitUsage, "missing --name"},
		{"no flags", nil, exitUsage, "missing --code, --name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runCommand(t, vars, "", append([]string{"department", "add"}, tc.args...)...).mustFail(t, tc.code, tc.want)
		})
	}
}

func TestUserAddCreatesAUserWhoCanSignIn(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": workflowtest.NewURL(t)}
	runCommand(t, vars, "", "department", "add", "--code", "transport", "--name", "区交通局").mustSucceed(t)
	r := runCommand(t, vars, "long-enough-secret\n", "user", "add", "--login", "zhaogang", "--name", "区交通局 赵刚",
		"--email", "zhaogang@bishan.example.gov.cn", "--role", "dept_head:transport", "--role", "coordinator",
		"--locale", "en", "--password-stdin").mustSucceed(t)
	if want := "with roles coordinator,dept_head:transport\n"; !strings.HasSuffix(r.stdout, want) {
		t.Errorf("stdout = %q, want it to end %q", r.stdout, want)
	}

	svc := openTestBackend(t, vars["DATABASE_URL"]).service(nil)
	session, err := svc.Login(context.Background(), "zhaogang", "long-enough-secret", workflow.TokenAPI, time.Hour)
	if err != nil {
		t.Fatalf("the new user cannot sign in: %v", err)
	}
	u := session.User
	got := make([]string, len(u.Roles))
	for i, g := range u.Roles {
		got[i] = g.String()
	}
	if u.Name != "区交通局 赵刚" || u.Email != "zhaogang@bishan.example.gov.cn" || u.Locale != "en" ||
		!slices.Equal(got, []string{"coordinator", "dept_head:transport"}) {
		t.Errorf("user = %+v, roles %v", u, got)
	}
}

func TestUserAddRejectsBadInput(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": workflowtest.NewURL(t)}
	runCommand(t, vars, "", "department", "add", "--code", "police", "--name", "区公安局").mustSucceed(t)
	runCommand(t, vars, "demo-password\n", "user", "add", "--login", "wuqiang", "--name", "吴强", "--email", "wuqiang@bishan.example.gov.cn",
		"--role", "dept_head:police", "--password-stdin").mustSucceed(t)
	user := func(login, role string) []string {
		return []string{"--login", login, "--name", "郑磊", "--email", "zhenglei@bishan.example.gov.cn", "--role", role}
	}
	for _, tc := range []struct {
		name     string
		args     []string
		password string
		code     int
		want     string
	}{
		{"taken login", append(user("wuqiang", "dept_officer:police"), "--password-stdin"), "demo-password\n", exitError, "login wuqiang is taken"},
		{"unknown role", append(user("zhenglei", "officer:police"), "--password-stdin"), "demo-password\n", exitError, "unknown role officer"},
		{"department role without department", append(user("zhenglei", "dept_officer"), "--password-stdin"), "demo-password\n", exitError, "dept_officer needs a department"},
		{"global role with department", append(user("zhenglei", "viewer:police"), "--password-stdin"), "demo-password\n", exitError, "viewer is a global role"},
		{"unknown department", append(user("zhenglei", "dept_officer:traffic"), "--password-stdin"), "demo-password\n", exitError, "no department traffic"},
		{"short password", append(user("zhenglei", "dept_officer:police"), "--password-stdin"), "short\n", exitError, "password: must be 8 to 72 bytes long"},
		{"no password on stdin", append(user("zhenglei", "dept_officer:police"), "--password-stdin"), "", exitError, "no password on standard input"},
		{"password as an argument", user("zhenglei", "dept_officer:police"), "demo-password\n", exitUsage, "give --password-stdin"},
		{"no role", []string{"--login", "zhenglei", "--name", "郑磊", "--email", "zhenglei@bishan.example.gov.cn", "--password-stdin"}, "demo-password\n", exitUsage, "missing --role"},
		{"no email", []string{"--login", "zhenglei", "--name", "郑磊", "--role", "viewer", "--password-stdin"}, "demo-password\n", exitUsage, "missing --email"},
		{"bad email", append(user("zhenglei", "dept_officer:police"), "--email", "zhenglei", "--password-stdin"), "demo-password\n", exitError, "email: must be an email address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runCommand(t, vars, tc.password, append([]string{"user", "add"}, tc.args...)...).mustFail(t, tc.code, tc.want)
		})
	}
}
