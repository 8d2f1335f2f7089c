package synthetic

import (
	"encoding/json"
	"math/rand/v2"
	"time"
)

type caseRec struct {
	id                   int64
	ref                  string
	title, description   string
	category, address    string
	priority, status     string
	rating               *int
	round, version       int
	createdAt, updatedAt time.Time
}

type assignmentRec struct {
	id                             int64
	c                              *caseRec
	deptID                         int64
	role, status, instructions     string
	round, version                 int
	dueAt, dispatchedAt, updatedAt time.Time
	extUntil                       *time.Time
	extReason, extStatus           *string
	resolution                     string
	acceptedAt, completedAt        *time.Time
}

type eventRec struct {
	c              *caseRec
	a              *assignmentRec
	actor          int64
	at             time.Time
	kind, from, to string
	visibility     string
	data           []byte
}

// generator plans every row in memory before the COPY.
type generator struct {
	rng                          *rand.Rand
	opt                          Options
	depts                        []int64
	reporter, coordinator, staff int64
	cases                        []*caseRec
	assignments                  []*assignmentRec
	events                       []*eventRec
}

var (
	stations = []string{"沙坡站", "刘家嘴站", "秀湖公园站", "汽车露营地站", "璧山站", "东林站", "璧泉站", "来凤站", "青杠站", "丁家站", "大路站"}
	problems = []struct{ title, category, detail string }{
		{"站前广场共享单车乱停放", "市容环境", "早晚高峰电动自行车和共享单车堆放在出入口，行人无法通行。"},
		{"站前广场卫生保洁不到位", "市容环境", "广场垃圾桶满溢，地面有积水和杂物，乘客多次反映。"},
		{"路侧围栏阻挡行人通行", "交通设施", "道路两侧的隔离围栏阻断了从小区到车站的步行路线。"},
		{"缺少人行横道和信号灯", "交通设施", "车站出口正对主干道，没有斑马线和信号灯，行人横穿马路。"},
		{"道路交叉口缺少警示标志", "交通安全", "云巴线路与道路交叉处没有警示标志和防撞设施。"},
		{"接驳小巴线路未开通", "公共交通", "车站与周边社区之间没有接驳公交，居民出行不便。"},
		{"站点照明不足", "市政设施", "夜间站前道路路灯损坏，存在安全隐患。"},
		{"出租车违规占道候客", "交通秩序", "出租车和网约车在站前占用车道候客，造成拥堵。"},
	}
	priorities = []string{"low", "normal", "normal", "normal", "high", "urgent"}
)

// caseMix weighs the final states of the generated cases.
var caseMix = []struct {
	status string
	weight int
}{
	{"submitted", 5}, {"triaged", 3}, {"rejected", 2}, {"dispatched", 10}, {"in_progress", 35},
	{"resolved", 8}, {"closed", 32}, {"reopened", 5},
}

func (g *generator) pickStatus() string {
	n := g.rng.IntN(100)
	for _, m := range caseMix {
		if n < m.weight {
			return m.status
		}
		n -= m.weight
	}
	return "closed"
}

// plan builds n cases with their assignments and events, replacing the last plan.
func (g *generator) plan(n int) {
	g.cases, g.assignments, g.events = make([]*caseRec, 0, n), g.assignments[:0], g.events[:0]
	for range n {
		g.planCase(g.pickStatus())
	}
}

func (g *generator) planCase(status string) {
	open := status != "closed" && status != "rejected" && status != "resolved"
	maxAge := 8 * 7 * 24 * time.Hour
	if open {
		maxAge = 3 * 7 * 24 * time.Hour
	}
	age := time.Duration(g.rng.Int64N(int64(maxAge))) + time.Hour
	created := g.opt.Now.Add(-age)
	p := problems[g.rng.IntN(len(problems))]
	station := stations[g.rng.IntN(len(stations))]
	c := &caseRec{
		title: station + p.title, category: p.category, address: "重庆市璧山区" + station,
		description: station + p.detail, priority: priorities[g.rng.IntN(len(priorities))],
		status: status, round: 1, version: 1, createdAt: created,
	}
	g.cases = append(g.cases, c)
	// at returns the moment a fraction f of the case's life so far.
	at := func(f float64) time.Time { return created.Add(time.Duration(f * float64(age))) }
	g.event(c, nil, g.reporter, created, "create", "", "submitted", "public", map[string]any{"title": c.title})
	switch status {
	case "submitted":
		return
	case "rejected":
		g.caseEvent(c, at(0.2), "reject", "submitted", "rejected", map[string]any{"reason": "不属于本平台受理范围"})
		return
	}
	g.caseEvent(c, at(0.05), "triage", "submitted", "triaged", nil)
	if status == "triaged" {
		return
	}
	round := g.dispatchRound(c, at(0.1))
	g.auto(c, at(0.1), "triaged", "dispatched")
	if status == "dispatched" {
		return
	}
	// Most departments accept within a day; none later than a tenth of the case's life.
	acceptWithin := min(36*time.Hour, age/10)
	for _, a := range round {
		g.accept(a, at(0.1).Add(time.Duration(g.rng.Int64N(int64(acceptWithin)))))
	}
	g.auto(c, round[0].acceptedAt.Add(time.Second), "dispatched", "in_progress")
	for _, a := range round {
		for i := range g.rng.IntN(3) {
			g.assignmentEvent(a, g.staff, at(0.3+0.1*float64(i)), "progress", "in_progress", "in_progress", map[string]any{"note": "已现场查看，正在协调处理"})
		}
	}
	if status == "in_progress" {
		if g.rng.IntN(5) == 0 {
			g.requestExtension(round[0], at(0.6))
		}
		return
	}
	for _, a := range round {
		g.finish(a, at(0.7), at(0.8))
	}
	g.auto(c, at(0.8), "in_progress", "resolved")
	switch status {
	case "closed":
		g.rate(c, at(0.9), 3+g.rng.IntN(3), "closed")
	case "reopened":
		g.rate(c, at(0.9), 1+g.rng.IntN(2), "reopened")
		c.round = 2
	}
}

