package synthetic

import (
	"cmp"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
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
	evAccept
	evAutoInProgress
	evProgress
	evRequestExtension
	evComplete
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

const extensionReason = "需协调施工单位，申请延期"

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
	evAccept:           {"accept", "pending", "in_progress", staff, true, map[string]any{}},
	evAutoInProgress:   {"auto", "dispatched", "in_progress", system, false, map[string]any{}},
	evProgress:         {"progress", "in_progress", "in_progress", staff, true, map[string]any{"note": "已现场查看，正在协调处理"}},
	evRequestExtension: {"request_extension", "in_progress", "in_progress", staff, true, nil},
	evComplete:         {"complete", "in_progress", "completed", staff, true, map[string]any{"resolution": "已处理完毕"}},
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
	events           uint8
}

type assignmentState struct {
	idx                           int32
	dept                          int64
	lead                          bool
	status                        string
	version                       int
	due, dispatched, updated      int64
	accepted, completed, extUntil int64 // 0: none
	resolution                    string
}

func (g *generator) planCase(idx int32, cases, assignments *blockWriter) {
	sk := g.skeletons[idx]
	c := &caseState{idx: idx, version: 1, round: 1, created: sk.created, updated: sk.created}
	age := g.now - sk.created
	// at returns the moment a fraction f of the case's life so far.
	at := func(f float64) int64 { return sk.created + int64(f*float64(age)) }
	tmpl := g.rng.IntN(len(g.templates))
	priority := priorities[g.rng.IntN(len(priorities))]
	g.event(c, nil, evCreate, sk.created, int64(tmpl))
	var round []*assignmentState
	switch sk.status {
	case submitted:
	case rejected:
		g.event(c, nil, evReject, at(0.2), 0)
	default:
		g.event(c, nil, evTriage, at(0.05), 0)
		if sk.status == triaged {
			break
		}
		round = g.dispatchRound(c, int(sk.assignments), at(0.1))
		g.event(c, nil, evAutoDispatched, at(0.1), 0)
		if sk.status == dispatched {
			break
		}
		g.work(c, sk.status, round, age, at)
	}
	g.appendCase(cases, c, tmpl, priority)
	for _, a := range round {
		g.appendAssignment(assignments, c, a)
	}
}

// work plans what happens after dispatch: acceptance, progress, and for
// the cases that got that far, completion, confirmation and rating.
func (g *generator) work(c *caseState, status caseStatus, round []*assignmentState, age int64, at func(float64) int64) {
	// Most departments accept within a day; none later than a tenth of the case's life.
	acceptWithin := min(36*time.Hour.Microseconds(), age/10)
	for _, a := range round {
		g.event(c, a, evAccept, at(0.1)+g.rng.Int64N(acceptWithin), 0)
	}
	g.event(c, nil, evAutoInProgress, round[0].accepted+time.Second.Microseconds(), 0)
	for _, a := range round {
		for i := range g.rng.IntN(3) {
			g.event(c, a, evProgress, at(0.3+0.1*float64(i)), 0)
		}
	}
	if status == inProgress {
		if g.rng.IntN(5) == 0 {
			a := round[0]
			a.extUntil = a.due + (7 * 24 * time.Hour).Microseconds()
			g.event(c, a, evRequestExtension, at(0.6), a.extUntil)
		}
		return
	}
	for _, a := range round {
		g.event(c, a, evComplete, at(0.7), 0)
		g.event(c, a, evConfirm, at(0.8), 0)
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

// dispatchRound dispatches a lead and up to two supporting departments.
func (g *generator) dispatchRound(c *caseState, n int, t int64) []*assignmentState {
	first := g.rng.IntN(len(g.depts))
	round := make([]*assignmentState, n)
	for i := range round {
		a := &assignmentState{idx: g.nextAsg, dept: g.depts[(first+i)%len(g.depts)], lead: i == 0, version: 1,
			due: t + (7 * 24 * time.Hour).Microseconds(), dispatched: t}
		g.nextAsg++
		kind := evDispatchSupport
		if a.lead {
			kind = evDispatchLead
		}
		g.event(c, a, kind, t, a.due)
		round[i] = a
	}
	return round
}

// event plans one event and applies it to its case or assignment, as the
// Service does: case events move the case, and every event moves its case's
// version and update time.
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
		case evAccept:
			a.accepted = t
		case evComplete:
			a.completed, a.resolution = t, "已处理完毕"
		}
	} else {
		c.status = info.to
		if kind != evCreate {
			c.version++
		}
		if kind == evRateClosed || kind == evRateReopened {
			c.rating = int(arg)
		}
	}
	c.updated = max(c.updated, t)
	g.events++
	b := (t - g.start) / bucketWidth
	g.buckets[b] = append(g.buckets[b], event{at: t, arg: arg, caseIdx: c.idx, asg: asg, kind: kind, n: c.events})
	c.events++
}

func (g *generator) appendCase(w *blockWriter, c *caseState, tmpl int, priority string) {
	year := time.UnixMicro(c.created).In(g.location).Year()
	ref := g.refPrefix + "-" + strconv.Itoa(year) + "-" + string(appendDigits(nil, g.nextRef[year], 6))
	g.nextRef[year]++
	b := strconv.AppendInt(w.row(), g.caseIDs[c.idx], 10)
	b = append(b, '\t')
	b = append(b, copyText(ref)...)
	b = append(b, '\t')
	b = append(b, g.templates[tmpl].columns...)
	b = append(b, '\t')
	b = append(b, priority...)
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
	if a.extUntil == 0 {
		b = append(b, copyNull+"\t"+copyNull+"\t"+copyNull...)
	} else {
		b = g.tf.appendMicros(b, a.extUntil)
		b = append(b, "\t"+extensionReason+"\tpending"...)
	}
	b = append(b, '\t')
	b = append(b, a.resolution...)
	b = append(b, '\t')
	b = g.tf.appendMicros(b, a.dispatched)
	for _, t := range []int64{a.accepted, a.completed} {
		b = append(b, '\t')
		if t == 0 {
			b = append(b, copyNull...)
		} else {
			b = g.tf.appendMicros(b, t)
		}
	}
	b = append(b, '\t')
	b = g.tf.appendMicros(b, a.dispatched)
	b = append(b, '\t')
	b = g.tf.appendMicros(b, a.updated)
	b = append(b, '\t')
	w.buf = strconv.AppendInt(b, int64(a.version), 10)
	w.endRow()
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
		b = append(b, g.templates[e.arg].createData...)
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
