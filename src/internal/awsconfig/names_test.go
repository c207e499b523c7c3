package awsconfig

import (
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ruletest"
)

// TestProfileCharsIsTheRegexp holds the profile-name byte loop against the
// regexp it replaced, so that start-up compiles nothing and the rule stays
// exactly what it was.
func TestProfileCharsIsTheRegexp(t *testing.T) {
	t.Parallel()
	ruletest.SameAsRegexp(t, "profileChars", `^[A-Za-z0-9_.+@-]+$`, profileChars)
}
