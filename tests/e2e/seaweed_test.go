package e2e

import (
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// TestSeaweedFS runs every end-to-end case against SeaweedFS, whose STS
// answers with error codes that differ from AWS's.
func TestSeaweedFS(t *testing.T) {
	t.Parallel()
	leaks := harness.NewLeaks(t, nil)
	b := StartSeaweedFS(t, leaks, bin, 2)
	runCases(t, b)
}
