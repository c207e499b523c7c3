package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// ProxyProblem is what is wrong with a proxy, as far as another attempt
// cannot change it.
type ProxyProblem int

const (
	// ProxyInvalid is a proxy variable that is not a URL: Go's own rule
	// ignores it silently and goes direct, which on a runner that has no
	// other way out looks like a network failure.
	ProxyInvalid ProxyProblem = iota
	// ProxyRefused is a proxy that answered and said no: 407 (its user or
	// password), or any other 4xx to a tunnel request (its policy).
	ProxyRefused
	// ProxyUntrusted is an https:// proxy whose certificate this machine
	// does not trust.
	ProxyUntrusted
	// ProxyCGI is HTTP_PROXY under CGI (REQUEST_METHOD set), where it may be
	// a request's Proxy header: net/http refuses it
	// (golang.org/s/cgihttpproxy), and so do we, but out loud.
	ProxyCGI
)

// ProxyError is a proxy setting or a proxy's answer that another attempt
// cannot change. It never holds the proxy's password: Proxy is the URL
// with the password masked, "" when the variable does not parse.
type ProxyError struct {
	Problem ProxyProblem
	// Var is the variable that names the proxy (HTTPS_PROXY, https_proxy,
	// HTTP_PROXY, http_proxy).
	Var   string
	Proxy string
	// Status is the proxy's answer, for ProxyRefused.
	Status string
	// Target is the host:port the request was for.
	Target string
	Err    error
}

func (e *ProxyError) Error() string {
	switch e.Problem {
	case ProxyRefused:
		return fmt.Sprintf("the proxy %s (%s) refused the request to %s: %s", e.Proxy, e.Var, e.Target, e.Status)
	case ProxyUntrusted:
		return fmt.Sprintf("the proxy %s (%s) presented a certificate this machine does not trust: %v", e.Proxy, e.Var, e.Err)
	case ProxyCGI:
		return fmt.Sprintf("%s is not used because REQUEST_METHOD is set: under CGI, HTTP_PROXY may be a request's Proxy header", e.Var)
	}
	return fmt.Sprintf("%s is not a valid URL (percent-encode the password)", e.Var)
}

func (e *ProxyError) Unwrap() error { return e.Err }

// Hint names the proxy's variable and what to change in it or in the
// proxy.
func (e *ProxyError) Hint() string { return e.HintFor("--ca-bundle or $AWS_CA_BUNDLE") }

// HintFor is Hint naming the setting of extra CAs as caBundle says: the
// flag and its variable on the command line, the variable alone in the
// assume-role component.
func (e *ProxyError) HintFor(caBundle string) string {
	switch {
	case e.Problem == ProxyRefused:
		return fmt.Sprintf("the proxy named by $%s answered but would not forward the request: check the user and password in $%s "+
			"(user:password@ before the host, percent-encoded) and that the proxy's policy allows %s; "+
			"or list the host in $NO_PROXY to go direct", e.Var, e.Var, e.Target)
	case e.Problem == ProxyUntrusted && errors.As(e.Err, new(x509.HostnameError)):
		return fmt.Sprintf("the proxy's certificate does not name the host $%s names it by: name the proxy in $%s by a name its certificate holds", e.Var, e.Var)
	case e.Problem == ProxyUntrusted:
		return fmt.Sprintf("give the CA of the proxy named by $%s as a PEM file with %s, or name it with http:// if it takes plain connections", e.Var, caBundle)
	case e.Problem == ProxyCGI:
		return "REQUEST_METHOD marks a CGI program, and a job is not one: unset REQUEST_METHOD in the job, or name the proxy in $http_proxy (lower case), which no request header can set"
	}
	return fmt.Sprintf("set $%s to a URL such as http://proxy.example:3128, with the user and password before the host as user:password@ "+
		"and every : @ / ? # %% and space in them percent-encoded (%%40 for @, %%23 for #, %%2F for /)", e.Var)
}

// ProxyFunc picks the proxy of a request, nil for none.
type ProxyFunc func(*http.Request) (*url.URL, error)

// proxyVars are the proxy variables of one environment, each upper case
// first, then lower case, as Go and the AWS SDKs read them.
type proxyVars struct {
	httpVar, httpsVar, noProxy string
	http, https                string
	cgi                        bool
}

