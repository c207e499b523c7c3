package e2e

import (
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// TestVersityGW runs every end-to-end case against VersityGW, the most
// AWS-faithful peer, in its own network namespace.
func TestVersityGW(t *testing.T) {
	t.Parallel()
	leaks := harness.NewLeaks(t, nil)
	b := StartVersity(t, leaks, bin, 1)
	runCases(t, b)
}
