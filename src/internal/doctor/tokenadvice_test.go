package doctor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

func TestTokenFix(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		err      error
		platform ci.Platform
		ignored  string
		want     []string
		not      []string
	}{
		{name: "missing_on_gitlab", err: &token.MissingError{Names: token.DefaultEnvs}, platform: ci.GitLab,
			want: []string{"add an ID token to the job:\n  id_tokens:\n    GITLAB_OIDC_TOKEN:\n      aud: https://gitlab.example.com", "\nor name the variable that holds it with --token-env"}},
		{name: "missing_named_variable", err: &token.MissingError{Names: []string{"MY_TOKEN"}}, platform: ci.GitLab, want: []string{"\n    MY_TOKEN:\n"}},
		{name: "missing_on_github", err: &token.MissingError{Names: token.DefaultEnvs}, platform: ci.GitHub, want: []string{"`permissions: id-token: write`"}},
		{name: "github_endpoint_missing", err: &token.MissingError{GitHub: true}, platform: ci.Local, want: []string{"`permissions: id-token: write`"}},
		{name: "missing_file", err: &token.MissingError{Path: "/tmp/t", From: "--token-file"}, want: []string{"point --token-file or $AWS_OIDC_TOKEN_FILE at a file"}},
		{name: "ignored_ambient_file", err: &token.MissingError{Names: token.DefaultEnvs}, platform: ci.GitLab, ignored: "/var/run/secrets/token",
			want: []string{"add an ID token", "\n$AWS_WEB_IDENTITY_TOKEN_FILE (\"/var/run/secrets/token\") was not used: in a CI job it is the runner's own token"}},
		{name: "ignored_file_named_only_when_missing", err: &token.ExpiredError{ExpiredAt: now.Add(-time.Hour), Now: now}, ignored: "/var/run/secrets/token",
			not: []string{"AWS_WEB_IDENTITY_TOKEN_FILE"}},
		{name: "expired", err: &token.ExpiredError{ExpiredAt: now.Add(-time.Hour), Now: now}, want: []string{"the token expired before it was used", "check the runner's clock"}},
		{name: "clock_behind", err: &token.NotYetValidError{Claim: "iat", NotBefore: now.Add(time.Hour), Now: now}, want: []string{"clock is behind the issuer's; sync it (NTP)"}},
		{name: "other_audience", err: &token.AudienceError{Want: "sts.amazonaws.com", Got: []string{"https://a", "https://b"}},
			want: []string{`the token's aud is "https://a", "https://b". Make ` + "`id_tokens: ... aud:`" + ` the audience your IAM OIDC provider lists ("sts.amazonaws.com")`}},
		{name: "about_to_expire", err: &token.LifetimeError{ExpiresAt: now.Add(time.Minute), Now: now, Min: 2 * time.Minute}, want: []string{"about to expire"}},
		{name: "wrong_alg", err: &token.MalformedError{Claim: "alg", Reason: "alg HS256"}, want: []string{"signed by the issuer's published keys"}},
		{name: "no_exp", err: &token.MalformedError{Claim: "exp", Reason: "no exp"}, want: []string{"numeric expiry"}},
		{name: "not_a_jwt", err: &token.MalformedError{Reason: "not a JWT"}, want: []string{"CI_JOB_JWT is gone since GitLab 17.0"}},
		{name: "wrapped", err: fmt.Errorf("failed to read token: %w", &token.MalformedError{Reason: "x"}), want: []string{"CI_JOB_JWT"}},
		{name: "other_error", err: fmt.Errorf("something else")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := TokenFix(tt.err, tt.platform, tt.ignored, FlagAudience)
			if len(tt.want) == 0 && len(tt.not) == 0 && got != "" {
				t.Errorf("TokenFix = %q, want none", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("TokenFix = %q, lacks %q", got, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("TokenFix = %q, holds %q", got, n)
				}
			}
		})
	}
}
