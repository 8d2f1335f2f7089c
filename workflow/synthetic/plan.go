package synthetic

import (
	"cmp"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"casetrack/workflow"
)

// eventKind is one kind of event the generator writes, with its states,
// actor and, for most, its data.
type eventKind uint8

const (
	evCreate eventKind = iota
	evReject
	evTriage
	evDispatchLead
	evDispatchSupport
	evAutoDispatched
	evDecline
	evAutoTriaged
	evAccept
	evAutoInProgress
	evProgress
	evUrgePending
	evUrgeInProgress
	evRequestExtension
	evGrantExtension
	evDenyExtension
	evComplete
	evReturn
	evCancelPending
	evCancelInProgress
	evConfirm
	evAutoResolved
	evRateClosed
	evRateReopened
)

type actor uint8

const (
	system actor = iota
	reporter
	coordinator
	staff
)

const (
	extensionReason = "需协调施工单位，申请延期"
	resolution      = "已处理完毕"
)

// eventKinds holds what the Service writes for each kind: the states, the
// actor, and the data of the command (workflow/assignment_commands.go,
// case_service.go); "auto" is the automatic rule's step (autoCaseTransition).
var eventKinds = [...]struct {
	kind, from, to string
	actor          actor
	// assignment says the event is an assignment's (internal unless a dispatch).
	assignment bool
	// data is the event's fixed data; nil for those encoded per event.
	data map[string]any
}{
	evCreate:           {"create", "", "submitted", reporter, false, nil},
	evReject:           {"reject", "submitted", "rejected", coordinator, false, map[string]any{"reason": "不属于本平台受理范围"}},
	evTriage:           {"triage", "submitted", "triaged", coordinator, false, map[string]any{}},
	evDispatchLead:     {"dispatch", "", "pending", coordinator, true, nil},
	evDispatchSupport:  {"dispatch", "", "pending", coordinator, true, nil},
	evAutoDispatched:   {"auto", "triaged", "dispatched", system, false, map[string]any{}},
	evDecline:          {"decline", "pending", "declined", staff, true, map[string]any{"reason": "该问题不属于本部门职责", "reason_code": "not_our_function"}},
	evAutoTriaged:      {"auto", "dispatched", "triaged", system, false, map[string]any{}},
	evAccept:           {"accept", "pending", "in_progress", staff, true, map[string]any{}},
	evAutoInProgress:   {"auto", "dispatched", "in_progress", system, false, map[string]any{}},
	evProgress:         {"progress", "in_progress", "in_progress", staff, true, map[string]any{"note": "已现场查看，正在协调处理"}},
	evUrgePending:      {"urge", "pending", "pending", coordinator, true, map[string]any{"note": "请尽快签收并安排处理"}},
	evUrgeInProgress:   {"urge", "in_progress", "in_progress", coordinator, true, map[string]any{"note": "请加快办理进度"}},
	evRequestExtension: {"request_extension", "in_progress", "in_progress", staff, true, nil},
	evGrantExtension:   {"grant_extension", "in_progress", "in_progress", coordinator, true, nil},
	evDenyExtension:    {"deny_extension", "in_progress", "in_progress", coordinator, true, map[string]any{"reason": "理由不充分，请按原期限办结"}},
	evComplete:         {"complete", "in_progress", "completed", staff, true, map[string]any{"resolution": resolution}},
	evReturn:           {"return", "completed", "in_progress", coordinator, true, map[string]any{"reason": "整改不到位，请重新处理"}},
	evCancelPending:    {"cancel", "pending", "cancelled", coordinator, true, map[string]any{"reason": "经协调无需本部门参与"}},
	evCancelInProgress: {"cancel", "in_progress", "cancelled", coordinator, true, map[string]any{"reason": "经协调无需本部门参与"}},
	evConfirm:          {"confirm", "completed", "confirmed", coordinator, true, map[string]any{}},
	evAutoResolved:     {"auto", "in_progress", "resolved", system, false, map[string]any{}},
	evRateClosed:       {"rate", "resolved", "closed", reporter, false, nil},
	evRateReopened:     {"rate", "resolved", "reopened", reporter, false, nil},
}

