package digest

import (
	"strings"
	"testing"
	"time"

	"casetrack/workflow"
)

func TestLongSectionsListTheFirstItemsAndCountTheRest(t *testing.T) {
	r, err := newRenderer(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	overdue := make([]Item, ItemsShown+5)
	for i := range overdue {
		overdue[i] = Item{Ref: "CT-2026-" + string(rune('A'+i)), URL: "https://casetrack.example/cases/1", Days: 3}
	}
	d := &DepartmentDigest{Week: Week{2026, 47}, Department: workflow.Department{Code: "transport", Name: "区交通局"},
		ListURL: "https://casetrack.example/departments/transport", OverdueItems: ItemList{Items: overdue, Total: len(overdue)}}
	for lang, more := range map[string][]string{
		"zh-CN": {"……另有 5 件，完整列表：https://casetrack.example/departments/transport", "……另有 5 件"},
		"en":    {"… and 5 more: https://casetrack.example/departments/transport", "… and 5 more"},
	} {
		m, err := r.render("department", view{Digest: d, Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(m.Text, "https://casetrack.example/cases/1"); got != ItemsShown {
			t.Errorf("%s text lists %d items, want %d", lang, got, ItemsShown)
		}
		if !strings.Contains(m.Text, more[0]) || !strings.Contains(m.HTML, more[1]) ||
			!strings.Contains(m.HTML, `<a href="https://casetrack.example/departments/transport">`) {
			t.Errorf("%s does not count the rest:\n%s\n%s", lang, m.Text, m.HTML)
		}
	}
}