func readProxyVars(getenv func(string) string) proxyVars {
	either := func(upper, lower string) (string, string) {
		if v := getenv(upper); v != "" {
			return upper, v
		}
		if v := getenv(lower); v != "" {
			return lower, v
		}
		return upper, ""
	}
	var v proxyVars
	v.httpVar, v.http = either("HTTP_PROXY", "http_proxy")
	v.httpsVar, v.https = either("HTTPS_PROXY", "https_proxy")
	_, v.noProxy = either("NO_PROXY", "no_proxy")
	v.cgi = getenv("REQUEST_METHOD") != ""
	return v
}

// parseProxyURL reads a proxy variable as curl and Go do (no scheme means
// http://), but strictly: a value whose password holds a raw '#', '/' or
// '?', a bad %-escape or a control character is refused, where Go's rule
// would drop it or read another host out of it.
func parseProxyURL(v string) (*url.URL, bool) {
	s := v
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, false
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, false
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, false
		}
	}
	if u.Hostname() == "" {
		return nil, false
	}
	return u, true
}

// CheckProxy refuses proxy variables that are set but are not URLs. It
// names the variable and never prints its value, which holds a password.
func CheckProxy(getenv func(string) string) error {
	v := readProxyVars(getenv)
	for _, p := range []struct{ name, value string }{{v.httpsVar, v.https}, {v.httpVar, v.http}} {
		if p.value == "" {
			continue
		}
		if _, ok := parseProxyURL(p.value); !ok {
			return &ProxyError{Problem: ProxyInvalid, Var: p.name}
		}
	}
	return nil
}

// ProxySecrets are the forms a proxy's password can be echoed in by a
// server or a proxy: the password as given and decoded, the user:password
// pair (whose base64 is a Proxy-Authorization header's) and the userinfo
// as written. A value that does not parse is a secret whole.
func ProxySecrets(getenv func(string) string) []string {
	v := readProxyVars(getenv)
	var out []string
	for _, value := range []string{v.https, v.http} {
		if value == "" {
			continue
		}
		u, ok := parseProxyURL(value)
		if !ok {
			out = append(out, value)
			continue
		}
		pw, set := u.User.Password()
		if !set || pw == "" {
			continue
		}
		pair := u.User.Username() + ":" + pw
		// Not the whole value: every piece of a secret is scrubbed, and the
		// proxy's host is not one.
		out = append(out, pw, pair, u.User.String(), "Basic "+base64.StdEncoding.EncodeToString([]byte(pair)))
		// And as written in the variable, %-escapes and all.
		rest := value
		if _, after, ok := strings.Cut(value, "://"); ok {
			rest = after
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			_, written, _ := strings.Cut(rest[:at], ":")
			out = append(out, rest[:at], written)
		}
	}
	return out
}

// Proxy is net/http's rule for HTTP_PROXY, HTTPS_PROXY and NO_PROXY over
// getenv instead of the process environment: https requests go through
// HTTPS_PROXY, http ones through HTTP_PROXY, hosts NO_PROXY matches go
// direct, and so do localhost and loopback addresses whatever NO_PROXY says.
// A proxy URL without a scheme means http://. Where net/http is silent this
// fails with a *ProxyError: a variable that is not a URL (net/http goes
// direct), and HTTP_PROXY under CGI (net/http fails with an error nobody
// reads as a setting). A trailing dot, of NO_PROXY's names or of the
// request's host, does not keep them from matching.
func Proxy(getenv func(string) string) ProxyFunc {
	v := readProxyVars(getenv)
	if v.http == "" && v.https == "" {
		return nil
	}
	httpURL, httpOK := parseProxyURL(v.http)
	httpsURL, httpsOK := parseProxyURL(v.https)
	cfg := httpproxy.Config{NoProxy: normalizeNoProxy(v.noProxy)}
	if httpOK {
		cfg.HTTPProxy = httpURL.String()
	}
	if httpsOK {
		cfg.HTTPSProxy = httpsURL.String()
	}
	f := cfg.ProxyFunc()
	return func(req *http.Request) (*url.URL, error) {
		name, value, ok := v.httpVar, v.http, httpOK
		if req.URL.Scheme == "https" {
			name, value, ok = v.httpsVar, v.https, httpsOK
		}
		if value != "" && !ok {
			return nil, &ProxyError{Problem: ProxyInvalid, Var: name}
		}
		u := *req.URL
		if h := u.Hostname(); strings.HasSuffix(h, ".") {
			u.Host = strings.TrimSuffix(h, ".")
			if p := u.Port(); p != "" {
				u.Host = net.JoinHostPort(u.Host, p)
			}
		}
		proxy, err := f(&u)
		if err != nil || proxy == nil {
			return proxy, err
		}
		if v.cgi && name == "HTTP_PROXY" && req.URL.Scheme != "https" {
			return nil, &ProxyError{Problem: ProxyCGI, Var: name}
		}
		return proxy, nil
	}
}