// event is one planned event, kept small: between being planned and being
// written in time order, up to a third of a seed's events wait in memory.
type event struct {
	at      int64 // microseconds since the Unix epoch
	arg     int64 // the due or requested time, the score, or the template
	caseIdx int32 // the case's place in the seed
	asg     int32 // the assignment's place in the seed; -1 for a case event
	kind    eventKind
	// n is the event's place among its case's events: events at the same
	// instant keep the order they happened in.
	n uint8
}

func (e *event) before(f *event) int {
	return cmp.Or(cmp.Compare(e.at, f.at), cmp.Compare(e.caseIdx, f.caseIdx), cmp.Compare(e.n, f.n))
}

// bucketWidth is the span of time whose events are sorted together.
const bucketWidth = int64(time.Hour / time.Microsecond)

// generator plans the cases in the order they were filed and encodes them,
// their assignments and their events, in time order, as COPY text.
type generator struct {
	rng        *rand.Rand
	now        int64
	depts      []int64
	templates  []template
	skeletons  []skeleton
	caseIDs    []int64
	asgIDs     []int64
	refPrefix  string
	location   *time.Location
	nextRef    map[int]int64 // the next reference number of each year
	nextAsg    int32
	reporterID int64
	events     int // planned so far
	// eventColumns holds, for each kind, the columns after the time: actor,
	// kind, states, visibility, and the data when it is fixed.
	eventColumns [len(eventKinds)]string
	// buckets hold the planned events by the hour they happen in, from
	// start; those before emitted have been written.
	buckets [][]event
	start   int64
	emitted int
	tf      timeFormat
}

// chunk is the COPY text of some cases, their assignments and the events
// that happened before the next case was filed, in blocks.
type chunk struct {
	cases, assignments, events [][]byte
}

func newGenerator(opt Options, depts []int64, users [4]int64, skeletons []skeleton, caseIDs, asgIDs []int64, nextRef map[int]int64) *generator {
	g := &generator{
		rng: rand.New(rand.NewPCG(opt.Seed, 2027)), now: opt.Now.UnixMicro(), depts: depts, templates: templates(),
		skeletons: skeletons, caseIDs: caseIDs, asgIDs: asgIDs, refPrefix: opt.RefPrefix, location: opt.Location,
		nextRef: nextRef, reporterID: users[reporter],
	}
	for k, info := range eventKinds {
		actorID := copyNull
		if info.actor != system {
			actorID = strconv.FormatInt(users[info.actor], 10)
		}
		visibility := "public"
		if info.assignment && info.kind != "dispatch" {
			visibility = "internal"
		}
		g.eventColumns[k] = actorID + "\t" + info.kind + "\t" + info.from + "\t" + info.to + "\t" + visibility + "\t"
		if info.data != nil {
			data, _ := json.Marshal(info.data)
			g.eventColumns[k] += copyText(string(data))
		}
	}
	if len(skeletons) > 0 {
		g.start = skeletons[0].created
		g.buckets = make([][]event, (g.now-g.start)/bucketWidth+1)
	}
	return g
}

// chunk plans the cases from lo to hi.
func (g *generator) chunk(lo, hi int) chunk {
	var cases, assignments, events blockWriter
	for i := lo; i < hi; i++ {
		g.planCase(int32(i), &cases, &assignments)
	}
	// Events before the next case was filed are all planned; the last chunk
	// writes the rest.
	until := len(g.buckets)
	if hi < len(g.skeletons) {
		until = int((g.skeletons[hi].created - g.start) / bucketWidth)
	}
	for ; g.emitted < until; g.emitted++ {
		bucket := g.buckets[g.emitted]
		slices.SortFunc(bucket, func(a, b event) int { return a.before(&b) })
		for i := range bucket {
			g.appendEvent(&events, &bucket[i])
		}
		g.buckets[g.emitted] = nil
	}
	return chunk{cases.done(), assignments.done(), events.done()}
}

type caseState struct {
	idx              int32
	status           string
	version, round   int
	rating           int
	created, updated int64
	// leadWanted is when the case began waiting for a new lead; 0: it does not.
	leadWanted int64
	// live counts the assignments of the round neither declined nor cancelled.
	live   int
	events uint8
}

