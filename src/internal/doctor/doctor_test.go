package doctor

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/issuertest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

func roots(srv *issuertest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.PKI.Root.Cert)
	return pool
}

func mint(t *testing.T, iss string, opts ...tokentest.Option) *token.Token {
	t.Helper()
	tok, err := token.Parse(tokentest.Mint(t, nil, append([]tokentest.Option{tokentest.WithIssuer(iss)}, opts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// text is everything a check would print.
func text(c Check) string {
	return fmt.Sprintf("%s %s %s\n%s\nfix: %s", c.Status, c.Name, c.Summary, strings.Join(c.Details, "\n"), c.Fix)
}

func assertNoToken(t *testing.T, out string, tok *token.Token) {
	t.Helper()
	for _, s := range tok.Secrets() {
		if strings.Contains(out, s) {
			t.Errorf("a secret part of the token (%d characters) was printed", len(s))
		}
	}
}

func want(t *testing.T, c Check, status Status, substrings ...string) {
	t.Helper()
	out := text(c)
	if c.Status != status {
		t.Errorf("status = %s, want %s\n%s", c.Status, status, out)
	}
	for _, s := range substrings {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

func TestIssuer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   issuertest.Options
		limit  time.Duration
		status Status
		want   []string
	}{
		{name: "healthy", status: OK, want: []string{"answered in", "issuer matches", "/oauth/discovery/keys"}},
		// STS gives the issuer 5 s; the limit is scaled down so the test
		// does not wait 6 s of wall-clock: 300ms against 200ms models it.
		{name: "discovery_answers_after_6s", opts: issuertest.Options{DiscoveryDelay: 300 * time.Millisecond}, limit: 200 * time.Millisecond,
			status: Fail, want: []string{"did not answer within 200ms", "STS gives up after 5s", "ci_id_tokens_issuer_url"}},
		// More than half the limit, with room to spare on a busy machine.
		{name: "slow_but_within_limit", opts: issuertest.Options{DiscoveryDelay: 600 * time.Millisecond}, limit: time.Second,
			status: Warn, want: []string{"more than half of the 1s limit"}},
		{name: "issuer_differs_from_iss", opts: issuertest.Options{Issuer: "https://gitlab.example.com/"}, status: Fail,
			want: []string{`its issuer is "https://gitlab.example.com/"`, "trailing slash"}},
		{name: "jwks_uri_not_https", opts: issuertest.Options{JWKSURI: " "}, status: Fail, want: []string{`jwks_uri " " is not https`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := issuertest.New(t, tt.opts)
			d := New(Options{RootCAs: roots(srv), Limit: tt.limit})
			c, _ := d.Issuer(context.Background(), srv.URL)
			want(t, c, tt.status, tt.want...)
		})
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    issuertest.Options
		noRoots bool
		status  Status
		want    []string
	}{
		{name: "in_order", status: OK, want: []string{"3 certificate(s) in order", "1. CN=127.0.0.1 (issued by CN=Test Intermediate CA"}},
		{name: "misordered_chain", opts: issuertest.Options{Chain: (*issuertest.PKI).Misordered}, status: Fail,
			want: []string{"Could not connect to openid configuration of provider", "certificate 2 (CN=Test Root CA) is out of order", "leaf certificate, then each intermediate in order"}},
		{name: "duplicate_certificate", opts: issuertest.Options{Chain: (*issuertest.PKI).WithDuplicate}, status: Fail,
			want: []string{"certificate 2 (CN=Test Intermediate CA) is sent again as certificate 3"}},
		{name: "unrelated_certificate", opts: issuertest.Options{Chain: (*issuertest.PKI).WithStranger}, status: Fail,
			want: []string{"certificate 3 (CN=Unrelated CA) is unrelated"}},
		{name: "leaf_for_another_host", opts: issuertest.Options{Hosts: []string{"other.example.com"}}, status: Fail,
			want: []string{`is not valid for "127.0.0.1"`}},
		{name: "private_ca_without_bundle", noRoots: true, status: Fail,
			want: []string{"the chain does not verify", "--ca-bundle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := issuertest.New(t, tt.opts)
			pool := roots(srv)
			if tt.noRoots {
				pool = x509.NewCertPool()
			}
			c := New(Options{RootCAs: pool}).TLS(context.Background(), srv.URL)
			want(t, c, tt.status, tt.want...)
		})
	}
}

func TestTLSPlainHTTPIssuer(t *testing.T) {
	t.Parallel()
	c := New(Options{}).TLS(context.Background(), "http://gitlab.example.com")
	want(t, c, Fail, "AWS accepts only https issuers")
}

func TestKeys(t *testing.T) {
	t.Parallel()
	other := tokentest.NewKey(t)
	tests := []struct {
		name    string
		opts    issuertest.Options
		tokOpts []tokentest.Option
		jwks    func(t *testing.T, srv *issuertest.Server) string
		limit   time.Duration
		status  Status
		want    []string
	}{
		{name: "kid_present_signature_verifies", status: OK, want: []string{"verifies the signature (RS256)"}},
		{name: "jwks_without_the_tokens_kid", opts: issuertest.Options{Keys: []*rsa.PublicKey{&other.PublicKey}}, status: Fail,
			want: []string{"has no key with the token's kid", tokentest.KeyID(&other.PublicKey), "key rotated out"}},
		{name: "signed_by_another_key_under_the_same_kid", tokOpts: []tokentest.Option{tokentest.WithKey(other), tokentest.WithKeyID(tokentest.KeyID(&tokentest.Key(t).PublicKey))},
			status: Fail, want: []string{"does not verify with key"}},
		{name: "forged_signature", tokOpts: []tokentest.Option{tokentest.WithFakeSignature()}, status: Fail, want: []string{"does not verify with key"}},
		{name: "unreachable_jwks_uri", jwks: func(t *testing.T, _ *issuertest.Server) string { return issuertest.ClosedURL(t) }, status: Fail,
			want: []string{"failed to fetch https://127.0.0.1:", "connection refused", "Couldn't retrieve verification key"}},
		{name: "issuer_rate_limits", opts: issuertest.Options{KeysStatus: 429}, status: Fail,
			want: []string{"answered HTTP 429", "rate-limits", "exempt /.well-known/openid-configuration and the jwks_uri"}},
		{name: "jwks_answers_after_6s", opts: issuertest.Options{KeysDelay: 300 * time.Millisecond}, limit: 200 * time.Millisecond, status: Fail,
			want: []string{"did not answer within 200ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := issuertest.New(t, tt.opts)
			tok := mint(t, srv.URL, tt.tokOpts...)
			jwks := srv.URL + "/oauth/discovery/keys"
			if tt.jwks != nil {
				jwks = tt.jwks(t, srv)
			}
			c := New(Options{RootCAs: roots(srv), Limit: tt.limit}).Keys(context.Background(), jwks, tok)
			want(t, c, tt.status, tt.want...)
			assertNoToken(t, text(c), tok)
		})
	}
}

// resolver answers from a table, as DNS would.
func resolver(table map[string]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		a, ok := table[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
}

func TestReachability(t *testing.T) {
	t.Parallel()
	table := map[string]string{
		"gitlab.internal":    "10.1.2.3",
		"gitlab.lan":         "192.168.1.20",
		"gitlab.link":        "169.254.10.1",
		"gitlab.example.com": "52.95.110.1",
		"gitlab.v6":          "fd00::1",
	}
	tests := []struct {
		name   string
		url    string
		status Status
		want   []string
	}{
		{name: "loopback_address", url: "https://127.0.0.1:8443", status: Warn, want: []string{"127.0.0.1 resolves to 127.0.0.1, a loopback address", "ci_id_tokens_issuer_url", "Couldn't retrieve verification key"}},
		{name: "private_address", url: "https://gitlab.internal", status: Warn, want: []string{"gitlab.internal resolves to 10.1.2.3, a private address"}},
		{name: "private_address_class_c", url: "https://gitlab.lan", status: Warn, want: []string{"192.168.1.20, a private address"}},
		{name: "link_local_address", url: "https://gitlab.link", status: Warn, want: []string{"169.254.10.1, a link-local address"}},
		{name: "unique_local_ipv6", url: "https://gitlab.v6", status: Warn, want: []string{"fd00::1, a private address"}},
		{name: "benchmarking_address", url: "https://198.18.0.1", status: Warn, want: []string{"a benchmarking address"}},
		{name: "public_address", url: "https://gitlab.example.com", status: OK, want: []string{"gitlab.example.com → 52.95.110.1"}},
		{name: "does_not_resolve", url: "https://gitlab.nowhere", status: Fail, want: []string{"gitlab.nowhere does not resolve"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := New(Options{LookupNetIP: resolver(table)}).Reachability(context.Background(), tt.url)
			want(t, c, tt.status, tt.want...)
		})
	}
}

// TestPublicIssuerAllOK runs every network check against an issuer that
// DNS puts on a public address, reached through a dialer that routes the
// name to the local server.
func TestPublicIssuerAllOK(t *testing.T) {
	t.Parallel()
	srv := issuertest.New(t, issuertest.Options{Hosts: []string{"gitlab.example.com"}})
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	iss := "https://gitlab.example.com:" + port
	srv.IssuerURL = iss
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	d := New(Options{RootCAs: roots(srv), DialContext: dial, LookupNetIP: resolver(map[string]string{"gitlab.example.com": "52.95.110.1"})})
	tok := mint(t, iss)

	issuer, disc := d.Issuer(context.Background(), iss)
	want(t, issuer, OK, "issuer matches")
	if disc == nil || disc.JWKSURI != iss+"/oauth/discovery/keys" {
		t.Fatalf("discovery = %+v", disc)
	}
	want(t, d.TLS(context.Background(), iss), OK, "valid for gitlab.example.com")
	want(t, d.Keys(context.Background(), iss+"/oauth/discovery/keys", tok), OK, "verifies the signature")
	want(t, d.Reachability(context.Background(), iss), OK, "52.95.110.1")
}

func TestRole(t *testing.T) {
	t.Parallel()
	policy, err := trustpolicy.ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"},
		"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"gitlab.example.com:sub":"project_path:mygroup/*:ref_type:branch:ref:main","gitlab.example.com:aud":"https://gitlab.example.com"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		answer ststest.Answer
		policy *trustpolicy.Policy
		status Status
		want   []string
	}{
		{name: "accepted", answer: ststest.OK, status: OK, want: []string{"STS accepted the token", "credentials discarded"}},
		{name: "access_denied", answer: ststest.Fail(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"), status: Fail,
			want: []string{"cause: trust-policy", `"gitlab.example.com:sub" = "project_path:mygroup/myproject:ref_type:branch:ref:main"`, "StringLike"}},
		{name: "access_denied_with_policy_names_the_condition", answer: ststest.Fail(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"), policy: policy, status: Fail,
			want: []string{`StringEquals "gitlab.example.com:sub" is "project_path:mygroup/*:ref_type:branch:ref:main"`, "compares literally", "would match under StringLike"}},
		{name: "keys_unreachable", answer: ststest.Fail(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"), status: Fail,
			want: []string{"cause: keys-unreachable", "ci_id_tokens_issuer_url"}},
		{name: "tls_chain", answer: ststest.Fail(400, "InvalidIdentityToken", "Could not connect to openid configuration of provider: `https://gitlab.example.com`"), status: Fail,
			want: []string{"cause: tls-chain", "leaf, then intermediates, then root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tt.answer, tt.answer)
			tok := mint(t, tokentest.Issuer)
			client := exchange.NewClient(exchange.ClientOptions{Region: "us-east-1", Endpoint: srv.URL})
			retry := exchange.DefaultRetry()
			retry.MaxAttempts = 1
			facts := trustpolicy.Facts{Issuer: tok.Claims.Issuer, Subject: tok.Claims.Subject, Audience: tok.Claims.Audience,
				RoleARN: "arn:aws:iam::123456789012:role/deploy", TrustPolicy: tt.policy}
			// A busy answer (keys_unreachable) is retried until the
			// deadline; the first wait does not fit in this one.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			role, err := exchange.ParseARN(facts.RoleARN)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Role(ctx, client, exchange.Request{RoleARN: role, SessionName: "doctor", Token: tok.Value()},
				retry, facts, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if (err != nil) != (tt.status == Fail) {
				t.Errorf("err = %v", err)
			}
			want(t, c, tt.status, tt.want...)
			out := text(c)
			assertNoToken(t, out, tok)
			for _, s := range []string{ststest.SecretAccessKey, ststest.SessionToken, ststest.AccessKeyID} {
				if strings.Contains(out, s) {
					t.Errorf("a credential was printed")
				}
			}
		})
	}
}
