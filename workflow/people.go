package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Department is one office that takes assignments.
type Department struct {
	Code  string `json:"code" db:"code"`
	Name  string `json:"name" db:"name"`
	Email string `json:"email" db:"email"`
}

var departmentCode = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// Validate checks a department.
func (d *Department) Validate() error {
	var f fieldErrors
	if !departmentCode.MatchString(d.Code) {
		f.add("code", "must be 1–32 lower-case letters, digits, - or _, starting with a letter")
	}
	checkText(&f, "name", d.Name, 1, 100)
	checkEmail(&f, "email", d.Email)
	return f.err()
}

func checkEmail(f *fieldErrors, field, value string) {
	if value == "" {
		return
	}
	if a, err := mail.ParseAddress(value); err != nil || a.Address != value {
		f.add(field, "must be an email address")
	}
}

// User is a person who signs in.
type User struct {
	ID     int64  `json:"id"`
	Login  string `json:"login"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Locale string `json:"locale"`
	Active bool   `json:"active"`
	// DigestOptOut is set when the user unsubscribed from digests and notices.
	DigestOptOut bool    `json:"digest_opt_out"`
	Roles        []Grant `json:"roles"`
}

// Locales are the languages casetrack speaks, the first being the default.
var Locales = []string{"zh-CN", "en"}

// NewUser is an account to create.
type NewUser struct {
	Login    string  `json:"login"`
	Name     string  `json:"name"`
	Email    string  `json:"email"`
	Password string  `json:"password"`
	Locale   string  `json:"locale"`
	Roles    []Grant `json:"roles"`
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// Validate checks a new user and defaults the locale.
func (u *NewUser) Validate() error {
	var f fieldErrors
	checkText(&f, "login", u.Login, 1, 64)
	if strings.ContainsFunc(u.Login, func(r rune) bool { return r <= ' ' }) {
		f.add("login", "must not contain spaces")
	}
	checkText(&f, "name", u.Name, 1, 100)
	checkEmail(&f, "email", u.Email)
	if len(u.Password) < MinPasswordLength || len(u.Password) > 72 {
		f.add("password", "must be 8 to 72 bytes long")
	}
	if u.Locale == "" {
		u.Locale = Locales[0]
	}
	if !slices.Contains(Locales, u.Locale) {
		f.add("locale", "must be zh-CN or en")
	}
	checkGrants(&f, u.Roles)
	return f.err()
}

func checkGrants(f *fieldErrors, grants []Grant) {
	for _, g := range grants {
		switch {
		case !slices.Contains(Roles, g.Role):
			f.add("roles", "unknown role "+string(g.Role))
		case g.Role.InDepartment() && g.Department == "":
			f.add("roles", string(g.Role)+" needs a department")
		case !g.Role.InDepartment() && g.Department != "":
			f.add("roles", string(g.Role)+" is a global role and takes no department")
		}
	}
}

// UserPatch changes a user; nil fields stay as they are.
type UserPatch struct {
	Name   *string `json:"name"`
	Email  *string `json:"email"`
	Locale *string `json:"locale"`
	Active *bool   `json:"active"`
	// DigestOptOut subscribes (false) or unsubscribes (true) the user's digests and notices.
	DigestOptOut *bool    `json:"digest_opt_out"`
	Roles        *[]Grant `json:"roles"`
}

// Validate checks a patch.
func (p *UserPatch) Validate() error {
	var f fieldErrors
	if p.Name != nil {
		checkText(&f, "name", *p.Name, 1, 100)
	}
	if p.Email != nil {
		checkEmail(&f, "email", *p.Email)
	}
	if p.Locale != nil && !slices.Contains(Locales, *p.Locale) {
		f.add("locale", "must be zh-CN or en")
	}
	if p.Roles != nil {
		checkGrants(&f, *p.Roles)
	}
	return f.err()
}

// Session is a signed-in token.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      *User     `json:"user"`
}

// TokenKind says whether a token is an API bearer token or a web session.
type TokenKind string

// Token kinds.
const (
	TokenAPI     TokenKind = "api"
	TokenSession TokenKind = "session"
)

// DefaultTokenLifetime is how long a token lasts.
const DefaultTokenLifetime = 30 * 24 * time.Hour

// dummyHash makes a login with an unknown name cost as much as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("casetrack-dummy"), bcrypt.DefaultCost)

// Login checks a password and returns a new token. Unknown logins, wrong
// passwords and deactivated accounts all answer the same ErrUnauthenticated.
func (s *Service) Login(ctx context.Context, login, password string, kind TokenKind, lifetime time.Duration) (*Session, error) {
	if !utf8.ValidString(login) || strings.ContainsRune(login, 0) {
		// No such login can exist; answer as for any unknown one.
		login = ""
	}
	u, hash, err := selectUserForLogin(ctx, s.db, login)
	if err != nil && ErrorCodeOf(dbError(err)) != ErrNotFound {
		return nil, dbError(err)
	}
	if u == nil {
		hash = string(dummyHash)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || u == nil || !u.Active {
		return nil, Errorf(ErrUnauthenticated, "wrong login or password")
	}
	token, hashed := newToken()
	expires := s.now().Add(lifetime)
	if err := insertToken(ctx, s.db, hashed, u.ID, kind, expires); err != nil {
		return nil, dbError(err)
	}
	return &Session{Token: token, ExpiresAt: expires, User: u}, nil
}

// newToken returns a random token and the hash that is stored in its place.
func newToken() (string, []byte) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Authenticate returns the actor a token belongs to: an active user with an
// unexpired token. Roles are read afresh, so a change applies at once.
func (s *Service) Authenticate(ctx context.Context, token string) (*Actor, error) {
	a, err := selectActorByToken(ctx, s.pool(), hashToken(token), s.now())
	if ErrorCodeOf(dbError(err)) == ErrNotFound {
		return nil, Errorf(ErrUnauthenticated, "the token is unknown, expired or revoked")
	}
	return a, dbError(err)
}

// Logout revokes a token at once.
func (s *Service) Logout(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM tokens WHERE hash = $1`, hashToken(token))
	return dbError(err)
}

