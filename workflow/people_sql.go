package workflow

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// RolesChannel is the PostgreSQL channel on which a role change is announced
// (the payload is the user id), so other instances drop what they cached.
const RolesChannel = "casetrack_roles"

type userRow struct {
	ID     int64  `db:"id"`
	Login  string `db:"login"`
	Name   string `db:"name"`
	Email  string `db:"email"`
	Locale string `db:"locale"`
	Active bool   `db:"active"`
	OptOut bool   `db:"digest_opt_out"`
}

func (r userRow) toUser() *User {
	return &User{ID: r.ID, Login: r.Login, Name: r.Name, Email: r.Email, Locale: r.Locale, Active: r.Active,
		DigestOptOut: r.OptOut, Roles: []Grant{}}
}

// selectUserForLogin returns the user with login and their password hash.
func selectUserForLogin(ctx context.Context, q sqlx.QueryerContext, login string) (*User, string, error) {
	var row struct {
		userRow
		PasswordHash string `db:"password_hash"`
	}
	err := sqlx.GetContext(ctx, q, &row, `SELECT id, login, name, email, locale, active, digest_opt_out, password_hash FROM users WHERE login = $1`, login)
	if err != nil {
		return nil, "", err
	}
	u := row.toUser()
	u.Roles, err = selectGrants(ctx, q, u.ID)
	return u, row.PasswordHash, err
}

func insertToken(ctx context.Context, e sqlx.ExecerContext, hash []byte, userID int64, kind TokenKind, expires time.Time) error {
	_, err := e.ExecContext(ctx, `INSERT INTO tokens (hash, user_id, kind, expires_at) VALUES ($1, $2, $3, $4)`, hash, userID, kind, expires)
	return err
}

// selectActorByToken returns the active user holding an unexpired token, with their grants, in one query.
func selectActorByToken(ctx context.Context, q sqlx.QueryerContext, hash []byte, now time.Time) (*Actor, error) {
	const query = `SELECT u.id, u.login, u.name, u.email, u.locale, u.roles_version,
			coalesce(array_agg(r.role ORDER BY r.role, d.code) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles,
			coalesce(array_agg(coalesce(d.code, '') ORDER BY r.role, d.code) FILTER (WHERE r.role IS NOT NULL), '{}') AS depts,
			coalesce(array_agg(coalesce(d.id, 0) ORDER BY r.role, d.code) FILTER (WHERE r.role IS NOT NULL), '{}') AS dept_ids
		FROM tokens t
		JOIN users u ON u.id = t.user_id AND u.active
		LEFT JOIN user_roles r ON r.user_id = u.id
		LEFT JOIN departments d ON d.id = r.department_id
		WHERE t.hash = $1 AND t.expires_at > $2
		GROUP BY u.id`
	var row struct {
		ID           int64          `db:"id"`
		Login        string         `db:"login"`
		Name         string         `db:"name"`
		Email        string         `db:"email"`
		Locale       string         `db:"locale"`
		RolesVersion int64          `db:"roles_version"`
		Roles        pq.StringArray `db:"roles"`
		Depts        pq.StringArray `db:"depts"`
		DeptIDs      pq.Int64Array  `db:"dept_ids"`
	}
	if err := sqlx.GetContext(ctx, q, &row, query, hash, now); err != nil {
		return nil, err
	}
	grants := make([]Grant, len(row.Roles))
	for i := range row.Roles {
		grants[i] = Grant{Role: Role(row.Roles[i]), Department: row.Depts[i], DepartmentID: row.DeptIDs[i]}
	}
	return NewActor(row.ID, row.Login, row.Name, row.Email, row.Locale, row.RolesVersion, grants), nil
}

func selectGrants(ctx context.Context, q sqlx.QueryerContext, userID int64) ([]Grant, error) {
	grants := []Grant{}
	err := sqlx.SelectContext(ctx, q, &grants, `SELECT r.role, coalesce(d.code, '') AS department, coalesce(d.id, 0) AS department_id
		FROM user_roles r LEFT JOIN departments d ON d.id = r.department_id
		WHERE r.user_id = $1 ORDER BY r.role, d.code`, userID)
	return grants, err
}

// selectUsers returns one user (id > 0) or all of them, with their grants.
func selectUsers(ctx context.Context, q sqlx.QueryerContext, id int64) ([]*User, error) {
	var rows []userRow
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, login, name, email, locale, active, digest_opt_out FROM users
		WHERE $1 = 0 OR id = $1 ORDER BY login`, id)
	if err != nil {
		return nil, err
	}
	var grants []struct {
		UserID int64 `db:"user_id"`
		Grant
	}
	err = sqlx.SelectContext(ctx, q, &grants, `SELECT r.user_id, r.role, coalesce(d.code, '') AS department, coalesce(d.id, 0) AS department_id
		FROM user_roles r LEFT JOIN departments d ON d.id = r.department_id
		WHERE $1 = 0 OR r.user_id = $1 ORDER BY r.role, d.code`, id)
	if err != nil {
		return nil, err
	}
	users := make([]*User, len(rows))
	byID := make(map[int64]*User, len(rows))
	for i, r := range rows {
		users[i] = r.toUser()
		byID[r.ID] = users[i]
	}
	for _, g := range grants {
		if u := byID[g.UserID]; u != nil {
			u.Roles = append(u.Roles, g.Grant)
		}
	}
	return users, nil
}

// replaceGrants sets a user's roles, moves their roles version on and
// announces the change; the announcement is delivered only if the transaction commits.
func replaceGrants(ctx context.Context, tx prepared, userID int64, grants []Grant) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, g := range grants {
		var deptID sql.NullInt64
		if g.Department != "" {
			id, err := departmentID(ctx, tx, g.Department)
			if err != nil {
				return &Error{Code: ErrInvalid, Message: "validation failed", Fields: []FieldError{{Field: "roles", Message: "no department " + g.Department}}}
			}
			deptID = sql.NullInt64{Int64: id, Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role, department_id) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, userID, g.Role, deptID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET roles_version = roles_version + 1 WHERE id = $1`, userID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2::text)`, RolesChannel, userID)
	return err
}