type assignmentState struct {
	idx  int32
	dept int64
	lead bool
	// extension is the status of its request for more time; "" for none.
	status, extension             string
	version                       int
	due, dispatched, updated      int64
	accepted, completed, extUntil int64 // 0: none
	extRequested                  int64 // when the last request for more time was made; 0: none
	resolution                    string
}

// How often, in percent, what befalls only some assignments happens.
const (
	// a supporting department declines (a lead's decline is drawn with the skeleton);
	supportDeclinePercent = 3
	// the coordinator urges a department that has not accepted, or one at work;
	urgePendingPercent    = 15
	urgeInProgressPercent = 4
	// the coordinator withdraws a supporting department;
	cancelPercent = 2
	// the work of a case still in progress is done, awaiting confirmation;
	completedPercent = 10
	// an extension is asked for and granted, or denied, or (work still
	// going on) awaits a decision;
	grantPercent   = 3
	denyPercent    = 2
	pendingPercent = 10
	// completed work is sent back once.
	returnPercent = 4
)

// replacedByCoordinator: one in this many replaced leads was withdrawn.
const replacedByCoordinator = 4

var (
	day  = (24 * time.Hour).Microseconds()
	week = 7 * day
)

func (g *generator) planCase(idx int32, cases, assignments *blockWriter) {
	sk := g.skeletons[idx]
	c := &caseState{idx: idx, version: 1, round: 1, created: sk.created, updated: sk.created}
	age := g.now - sk.created
	// at returns the moment a fraction f of the case's life so far.
	at := func(f float64) int64 { return sk.created + int64(f*float64(age)) }
	tmpl := g.rng.IntN(len(g.templates))
	priority := g.rng.IntN(len(priorities))
	g.event(c, nil, evCreate, sk.created, int64(tmpl*len(priorities)+priority))
	var round []*assignmentState
	switch sk.status {
	case submitted:
	case rejected:
		g.event(c, nil, evReject, at(0.2), 0)
	default:
		g.event(c, nil, evTriage, at(0.05), 0)
		if sk.assignments == 0 {
			break
		}
		var settled int64
		round, settled = g.dispatch(c, sk, age, at)
		switch sk.status {
		case triaged: // its only department, the lead, declined
		case dispatched:
			g.unaccepted(c, round, at)
		default:
			g.work(c, sk.status, round, settled, age, at)
		}
	}
	g.appendCase(cases, c, tmpl, priority)
	for _, a := range round {
		g.appendAssignment(assignments, c, a)
	}
}

// dispatch sends the case to a lead and up to two supporting departments at
// a tenth of its life. Those that decline do so one after the other within
// the next day (a twentieth of the life of younger cases), before anyone
// accepts, and a declined lead is replaced in the same round or not, as the
// skeleton says; one in replacedByCoordinator of the replaced leads did not
// decline but was withdrawn by the coordinator. It returns the round and
// when its last decline, withdrawal or dispatch happened.
func (g *generator) dispatch(c *caseState, sk skeleton, age int64, at func(float64) int64) ([]*assignmentState, int64) {
	t := at(0.1)
	n := int(sk.assignments)
	if sk.lead == leadReplaced {
		n--
	}
	first := g.rng.IntN(len(g.depts))
	round := make([]*assignmentState, n, sk.assignments)
	for i := range round {
		round[i] = g.dispatchTo(c, g.depts[(first+i)%len(g.depts)], i == 0, t)
		if i == 0 {
			g.event(c, nil, evAutoDispatched, t, 0)
		}
	}
	step := max(1, min(day, age/20)/4)
	for _, a := range round {
		// The supporters of a case waiting for a lead stay: with none live,
		// it would be triaged, not dispatched or in progress.
		if a.lead && sk.lead == leadStays || !a.lead && (sk.lead == leadWanted || g.rng.IntN(100) >= supportDeclinePercent) {
			continue
		}
		t += 1 + g.rng.Int64N(step)
		kind := evDecline
		if a.lead && sk.lead == leadReplaced && g.rng.IntN(replacedByCoordinator) == 0 {
			kind = evCancelPending
		}
		g.event(c, a, kind, t, 0)
		if a.lead && sk.lead == leadWanted {
			c.leadWanted = t
		}
		if c.live == 0 {
			g.event(c, nil, evAutoTriaged, t, 0)
		}
	}
	if sk.lead == leadReplaced {
		t += 1 + g.rng.Int64N(step)
		triaged := c.live == 0
		round = append(round, g.dispatchTo(c, g.depts[(first+n)%len(g.depts)], true, t))
		if triaged {
			g.event(c, nil, evAutoDispatched, t, 0)
		}
	}
	return round, t
}

