package synthetic

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"casetrack/workflow"

	"github.com/lib/pq"
)

// TestGramsEqualCaseSearchGrams checks that the grams merged from a
// template's and a reference's are those the Service stores for the case.
func TestGramsEqualCaseSearchGrams(t *testing.T) {
	refs := []string{"CT-2026-000123", "ct-2025-999999", "ab-2026-1000000", "站-2026-000001"}
	for _, tmpl := range templates() {
		fields := strings.Split(tmpl.columns, "\t")
		title, description, address := fields[0], fields[1], fields[3]
		for _, ref := range refs {
			var got pq.StringArray
			if err := got.Scan(copyUnescape(appendGrams(nil, tmpl.grams, ref))); err != nil {
				t.Fatal(err)
			}
			if want := workflow.CaseSearchGrams(title, description, ref, address); !slices.Equal(got, want) {
				t.Fatalf("grams of %q, %q:\n got %q\nwant %q", title, ref, got, want)
			}
		}
	}
}

// copyUnescape undoes COPY text's escaping of one column.
func copyUnescape(b []byte) []byte {
	return []byte(strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\r`, "\r").Replace(string(b)))
}

func TestArrayElementsAreEscapedForArrayAndCopy(t *testing.T) {
	got := appendGrams(nil, []string{"\"", "\\", "a\tb"}, "")
	var back pq.StringArray
	if err := back.Scan(copyUnescape(got)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"\"", "\\", "a\tb"}; !slices.Equal(back, want) {
		t.Fatalf("%s read back as %q, want %q", got, back, want)
	}
	if bytes.ContainsAny(got, "\t\n") {
		t.Fatalf("%q holds a raw tab or newline, which would end the COPY column", got)
	}
}

func TestTimestampsAreFormattedAsTimeDoes(t *testing.T) {
	var f timeFormat
	base := time.Date(2026, 11, 25, 23, 59, 59, 999_999_000, time.UTC)
	for _, t0 := range []time.Time{base, base.Add(time.Microsecond), base.Add(-36 * time.Hour), time.Date(1969, 12, 31, 1, 2, 3, 4000, time.UTC)} {
		got := string(f.appendMicros(nil, t0.UnixMicro()))
		if want := t0.Format("2006-01-02 15:04:05.000000") + "+00"; got != want {
			t.Errorf("appendMicros(%v) = %q, want %q", t0, got, want)
		}
	}
}

func testGenerator(seed uint64, cases int) *generator {
	opt := Options{Seed: seed, RefPrefix: "CT", Location: time.UTC, Now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	sk := skeletons(rand.New(rand.NewPCG(seed, 2026)), cases, 4, opt.Now)
	caseIDs, asgIDs := make([]int64, cases), make([]int64, 0, 3*cases)
	for i := range caseIDs {
		caseIDs[i] = int64(i + 1)
		for range sk[i].assignments {
			asgIDs = append(asgIDs, int64(len(asgIDs)+1))
		}
	}
	return newGenerator(opt, []int64{1, 2, 3, 4}, [4]int64{0, 11, 12, 13}, sk, caseIDs, asgIDs, map[int]int64{2026: 1})
}

// all plans every case in chunks of size, as Seed does.
func (g *generator) all(size int) (c chunk) {
	for lo := 0; lo < len(g.skeletons); lo += size {
		next := g.chunk(lo, min(lo+size, len(g.skeletons)))
		c.cases = append(c.cases, next.cases...)
		c.assignments = append(c.assignments, next.assignments...)
		c.events = append(c.events, next.events...)
	}
	return c
}

// TestEventsAreWrittenInTimeOrder checks that however the cases are cut
// into chunks, the events come out sorted by time, each case's in the
// order they were planned, and the same for the same seed.
func TestEventsAreWrittenInTimeOrder(t *testing.T) {
	whole := testGenerator(7, 3000).all(3000)
	chunked := testGenerator(7, 3000).all(250)
	join := func(blocks [][]byte) []byte { return bytes.Join(blocks, []byte("\n")) }
	if !bytes.Equal(join(whole.events), join(chunked.events)) || !bytes.Equal(join(whole.cases), join(chunked.cases)) {
		t.Fatal("chunking or a second run changed the data")
	}
	if bytes.Equal(join(whole.events), join(testGenerator(8, 3000).all(3000).events)) {
		t.Fatal("another seed gave the same events")
	}
	var last string
	rows := strings.Split(string(join(chunked.events)), "\n")
	for _, row := range rows {
		at := strings.Split(row, "\t")[2]
		if at < last {
			t.Fatalf("event at %s written after one at %s", at, last)
		}
		last = at
	}
	if len(rows) < 3000*5 {
		t.Fatalf("%d events for 3000 cases", len(rows))
	}
	last = ""
	for _, row := range strings.Split(string(join(chunked.cases)), "\n") {
		created := strings.Split(row, "\t")[11]
		if created < last {
			t.Fatalf("case filed at %s written after one filed at %s", created, last)
		}
		last = created
	}
}

// BenchmarkPlan measures the generator alone, without the database.
func BenchmarkPlan(b *testing.B) {
	const cases = 50_000
	for b.Loop() {
		testGenerator(1, cases).all(chunkSize)
	}
	b.ReportMetric(float64(cases*b.N)/b.Elapsed().Seconds(), "cases/s")
}
