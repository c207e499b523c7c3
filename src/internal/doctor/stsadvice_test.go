package doctor

import (
	"fmt"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

// TestSTSFix: each kind of failed STS call gets its own advice.
func TestSTSFix(t *testing.T) {
	t.Parallel()
	f := trustpolicy.Facts{Issuer: "https://gitlab.example.com", Subject: "project_path:g/p:ref_type:branch:ref:main",
		Audience: []string{"https://gitlab.example.com"}, RoleARN: "arn:aws:iam::123456789012:role/deploy"}
	tests := []struct {
		name string
		err  *exchange.Error
		want string
	}{
		{name: "untrusted_endpoint", err: &exchange.Error{Code: "tls"}, want: "Give its CA as a PEM file with --ca-bundle or $AWS_CA_BUNDLE, or check --sts-endpoint"},
		{name: "unresolved_endpoint", err: &exchange.Error{Code: "dns"}, want: "host name does not resolve"},
		{name: "refused", err: &exchange.Error{Code: "AccessDenied", Message: "Not authorized"}, want: Refusal("AccessDenied", "Not authorized", f, exchange.Flags).Fix},
		{name: "busy_until_the_token_ran_out", err: &exchange.Error{Code: "Throttling", Class: exchange.Transient, TokenExpired: true},
			want: "STS was busy (Throttling) until the job's ID token was about to expire"},
		{name: "issuer_keys_until_the_deadline", err: &exchange.Error{Code: "IDPCommunicationError", Class: exchange.Transient, DeadlineHit: true, Busy: true},
			want: "AWS could not fetch the issuer's signing keys in time (IDPCommunicationError)"},
		{name: "busy_until_the_deadline", err: &exchange.Error{Code: "Throttling", Class: exchange.Transient, DeadlineHit: true, Busy: true},
			want: "every job of the AWS account and region shares one STS request rate"},
		{name: "no_answer_in_time", err: &exchange.Error{Code: "timeout", Class: exchange.Transient, DeadlineHit: true}, want: "STS did not answer in time"},
		// An outside review: a slow-drip STS cut off by --attempt-timeout
		// was only told to raise --timeout.
		{name: "attempts_cut_off", err: &exchange.Error{Code: "timeout", Class: exchange.Transient, DeadlineHit: true}, want: "--attempt-timeout when STS answers slowly"},
		{name: "proxy_unreachable", err: &exchange.Error{Code: "network", Message: "proxyconnect tcp: refused", Class: exchange.Transient}, want: "$HTTPS_PROXY or $HTTP_PROXY could not be reached"},
		{name: "garbled", err: &exchange.Error{Code: exchange.CodeBadResponse, Class: exchange.Transient, Attempts: 3}, want: "a load balancer or a proxy answering for it) after 3 attempts"},
		{name: "other_transient", err: &exchange.Error{Code: "InternalFailure", Class: exchange.Transient, Attempts: 1}, want: "STS kept failing with InternalFailure at the only attempt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := STSFix(tt.err, f, exchange.Flags); !strings.Contains(got, tt.want) {
				t.Errorf("STSFix = %q, lacks %q", got, tt.want)
			}
		})
	}
}

// TestAnswerFix: an answer the exchange refused itself, wrapped or not;
// nothing for other failures.
func TestAnswerFix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "expired_credentials", err: fmt.Errorf("hop: %w", &exchange.Error{Code: exchange.CodeExpiredCredentials}), want: "The STS server's clock is probably wrong"},
		{name: "late_expiry", err: &exchange.Error{Code: exchange.CodeLateExpiry}, want: "The STS server's clock is probably ahead"},
		{name: "bad_response", err: &exchange.Error{Code: exchange.CodeBadResponse}, want: "something that is not usable credentials"},
		{name: "too_large", err: &exchange.Error{Code: exchange.CodeResponseTooLarge}, want: "STS answers are a few KB"},
		{name: "garbled_after_retries_is_transient", err: &exchange.Error{Code: exchange.CodeBadResponse, Class: exchange.Transient}},
		{name: "refusal", err: &exchange.Error{Code: "AccessDenied"}},
		{name: "not_sts", err: fmt.Errorf("other")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := AnswerFix(tt.err, exchange.Flags)
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("AnswerFix = %q, want %q", got, tt.want)
			}
		})
	}
}