func (g *generator) dispatchTo(c *caseState, dept int64, lead bool, t int64) *assignmentState {
	a := &assignmentState{idx: g.nextAsg, dept: dept, lead: lead, version: 1, due: t + week, dispatched: t}
	g.nextAsg++
	kind := evDispatchSupport
	if lead {
		kind = evDispatchLead
	}
	g.event(c, a, kind, t, a.due)
	return a
}

// unaccepted plans what happens to a round nobody has accepted: urges, and
// supporting departments withdrawn.
func (g *generator) unaccepted(c *caseState, round []*assignmentState, at func(float64) int64) {
	for _, a := range round {
		if a.status != string(workflow.AssignmentPending) {
			continue
		}
		if g.rng.IntN(100) < urgePendingPercent {
			g.event(c, a, evUrgePending, at(0.5), 0)
		}
		g.maybeCancel(c, a, evCancelPending, at(0.6))
	}
}

// maybeCancel withdraws a supporting department now and then, never the
// last live one, whose withdrawal would send the case back to triage.
func (g *generator) maybeCancel(c *caseState, a *assignmentState, kind eventKind, t int64) bool {
	if a.lead || c.live < 2 || g.rng.IntN(100) >= cancelPercent {
		return false
	}
	g.event(c, a, kind, t, 0)
	return true
}

// work plans what happens after the round is settled: acceptance, the
// departments' work, and for the cases that got that far, confirmation and
// rating.
func (g *generator) work(c *caseState, status caseStatus, round []*assignmentState, settled, age int64, at func(float64) int64) {
	// Most departments accept within a day; none later than a tenth of the case's life.
	acceptWithin := min(36*time.Hour.Microseconds(), age/10)
	first := g.now
	for _, a := range round {
		if a.status == string(workflow.AssignmentPending) {
			g.event(c, a, evAccept, settled+g.rng.Int64N(acceptWithin), 0)
			first = min(first, a.accepted)
		}
	}
	g.event(c, nil, evAutoInProgress, first, 0)
	for _, a := range round {
		if a.status == string(workflow.AssignmentInProgress) {
			g.workOn(c, a, status != inProgress || g.rng.IntN(100) < completedPercent, at)
		}
	}
	if status == inProgress {
		return
	}
	for _, a := range round {
		if a.status == string(workflow.AssignmentCompleted) {
			g.event(c, a, evConfirm, at(0.8), 0)
		}
	}
	g.event(c, nil, evAutoResolved, at(0.8), 0)
	switch status {
	case closed:
		g.event(c, nil, evRateClosed, at(0.9), int64(3+g.rng.IntN(3)))
	case reopened:
		g.event(c, nil, evRateReopened, at(0.9), int64(1+g.rng.IntN(2)))
		c.round = 2
	}
}

// workOn plans one department's work from acceptance on: progress notes,
// an urge, a withdrawal, a request for more time, work sent back, and,
// when finish is set, completion.
func (g *generator) workOn(c *caseState, a *assignmentState, finish bool, at func(float64) int64) {
	for i := range g.rng.IntN(3) {
		g.event(c, a, evProgress, at(0.3+0.1*float64(i)), 0)
	}
	if g.rng.IntN(100) < urgeInProgressPercent {
		g.event(c, a, evUrgeInProgress, at(0.42), 0)
	}
	if g.maybeCancel(c, a, evCancelInProgress, at(0.45)) {
		return
	}
	ext := g.rng.IntN(100)
	switch {
	case ext < grantPercent:
		g.requestExtension(c, a, at(0.45))
		g.event(c, a, evGrantExtension, at(0.5), a.extUntil)
	case ext < grantPercent+denyPercent:
		g.requestExtension(c, a, at(0.45))
		g.event(c, a, evDenyExtension, at(0.5), 0)
	}
	if g.rng.IntN(100) < returnPercent {
		g.event(c, a, evComplete, at(0.55), 0)
		g.event(c, a, evReturn, at(0.6), 0)
	}
	switch {
	case finish:
		g.event(c, a, evComplete, at(0.7), 0)
	case ext >= grantPercent+denyPercent && ext < grantPercent+denyPercent+pendingPercent:
		// A request awaits a decision only while the work goes on.
		g.requestExtension(c, a, at(0.65))
	}
}

