package token_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

func mustParse(t *testing.T, raw string) *token.Token {
	t.Helper()
	tok, err := token.Parse(raw)
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	return tok
}

func TestCheck(t *testing.T) {
	t.Parallel()
	const aud = "https://gitlab.example.com"
	cases := []struct {
		name   string
		claims map[string]any
		opts   []tokentest.Option
		check  token.CheckOptions
		want   error
	}{
		{
			name:  "valid",
			check: token.CheckOptions{Now: now, Audience: aud, MinLifetime: time.Minute, Skew: time.Minute},
		},
		{
			name:  "no_audience_asked",
			check: token.CheckOptions{Now: now, MinLifetime: time.Minute},
		},
		{
			name:  "expired",
			opts:  []tokentest.Option{tokentest.WithLifetime(-time.Minute)},
			check: token.CheckOptions{Now: now, Audience: aud},
			want:  &token.ExpiredError{ExpiredAt: now.Add(-time.Minute), Now: now},
		},
		{
			name:  "expires_exactly_now",
			opts:  []tokentest.Option{tokentest.WithLifetime(0)},
			check: token.CheckOptions{Now: now},
			want:  &token.ExpiredError{ExpiredAt: now, Now: now},
		},
		{
			name:   "expired_wins_over_audience",
			claims: map[string]any{"aud": "other"},
			opts:   []tokentest.Option{tokentest.WithLifetime(-time.Hour)},
			check:  token.CheckOptions{Now: now, Audience: aud},
			want:   &token.ExpiredError{ExpiredAt: now.Add(-time.Hour), Now: now},
		},
		{
			name:   "nbf_beyond_skew",
			claims: map[string]any{"nbf": now.Add(2 * time.Minute).Unix(), "iat": nil},
			check:  token.CheckOptions{Now: now, Skew: time.Minute},
			want:   &token.NotYetValidError{Claim: "nbf", NotBefore: now.Add(2 * time.Minute), Now: now, Skew: time.Minute},
		},
		{
			name:   "nbf_within_skew",
			claims: map[string]any{"nbf": now.Add(30 * time.Second).Unix(), "iat": now.Add(30 * time.Second).Unix()},
			check:  token.CheckOptions{Now: now, Skew: time.Minute},
		},
		{
			name:   "nbf_future_without_skew",
			claims: map[string]any{"nbf": now.Add(time.Second).Unix()},
			check:  token.CheckOptions{Now: now},
			want:   &token.NotYetValidError{Claim: "nbf", NotBefore: now.Add(time.Second), Now: now},
		},
		{
			name:   "iat_beyond_skew",
			claims: map[string]any{"nbf": nil, "iat": now.Add(10 * time.Minute).Unix()},
			check:  token.CheckOptions{Now: now, Skew: time.Minute},
			want:   &token.NotYetValidError{Claim: "iat", NotBefore: now.Add(10 * time.Minute), Now: now, Skew: time.Minute},
		},
		{
			name:   "audience_mismatch",
			claims: map[string]any{"aud": "https://gitlab.com"},
			check:  token.CheckOptions{Now: now, Audience: aud},
			want:   &token.AudienceError{Want: aud, Got: []string{"https://gitlab.com"}},
		},
		{
			name:   "audience_trailing_slash_is_different",
			claims: map[string]any{"aud": aud + "/"},
			check:  token.CheckOptions{Now: now, Audience: aud},
			want:   &token.AudienceError{Want: aud, Got: []string{aud + "/"}},
		},
		{
			name:   "audience_in_array",
			claims: map[string]any{"aud": []string{"vault", aud}},
			check:  token.CheckOptions{Now: now, Audience: aud},
		},
		{
			name:   "audience_missing",
			claims: map[string]any{"aud": nil},
			check:  token.CheckOptions{Now: now, Audience: aud},
			want:   &token.AudienceError{Want: aud},
		},
		{
			name:   "audience_wins_over_lifetime",
			claims: map[string]any{"aud": "other"},
			opts:   []tokentest.Option{tokentest.WithLifetime(10 * time.Second)},
			check:  token.CheckOptions{Now: now, Audience: aud, MinLifetime: time.Minute},
			want:   &token.AudienceError{Want: aud, Got: []string{"other"}},
		},
		{
			name:  "lifetime_too_short",
			opts:  []tokentest.Option{tokentest.WithLifetime(30 * time.Second)},
			check: token.CheckOptions{Now: now, MinLifetime: time.Minute},
			want:  &token.LifetimeError{ExpiresAt: now.Add(30 * time.Second), Now: now, Min: time.Minute},
		},
		{
			name:  "lifetime_exactly_minimum",
			opts:  []tokentest.Option{tokentest.WithLifetime(time.Minute)},
			check: token.CheckOptions{Now: now, MinLifetime: time.Minute},
			want:  &token.LifetimeError{ExpiresAt: now.Add(time.Minute), Now: now, Min: time.Minute},
		},
		{
			name:  "lifetime_just_enough",
			opts:  []tokentest.Option{tokentest.WithLifetime(time.Minute + time.Second)},
			check: token.CheckOptions{Now: now, MinLifetime: time.Minute},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := tokentest.Mint(t, tc.claims, append([]tokentest.Option{tokentest.WithNow(now)}, tc.opts...)...)
			err := token.Check(mustParse(t, raw), tc.check)
			if diff := cmp.Diff(tc.want, err); diff != "" {
				t.Errorf("Check() error mismatch (-want +got):\n%s", diff)
			}
			if err != nil {
				assertNoLeak(t, err.Error(), raw)
			}
		})
	}
}

