// Package benchdoc keeps BENCHMARKS.md as several benchmarks write it: each
// owns a section between marker comments and rewrites only that, so that
// `make bench`, `make bench-load` and `make bench-sim` can run in any order
// and none loses another's figures.
package benchdoc

import (
	"fmt"
	"os"
	"strings"
)

func markers(name string) (begin, end string) {
	return fmt.Sprintf("<!-- begin %s: written by the benchmark, edits are lost -->\n", name),
		fmt.Sprintf("<!-- end %s -->\n", name)
}

// Sections returns every marked section of doc, markers included, in order.
func Sections(doc string) []string {
	var out []string
	for {
		i := strings.Index(doc, "<!-- begin ")
		if i < 0 {
			return out
		}
		name, _, ok := strings.Cut(doc[i+len("<!-- begin "):], ":")
		if !ok {
			return out
		}
		_, end := markers(name)
		j := strings.Index(doc[i:], end)
		if j < 0 {
			return out
		}
		out = append(out, doc[i:i+j+len(end)])
		doc = doc[i+j+len(end):]
	}
}

// Replace puts body in doc's section name, replacing the section's old
// text, or appends the section at the end.
func Replace(doc, name, body string) string {
	begin, end := markers(name)
	section := begin + strings.TrimRight(body, "\n") + "\n" + end
	if i := strings.Index(doc, begin); i >= 0 {
		if j := strings.Index(doc[i:], end); j >= 0 {
			return doc[:i] + section + doc[i+j+len(end):]
		}
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + section
}

// WriteSection replaces or appends section name of the file at path.
func WriteSection(path, name, body string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(path, []byte(Replace(string(old), name, body)), 0o644)
}

// KeepSections appends to doc every section of the file at path that doc
// does not hold: for a benchmark that rewrites the whole file.
func KeepSections(doc, path string) string {
	old, err := os.ReadFile(path)
	if err != nil {
		return doc
	}
	for _, s := range Sections(string(old)) {
		name, _, _ := strings.Cut(strings.TrimPrefix(s, "<!-- begin "), ":")
		begin, _ := markers(name)
		if !strings.Contains(doc, begin) {
			doc = strings.TrimRight(doc, "\n") + "\n\n" + s
		}
	}
	return doc
}
