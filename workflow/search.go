package workflow

import (
	"slices"
	"strings"
	"unicode"
)

// SearchGrams returns the distinct characters and character pairs of text,
// lower-cased, leaving out white space. A case stores the grams of its
// searchable text; a query's grams must all be among them, which a GIN index
// answers for Chinese text of any length, one character included.
func SearchGrams(text string) []string {
	runes := []rune(strings.ToLower(text))
	grams := make([]string, 0, 2*len(runes))
	for i, r := range runes {
		if unicode.IsSpace(r) {
			continue
		}
		grams = append(grams, string(r))
		if i+1 < len(runes) && !unicode.IsSpace(runes[i+1]) {
			grams = append(grams, string(runes[i:i+2]))
		}
	}
	slices.Sort(grams)
	return slices.Compact(grams)
}

// CaseSearchGrams returns the grams stored with a case: those of the text a
// case query searches, namely title, description, reference and address.
func CaseSearchGrams(title, description, ref, address string) []string {
	return SearchGrams(title + " " + description + " " + ref + " " + address)
}

// queryGrams are the grams a case must hold to match query q: its
// character pairs, and those of its characters that belong to no pair (a
// one-character query, or one set apart by spaces). The characters of a
// pair add nothing to the lookup, and they mislead the planner, which takes
// the grams as independent: 围, 栏 and 围栏 each in one case of eight made
// it expect one case in five hundred to match, and read every match
// instead of walking the newest cases until a page is full.
func queryGrams(q string) []string {
	grams := SearchGrams(q)
	inPair := map[string]bool{}
	for _, g := range grams {
		if r := []rune(g); len(r) == 2 {
			inPair[string(r[0])], inPair[string(r[1])] = true, true
		}
	}
	return slices.DeleteFunc(grams, func(g string) bool { return inPair[g] })
}

// searchSQL matches a query against cases aliased c: the grams narrow the
// rows through the index, strpos keeps those that hold the exact text.
const searchSQL = `c.search_grams @> %[1]s AND strpos(lower(c.title || ' ' || c.description || ' ' || c.ref || ' ' || c.address), %[2]s) > 0`
