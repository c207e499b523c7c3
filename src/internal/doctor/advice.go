package doctor

import (
	"fmt"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

// Cause is one diagnosed reason for a failure.
type Cause struct {
	// ID names the cause for tests and tools, for example "trust-policy".
	ID string
	// Fix says what to change, in words a person acts on.
	Fix string
}

// Refusal explains an STS error code and message, naming the tool's
// settings as n does: "--role-arn" on the command line (exchange.Flags),
// the input that sets it in the assume-role component.
func Refusal(code, message string, f trustpolicy.Facts, n exchange.Names) Cause {
	flag := n.Flag
	host := trustpolicy.IssuerHost(f.Issuer)
	lower := strings.ToLower(message)
	switch {
	case strings.Contains(lower, "could not connect to openid configuration"):
		return Cause{ID: "tls-chain", Fix: fmt.Sprintf(
			"AWS could not open %s/.well-known/openid-configuration over TLS. The issuer's certificate chain "+
				"must be served in order (leaf, then intermediates, then root), without duplicate or unrelated "+
				"certificates; run `aws-oidc doctor` to inspect the chain", strings.TrimSuffix(f.Issuer, "/"))}
	case strings.Contains(lower, "role not found"), strings.Contains(lower, "nosuchentity"),
		strings.Contains(lower, "role does not exist"):
		return Cause{ID: "no-role", Fix: fmt.Sprintf(
			"the role %q does not exist: check the account, path and name in %s", f.RoleARN, flag("role-arn"))}
	case strings.Contains(lower, "no openidconnect provider found"):
		return Cause{ID: "no-provider", Fix: fmt.Sprintf(
			"the role's account has no IAM OIDC identity provider for this issuer. Create one with URL "+
				"%q and audience %s (IAM console: Identity providers, or `aws iam create-open-id-connect-provider`)",
			"https://"+host, trustpolicy.Quoted(f.Audience))}
	case strings.Contains(lower, "incorrect token audience"):
		return Cause{ID: "audience", Fix: fmt.Sprintf(
			"the token's audience %s is not in the client ID list (audiences) of the IAM OIDC provider %q. "+
				"Add it there, or change `id_tokens: ... aud:` to an audience the provider lists",
			trustpolicy.Quoted(f.Audience), "https://"+host)}
	case strings.Contains(lower, "verification key"), strings.Contains(lower, "jwks"),
		strings.Contains(lower, "signing key"), strings.Contains(lower, "public key"):
		// AWS says "Couldn't retrieve verification key"; STS-compatible
		// servers name the JWKS fetch that failed.
		return Cause{ID: "keys-unreachable", Fix: fmt.Sprintf(
			"AWS could not fetch the issuer's signing keys. %s/.well-known/openid-configuration and its jwks_uri "+
				"must be reachable from the internet and answer within 5 seconds (no firewall, no private address). "+
				"For an instance the internet cannot reach, GitLab 18.1+ can publish the discovery documents "+
				"elsewhere (setting ci_id_tokens_issuer_url); run `aws-oidc doctor` to check",
			strings.TrimSuffix(f.Issuer, "/"))}
	}
	if f.TrustPolicy != nil {
		if c, ok := trustPolicyVerdict(code, f); ok {
			return c
		}
	}
	switch code {
	case "AccessDenied", "AccessDeniedException":
		return Cause{ID: "trust-policy", Fix: trustPolicyFix(f, host)}
	case "InvalidIdentityToken":
		// Some STS-compatible servers answer a failed trust condition with
		// a generic InvalidIdentityToken, so the conditions are named too.
		return Cause{ID: "invalid-token", Fix: fmt.Sprintf(
			"STS refused the token itself. Check that the role's account has an IAM OIDC provider with URL %q "+
				"whose audiences include %s, and that the issuer's keys are reachable from the internet (run "+
				"`aws-oidc doctor`). If both are fine, %s", "https://"+host, trustpolicy.Quoted(f.Audience), trustPolicyFix(f, host))}
	case "IDPCommunicationError":
		return Cause{ID: "issuer-unreachable", Fix: fmt.Sprintf(
			"AWS could not reach the issuer %s within its 5-second limit, even after retries. Make its "+
				"discovery document and keys reachable from the internet and fast; run `aws-oidc doctor`", f.Issuer)}
	case "ExpiredTokenException", "ExpiredToken":
		return Cause{ID: "expired", Fix: "the token expired before STS checked it. GitLab ID tokens live as long as " +
			"the job's timeout (5 minutes without one): run aws-oidc at the start of the job"}
	case "IDPRejectedClaim":
		return Cause{ID: "claim-rejected", Fix: "the identity provider rejected a claim of the token; check the IAM " +
			"OIDC provider's configuration for this issuer"}
	case "ValidationError", "ValidationException", "InvalidParameterValue":
		if strings.Contains(lower, "maxsessionduration") || strings.Contains(lower, "duration") {
			return Cause{ID: "duration", Fix: "the requested " + flag("duration") + " is longer than the role allows: lower it, or " +
				"raise the role's MaxSessionDuration (IAM role settings, up to 12h)"}
		}
		return Cause{ID: "validation", Fix: "STS rejected a parameter; check " + flag("role-arn") + ", " + flag("session-name") + " and " + flag("duration")}
	case "MalformedPolicyDocument", "MalformedPolicyDocumentException":
		return Cause{ID: "policy", Fix: "the session policy (" + flag("policy") + ") is not a valid IAM policy document; validate " +
			"it with IAM Access Analyzer or the IAM policy editor"}
	case "PackedPolicyTooLarge", "PackedPolicyTooLargeException":
		return Cause{ID: "policy-size", Fix: "the session policies and tags are too large once packed; shorten " +
			flag("policy") + " or use fewer " + flag("policy-arn")}
	case "RegionDisabledException", "RegionDisabled":
		return Cause{ID: "region-disabled", Fix: "STS is not activated in this region for the account: activate it " +
			"(IAM account settings, Security Token Service regions) or choose " + n.Another("region")}
	}
	return Cause{ID: "unknown", Fix: fmt.Sprintf("STS refused with %q; run with %s and `aws-oidc doctor` for details", code, flag("debug"))}
}

func trustPolicyFix(f trustpolicy.Facts, host string) string {
	var b strings.Builder
	b.WriteString("the role's trust policy does not allow this token (or the role does not exist: AWS answers both alike). ")
	if p := trustpolicy.ProviderARN(f.RoleARN, f.Issuer); p != "" {
		fmt.Fprintf(&b, "It must allow sts:AssumeRoleWithWebIdentity for the principal {\"Federated\": %q}, and its conditions must match this token: ", p)
	} else {
		b.WriteString("Its conditions must match this token: ")
	}
	if f.Subject != "" {
		fmt.Fprintf(&b, "%q = %q", host+":sub", f.Subject)
	}
	if len(f.Audience) > 0 {
		if f.Subject != "" {
			b.WriteString(" and ")
		}
		fmt.Fprintf(&b, "%q = %q", host+":aud", f.Audience[0])
	}
	b.WriteString(". A condition with a wildcard (*) must use StringLike, not StringEquals; " +
		"a role limited to some branches or tags refuses the others")
	return b.String()
}

// trustPolicyVerdict explains a refusal from the trust policy the user gave:
// the condition that failed, or, for an AccessDenied when the policy allows
// the token, that the role's real policy must be another one. Some
// STS-compatible servers answer a failed condition with a generic
// InvalidIdentityToken, so that code is read the same way when the policy
// refuses the token; ok is false when the policy has nothing to say.
func trustPolicyVerdict(code string, f trustpolicy.Facts) (c Cause, ok bool) {
	denied := code == "AccessDenied" || code == "AccessDeniedException"
	if !denied && code != "InvalidIdentityToken" && code != "InvalidIdentityTokenException" {
		return Cause{}, false
	}
	v := f.TrustPolicy.Evaluate(f)
	switch {
	case !v.Allowed:
		// The reasons already say when a wildcard sits under StringEquals.
		return Cause{ID: "trust-policy", Fix: "the role's trust policy does not allow this token: " + strings.Join(v.Reasons, "; ")}, true
	case denied:
		return Cause{ID: "trust-policy-differs", Fix: "the trust policy given allows this token (" + strings.Join(v.Reasons, "; ") +
			"), yet AWS refused: the role's real trust policy is another one. Compare it with `aws iam get-role --role-name <name>`; " +
			"also check that the provider ARN in it exists in the role's account"}, true
	}
	return Cause{}, false
}
