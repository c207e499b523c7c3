package exchange

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

func apiErr(status int, code, msg string) error {
	return &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRoleWithWebIdentity", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err: &smithy.GenericAPIError{Code: code, Message: msg}},
	}}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		err       error
		wantCode  string
		wantClass Class
	}{
		{"throttling", apiErr(400, "Throttling", "Rate exceeded"), "Throttling", Transient},
		{"idp_communication", apiErr(400, "IDPCommunicationError", "x"), "IDPCommunicationError", Transient},
		{"access_denied", apiErr(403, "AccessDenied", "Not authorized"), "AccessDenied", Permanent},
		{"expired", apiErr(400, "ExpiredTokenException", "expired"), "ExpiredTokenException", Permanent},
		{"validation", apiErr(400, "ValidationError", "x"), "ValidationError", Permanent},
		{"keys", apiErr(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider"), "InvalidIdentityToken", KeyPropagation},
		{"no_provider", apiErr(400, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://x"), "InvalidIdentityToken", Permanent},
		{"bad_audience", apiErr(400, "InvalidIdentityToken", "Incorrect token audience"), "InvalidIdentityToken", Permanent},
		{"unknown_5xx", apiErr(502, "BadGateway", ""), "BadGateway", Transient},
		{"unknown_429", apiErr(429, "SlowDown", ""), "SlowDown", Transient},
		{"unknown_4xx", apiErr(400, "Nope", ""), "Nope", Permanent},
		{"status_only_503", &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}}, Err: errors.New("x")}}, "http-503", Transient},
		{"deserialization", &smithy.DeserializationError{Err: errors.New("unexpected EOF")}, "bad-response", Transient},
		{"deadline", fmt.Errorf("attempt: %w", context.DeadlineExceeded), "timeout", Transient},
		{"canceled", fmt.Errorf("attempt: %w", context.Canceled), "canceled", Permanent},
		{"connection_refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, "connection", Transient},
		{"dns_not_found", &net.DNSError{Err: "no such host", Name: "sts.nowhere", IsNotFound: true}, "dns", Permanent},
		{"untrusted_certificate", errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"), "tls", Permanent},
		{"reset", errors.New("read: connection reset by peer"), "connection", Transient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, class := Classify(tc.err)
			if code != tc.wantCode || class != tc.wantClass {
				t.Errorf("Classify = %q, %v; want %q, %v", code, class, tc.wantCode, tc.wantClass)
			}
		})
	}
}

func TestBusy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"throttling", apiErr(400, "Throttling", "Rate exceeded"), true},
		{"throttling_exception", apiErr(400, "ThrottlingException", "Rate exceeded"), true},
		{"request_limit", apiErr(503, "RequestLimitExceeded", ""), true},
		{"status_429", apiErr(429, "SlowDown", ""), true},
		{"idp_communication", apiErr(400, "IDPCommunicationError", "timeout"), true},
		{"keys_unreachable", apiErr(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"), true},
		{"no_provider", apiErr(400, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://x"), false},
		{"other_invalid_token", apiErr(400, "InvalidIdentityToken", "The ID token could not be validated"), false},
		{"server_error", apiErr(500, "InternalFailure", ""), false},
		// AWS answers 503 under load (ServiceUnavailable, SlowDown).
		{"http_503", &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}}, Err: errors.New("x")}}, true},
		{"http_502", &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 502}}, Err: errors.New("x")}}, false},
		{"access_denied", apiErr(403, "AccessDenied", "Not authorized"), false},
		{"connection", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false},
		{"canceled", fmt.Errorf("attempt: %w", context.Canceled), false},
		{"nil", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Busy(tc.err); got != tc.want {
				t.Errorf("Busy = %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzClassify(f *testing.F) {
	f.Add(400, "Throttling", "Rate exceeded")
	f.Add(403, "AccessDenied", "Not authorized")
	f.Add(400, "InvalidIdentityToken", "No OpenIDConnect provider found")
	f.Add(500, "", "")
	f.Fuzz(func(t *testing.T, status int, code, msg string) {
		got, class := Classify(apiErr(status, code, msg))
		if code != "" && got != code {
			t.Errorf("code %q reported as %q", code, got)
		}
		if status >= 500 && status < 600 {
			if _, known := codeClass(code); !known && class != Transient {
				t.Errorf("unknown code %q with status %d classed %v", code, status, class)
			}
		}
	})
}

// TestClassifyDNS: a name that does not exist is permanent (the endpoint or
// the region is wrong), a resolver that failed is transient; both arrive
// wrapped in the dial's *net.OpError. No query is sent: the errors are made.
func TestClassifyDNS(t *testing.T) {
	t.Parallel()
	dial := func(dns *net.DNSError) error {
		return &url.Error{Op: "Post", URL: "https://sts.nonexistent.invalid", Err: &net.OpError{Op: "dial", Net: "tcp", Err: dns}}
	}
	tests := []struct {
		name  string
		err   error
		class Class
	}{
		{name: "nxdomain", err: dial(&net.DNSError{Err: "no such host", Name: "sts.nonexistent.invalid", IsNotFound: true}), class: Permanent},
		{name: "servfail", err: dial(&net.DNSError{Err: "server misbehaving", Name: "sts.example.com", IsTemporary: true}), class: Transient},
		{name: "resolver_timeout", err: dial(&net.DNSError{Err: "i/o timeout", Name: "sts.example.com", IsTimeout: true}), class: Transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, class := Classify(tt.err)
			if code != "dns" && !(tt.class == Transient && code == "timeout") || class != tt.class {
				t.Errorf("Classify = %s, %s; want dns, %s", code, class, tt.class)
			}
		})
	}
}

// TestClassifyProxy: what the proxy refused, and its certificate, are
// permanent, however deep the transport wrapped them.
func TestClassifyProxy(t *testing.T) {
	t.Parallel()
	refused := &url.Error{Op: "Post", URL: "https://sts.amazonaws.com", Err: &net.OpError{Op: "proxyconnect", Net: "tcp",
		Err: &httpclient.ProxyError{Problem: httpclient.ProxyRefused, Var: "HTTPS_PROXY", Status: "407 Proxy Authentication Required"}}}
	if code, class := Classify(refused); code != CodeProxy || class != Permanent {
		t.Errorf("refused: %s, %s", code, class)
	}
	cert := &url.Error{Op: "Post", URL: "https://sts.amazonaws.com", Err: &net.OpError{Op: "proxyconnect", Net: "tcp",
		Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}}
	if code, class := Classify(cert); code != "tls" || class != Permanent {
		t.Errorf("untrusted certificate in a dial: %s, %s", code, class)
	}
}

// TestThrottleCodes: every code the AWS SDK counts as throttling is STS
// being busy, at HTTP 400 as STS sends them: retried, not a refusal.
func TestThrottleCodes(t *testing.T) {
	t.Parallel()
	for code := range retry.DefaultThrottleErrorCodes {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, ststest.Fail(400, code, "slow down"), ststest.Fail(400, code, "slow down"))
			clock := &fakeClock{now: time.Now()}
			res, err := Exchange(context.Background(), newTestClient(srv), request(), testRetry(clock), slog.New(slog.DiscardHandler))
			if err != nil || res.Attempts != 3 {
				t.Fatalf("Exchange = %d attempts, %v; want credentials at the third", res.Attempts, err)
			}
			if diff := cmp.Diff([]time.Duration{6 * time.Second, 10 * time.Second}, clock.sleeps); diff != "" {
				t.Errorf("not the busy backoff (-want +got):\n%s", diff)
			}
		})
	}
}
