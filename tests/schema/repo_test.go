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

// schemaPath finds GitLab's CI schema: the shared folder sits beside the
// checkout, both in the work tree and in CI. AWS_OIDC_CI_SCHEMA overrides it
// for checkouts laid out differently.
func schemaPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("AWS_OIDC_CI_SCHEMA")
	if path == "" {
		path = filepath.Join(repoRoot(t), "..", "shared", "gitlab-ci-schema.json")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("GitLab's CI schema is missing: %v\n"+
			"it is expected at ../shared/gitlab-ci-schema.json beside the checkout, or set AWS_OIDC_CI_SCHEMA", err)
	}
	return path
}
