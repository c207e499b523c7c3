package faultproxy

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

const answer = `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>` +
	`<AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret-key-123456</SecretAccessKey>` +
	`<SessionToken>session-token-123456</SessionToken></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`

// outcome is what a plain HTTP client saw.
type outcome struct {
	Status int
	// Code is the STS error code in the body, if any.
	Code string
	// BodyOK says the body arrived whole and is well-formed XML.
	BodyOK bool
	// Failed says the request or the body read failed.
	Failed bool
}

func TestProxy(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(upstream.Close)

	tests := []struct {
		name  string
		fault Fault
		want  outcome
	}{
		{name: "none", fault: None, want: outcome{Status: 200, BodyOK: true}},
		{name: "throttling", fault: Throttling, want: outcome{Status: 400, Code: "Throttling", BodyOK: true}},
		{name: "idp_communication_error", fault: IDPCommunicationError, want: outcome{Status: 400, Code: "IDPCommunicationError", BodyOK: true}},
		{name: "access_denied", fault: AccessDenied, want: outcome{Status: 403, Code: "AccessDenied", BodyOK: true}},
		{name: "invalid_identity_token", fault: InvalidIdentityToken, want: outcome{Status: 400, Code: "InvalidIdentityToken", BodyOK: true}},
		{name: "http_500", fault: HTTP500, want: outcome{Status: 500}},
		{name: "http_503", fault: HTTP503, want: outcome{Status: 503}},
		{name: "reset", fault: Reset, want: outcome{Failed: true}},
		{name: "truncated", fault: Truncated, want: outcome{Status: 200, Failed: true}},
		{name: "malformed", fault: Malformed, want: outcome{Status: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var secrets bytes.Buffer
			url := serve(t, Config{Upstream: mustURL(t, upstream.URL), Fault: tt.fault, Count: 1, Secrets: &secrets}, nil)
			if diff := cmp.Diff(tt.want, get(http.DefaultClient, url)); diff != "" {
				t.Errorf("first request (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(outcome{Status: 200, BodyOK: true}, get(http.DefaultClient, url)); diff != "" {
				t.Errorf("second request, after the fault (-want +got):\n%s", diff)
			}
			if !strings.Contains(secrets.String(), "secret-key-123456\nsession-token-123456\n") {
				t.Errorf("secrets noted = %q, want the forwarded secret key and session token", secrets.String())
			}
		})
	}
}

// TestProxyThen checks that the requests after the first Count get the
// second fault, every one of them, and that a second fault must be one of
// a single request.
func TestProxyThen(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(upstream.Close)
	url := serve(t, Config{Upstream: mustURL(t, upstream.URL), Fault: AccessDenied, Count: 1, Then: Throttling}, nil)
	want := []outcome{
		{Status: 403, Code: "AccessDenied", BodyOK: true},
		{Status: 400, Code: "Throttling", BodyOK: true},
		{Status: 400, Code: "Throttling", BodyOK: true},
	}
	var got []outcome
	for range want {
		got = append(got, get(http.DefaultClient, url))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	for _, then := range []Fault{Chaos, TLSCut, "no-such-fault"} {
		if _, err := New(Config{Upstream: mustURL(t, upstream.URL), Fault: Throttling, Count: 1, Then: then}); err == nil {
			t.Errorf("then %q accepted", then)
		}
	}
}

func TestProxySlow(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(upstream.Close)
	url := serve(t, Config{Upstream: mustURL(t, upstream.URL), Fault: Slow, Count: 1, Delay: 5 * time.Second}, nil)
	impatient := &http.Client{Timeout: 200 * time.Millisecond}
	if got := get(impatient, url); !got.Failed {
		t.Errorf("slow answer = %+v, want the client to time out", got)
	}
	if diff := cmp.Diff(outcome{Status: 200, BodyOK: true}, get(impatient, url)); diff != "" {
		t.Errorf("after the slow answer (-want +got):\n%s", diff)
	}
}

func TestProxyTLS(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(upstream.Close)
	trusted, trustedPair := certificate(t)
	_, untrustedPair := certificate(t)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(trusted.CAPEM)

	for _, fault := range []Fault{TLSCut, TLSUntrusted} {
		t.Run(string(fault), func(t *testing.T) {
			t.Parallel()
			url := serve(t, Config{Upstream: mustURL(t, upstream.URL), Fault: fault, Count: 1,
				Certificate: trustedPair, Untrusted: untrustedPair}, trustedPair)
			// A fresh connection per request: the fault is per connection.
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true,
				TLSClientConfig: &tls.Config{RootCAs: roots}}}
			if got := get(client, url); !got.Failed {
				t.Errorf("first connection = %+v, want a failed handshake", got)
			}
			if diff := cmp.Diff(outcome{Status: 200, BodyOK: true}, get(client, url)); diff != "" {
				t.Errorf("second connection (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	up := mustURL(t, "http://127.0.0.1:1")
	for name, cfg := range map[string]Config{
		"no_upstream":             {Fault: Throttling},
		"unknown_fault":           {Upstream: up, Fault: "gremlins"},
		"tls_fault_over_http":     {Upstream: up, Fault: TLSCut},
		"untrusted_without_cert2": {Upstream: up, Fault: TLSUntrusted, Certificate: &tls.Certificate{}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

// serve runs a proxy for cfg on a free loopback port and returns its URL.
func serve(t *testing.T, cfg Config, cert *tls.Certificate) string {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = p.Serve(l)
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	scheme := "http"
	if cert != nil {
		scheme = "https"
	}
	return scheme + "://" + l.Addr().String() + "/"
}

func get(c *http.Client, url string) outcome {
	res, err := c.Post(url, "application/x-www-form-urlencoded", strings.NewReader("Action=AssumeRoleWithWebIdentity"))
	if err != nil {
		return outcome{Failed: true}
	}
	defer res.Body.Close()
	o := outcome{Status: res.StatusCode}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		o.Failed = true
		return o
	}
	var e struct {
		Code string `xml:"Error>Code"`
	}
	if len(body) > 0 && xml.Unmarshal(body, &e) == nil {
		o.BodyOK = true
		o.Code = e.Code
	}
	if res.StatusCode >= 500 {
		// Plain-text error pages are not XML; whether they parse is moot.
		o.BodyOK = false
	}
	return o
}

func certificate(t *testing.T) (*fakegitlab.Certificate, *tls.Certificate) {
	t.Helper()
	c, err := fakegitlab.NewCertificate("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(c.ChainPEM, c.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c, &pair
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestProxyChaos(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(upstream.Close)
	// Two proxies with one seed spoil the same requests the same way.
	var logs [2]harness.SyncBuffer
	for i := range logs {
		url := serve(t, Config{Upstream: mustURL(t, upstream.URL), Fault: Chaos, Count: -1, Seed: 7, Delay: time.Millisecond, Log: &logs[i]}, nil)
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		ok := 0
		for range 40 {
			if got := get(client, url); got.Status == 200 && got.BodyOK {
				ok++
			}
		}
		if ok == 0 || ok == 40 {
			t.Errorf("proxy %d: %d of 40 requests passed, want some but not all", i, ok)
		}
	}
	if diff := cmp.Diff(logs[0].String(), logs[1].String()); diff != "" {
		t.Errorf("same seed, different faults (-first +second):\n%s", diff)
	}
}
