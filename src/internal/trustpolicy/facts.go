// Package trustpolicy owns IAM role trust policies as far as web identity
// federation goes: reading them, evaluating them against a token's claims as
// IAM would, the mistakes visible without AWS and their report for
// `trust-policy --check` (report.go), and generating them for
// `trust-policy`, refusing what IAM cannot check. Nothing here touches the
// network.
package trustpolicy

import (
	"fmt"
	"net/url"
	"strings"
)

// Facts are what is known about the attempt, all safe to print.
type Facts struct {
	// Issuer, Subject and Audience are the token's iss, sub and aud.
	Issuer   string
	Subject  string
	Audience []string
	// RoleARN is the role asked for.
	RoleARN string
	// GitHub is true for a GitHub Actions token.
	GitHub bool
	// TrustPolicy, when known (doctor --trust-policy), turns an AccessDenied
	// into the condition that failed.
	TrustPolicy *Policy
}

// IssuerHost is the issuer without scheme and trailing slash: the prefix IAM
// uses for condition keys (gitlab.example.com:sub) and the provider ARN.
func IssuerHost(issuer string) string {
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		return strings.TrimSuffix(u.Host+u.Path, "/")
	}
	return strings.TrimSuffix(strings.TrimPrefix(issuer, "https://"), "/")
}

// ProviderARN is the IAM OIDC provider ARN the role must trust, in the
// role's account and partition.
func ProviderARN(roleARN, issuer string) string {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || issuer == "" {
		return ""
	}
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", parts[1], parts[4], IssuerHost(issuer))
}

// Quoted lists values each in Go quotes, or "(none)".
func Quoted(values []string) string {
	if len(values) == 0 {
		return "(none)"
	}
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
