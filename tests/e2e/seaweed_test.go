package e2e

import "testing"

// TestSeaweedFS runs every end-to-end case against SeaweedFS, whose STS
// answers with error codes that differ from AWS's.
func TestSeaweedFS(t *testing.T) {
	t.Parallel()
	leaks := NewLeaks(t, nil)
	b := StartSeaweedFS(t, leaks, bin, 2)
	runCases(t, b)
}
