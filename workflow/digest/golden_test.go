package digest_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

// The digests of week 47 over the fixed data set, as previewed on Monday
// morning, in both languages; -update rewrites them after a deliberate change.
func TestDigestsMatchTheGoldenFiles(t *testing.T) {
	t.Parallel()
	w := bishan(t)
	d := w.newDigester("", "test")
	for _, tc := range []struct{ name, department, lang string }{
		{"transport", "transport", "zh-CN"},
		{"transport", "transport", "en"},
		{"overview", "", "zh-CN"},
		{"overview", "", "en"},
	} {
		t.Run(tc.name+"."+tc.lang, func(t *testing.T) {
			subject, text, html, err := d.Preview(context.Background(), week47, tc.department, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+"."+tc.lang+".txt", "Subject: "+subject+"\n\n"+text)
			golden(t, tc.name+"."+tc.lang+".html", html)
		})
	}
}
