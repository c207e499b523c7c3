package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// input is one entry of a template's spec:inputs, in file order.
type input struct {
	Name        string
	Type        string // string, number, boolean or array; GitLab's default is string
	Description string
	Default     any
	HasDefault  bool
	Options     []any
	Regex       string
}

// template is a component file split the way GitLab reads it: a spec header,
// then the configuration that the inputs are interpolated into.
type template struct {
	Path      string
	Header    *yaml.Node
	Body      *yaml.Node
	Component []string
	Inputs    []input
}

func loadTemplate(t *testing.T, path string) *template {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("failed to read template: %v", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: invalid YAML: %v", path, err)
		}
		docs = append(docs, &doc)
	}
	if len(docs) != 2 {
		t.Fatalf("%s: a component is a spec document, `---`, then the jobs; found %d documents", path, len(docs))
	}

	var header struct {
		Spec struct {
			Component []string  `yaml:"component"`
			Inputs    yaml.Node `yaml:"inputs"`
		} `yaml:"spec"`
	}
	if err := docs[0].Decode(&header); err != nil {
		t.Fatalf("%s: invalid spec: %v", path, err)
	}
	tpl := &template{Path: path, Header: docs[0], Body: docs[1], Component: header.Spec.Component}

	// Walk the mapping node rather than decoding into a map, to keep the
	// inputs in the order the file declares them (the docs table follows it).
	in := header.Spec.Inputs
	for i := 0; i+1 < len(in.Content); i += 2 {
		var raw struct {
			Type        string    `yaml:"type"`
			Description string    `yaml:"description"`
			Default     yaml.Node `yaml:"default"`
			Options     []any     `yaml:"options"`
			Regex       string    `yaml:"regex"`
		}
		if err := in.Content[i+1].Decode(&raw); err != nil {
			t.Fatalf("%s: input %q: %v", path, in.Content[i].Value, err)
		}
		spec := input{
			Name:        in.Content[i].Value,
			Type:        raw.Type,
			Description: raw.Description,
			Options:     raw.Options,
			Regex:       raw.Regex,
		}
		if spec.Type == "" {
			spec.Type = "string"
		}
		if raw.Default.Kind != 0 {
			spec.HasDefault = true
			if err := raw.Default.Decode(&spec.Default); err != nil {
				t.Fatalf("%s: input %q: default: %v", path, spec.Name, err)
			}
		}
		tpl.Inputs = append(tpl.Inputs, spec)
	}
	return tpl
}

func (tpl *template) input(name string) (input, bool) {
	for _, in := range tpl.Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return input{}, false
}

// resolve gives every input its value the way GitLab does: the value given,
// else the default; and checks it against the input's type, options and
// regex (RE2, as GitLab's), so that a test cannot pass with values GitLab
// would refuse.
func (tpl *template) resolve(given map[string]any) (map[string]any, error) {
	for name := range given {
		if _, ok := tpl.input(name); !ok {
			return nil, fmt.Errorf("unknown input %q", name)
		}
	}
	values := make(map[string]any, len(tpl.Inputs))
	for _, in := range tpl.Inputs {
		v, ok := given[in.Name]
		if !ok {
			if !in.HasDefault {
				return nil, fmt.Errorf("input %q is required", in.Name)
			}
			v = in.Default
		}
		if err := in.check(v); err != nil {
			return nil, err
		}
		values[in.Name] = v
	}
	return values, nil
}

