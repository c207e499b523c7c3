package ci

import (
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ruletest"
)

// TestIsVariableNameIsTheRegexp holds the one variable-name rule (--prefix,
// --token-env, the roles file's prefixes, shell and dotenv names) against
// the regexp it replaced, so that start-up compiles nothing and the rule
// stays exactly what it was.
func TestIsVariableNameIsTheRegexp(t *testing.T) {
	t.Parallel()
	ruletest.SameAsRegexp(t, "IsVariableName", `^[A-Za-z_][A-Za-z0-9_]*$`, IsVariableName)
}
