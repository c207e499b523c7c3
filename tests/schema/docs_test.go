package schema

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the input tables in the docs from the templates' specs")

// inputsTable renders a component's inputs as the Markdown table the docs
// carry between its markers.
func inputsTable(tpl *template) string {
	var b strings.Builder
	b.WriteString("| Input | Type | Default | Description |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, in := range tpl.Inputs {
		def := "*required*"
		if in.HasDefault {
			def = code(in.Default)
		}
		desc := strings.Join(strings.Fields(in.Description), " ")
		if len(in.Options) > 0 {
			opts := make([]string, len(in.Options))
			for i, o := range in.Options {
				opts[i] = code(o)
			}
			desc += " One of " + strings.Join(opts, ", ") + "."
		}
		desc = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(desc)
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", in.Name, in.Type, def, cell(desc))
	}
	return b.String()
}

func code(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return `""`
		}
		return "`" + cell(v) + "`"
	case []any, map[string]any:
		data, _ := json.Marshal(v)
		return "`" + cell(string(data)) + "`"
	default:
		return fmt.Sprintf("`%v`", v)
	}
}

// cell keeps a value from breaking the table.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func markers(name string) (begin, end string) {
	return "<!-- BEGIN inputs " + name + " (go test ./tests/schema -run TestDocs -update) -->\n",
		"<!-- END inputs " + name + " -->"
}

// TestDocsInputTables keeps each component's input table in the docs equal
// to its spec. README.md must carry every component. Run with -update to
// regenerate.
func TestDocsInputTables(t *testing.T) {
	root := repoRoot(t)
	docs := []struct {
		path     string
		required bool
	}{
		{path: filepath.Join(root, "README.md"), required: true},
	}

	var templates []*template
	for _, path := range templatePaths(t) {
		templates = append(templates, loadTemplate(t, path))
	}

	for _, doc := range docs {
		data, err := os.ReadFile(doc.path)
		if err != nil {
			if doc.required {
				t.Fatalf("failed to read the docs: %v", err)
			}
			continue
		}
		text := string(data)
		if !doc.required && !strings.Contains(text, "<!-- BEGIN inputs ") {
			continue
		}
		rel, _ := filepath.Rel(root, doc.path)
		changed := text
		for _, tpl := range templates {
			name := componentName(tpl.Path)
			begin, end := markers(name)
			re := regexp.MustCompile(`(?s)` + regexp.QuoteMeta(begin) + `(.*?)` + regexp.QuoteMeta(end))
			m := re.FindStringSubmatchIndex(changed)
			if m == nil {
				t.Errorf("%s has no input table for component %q: add the lines\n%s%s", rel, name, begin, end)
				continue
			}
			want := inputsTable(tpl)
			if got := changed[m[2]:m[3]]; got != want {
				if !*update {
					t.Errorf("%s: the input table of %q differs from templates/%s.yml; run `go test ./tests/schema -run TestDocs -update`\nwant:\n%s\ngot:\n%s", rel, name, name, want, got)
					continue
				}
				changed = changed[:m[2]] + want + changed[m[3]:]
			}
		}
		if *update && changed != text {
			if err := os.WriteFile(doc.path, []byte(changed), 0o644); err != nil {
				t.Fatalf("failed to update %s: %v", rel, err)
			}
		}
	}
}
