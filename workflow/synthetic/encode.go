package synthetic

import (
	"strconv"
	"strings"
	"time"

	"casetrack/workflow"
)

// The rows are sent as COPY text: columns separated by tabs, rows by
// newlines, \N for NULL. Writing it directly costs a fraction of lib/pq's
// conversion of one database/sql argument at a time.

// copyEscaper escapes what COPY text gives a meaning to inside a column.
var copyEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

// copyText returns s as one COPY text column.
func copyText(s string) string { return copyEscaper.Replace(s) }

const copyNull = `\N`

// appendMicros appends t, in microseconds since the Unix epoch, as a UTC
// timestamptz: "2026-11-25 19:14:39.123456+00". The date is formatted once per
// day; time.Time's formatting of every timestamp cost more than the rest of a row.
type timeFormat struct {
	day  int64
	date []byte
}

func (f *timeFormat) appendMicros(b []byte, t int64) []byte {
	day := floorDiv(t, microsPerDay)
	if f.date == nil || day != f.day {
		f.day, f.date = day, time.UnixMicro(day*microsPerDay).UTC().AppendFormat(f.date[:0], "2006-01-02 ")
	}
	b = append(b, f.date...)
	in := t - day*microsPerDay
	b = appendDigits(b, in/3_600_000_000, 2)
	b = append(b, ':')
	b = appendDigits(b, in/60_000_000%60, 2)
	b = append(b, ':')
	b = appendDigits(b, in/1_000_000%60, 2)
	b = append(b, '.')
	b = appendDigits(b, in%1_000_000, 6)
	return append(b, "+00"...)
}

const microsPerDay = 86_400_000_000

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// appendDigits appends the non-negative n with at least width digits.
func appendDigits(b []byte, n int64, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], n, 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendJSONTime appends t, in microseconds, as encoding/json writes a UTC time.
func appendJSONTime(b []byte, t int64) []byte {
	b = append(b, '"')
	b = time.UnixMicro(t).UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendGrams appends the search grams of a case as a COPY text column
// holding a text[] literal: the union of its template's grams (title,
// description and address, computed once per template) and those of its
// reference. The texts are joined with spaces in workflow.CaseSearchGrams,
// so no gram spans two of them and the union equals what it computes. Both
// lists are sorted; merging them keeps the result sorted and distinct
// without sorting a hundred strings per case.
func appendGrams(b []byte, template []string, ref string) []byte {
	refGrams := workflow.SearchGrams(ref)
	b = append(b, '{')
	i, j := 0, 0
	for i < len(template) || j < len(refGrams) {
		var g string
		switch {
		case j == len(refGrams) || i < len(template) && template[i] < refGrams[j]:
			g, i = template[i], i+1
		case i == len(template) || refGrams[j] < template[i]:
			g, j = refGrams[j], j+1
		default:
			g, i, j = template[i], i+1, j+1
		}
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = appendArrayElement(b, g)
	}
	return append(b, '}')
}

// appendArrayElement appends s as a quoted array element, escaped for the
// array literal and then for COPY text.
func appendArrayElement(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b = append(b, `\\"`...)
		case '\\':
			b = append(b, `\\\\`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
