package digest_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai, whatever the machine has

	"casetrack/policy"
	"casetrack/workflow"
	"casetrack/workflow/digest"
	"casetrack/workflow/workflowtest"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"
)

// shanghai is TIMEZONE of the tests.
var shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at reads "2026-11-16 10:00" in Shanghai.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// clock is a settable clock, shared by the service and the digesters of a test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// world is a migrated database with Bishan's four departments, their
// people, and a clock the test moves.
type world struct {
	t      *testing.T
	db     *sqlx.DB
	svc    *workflow.Service
	authz  *policy.Enforcer
	clock  *clock
	actors map[string]*workflow.Actor
}

// person is a user of the fixture: login, email ("" = none), locale and one grant.
type person struct {
	login, email, locale string
	grant                workflow.Grant
}

var bishanDepartments = []workflow.Department{
	{Code: "citymgmt", Name: "区城市管理局"},
	{Code: "ndrc", Name: "区发展改革委", Email: "ndrc@bishan.example"},
	{Code: "police", Name: "区公安局", Email: "police@bishan.example"},
	{Code: "transport", Name: "区交通局", Email: "transport@bishan.example"},
}

var bishanPeople = []person{
	{"coordinator", "coord@bishan.example", "zh-CN", workflow.Grant{Role: workflow.RoleCoordinator}},
	{"viewer", "leader@bishan.example", "en", workflow.Grant{Role: workflow.RoleViewer}},
	{"admin", "admin@bishan.example", "zh-CN", workflow.Grant{Role: workflow.RoleAdmin}},
	{"operator", "operator@yunba.example", "zh-CN", workflow.Grant{Role: workflow.RoleReporter}},
	{"transport.head", "t.head@bishan.example", "zh-CN", workflow.Grant{Role: workflow.RoleDeptHead, Department: "transport"}},
	{"transport.officer", "t.officer@bishan.example", "en", workflow.Grant{Role: workflow.RoleDeptOfficer, Department: "transport"}},
	// Opted out of email: gets nothing.
	{"transport.quiet", "t.quiet@bishan.example", "zh-CN", workflow.Grant{Role: workflow.RoleDeptOfficer, Department: "transport"}},
	{"police.head", "p.head@bishan.example", "zh-CN", workflow.Grant{Role: workflow.RoleDeptHead, Department: "police"}},
	// Deactivated: gets nothing.
	{"police.retired", "p.retired@bishan.example", "zh-CN", workflow.Grant{Role: workflow.RoleDeptOfficer, Department: "police"}},
	{"citymgmt.head", "c.head@bishan.example", "zh-CN", workflow.Grant{Role: workflow.RoleDeptHead, Department: "citymgmt"}},
	// No address: ndrc's mail goes to the department's address only.
	{"ndrc.head", "", "zh-CN", workflow.Grant{Role: workflow.RoleDeptHead, Department: "ndrc"}},
}

// newWorld creates the departments and people, before any case.
func newWorld(t *testing.T) *world {
	t.Helper()
	authz, err := policy.New()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: workflowtest.NewDB(t), authz: authz, clock: &clock{now: at("2026-11-01 09:00")},
		actors: map[string]*workflow.Actor{}}
	w.svc = workflow.NewService(workflow.Config{DB: w.db, Authorizer: authz, RefPrefix: "CT", Location: shanghai,
		Now: w.clock.Now, PasswordCost: bcrypt.MinCost})
	ctx := workflow.Trusted(context.Background())
	for _, d := range bishanDepartments {
		if _, err := w.svc.CreateDepartment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range bishanPeople {
		w.addPerson(p)
	}
	w.exec(`UPDATE users SET digest_opt_out = true WHERE login = 'transport.quiet'`)
	w.exec(`UPDATE users SET active = false WHERE login = 'police.retired'`)
	return w
}

