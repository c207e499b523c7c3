package schema

import (
	"os"
	"path/filepath"
	"testing"
)

// repoRoot walks up from the test's directory to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("failed to find the working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// schemaPath finds GitLab's CI schema: the copy kept in the repository,
// testdata/gitlab-ci-schema.json (GitLab's
// app/assets/javascripts/editor/schema/ci.json), so that every run, here and
// in CI, checks against the same rules. Update it on purpose with `make
// ci-schema` and review the diff. AWS_OIDC_CI_SCHEMA points at another copy.
func schemaPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("AWS_OIDC_CI_SCHEMA")
	if path == "" {
		path = filepath.Join(repoRoot(t), "tests", "schema", "testdata", "gitlab-ci-schema.json")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("GitLab's CI schema is missing: %v\n"+
			"it is kept at tests/schema/testdata/gitlab-ci-schema.json (make ci-schema fetches it), or set AWS_OIDC_CI_SCHEMA", err)
	}
	return path
}
