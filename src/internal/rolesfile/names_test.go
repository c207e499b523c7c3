package rolesfile

import (
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ruletest"
)

// TestValidNameIsTheRegexp holds the roles file's entry-name byte loop
// against the regexp it replaced.
func TestValidNameIsTheRegexp(t *testing.T) {
	t.Parallel()
	ruletest.SameAsRegexp(t, "validName", `^[A-Za-z0-9][A-Za-z0-9_.-]*$`, validName)
}