func TestCheck_zero_now_is_the_clock(t *testing.T) {
	t.Parallel()
	fresh := mustParse(t, tokentest.Mint(t, nil))
	if err := token.Check(fresh, token.CheckOptions{MinLifetime: time.Minute}); err != nil {
		t.Errorf("Check() of a fresh token = %v, want nil", err)
	}
	old := mustParse(t, tokentest.Mint(t, nil, tokentest.WithNow(time.Now().Add(-2*time.Hour))))
	var expired *token.ExpiredError
	if err := token.Check(old, token.CheckOptions{}); !errors.As(err, &expired) {
		t.Errorf("Check() of an old token = %v, want *token.ExpiredError", err)
	}
}

func TestCheck_nil_token(t *testing.T) {
	t.Parallel()
	if err := token.Check(nil, token.CheckOptions{}); err == nil {
		t.Errorf("Check(nil) = nil, want an error")
	}
}

// TestError_messages keeps what users read in a golden file.
func TestError_messages(t *testing.T) {
	t.Parallel()
	errs := []struct {
		name string
		err  error
	}{
		{"expired", &token.ExpiredError{ExpiredAt: now.Add(-5*time.Minute - 300*time.Millisecond), Now: now}},
		{"expired_just_now", &token.ExpiredError{ExpiredAt: now.Add(-1234 * time.Microsecond), Now: now}},
		{"not_yet_valid_nbf", &token.NotYetValidError{Claim: "nbf", NotBefore: now.Add(3 * time.Minute), Now: now, Skew: time.Minute}},
		{"not_yet_valid_iat", &token.NotYetValidError{Claim: "iat", NotBefore: now.Add(90 * time.Second), Now: now}},
		{"audience", &token.AudienceError{Want: "https://gitlab.example.com", Got: []string{"https://gitlab.com", "vault"}}},
		{"audience_missing", &token.AudienceError{Want: "sts.amazonaws.com"}},
		{"lifetime", &token.LifetimeError{ExpiresAt: now.Add(40 * time.Second), Now: now, Min: 2 * time.Minute}},
		{"missing_one_variable", &token.MissingError{Names: []string{"GITLAB_OIDC_TOKEN"}}},
		{"missing_variables", &token.MissingError{Names: []string{"AWS_OIDC_TOKEN", "GITLAB_OIDC_TOKEN"}}},
		{"missing_file", &token.MissingError{Path: "/var/run/token"}},
		{"empty_file", &token.MissingError{Path: "/var/run/token", Empty: true}},
		{"missing_github", &token.MissingError{Names: []string{"ACTIONS_ID_TOKEN_REQUEST_URL"}, GitHub: true}},
		{"missing_nothing", &token.MissingError{}},
		{"request", &token.RequestError{StatusCode: 403, Body: `{"message":"Resource not accessible by integration"}`}},
		{"request_no_body", &token.RequestError{StatusCode: 500}},
	}
	var b strings.Builder
	for _, e := range errs {
		msg := e.err.Error()
		if msg != strings.ToLower(msg[:1])+msg[1:] || strings.HasSuffix(msg, ".") {
			t.Errorf("%s: %q must start lower-case and not end with a period", e.name, msg)
		}
		fmt.Fprintf(&b, "%s: %s\n", e.name, msg)
	}
	golden(t, "errors.golden", b.String())
}
