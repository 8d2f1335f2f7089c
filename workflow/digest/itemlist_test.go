package digest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// A list trimmed as items come shows the same first items as the list
// that kept them all, whatever their order of arrival and however many
// share a due date (the tie-break, by reference, is not known until the
// cases are named, so trim must keep every item tied with its last).
func TestTrimmedListShowsTheFirstItemsOfTheWholeList(t *testing.T) {
	base := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		// Few distinct due dates, so that ties cross the cut.
		days := 1 + rng.IntN(40)
		var whole, trimmed ItemList
		for i := range 5000 {
			it := Item{CaseID: int64(i), Ref: fmt.Sprintf("CT-%05d", rng.IntN(100000)), DueAt: base.AddDate(0, 0, rng.IntN(days))}
			whole.add(it)
			trimmed.add(it)
			trimmed.trim(ItemsShown, dueOf)
		}
		if trimmed.Total != whole.Total {
			t.Fatalf("seed %d: trimmed list counts %d items, the whole list %d", seed, trimmed.Total, whole.Total)
		}
		if len(trimmed.Items) >= len(whole.Items) && days > 1 {
			t.Fatalf("seed %d: trim kept all %d items", seed, len(trimmed.Items))
		}
		whole.keepFirst(ItemsShown, byDue)
		trimmed.keepFirst(ItemsShown, byDue)
		if !slices.Equal(trimmed.Items, whole.Items) {
			t.Fatalf("seed %d (%d due dates): trimmed list shows %v, the whole list %v", seed, days, trimmed.Items, whole.Items)
		}
	}
}

// A list with fewer than twice ItemsShown items is left as it is.
func TestTrimLeavesAShortListAlone(t *testing.T) {
	var l ItemList
	for i := range 2*ItemsShown - 1 {
		l.add(Item{CaseID: int64(i), At: time.Unix(int64(-i), 0)})
		l.trim(ItemsShown, atOf)
	}
	if len(l.Items) != 2*ItemsShown-1 || l.Items[0].CaseID != 0 {
		t.Fatalf("a short list was trimmed or reordered: %d items, first %d", len(l.Items), l.Items[0].CaseID)
	}
}
