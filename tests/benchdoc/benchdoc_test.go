package benchdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSections(t *testing.T) {
	t.Parallel()
	doc := "# Benchmarks\n\nfigures\n"
	doc = Replace(doc, "load", "## Load\n\nold")
	doc = Replace(doc, "sim", "## Sim\n\nsim figures")
	doc = Replace(doc, "load", "## Load\n\nnew")
	if strings.Contains(doc, "old") || strings.Count(doc, "## Load") != 1 || !strings.Contains(doc, "sim figures") {
		t.Fatalf("Replace:\n%s", doc)
	}
	if got := Sections(doc); len(got) != 2 || !strings.Contains(got[0], "new") {
		t.Fatalf("Sections = %q", got)
	}
	// A benchmark that rewrites the whole file keeps the others' sections.
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	kept := KeepSections("# Benchmarks\n\nrewritten\n", path)
	if !strings.Contains(kept, "rewritten") || !strings.Contains(kept, "## Load\n\nnew") || !strings.Contains(kept, "sim figures") {
		t.Fatalf("KeepSections:\n%s", kept)
	}
	if err := WriteSection(path, "sim", "## Sim\n\nagain"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "sim figures") || !strings.Contains(string(data), "again") || !strings.Contains(string(data), "new") {
		t.Fatalf("WriteSection:\n%s", data)
	}
}
