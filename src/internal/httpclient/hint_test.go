package httpclient

import (
	"crypto/x509"
	"strings"
	"testing"
)

// TestProxyErrorHint: each problem names the variable and the fix, never
// the proxy's password (the error holds none).
func TestProxyErrorHint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *ProxyError
		want string
	}{
		{name: "not_a_url", err: &ProxyError{Var: "HTTPS_PROXY"}, want: "set $HTTPS_PROXY to a URL such as http://proxy.example:3128"},
		{name: "refused", err: &ProxyError{Problem: ProxyRefused, Var: "HTTPS_PROXY", Target: "sts.amazonaws.com:443"},
			want: "check the user and password in $HTTPS_PROXY (user:password@ before the host, percent-encoded) and that the proxy's policy allows sts.amazonaws.com:443"},
		{name: "untrusted", err: &ProxyError{Problem: ProxyUntrusted, Var: "https_proxy", Err: x509.UnknownAuthorityError{}},
			want: "give the CA of the proxy named by $https_proxy as a PEM file with --ca-bundle"},
		{name: "other_name", err: &ProxyError{Problem: ProxyUntrusted, Var: "HTTPS_PROXY", Err: x509.HostnameError{Host: "p"}},
			want: "the proxy's certificate does not name the host $HTTPS_PROXY names it by"},
		{name: "cgi", err: &ProxyError{Problem: ProxyCGI, Var: "HTTP_PROXY"}, want: "unset REQUEST_METHOD in the job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Hint(); !strings.Contains(got, tt.want) {
				t.Errorf("Hint = %q, lacks %q", got, tt.want)
			}
		})
	}
}
