package synthetic

import (
	"encoding/json"
	"math/rand/v2"
	"time"

	"casetrack/workflow"
)

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

// template is the text of a case, the same for every case about one
// problem at one station, so its grams and encodings are computed once.
type template struct {
	// columns holds title, description, category and address as COPY text.
	columns string
	grams   []string
	// createData is the create event's data as COPY text, up to the
	// priority, which varies by case.
	createData string
}

func templates() []template {
	var ts []template
	for _, p := range problems {
		for _, s := range stations {
			title, description, address := s+p.title, s+p.detail, "重庆市璧山区"+s
			data, _ := json.Marshal(map[string]string{"title": title})
			data = data[:len(data)-1] // the closing brace comes after the priority
			ts = append(ts, template{
				columns: copyText(title) + "\t" + copyText(description) + "\t" + copyText(p.category) + "\t" + copyText(address),
				// The grams of the three texts joined as workflow.CaseSearchGrams joins them.
				grams:      workflow.SearchGrams(title + " " + description + " " + address),
				createData: copyText(string(data)),
			})
		}
	}
	return ts
}

// caseStatus is a final state of a generated case.
type caseStatus uint8

const (
	submitted caseStatus = iota
	triaged
	rejected
	dispatched
	inProgress
	resolved
	closed
	reopened
)

// Open cases were filed in the last three weeks, the others in the last
// eight, each at least an hour ago.
const (
	openWindow   = 3 * 7 * 24 * time.Hour
	closedWindow = 8 * 7 * 24 * time.Hour
	minAge       = time.Hour
)

// caseMix weighs the final states of the generated cases; open ones fall in openWindow.
var caseMix = []struct {
	status caseStatus
	weight int
	open   bool
}{
	{submitted, 5, true}, {triaged, 3, true}, {rejected, 2, false}, {dispatched, 10, true}, {inProgress, 35, true},
	{resolved, 8, false}, {closed, 32, false}, {reopened, 5, true},
}

// skeleton is what must be known of every case before any is generated:
// when it was filed (in microseconds since the Unix epoch), how it ended,
// how many assignments it was dispatched (to reserve the ids), and what
// became of its first lead, which decides that number and its state.
type skeleton struct {
	created     int64
	status      caseStatus
	assignments uint8
	lead        leadFate
}

// leadFate is what became of a case's first lead department.
type leadFate uint8

const (
	leadStays    leadFate = iota
	leadReplaced          // it declined and a new lead was dispatched in the same round
	leadWanted            // it declined and the case waits for a new one
)

// How often, in percent, a first lead declines: of the triaged cases, those
// whose only department was their lead; of the dispatched and in-progress
// cases with supporters, those that wait for a new lead; of the cases
// dispatched to fewer departments than there are, those whose lead was replaced.
const (
	triagedWaitingPercent = 10
	leadWantedPercent     = 2
	leadReplacedPercent   = 3
)

// skeletons draws n cases in the order they were filed. Case i is filed at
// the quantile (i+r)/n, r random in [0,1), of the mix of the two windows,
// and its state is drawn from those possible at that time: the filing
// times have the distribution of n independent draws, but come sorted.
func skeletons(rng *rand.Rand, n, departments int, now time.Time) []skeleton {
	closedWeight, openWeight := float64(len(statusDraws[0])), float64(len(statusDraws[1]))
	total := openWeight + closedWeight
	// Densities per microsecond of the two groups over their windows,
	// measured from the start of the closed window.
	closedDensity := closedWeight / total / float64(closedWindow.Microseconds())
	openDensity := openWeight / total / float64(openWindow.Microseconds())
	openStart := float64((closedWindow - openWindow).Microseconds())
	beforeOpen := closedDensity * openStart // the share filed before openStart
	start := now.Add(-closedWindow - minAge).UnixMicro()
	out := make([]skeleton, n)
	for i := range out {
		q := (float64(i) + rng.Float64()) / float64(n)
		x := q / closedDensity
		group := 0
		if q >= beforeOpen {
			x = (q + openDensity*openStart) / (closedDensity + openDensity)
			if rng.Float64() < openDensity/(closedDensity+openDensity) {
				group = 1
			}
		}
		draws := statusDraws[group]
		s := skeleton{created: start + int64(x), status: draws[rng.IntN(len(draws))]}
		drawRound(rng, &s, departments)
		out[i] = s
	}
	return out
}

// drawRound draws how many departments a case was dispatched to and the
// fate of its lead.
func drawRound(rng *rand.Rand, s *skeleton, departments int) {
	switch {
	case s.status == triaged:
		if rng.IntN(100) < triagedWaitingPercent {
			s.assignments, s.lead = 1, leadWanted
		}
		return
	case s.status < dispatched:
		return
	}
	s.assignments = uint8(min(1+rng.IntN(3), departments))
	switch {
	case (s.status == dispatched || s.status == inProgress) && s.assignments > 1 && rng.IntN(100) < leadWantedPercent:
		s.lead = leadWanted
	case int(s.assignments) < departments && rng.IntN(100) < leadReplacedPercent:
		s.lead = leadReplaced
		s.assignments++
	}
}

// statusDraws lists each state of caseMix as often as its weight: [0] the
// states of closed cases, [1] those of open ones.
var statusDraws = func() (d [2][]caseStatus) {
	for _, m := range caseMix {
		group := 0
		if m.open {
			group = 1
		}
		for range m.weight {
			d[group] = append(d[group], m.status)
		}
	}
	return d
}()