// normalizeNoProxy drops the trailing dot of each name: "sts.example.com."
// is the same host as "sts.example.com", and Go's matcher compares text.
func normalizeNoProxy(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) > 1 {
			p = strings.TrimSuffix(p, ".")
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// Describe says how a request to rawURL leaves this machine under getenv's
// variables: "direct" or "through proxy URL (VAR)", the password masked.
func Describe(getenv func(string) string, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "direct"
	}
	f := Proxy(getenv)
	if f == nil {
		return "direct"
	}
	proxy, err := f(&http.Request{URL: u})
	if err != nil {
		return err.Error()
	}
	if proxy == nil {
		return "direct"
	}
	v := readProxyVars(getenv)
	name := v.httpVar
	if u.Scheme == "https" {
		name = v.httpsVar
	}
	return fmt.Sprintf("through proxy %s (%s)", proxy.Redacted(), name)
}

// refusedTunnel turns a proxy's 4xx answer to CONNECT into a ProxyError:
// the proxy's user, password or policy, which no retry changes. A 5xx is
// the proxy failing to reach the host, and stays net/http's error.
// Only https requests are tunnelled, so the proxy is the https variable's.
func refusedTunnel(vars proxyVars) func(context.Context, *url.URL, *http.Request, *http.Response) error {
	return func(_ context.Context, proxy *url.URL, req *http.Request, resp *http.Response) error {
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			return nil
		}
		return &ProxyError{Problem: ProxyRefused, Var: vars.httpsVar, Proxy: proxy.Redacted(), Status: resp.Status, Target: req.Host}
	}
}

// proxied is a transport whose proxy failures that no retry can change come
// back as *ProxyError: 407 to a request sent through the proxy in plain
// http, and an https:// proxy whose certificate is not trusted.
type proxied struct {
	t     http.RoundTripper
	proxy ProxyFunc
	vars  proxyVars
}

func (p proxied) RoundTrip(req *http.Request) (*http.Response, error) {
	if p.proxy == nil {
		return p.t.RoundTrip(req)
	}
	proxy, perr := p.proxy(req)
	if perr != nil {
		return nil, perr
	}
	if proxy == nil {
		return p.t.RoundTrip(req)
	}
	name := p.vars.httpVar
	if req.URL.Scheme == "https" {
		name = p.vars.httpsVar
	}
	resp, err := p.t.RoundTrip(req)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "proxyconnect" && Untrusted(oe.Err) {
			return nil, &ProxyError{Problem: ProxyUntrusted, Var: name, Proxy: proxy.Redacted(), Target: req.URL.Host, Err: oe.Err}
		}
		return nil, err
	}
	if req.URL.Scheme != "https" && proxyAuthRefused(resp) {
		resp.Body.Close()
		return nil, &ProxyError{Problem: ProxyRefused, Var: name, Proxy: proxy.Redacted(), Status: resp.Status, Target: req.URL.Host}
	}
	return resp, nil
}

// proxyAuthRefused reports whether an answer to a request sent through a
// proxy in plain http is the proxy refusing it: 407, or 401 with a Basic
// challenge, which tinyproxy sends instead (AWS and the STS-compatible
// servers sign with SigV4 and never ask for Basic), or a 4xx the proxy says
// is its own: a Proxy-Status header (RFC 9209), Squid's X-Squid-Error, or
// tinyproxy's error page ("Access violation").
func proxyAuthRefused(resp *http.Response) bool {
	switch {
	case resp.StatusCode == http.StatusProxyAuthRequired:
		return true
	case resp.StatusCode == http.StatusUnauthorized && strings.HasPrefix(strings.ToLower(strings.TrimSpace(resp.Header.Get("WWW-Authenticate"))), "basic"):
		return true
	case resp.StatusCode < 400 || resp.StatusCode >= 500:
		return false
	}
	return resp.Header.Get("Proxy-Status") != "" || resp.Header.Get("X-Squid-Error") != "" ||
		strings.HasPrefix(strings.ToLower(resp.Header.Get("Server")), "tinyproxy")
}

// Untrusted reports whether err is, however deep in a dial's errors, a
// certificate that did not verify: a CA bundle is missing, not a retry.
func Untrusted(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
	)
	return errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify)
}