// dispatchRound dispatches a lead and up to two supporting departments.
func (g *generator) dispatchRound(c *caseRec, t time.Time) []*assignmentRec {
	n := 1 + g.rng.IntN(3)
	first := g.rng.IntN(len(g.depts))
	var round []*assignmentRec
	for i := range min(n, len(g.depts)) {
		role := "support"
		if i == 0 {
			role = "lead"
		}
		a := &assignmentRec{c: c, deptID: g.depts[(first+i)%len(g.depts)], role: role, status: "pending",
			instructions: "请于期限内处理并反馈结果", round: c.round, version: 1,
			dueAt: t.Add(7 * 24 * time.Hour), dispatchedAt: t, updatedAt: t}
		g.assignments = append(g.assignments, a)
		g.event(c, a, g.coordinator, t, "dispatch", "", "pending", "public", map[string]any{"role": role, "due_at": a.dueAt})
		round = append(round, a)
	}
	return round
}

func (g *generator) accept(a *assignmentRec, t time.Time) {
	a.acceptedAt = &t
	g.assignmentEvent(a, g.staff, t, "accept", "pending", "in_progress", nil)
}

func (g *generator) requestExtension(a *assignmentRec, t time.Time) {
	until := a.dueAt.Add(7 * 24 * time.Hour)
	reason, status := "需协调施工单位，申请延期", "pending"
	a.extUntil, a.extReason, a.extStatus = &until, &reason, &status
	g.assignmentEvent(a, g.staff, t, "request_extension", "in_progress", "in_progress", map[string]any{"until": until, "reason": reason})
}

func (g *generator) finish(a *assignmentRec, done, confirmed time.Time) {
	a.resolution = "已处理完毕"
	a.completedAt = &done
	g.assignmentEvent(a, g.staff, done, "complete", "in_progress", "completed", map[string]any{"resolution": a.resolution})
	g.assignmentEvent(a, g.coordinator, confirmed, "confirm", "completed", "confirmed", nil)
}

func (g *generator) rate(c *caseRec, t time.Time, score int, to string) {
	c.rating = &score
	g.event(c, nil, g.reporter, t, "rate", "resolved", to, "public", map[string]any{"score": score})
	c.status, c.updatedAt = to, t
}

func (g *generator) caseEvent(c *caseRec, t time.Time, kind, from, to string, data map[string]any) {
	g.event(c, nil, g.coordinator, t, kind, from, to, "public", data)
}

func (g *generator) auto(c *caseRec, t time.Time, from, to string) {
	g.event(c, nil, 0, t, "auto", from, to, "public", nil)
}

func (g *generator) assignmentEvent(a *assignmentRec, actor int64, t time.Time, kind, from, to string, data map[string]any) {
	a.status, a.updatedAt = to, t
	g.event(a.c, a, actor, t, kind, from, to, "internal", data)
}

// event records one event; case events move the case, and every event moves
// its case's version and update time, as the Service does.
func (g *generator) event(c *caseRec, a *assignmentRec, actor int64, t time.Time, kind, from, to, visibility string, data map[string]any) {
	raw := []byte("{}")
	if data != nil {
		raw, _ = json.Marshal(data)
	}
	g.events = append(g.events, &eventRec{c: c, a: a, actor: actor, at: t, kind: kind, from: from, to: to, visibility: visibility, data: raw})
	if a == nil && to != "" {
		c.status = to
	}
	if a != nil && kind != "dispatch" {
		a.version++
	}
	c.updatedAt = t
	if a == nil && kind != "create" {
		c.version++
	}
}
