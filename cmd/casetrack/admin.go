package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"casetrack/workflow"
)

// grantsFlag collects repeated --role ROLE[:DEPARTMENT] flags.
type grantsFlag []workflow.Grant

// String lists the roles as the flags give them.
func (g *grantsFlag) String() string {
	parts := make([]string, len(*g))
	for i, grant := range *g {
		parts[i] = grant.String()
	}
	return strings.Join(parts, ",")
}

// Set adds one role; the service checks the role and department names.
func (g *grantsFlag) Set(v string) error {
	role, department, _ := strings.Cut(v, ":")
	if role == "" {
		return errors.New("want ROLE or ROLE:DEPARTMENT")
	}
	*g = append(*g, workflow.Grant{Role: workflow.Role(role), Department: department})
	return nil
}

// userAddCommand creates a user, with the password read from standard input
// so that it shows neither in the shell history nor in the process list.
func userAddCommand(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("user add")
	var in workflow.NewUser
	fs.StringVar(&in.Login, "login", "", "login name (required)")
	fs.StringVar(&in.Name, "name", "", "full name, as colleagues know it (required)")
	fs.StringVar(&in.Email, "email", "", "email address, for digests (required)")
	fs.StringVar(&in.Locale, "locale", "", "language: zh-CN (default) or en")
	fs.Var((*grantsFlag)(&in.Roles), "role", "ROLE or ROLE:DEPARTMENT, e.g. coordinator or dept_head:transport; repeat for several (at least one)")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from standard input (required)")
	cfg, err := parseFlags(fs, args, e)
	if err != nil {
		return err
	}
	if err := requireFlags(map[string]bool{"--login": in.Login != "", "--name": in.Name != "", "--email": in.Email != "", "--role": len(in.Roles) > 0}); err != nil {
		return err
	}
	if !*passwordStdin {
		return usageErrorf("give --password-stdin and the password on standard input; a password is never taken as an argument")
	}
	if in.Password, err = readPassword(e.stdin); err != nil {
		return err
	}
	return withBackend(ctx, cfg, func(b *backend) error {
		u, err := b.service(nil).CreateUser(workflow.Trusted(ctx), in)
		if err != nil {
			return err
		}
		roles := grantsFlag(u.Roles)
		fmt.Fprintf(e.stdout, "created user %s (id %d, %s) with roles %s\n", u.Login, u.ID, u.Name, roles.String())
		return nil
	})
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", errors.New("no password on standard input")
	}
	return password, nil
}

// departmentAddCommand creates a department.
func departmentAddCommand(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("department add")
	var d workflow.Department
	fs.StringVar(&d.Code, "code", "", "stable ASCII code, e.g. transport (required)")
	fs.StringVar(&d.Name, "name", "", "name, e.g. 区交通局 (required)")
	fs.StringVar(&d.Email, "email", "", "address the department's weekly digest goes to")
	cfg, err := parseFlags(fs, args, e)
	if err != nil {
		return err
	}
	if err := requireFlags(map[string]bool{"--code": d.Code != "", "--name": d.Name != ""}); err != nil {
		return err
	}
	return withBackend(ctx, cfg, func(b *backend) error {
		created, err := b.service(nil).CreateDepartment(workflow.Trusted(ctx), d)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created department %s (%s)\n", created.Code, created.Name)
		return nil
	})
}

// requireFlags returns a usage error naming the flags that were not given.
func requireFlags(given map[string]bool) error {
	var missing []string
	for name, ok := range given {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return usageErrorf("missing %s", strings.Join(missing, ", "))
}
