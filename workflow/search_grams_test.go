package workflow

import (
	"slices"
	"testing"
)

func TestQueryGramsKeepPairsAndLoneCharacters(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"围栏", []string{"围栏"}},
		{"栏", []string{"栏"}},
		{"人行横道", []string{"人行", "横道", "行横"}},
		{"围 栏", []string{"围", "栏"}},
		{"ct-2026", []string{"-2", "02", "20", "26", "ct", "t-"}},
	} {
		if got := queryGrams(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("queryGrams(%q) = %q, want %q", tc.query, got, tc.want)
		}
		// Every case that holds the query holds its grams: the lookup narrows, strpos decides.
		for _, g := range queryGrams(tc.query) {
			if !slices.Contains(SearchGrams("前"+tc.query+"后"), g) {
				t.Errorf("%q: gram %q is not among the grams of a text that holds the query", tc.query, g)
			}
		}
	}
}
