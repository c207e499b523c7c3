package cli

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
)

// TestProxyHints: each proxy failure exits 2 with a hint naming the
// variable and what to change.
func TestProxyHints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  *httpclient.ProxyError
		want string
	}{
		{name: "invalid", err: &httpclient.ProxyError{Problem: httpclient.ProxyInvalid, Var: "https_proxy"}, want: "set $https_proxy to a URL"},
		{name: "refused", err: &httpclient.ProxyError{Problem: httpclient.ProxyRefused, Var: "HTTPS_PROXY", Target: "sts.amazonaws.com:443"}, want: "check the user and password in $HTTPS_PROXY"},
		{name: "unknown_ca", err: &httpclient.ProxyError{Problem: httpclient.ProxyUntrusted, Var: "HTTPS_PROXY",
			Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}, want: "--ca-bundle"},
		{name: "wrong_name", err: &httpclient.ProxyError{Problem: httpclient.ProxyUntrusted, Var: "HTTPS_PROXY",
			Err: &tls.CertificateVerificationError{Err: x509.HostnameError{Host: "127.0.0.1", Certificate: &x509.Certificate{}}}}, want: "by a name its certificate holds"},
		{name: "cgi", err: &httpclient.ProxyError{Problem: httpclient.ProxyCGI, Var: "HTTP_PROXY"}, want: "unset REQUEST_METHOD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wrapped := &STSError{Err: tc.err}
			if got := ExitCode(wrapped); got != ExitConfig {
				t.Errorf("exit %d, want %d", got, ExitConfig)
			}
			if got := Hint(wrapped); !strings.Contains(got, tc.want) {
				t.Errorf("hint %q lacks %q", got, tc.want)
			}
		})
	}
}