func (w *world) addPerson(p person) {
	w.t.Helper()
	ctx := workflow.Trusted(context.Background())
	u, err := w.svc.CreateUser(ctx, workflow.NewUser{Login: p.login, Name: p.login, Email: p.email, Password: "demo-password",
		Locale: p.locale, Roles: []workflow.Grant{p.grant}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.actors[p.login] = workflow.NewActor(u.ID, u.Login, u.Name, u.Email, u.Locale, 1, u.Roles)
}

func (w *world) exec(query string, args ...any) {
	w.t.Helper()
	if _, err := w.db.Exec(query, args...); err != nil {
		w.t.Fatal(err)
	}
}

// as acts as the named user at the given Shanghai time.
func (w *world) as(login, when string) context.Context {
	w.t.Helper()
	w.clock.Set(at(when))
	return workflow.WithActor(context.Background(), w.actors[login])
}

func (w *world) fileCase(title, when string) *workflow.Case {
	w.t.Helper()
	c, _, err := w.svc.CreateCase(w.as("operator", when), workflow.NewCase{Title: title}, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) onCase(login string, c *workflow.Case, cmd workflow.CaseCommand, when string) {
	w.t.Helper()
	if _, err := w.svc.ActOnCase(w.as(login, when), c.ID, cmd, 0); err != nil {
		w.t.Fatalf("%s %s: %v", login, cmd.Action(), err)
	}
}

// dispatch sends c to dept; due "" means the default (7 days).
func (w *world) dispatch(c *workflow.Case, dept string, role workflow.AssignmentRole, when, due string) *workflow.Assignment {
	w.t.Helper()
	in := workflow.Dispatch{Department: dept, Role: role, Instructions: "请按会议纪要办理"}
	if due != "" {
		d := at(due)
		in.DueAt = &d
	}
	a, err := w.svc.DispatchAssignment(w.as("coordinator", when), c.ID, in, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) act(login string, a *workflow.Assignment, cmd workflow.AssignmentCommand, when string) {
	w.t.Helper()
	if _, err := w.svc.ActOnAssignment(w.as(login, when), a.ID, cmd, 0); err != nil {
		w.t.Fatalf("%s %s: %v", login, cmd.Action(), err)
	}
}

// The week of the digests under test, and when Monday's run happens.
var (
	week47      = digest.Week{Year: 2026, Number: 47} // Mon 16 – Sun 22 November 2026
	mondayRun   = at("2026-11-23 09:00")
	afterMonday = at("2026-11-23 10:00")
)

// bishan is the fixed data set of the digest tests: the station problems
// of the cloud-rail line over weeks 46 (9–15 November) and 47 (16–22
// November). Every figure the tests expect is derived from these events.
func bishan(t *testing.T) *world {
	w := newWorld(t)
	lead, support := workflow.RoleLead, workflow.RoleSupport

	// G: plaza sanitation, city management, done late in week 46, rated 5.
	g := w.fileCase("沙坡站站前广场保洁", "2026-11-02 09:00")
	cG := w.dispatch(g, "citymgmt", lead, "2026-11-03 09:00", "2026-11-10 09:00")
	w.act("citymgmt.head", cG, workflow.Accept{}, "2026-11-03 10:00")
	w.act("citymgmt.head", cG, workflow.Complete{Resolution: "已安排每日保洁"}, "2026-11-12 10:00")
	w.act("coordinator", cG, workflow.Confirm{}, "2026-11-12 15:00")
	w.onCase("operator", g, workflow.Rate{Score: 5}, "2026-11-13 09:00")

	// A: fences at 刘家嘴站, transport; an extension granted in week 46, completed in week 47, awaiting review.
	a := w.fileCase("刘家嘴站围栏阻挡行人", "2026-11-09 10:00")
	w.onCase("coordinator", a, workflow.Triage{}, "2026-11-09 11:00")
	tA := w.dispatch(a, "transport", lead, "2026-11-09 14:00", "") // due 16 Nov 14:00
	w.act("transport.officer", tA, workflow.Accept{}, "2026-11-09 20:00")
	w.act("transport.officer", tA, workflow.RequestExtension{Until: at("2026-11-30 18:00"), Reason: "需协调施工单位"}, "2026-11-13 10:00")
	w.act("coordinator", tA, workflow.GrantExtension{}, "2026-11-14 09:00")
	w.act("transport.officer", tA, workflow.Progress{Note: "围栏拆除施工中"}, "2026-11-17 15:00")
	w.act("transport.head", tA, workflow.Complete{Resolution: "围栏已拆除"}, "2026-11-19 15:00")

	// B: e-bike parking at 沙坡站: city management leads (overdue, urged), police supports (done).
	b := w.fileCase("沙坡站广场电动车乱停放", "2026-11-10 09:00")
	cB := w.dispatch(b, "citymgmt", lead, "2026-11-10 10:00", "2026-11-14 18:00")
	pB := w.dispatch(b, "police", support, "2026-11-10 10:05", "2026-11-20 18:00")
	w.act("police.head", pB, workflow.Accept{}, "2026-11-10 16:00")
	w.act("citymgmt.head", cB, workflow.Accept{}, "2026-11-12 12:00")
	w.act("coordinator", cB, workflow.Urge{Note: "请尽快清理"}, "2026-11-17 09:00")
	w.act("police.head", pB, workflow.Complete{Resolution: "已开展联合整治"}, "2026-11-18 10:00")
	w.act("coordinator", pB, workflow.Confirm{}, "2026-11-19 10:00")

	// D: the feeder minibus, transport, completed late in week 47, rated 4.
	d := w.fileCase("汽车露营地接驳小巴线路", "2026-11-11 09:00")
	tD := w.dispatch(d, "transport", lead, "2026-11-11 10:00", "2026-11-15 10:00")
	w.act("transport.head", tD, workflow.Accept{}, "2026-11-11 15:00")
	w.act("transport.head", tD, workflow.Complete{Resolution: "接驳线路已开通"}, "2026-11-17 10:00")
	w.act("coordinator", tD, workflow.Confirm{}, "2026-11-17 16:00")
	w.onCase("operator", d, workflow.Rate{Score: 4}, "2026-11-18 10:00")

	// F: crash barriers, triaged in week 46 and still waiting for dispatch.
	f := w.fileCase("沙坡站道口防撞护栏缺失", "2026-11-12 09:00")
	w.onCase("coordinator", f, workflow.Triage{}, "2026-11-12 10:00")

	// K: a duplicate, waiting for triage over the turn of the week, then rejected.
	k := w.fileCase("刘家嘴站围栏（重复反映）", "2026-11-13 09:00")
	w.onCase("coordinator", k, workflow.Reject{Reason: "重复反映"}, "2026-11-17 10:00")

	// C: zebra crossing at 秀湖公园站: police leads (never accepted, urged), transport supports, ndrc declines.
	c := w.fileCase("秀湖公园站缺少斑马线", "2026-11-16 09:00")
	pC := w.dispatch(c, "police", lead, "2026-11-16 10:00", "2026-11-18 10:00")
	tC := w.dispatch(c, "transport", support, "2026-11-16 10:30", "2026-11-27 10:30")
	nC := w.dispatch(c, "ndrc", support, "2026-11-16 10:40", "")
	w.act("transport.head", tC, workflow.Accept{}, "2026-11-16 11:00")
	w.act("ndrc.head", nC, workflow.Decline{Reason: "不属于本部门职能", ReasonCode: "not_our_function"}, "2026-11-16 15:00")
	w.act("coordinator", pC, workflow.Urge{Note: "请于本周内签收"}, "2026-11-20 10:00")

	// H: sidewalk at 刘家嘴站, transport, an extension request awaiting a decision.
	h := w.fileCase("刘家嘴站人行道恢复", "2026-11-17 08:30")
	tH := w.dispatch(h, "transport", lead, "2026-11-17 09:00", "") // due 24 Nov 09:00
	w.act("transport.officer", tH, workflow.Accept{}, "2026-11-17 11:00")
	w.act("transport.officer", tH, workflow.RequestExtension{Until: at("2026-12-05 18:00"), Reason: "材料采购周期长"}, "2026-11-21 10:00")

	// I: feeder bus stop at 秀湖公园, transport, not yet accepted, due in December.
	i := w.fileCase("秀湖公园站接驳站点设置", "2026-11-20 09:30")
	w.dispatch(i, "transport", lead, "2026-11-20 10:00", "2026-12-10 10:00")

	// E: warning signs, filed on Friday, waiting for triage.
	w.fileCase("刘家嘴站道口缺少警示标志", "2026-11-20 10:00")

	w.clock.Set(mondayRun)
	return w
}

// testSecret signs the tests' unsubscribe links.
var testSecret = []byte("bishan-test-secret")

// newDigester is a digester on w's database and clock; smtpURL "" keeps mail in the outbox.
func (w *world) newDigester(smtpURL, workerID string) *digest.Digester {
	w.t.Helper()
	d, err := digest.New(digest.Config{DB: w.db, BaseURL: "https://casetrack.bishan.example", SMTPURL: smtpURL,
		MailFrom: "casetrack@bishan.example", Location: shanghai, Now: w.clock.Now, Secret: testSecret,
		Authorizer: w.authz, WorkerID: workerID, PollInterval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

// count runs a counting query.
func (w *world) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.db.Get(&n, query, args...); err != nil {
		w.t.Fatal(err)
	}
	return n
}
