package output

import (
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ruletest"
)

// TestValidOutputNameIsTheRegexp holds the GitHub output-name byte loop
// against the regexp it replaced.
func TestValidOutputNameIsTheRegexp(t *testing.T) {
	t.Parallel()
	ruletest.SameAsRegexp(t, "validOutputName", `^[A-Za-z_][A-Za-z0-9_-]*$`, validOutputName)
}