// requestExtension asks for a week past the due date, or past now if that
// has gone by: the Service takes only a date in the future.
func (g *generator) requestExtension(c *caseState, a *assignmentState, t int64) {
	g.event(c, a, evRequestExtension, t, max(a.due, t)+week)
}

// event plans one event and applies it to its case or assignment, as the
// Service does: an assignment action moves the assignment's version and
// update time and sets the columns its command sets; a case action or
// automatic step moves the case's status, version and update time. The
// events of an assignment, and those of a case, are planned in the order
// they happen: the last one planned is the one that leaves the row as it is.
func (g *generator) event(c *caseState, a *assignmentState, kind eventKind, t, arg int64) {
	asg := int32(-1)
	info := &eventKinds[kind]
	if a != nil {
		asg = a.idx
		a.status, a.updated = info.to, t
		if info.kind != "dispatch" {
			a.version++
		}
		switch kind {
		case evDispatchLead, evDispatchSupport:
			c.live++
		case evDecline, evCancelPending, evCancelInProgress:
			c.live--
		case evAccept:
			a.accepted = t
		case evRequestExtension:
			a.extUntil, a.extension, a.extRequested = arg, "pending", t
		case evGrantExtension:
			a.due, a.extension = a.extUntil, "granted"
		case evDenyExtension:
			a.extension = "denied"
		case evComplete:
			a.completed, a.resolution = t, resolution
		case evReturn:
			a.completed = 0
		}
	} else {
		c.status = info.to
		if kind != evCreate {
			c.version++
		}
		if kind == evRateClosed || kind == evRateReopened {
			c.rating = int(arg)
		}
		c.updated = max(c.updated, t)
	}
	g.events++
	b := (t - g.start) / bucketWidth
	g.buckets[b] = append(g.buckets[b], event{at: t, arg: arg, caseIdx: c.idx, asg: asg, kind: kind, n: c.events})
	c.events++
}

func (g *generator) appendCase(w *blockWriter, c *caseState, tmpl, priority int) {
	year := time.UnixMicro(c.created).In(g.location).Year()
	ref := g.refPrefix + "-" + strconv.Itoa(year) + "-" + string(appendDigits(nil, g.nextRef[year], 6))
	g.nextRef[year]++
	b := strconv.AppendInt(w.row(), g.caseIDs[c.idx], 10)
	b = append(b, '\t')
	b = append(b, copyText(ref)...)
	b = append(b, '\t')
	b = append(b, g.templates[tmpl].columns...)
	b = append(b, '\t')
	b = append(b, priorities[priority]...)
	b = append(b, '\t')
	b = append(b, c.status...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, g.reporterID, 10)
	b = append(b, '\t')
	if c.rating == 0 {
		b = append(b, copyNull...)
	} else {
		b = strconv.AppendInt(b, int64(c.rating), 10)
	}
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(c.round), 10)
	b = append(b, '\t')
	b = g.tf.appendMicros(b, c.created)
	b = append(b, '\t')
	b = g.tf.appendMicros(b, c.updated)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(c.version), 10)
	b = append(b, '\t')
	b = g.appendTime(b, c.leadWanted)
	b = append(b, '\t')
	w.buf = appendGrams(b, g.templates[tmpl].grams, ref)
	w.endRow()
}

