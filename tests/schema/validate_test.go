package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

const schemaURL = "https://gitlab.com/.gitlab-ci.yml"

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
)

// ciSchema compiles GitLab's CI schema once for all tests.
//
// The schema lags GitLab in one place we rely on: its `spec` object allows
// only `inputs`, while GitLab 18.7 added `spec:component` (the component
// context, https://docs.gitlab.com/ci/yaml/#speccomponent). We add exactly
// that property with the values GitLab accepts, and nothing else.
func ciSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := schemaPath(t)
	compileOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			compileErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			compileErr = fmt.Errorf("failed to parse %s: %w", path, err)
			return
		}
		if err := addSpecComponent(doc); err != nil {
			compileErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(schemaURL, doc); err != nil {
			compileErr = err
			return
		}
		compiled, compileErr = c.Compile(schemaURL)
	})
	if compileErr != nil {
		t.Fatalf("failed to compile GitLab's CI schema: %v", compileErr)
	}
	return compiled
}

func addSpecComponent(doc any) error {
	root, _ := doc.(map[string]any)
	props, _ := root["properties"].(map[string]any)
	spec, _ := props["spec"].(map[string]any)
	specProps, _ := spec["properties"].(map[string]any)
	if specProps == nil {
		return errors.New("the CI schema has no properties.spec.properties: has its shape changed?")
	}
	if _, ok := specProps["component"]; ok {
		return nil // the schema caught up
	}
	specProps["component"] = map[string]any{
		"type":        "array",
		"uniqueItems": true,
		"items":       map[string]any{"enum": []any{"name", "sha", "version", "reference"}},
	}
	return nil
}

// validateNode checks one YAML document against the CI schema.
func validateNode(t *testing.T, n *yaml.Node) error {
	t.Helper()
	var v any
	if err := n.Decode(&v); err != nil {
		return fmt.Errorf("failed to decode YAML: %w", err)
	}
	// Through JSON, so that the validator sees exactly JSON's types.
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("failed to convert YAML to JSON: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return ciSchema(t).Validate(inst)
}

// validateFile checks a plain (not component) CI file, every document in it.
func validateFile(t *testing.T, path string) error {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	count := 0
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("invalid YAML: %w", err)
		}
		count++
		if err := validateNode(t, &doc); err != nil {
			return err
		}
	}
	if count == 0 {
		return errors.New("no YAML document")
	}
	return nil
}
