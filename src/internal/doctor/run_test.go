package doctor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/issuertest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// TestRun runs the whole sequence against a local issuer: what it prints,
// which checks fail, and which error decides the exit code.
func TestRun(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	denied := ststest.Fail(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	missing := &token.MissingError{Names: token.DefaultEnvs}
	tests := []struct {
		name       string
		noToken    bool
		tokOpts    []tokentest.Option
		audience   string
		proxySet   bool
		issuerOpts issuertest.Options
		sts        []ststest.Answer
		failed     []string
		tokenErr   bool
		roleErr    bool
		want       []string
	}{
		{name: "healthy", want: []string{"ok    token         GitLab token: sub \"project_path:mygroup/myproject:ref_type:branch:ref:main\"", "1h0m0s left (until 2026-03-04T11:00:00Z)",
			"ok    issuer", "ok    tls", "ok    keys", "warn  reachability"}},
		{name: "missing_token_skips_the_issuer_checks", noToken: true, failed: []string{"token"},
			want: []string{"fail  token         none of the token variables",
				"                    fix: add an ID token to the job:\n                        id_tokens:\n",
				"skip  issuer        needs the token's issuer", "skip  reachability  needs the token's issuer"}},
		{name: "expired_token", tokOpts: []tokentest.Option{tokentest.WithNow(now.Add(-2 * time.Hour))}, failed: []string{"token"}, tokenErr: true,
			want: []string{"fail  token         token expired at", "fix: the token expired before it was used", "ok    keys"}},
		{name: "other_audience_skips_the_role", audience: "sts.amazonaws.com", sts: []ststest.Answer{ststest.OK}, failed: []string{"token"}, tokenErr: true,
			want: []string{"fail  token", "skip  role          not tried: STS would refuse the token"}},
		{name: "token_about_to_expire", tokOpts: []tokentest.Option{tokentest.WithLifetime(90 * time.Second)},
			want: []string{"warn  token", "1m30s left", "fix: the token expires in 1m30s: run aws-oidc at the start of the job"}},
		{name: "issuer_failure_names_the_proxy", issuerOpts: issuertest.Options{DiscoveryDelay: 300 * time.Millisecond}, proxySet: true, failed: []string{"issuer"},
			want: []string{"fail  issuer", "run doctor with --issuer-proxy", "skip  keys          needs jwks_uri"}},
		{name: "role_accepted", sts: []ststest.Answer{ststest.OK}, want: []string{"ok    role          STS accepted the token"}},
		{name: "role_refused", sts: []ststest.Answer{denied}, failed: []string{"role"}, roleErr: true,
			want: []string{"fail  role          STS refused arn:aws:iam::123456789012:role/deploy: AccessDenied", "cause: trust-policy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := issuertest.New(t, tt.issuerOpts)
			s := Settings{
				Platform: ci.GitLab,
				Audience: tt.audience,
				Skew:     2 * time.Minute,
				Options:  Options{Limit: 200 * time.Millisecond, RootCAs: roots(srv), Now: func() time.Time { return now }},
				ProxySet: tt.proxySet,
				Stderr:   io.Discard,
			}
			if tt.issuerOpts.DiscoveryDelay == 0 {
				s.Options.Limit = 0 // AWS's own
			}
			if tt.noToken {
				s.ReadErr, s.ReadFix = missing, TokenFix(missing, ci.GitLab, "", FlagAudience)
			} else {
				s.Token = mint(t, srv.URL, append([]tokentest.Option{tokentest.WithNow(now)}, tt.tokOpts...)...)
			}
			if tt.sts != nil {
				sts := ststest.New(t, tt.sts...)
				sts.Expiration = now.Add(15 * time.Minute)
				role, err := exchange.ParseARN("arn:aws:iam::123456789012:role/deploy")
				if err != nil {
					t.Fatal(err)
				}
				retry := exchange.DefaultRetry()
				retry.MaxAttempts = 1
				retry.Now = s.Options.Now
				s.Role = &RoleSettings{
					Client:  exchange.NewClient(exchange.ClientOptions{Region: "us-east-1", Endpoint: sts.URL}),
					Request: exchange.Request{RoleARN: role, SessionName: "doctor", Duration: 15 * time.Minute},
					Retry:   retry,
					Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
				}
			}
			var out bytes.Buffer
			res := Run(context.Background(), s, &out)
			got := out.String()
			t.Log(got)
			if !slices.Equal(res.Failed, tt.failed) {
				t.Errorf("failed = %q, want %q", res.Failed, tt.failed)
			}
			if (res.Token != nil) != tt.tokenErr {
				t.Errorf("token error = %v", res.Token)
			}
			var xerr *exchange.Error
			if (res.Role != nil) != tt.roleErr || (tt.roleErr && !errors.As(res.Role, &xerr)) {
				t.Errorf("role error = %v, want the exchange's: %v", res.Role, tt.roleErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("report lacks %q", w)
				}
			}
			if s.Token != nil {
				assertNoToken(t, got, s.Token)
			}
		})
	}
}

// TestRunWarnsOfPlainHTTP: the warning comes before the token is sent, on
// the stream given for it, never in the report.
func TestRunWarnsOfPlainHTTP(t *testing.T) {
	t.Parallel()
	srv := issuertest.New(t, issuertest.Options{})
	var stderr, out bytes.Buffer
	role, _ := exchange.ParseARN("arn:aws:iam::123456789012:role/deploy")
	retry := exchange.DefaultRetry()
	retry.MaxAttempts = 1
	// An endpoint that refuses at once: the call fails, the warning stays.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	endpoint := (&url.URL{Scheme: "http", Host: "127.0.0.1:1"}).String()
	Run(ctx, Settings{
		Token:   mint(t, srv.URL),
		Options: Options{RootCAs: roots(srv)},
		Stderr:  &stderr,
		Role: &RoleSettings{
			Client:    exchange.NewClient(exchange.ClientOptions{Region: "us-east-1", Endpoint: endpoint, HTTPClient: &http.Client{}}),
			Request:   exchange.Request{RoleARN: role, SessionName: "doctor", Duration: 15 * time.Minute},
			Retry:     retry,
			Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
			PlainHTTP: true,
			Endpoint:  "http://sts.example:8080",
		},
	}, &out)
	want := "warning: --sts-endpoint http://sts.example:8080 is plain http to another machine: the token crosses the network unencrypted; use https\n"
	if stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
	if strings.Contains(out.String(), "warning:") {
		t.Error("the warning went into the report")
	}
}