func (in input) check(v any) error {
	ok := false
	switch in.Type {
	case "string":
		_, ok = v.(string)
	case "number":
		switch v.(type) {
		case int, float64:
			ok = true
		}
	case "boolean":
		_, ok = v.(bool)
	case "array":
		_, ok = v.([]any)
	}
	if !ok {
		return fmt.Errorf("input %q: %v is not a %s", in.Name, v, in.Type)
	}
	if len(in.Options) > 0 {
		found := false
		for _, o := range in.Options {
			if fmt.Sprint(o) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("input %q: %v is not one of %v", in.Name, v, in.Options)
		}
	}
	if in.Regex != "" {
		re, err := regexp.Compile(in.Regex)
		if err != nil {
			return fmt.Errorf("input %q: regex is not RE2: %w", in.Name, err)
		}
		if s, isString := v.(string); isString && !re.MatchString(s) {
			return fmt.Errorf("input %q: %q does not match %s", in.Name, s, in.Regex)
		}
	}
	return nil
}

// block is one interpolation, `$[[ inputs.name ]]` or `$[[ component.sha ]]`;
// functions (`| expand_vars`) are refused because we use none.
var block = regexp.MustCompile(`\$\[\[\s*(inputs|component)\.([A-Za-z0-9_-]+)\s*(\|[^\]]*)?\]\]`)

// interpolate returns a copy of the template's body with every block
// replaced, as GitLab does it: a scalar that is exactly one block takes the
// value with its type (a number stays a number, an array becomes a
// sequence); a block inside a longer string is replaced by its text. The
// replacement is not interpolated again.
func (tpl *template) interpolate(inputs map[string]any, component map[string]string) (*yaml.Node, error) {
	var used = map[string]bool{}
	lookup := func(kind, name string) (any, error) {
		switch kind {
		case "inputs":
			v, ok := inputs[name]
			if !ok {
				return nil, fmt.Errorf("unknown interpolation key inputs.%s", name)
			}
			used[name] = true
			return v, nil
		default:
			declared := false
			for _, c := range tpl.Component {
				declared = declared || c == name
			}
			if !declared {
				return nil, fmt.Errorf("component.%s is used but not declared in spec:component", name)
			}
			return component[name], nil
		}
	}

	var walk func(n *yaml.Node) (*yaml.Node, error)
	walk = func(n *yaml.Node) (*yaml.Node, error) {
		out := *n
		if n.Kind == yaml.ScalarNode {
			if !strings.Contains(n.Value, "$[[") {
				return &out, nil
			}
			matches := block.FindAllStringSubmatchIndex(n.Value, -1)
			if strings.Count(n.Value, "$[[") != len(matches) {
				return nil, fmt.Errorf("line %d: malformed interpolation in %q", n.Line, n.Value)
			}
			for _, m := range matches {
				if m[6] >= 0 {
					return nil, fmt.Errorf("line %d: interpolation functions are not used here: %q", n.Line, n.Value)
				}
			}
			if len(matches) == 1 && matches[0][0] == 0 && matches[0][1] == len(n.Value) {
				m := matches[0]
				v, err := lookup(n.Value[m[2]:m[3]], n.Value[m[4]:m[5]])
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", n.Line, err)
				}
				return valueNode(v)
			}
			var b strings.Builder
			last := 0
			for _, m := range matches {
				v, err := lookup(n.Value[m[2]:m[3]], n.Value[m[4]:m[5]])
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", n.Line, err)
				}
				b.WriteString(n.Value[last:m[0]])
				b.WriteString(fmt.Sprint(v))
				last = m[1]
			}
			b.WriteString(n.Value[last:])
			out.Value = b.String()
			out.Tag = "!!str"
			out.Style = 0
			return &out, nil
		}
		out.Content = make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			ic, err := walk(c)
			if err != nil {
				return nil, err
			}
			out.Content[i] = ic
		}
		return &out, nil
	}
	body, err := walk(tpl.Body)
	if err != nil {
		return nil, err
	}
	for _, in := range tpl.Inputs {
		if !used[in.Name] {
			return nil, fmt.Errorf("input %q is declared but never used", in.Name)
		}
	}
	return body, nil
}

// valueNode turns an input's value into the YAML node GitLab would put in
// its place.
func valueNode(v any) (*yaml.Node, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return doc.Content[0], nil
}
