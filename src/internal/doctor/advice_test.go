package doctor

import (
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

const host = "gitlab.example.com"

func TestRefusal(t *testing.T) {
	t.Parallel()
	facts := trustpolicy.Facts{
		Issuer:   "https://gitlab.example.com",
		Subject:  "project_path:mygroup/myproject:ref_type:branch:ref:main",
		Audience: []string{"https://gitlab.example.com"},
		RoleARN:  "arn:aws:iam::123456789012:role/deploy",
	}
	cases := []struct {
		name, code, message string
		wantID              string
		wantFix             []string
	}{
		{name: "access_denied", code: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithWebIdentity", wantID: "trust-policy",
			wantFix: []string{
				`{"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"}`,
				`"gitlab.example.com:sub" = "project_path:mygroup/myproject:ref_type:branch:ref:main"`,
				`"gitlab.example.com:aud" = "https://gitlab.example.com"`,
				"StringLike, not StringEquals",
			}},
		{name: "keys_unreachable", code: "InvalidIdentityToken", message: "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
			wantID: "keys-unreachable", wantFix: []string{"https://gitlab.example.com/.well-known/openid-configuration", "5 seconds", "ci_id_tokens_issuer_url"}},
		{name: "tls_chain", code: "InvalidIdentityToken", message: "Could not connect to openid configuration of provider: `https://gitlab.example.com`",
			wantID: "tls-chain", wantFix: []string{"leaf, then intermediates, then root"}},
		{name: "no_provider", code: "InvalidIdentityToken", message: "No OpenIDConnect provider found in your account for https://gitlab.example.com",
			wantID: "no-provider", wantFix: []string{`URL "https://gitlab.example.com"`}},
		{name: "audience", code: "InvalidIdentityToken", message: "Incorrect token audience", wantID: "audience",
			wantFix: []string{`"https://gitlab.example.com" is not in the client ID list`}},
		{name: "jwks_fetch_failed_compatible_server", code: "AccessDenied", message: "failed to fetch JWKS: dial tcp 127.0.0.1:1: connection refused",
			wantID: "keys-unreachable", wantFix: []string{"jwks_uri"}},
		{name: "role_not_found_compatible_server", code: "AccessDenied", message: "role not found: deploy", wantID: "no-role",
			wantFix: []string{`"arn:aws:iam::123456789012:role/deploy" does not exist`}},
		{name: "generic_invalid_token_names_conditions", code: "InvalidIdentityToken", message: "the token could not be validated",
			wantID: "invalid-token", wantFix: []string{"IAM OIDC provider", `"gitlab.example.com:sub" = "project_path:mygroup/myproject:ref_type:branch:ref:main"`}},
		{name: "idp_communication", code: "IDPCommunicationError", message: "timeout", wantID: "issuer-unreachable", wantFix: []string{"5-second"}},
		{name: "expired", code: "ExpiredTokenException", message: "Token expired", wantID: "expired", wantFix: []string{"start of the job"}},
		{name: "max_duration", code: "ValidationError", message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
			wantID: "duration", wantFix: []string{"MaxSessionDuration"}},
		{name: "region_disabled", code: "RegionDisabledException", message: "STS is not activated", wantID: "region-disabled", wantFix: []string{"--region"}},
		{name: "unknown", code: "Weird", message: "", wantID: "unknown", wantFix: []string{`"Weird"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Refusal(tc.code, tc.message, facts, exchange.Flags)
			if got.ID != tc.wantID {
				t.Errorf("ID = %q, want %q", got.ID, tc.wantID)
			}
			for _, want := range tc.wantFix {
				if !strings.Contains(got.Fix, want) {
					t.Errorf("Fix lacks %q:\n%s", want, got.Fix)
				}
			}
		})
	}
}

func TestRefusalWithTrustPolicy(t *testing.T) {
	t.Parallel()
	f := trustpolicy.Facts{Issuer: "https://" + host, Subject: "project_path:mygroup/myproject:ref_type:branch:ref:main", Audience: []string{"https://" + host}}
	f.RoleARN = "arn:aws:iam::123456789012:role/deploy"
	f.TrustPolicy = trustPolicy(t, `{"StringEquals":{"`+host+`:sub":"project_path:mygroup/*"}}`)
	got := Refusal("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", f, exchange.Flags)
	if got.ID != "trust-policy" || !strings.Contains(got.Fix, "compares literally") {
		t.Errorf("got %+v", got)
	}
	f.TrustPolicy = trustPolicy(t, `{"StringLike":{"`+host+`:sub":"project_path:mygroup/*"}}`)
	got = Refusal("AccessDenied", "Not authorized", f, exchange.Flags)
	if got.ID != "trust-policy-differs" || !strings.Contains(got.Fix, "aws iam get-role") {
		t.Errorf("got %+v", got)
	}
	// A server that says InvalidIdentityToken for a failed condition.
	other := f
	other.Subject = "project_path:othergroup/otherproject:ref_type:branch:ref:main"
	got = Refusal("InvalidIdentityToken", "The web identity token could not be validated", other, exchange.Flags)
	if got.ID != "trust-policy" || !strings.Contains(got.Fix, `the token's sub is "project_path:othergroup/otherproject`) {
		t.Errorf("got %+v", got)
	}
	// When the policy admits the token, InvalidIdentityToken keeps its own
	// explanation.
	if got = Refusal("InvalidIdentityToken", "The web identity token could not be validated", f, exchange.Flags); got.ID != "invalid-token" {
		t.Errorf("got %+v", got)
	}
}

// trustPolicy builds a one-statement trust policy with the given Condition
// JSON.
func trustPolicy(t *testing.T, condition string) *trustpolicy.Policy {
	t.Helper()
	p, err := trustpolicy.ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/` + host + `"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":` + condition + `}]}`))
	if err != nil {
		t.Fatalf("ParsePolicy: %v", err)
	}
	return p
}
