package exchange

import (
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ruletest"
)

// TestIsAccountIDIsTheRegexp holds the one account-id rule (role ARNs,
// policy ARNs, --allowed-account, trust policies) against the regexp it
// replaced, so that start-up compiles nothing and the rule stays exactly
// what it was.
func TestIsAccountIDIsTheRegexp(t *testing.T) {
	t.Parallel()
	ruletest.SameAsRegexp(t, "IsAccountID", `^[0-9]{12}$`, IsAccountID)
}

// TestIsRoleNameIsTheRegexp holds the one role-name rule (role ARNs,
// trust-policy --role-name) against the regexp it replaced.
func TestIsRoleNameIsTheRegexp(t *testing.T) {
	t.Parallel()
	ruletest.SameAsRegexp(t, "IsRoleName", `^[\w+=,.@-]{1,64}$`, IsRoleName)
}