func (g *generator) appendAssignment(w *blockWriter, c *caseState, a *assignmentState) {
	role := "support"
	if a.lead {
		role = "lead"
	}
	b := strconv.AppendInt(w.row(), g.asgIDs[a.idx], 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, g.caseIDs[c.idx], 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, a.dept, 10)
	b = append(b, '\t')
	b = append(b, role...)
	b = append(b, "\t1\t请于期限内处理并反馈结果\t"...)
	b = append(b, a.status...)
	b = append(b, '\t')
	b = g.tf.appendMicros(b, a.due)
	b = append(b, '\t')
	if a.extension == "" {
		b = append(b, copyNull+"\t"+copyNull+"\t"+copyNull+"\t"+copyNull...)
	} else {
		b = g.tf.appendMicros(b, a.extUntil)
		b = append(b, "\t"+extensionReason+"\t"...)
		b = append(b, a.extension...)
		b = append(b, '\t')
		b = g.tf.appendMicros(b, a.extRequested)
	}
	b = append(b, '\t')
	b = append(b, a.resolution...)
	b = append(b, '\t')
	b = g.tf.appendMicros(b, a.dispatched)
	b = append(b, '\t')
	b = g.appendTime(b, a.accepted)
	b = append(b, '\t')
	b = g.appendTime(b, a.completed)
	b = append(b, '\t')
	b = g.tf.appendMicros(b, a.dispatched)
	b = append(b, '\t')
	b = g.tf.appendMicros(b, a.updated)
	b = append(b, '\t')
	w.buf = strconv.AppendInt(b, int64(a.version), 10)
	w.endRow()
}

// appendTime appends t, or NULL for 0.
func (g *generator) appendTime(b []byte, t int64) []byte {
	if t == 0 {
		return append(b, copyNull...)
	}
	return g.tf.appendMicros(b, t)
}

func (g *generator) appendEvent(w *blockWriter, e *event) {
	b := strconv.AppendInt(w.row(), g.caseIDs[e.caseIdx], 10)
	b = append(b, '\t')
	if e.asg < 0 {
		b = append(b, copyNull...)
	} else {
		b = strconv.AppendInt(b, g.asgIDs[e.asg], 10)
	}
	b = append(b, '\t')
	b = g.tf.appendMicros(b, e.at)
	b = append(b, '\t')
	b = append(b, g.eventColumns[e.kind]...)
	switch e.kind {
	case evCreate:
		b = append(b, g.templates[e.arg/int64(len(priorities))].createData...)
		b = append(b, `,"priority":"`...)
		b = append(b, priorities[e.arg%int64(len(priorities))]...)
		b = append(b, `"}`...)
	case evDispatchLead, evDispatchSupport:
		role := `"support"`
		if e.kind == evDispatchLead {
			role = `"lead"`
		}
		b = append(b, `{"due_at":`...)
		b = appendJSONTime(b, e.arg)
		b = append(b, `,"role":`+role+`}`...)
	case evRequestExtension:
		b = append(b, `{"reason":"`+extensionReason+`","until":`...)
		b = appendJSONTime(b, e.arg)
		b = append(b, '}')
	case evGrantExtension:
		b = append(b, `{"due_at":`...)
		b = appendJSONTime(b, e.arg)
		b = append(b, '}')
	case evRateClosed, evRateReopened:
		b = append(b, `{"score":`...)
		b = strconv.AppendInt(b, e.arg, 10)
		b = append(b, '}')
	}
	w.buf = b
	w.endRow()
}

// blockSize is about how much COPY text goes to the server per call.
const blockSize = 256 << 10

// blockWriter collects rows into blocks of whole rows, each without its
// last newline, as lib/pq's CopyData adds one.
type blockWriter struct {
	blocks [][]byte
	buf    []byte
}

// row returns the block to append a row to.
func (w *blockWriter) row() []byte {
	if w.buf == nil {
		// Room for the last row past blockSize, so that a block is not copied as it grows.
		w.buf = make([]byte, 0, blockSize+16<<10)
	}
	return w.buf
}

func (w *blockWriter) endRow() {
	if len(w.buf) >= blockSize {
		w.blocks = append(w.blocks, w.buf)
		w.buf = nil
		return
	}
	w.buf = append(w.buf, '\n')
}

func (w *blockWriter) done() [][]byte {
	if len(w.buf) > 0 {
		w.blocks = append(w.blocks, w.buf[:len(w.buf)-1])
	}
	return w.blocks
}