// requireManager checks that the actor may administer users and departments.
func (s *Service) requireManager(ctx context.Context) error {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return err
	}
	if !s.can(actor, GlobalDomain, CapManage) {
		return Errorf(ErrForbidden, "only administrators may do this")
	}
	return nil
}

// ListDepartments returns every department, by code. Any signed-in user may list them.
func (s *Service) ListDepartments(ctx context.Context) ([]Department, error) {
	if err := requireActor(ActorFrom(ctx)); err != nil {
		return nil, err
	}
	return s.Departments(ctx)
}

// Departments returns every department, by code, for internal use (seed, digests).
func (s *Service) Departments(ctx context.Context) ([]Department, error) {
	depts := []Department{}
	err := s.db.SelectContext(ctx, &depts, `SELECT code, name, email FROM departments ORDER BY code`)
	return depts, dbError(err)
}

// CreateDepartment adds a department (administrators, or the command line with no actor in ctx).
func (s *Service) CreateDepartment(ctx context.Context, d Department) (*Department, error) {
	if !isTrusted(ctx) {
		if err := s.requireManager(ctx); err != nil {
			return nil, err
		}
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO departments (code, name, email) VALUES ($1, $2, $3)`, d.Code, d.Name, d.Email)
	if ErrorCodeOf(dbError(err)) == ErrConflict {
		return nil, &Error{Code: ErrConflict, Message: "department " + d.Code + " already exists"}
	}
	return &d, dbError(err)
}

type trustedKey struct{}

// Trusted marks ctx as the operator's own (the command line), which may
// administer without signing in.
func Trusted(ctx context.Context) context.Context { return context.WithValue(ctx, trustedKey{}, true) }

func isTrusted(ctx context.Context) bool { v, _ := ctx.Value(trustedKey{}).(bool); return v }

// ListUsers returns every user with their roles (administrators only).
func (s *Service) ListUsers(ctx context.Context) ([]*User, error) {
	if err := s.requireManager(ctx); err != nil {
		return nil, err
	}
	users, err := selectUsers(ctx, s.db, 0)
	return users, dbError(err)
}

// CreateUser adds a user with roles (administrators, or the command line).
func (s *Service) CreateUser(ctx context.Context, in NewUser) (*User, error) {
	if !isTrusted(ctx) {
		if err := s.requireManager(ctx); err != nil {
			return nil, err
		}
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), s.pwCost)
	if err != nil {
		return nil, &Error{Code: ErrInternal, Message: "could not hash the password", Err: err}
	}
	var id int64
	err = s.inTx(ctx, func(tx prepared) error {
		err := tx.GetContext(ctx, &id, `INSERT INTO users (login, name, email, password_hash, locale)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, in.Login, in.Name, in.Email, string(hash), in.Locale)
		if ErrorCodeOf(dbError(err)) == ErrConflict {
			return &Error{Code: ErrConflict, Message: "login " + in.Login + " is taken"}
		}
		if err != nil {
			return err
		}
		return replaceGrants(ctx, tx, id, in.Roles)
	})
	if err != nil {
		return nil, err
	}
	return s.user(ctx, id)
}

// UpdateUser changes a user. A role change or a deactivation applies to the
// user's next request on every instance; deactivation also revokes every token.
func (s *Service) UpdateUser(ctx context.Context, id int64, p UserPatch) (*User, error) {
	if err := s.requireManager(ctx); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx prepared) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET name = coalesce($2, name), email = coalesce($3, email),
			locale = coalesce($4, locale), active = coalesce($5, active), digest_opt_out = coalesce($6, digest_opt_out),
			updated_at = now() WHERE id = $1`,
			id, p.Name, p.Email, p.Locale, p.Active, p.DigestOptOut)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ErrNotFound, "user %d not found", id)
		}
		if p.Active != nil && !*p.Active {
			if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = $1`, id); err != nil {
				return err
			}
		}
		if p.Roles != nil {
			return replaceGrants(ctx, tx, id, *p.Roles)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.user(ctx, id)
}

func (s *Service) user(ctx context.Context, id int64) (*User, error) {
	users, err := selectUsers(ctx, s.db, id)
	if err != nil {
		return nil, dbError(err)
	}
	if len(users) == 0 {
		return nil, Errorf(ErrNotFound, "user %d not found", id)
	}
	return users[0], nil
}
