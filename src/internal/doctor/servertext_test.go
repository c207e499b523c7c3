package doctor

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

// TestServerTextKeepsRealMessages: STS's real error messages (REFERENCE.md
// section 3 and what AWS sends for the causes diagnosed here) pass through
// logging.ServerText unchanged, so the defence in depth against long
// values costs no diagnosis.
func TestServerTextKeepsRealMessages(t *testing.T) {
	t.Parallel()
	facts := trustpolicy.Facts{Issuer: "https://gitlab.example.com", Subject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
		Audience: []string{"https://gitlab.example.com"}, RoleARN: "arn:aws:iam::123456789012:role/deploy"}
	for _, m := range []struct{ code, message string }{
		{"AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"},
		{"InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://gitlab.example.com"},
		{"InvalidIdentityToken", "Incorrect token audience"},
		{"InvalidIdentityToken", "Could not connect to openid configuration of provider: `https://gitlab.example.com`"},
		{"IDPCommunicationError", "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"},
		{"ExpiredTokenException", "Token expired: current date/time 1764450000 must be before the expiration date/time1764449000"},
		{"ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"ValidationError", "1 validation error detected: Value 'aws-oidc session name that is far too long for sts to accept it' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/GitLabDeployRoleForProductionAccount2024/GitLabRunner-42-1234-5678 is not authorized to perform: sts:TagSession on resource: arn:aws:iam::210987654321:role/hub"},
		{"PackedPolicyTooLarge", "Packed policy consumes 112% of allotted space, please use smaller policy for your session."},
		{"RegionDisabledException", "STS is not activated in this region for account:123456789012. Your account administrator can activate STS in this region using the IAM Console."},
		{"InvalidClientTokenId", "The security token included in the request is invalid."},
	} {
		got := logging.ServerText(m.message)
		if got != m.message {
			t.Errorf("ServerText changed %q to %q", m.message, got)
		}
		if diff := cmp.Diff(Refusal(m.code, m.message, facts, exchange.Flags), Refusal(m.code, got, facts, exchange.Flags)); diff != "" {
			t.Errorf("the diagnosis of %q changed (-raw +printed):\n%s", m.message, diff)
		}
	}
}
