package hostile

import (
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
)

// proxyPassword is the password in the proxy variables of these tests.
const (
	proxyUser     = "puser"
	proxyPassword = "pS3cretPW"
)

// refusingProxy is a forward proxy on 127.0.0.1 that says no: answer is its
// status to every request, CONNECT or plain http. It counts requests: a
// refusal must not be retried.
type refusingProxy struct {
	*httptest.Server
	mu    sync.Mutex
	seen  int
	paths []string
}

func newRefusingProxy(t *testing.T, status int, body string, tlsProxy bool) *refusingProxy {
	p := &refusingProxy{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen++
		p.paths = append(p.paths, r.Method+" "+r.RequestURI)
		p.mu.Unlock()
		switch status {
		case http.StatusProxyAuthRequired:
			w.Header().Set("Proxy-Authenticate", `Basic realm="corp"`)
		case http.StatusUnauthorized:
			// What tinyproxy answers a plain http request without its password.
			w.Header().Set("WWW-Authenticate", `Basic realm="Tinyproxy"`)
		}
		if strings.Contains(body, "Access violation") {
			w.Header().Set("Server", "tinyproxy/1.11.1")
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
	if tlsProxy {
		p.Server = httptest.NewTLSServer(h)
		p.Config.ErrorLog = log.New(io.Discard, "", 0)
	} else {
		p.Server = httptest.NewServer(h)
	}
	t.Cleanup(p.Close)
	return p
}

func (p *refusingProxy) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen
}

// withPassword is the proxy's URL with the user and password.
func (p *refusingProxy) withPassword() string {
	scheme, rest, _ := strings.Cut(p.URL, "://")
	return scheme + "://" + proxyUser + ":" + proxyPassword + "@" + rest
}

// proxySecrets are the proxy's password and the Proxy-Authorization value
// that carries it.
func proxySecrets() map[string]string {
	return map[string]string{
		"the proxy password":      proxyPassword,
		"the proxy user:password": proxyUser + ":" + proxyPassword,
		"the Proxy-Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(proxyUser+":"+proxyPassword)),
	}
}

// githubEnv is a GitHub Actions step whose token endpoint is url.
func githubEnv(dir, url string) map[string]string {
	return map[string]string{
		"GITHUB_ACTIONS":                 "true",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   url,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token-of-the-step",
		"PATH":                           os.Getenv("PATH"),
		"HOME":                           dir,
	}
}

// TestProxyRefuses: a proxy that refuses (407 for its password, 403 or 401
// for its policy, tinyproxy's "Access violation") fails the run at once with
// exit 2 and a hint naming the proxy's variable, for STS over https
// (CONNECT) and plain http, and for GitHub's token endpoint; it is never
// retried, and the proxy's password is never printed. The hosts are under
// .invalid: only the proxy ever sees them, aws-oidc resolves nothing.
func TestProxyRefuses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		status   int
		body     string
		variable string
		endpoint string
		github   bool
	}{
		{name: "connect_407", status: http.StatusProxyAuthRequired, variable: "HTTPS_PROXY", endpoint: "https://sts.proxy.invalid"},
		{name: "connect_403_access_violation", status: http.StatusForbidden, body: "<html><h1>Access violation</h1></html>", variable: "https_proxy", endpoint: "https://sts.proxy.invalid"},
		{name: "connect_401", status: http.StatusUnauthorized, variable: "HTTPS_PROXY", endpoint: "https://sts.proxy.invalid"},
		{name: "plain_http_403_access_violation", status: http.StatusForbidden, body: "<html><h1>Access violation</h1></html>", variable: "HTTP_PROXY", endpoint: "http://sts.proxy.invalid:8080"},
		{name: "plain_http_401_tinyproxy", status: http.StatusUnauthorized, variable: "HTTP_PROXY", endpoint: "http://sts.proxy.invalid:8080"},
		{name: "plain_http_407", status: http.StatusProxyAuthRequired, variable: "HTTP_PROXY", endpoint: "http://sts.proxy.invalid:8080"},
		{name: "github_token_connect_407", status: http.StatusProxyAuthRequired, variable: "HTTPS_PROXY", github: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newRefusingProxy(t, c.status, c.body, false)
			dir := t.TempDir()
			env := job(dir, mint(t, fakegitlab.Options{}))
			args := []string{"assume", "--role-arn", roleARN, "--sts-endpoint", c.endpoint, "--output", "json"}
			if c.github {
				env = githubEnv(dir, "https://token.proxy.invalid/token?x=1")
				sts := NewSTS(t, nil)
				args = []string{"assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "--output", "json", "--debug"}
			}
			env[c.variable] = p.withPassword()
			r := run(t, dir, env, 0, args...)
			if r.Code != exitConfig {
				t.Errorf("exit %d, want %d\n%s", r.Code, exitConfig, redacted(r, proxySecrets()))
			}
			if n := p.requests(); n != 1 {
				t.Errorf("the proxy was asked %d times, want once: a refusal is not retried", n)
			}
			if !strings.Contains(r.Stderr, "hint: the proxy named by $"+c.variable) || !strings.Contains(r.Stderr, "password") {
				t.Errorf("the hint does not name $%s and its password:\n%s", c.variable, redacted(r, proxySecrets()))
			}
			if c.github && !strings.Contains(r.Stderr, "debug: GitHub's token endpoint token.proxy.invalid: through proxy http://puser:xxxxx@") {
				t.Errorf("--debug does not say which proxy the token endpoint goes through:\n%s", redacted(r, proxySecrets()))
			}
			assertNoSecret(t, texts(t, dir, r, false), proxySecrets())
		})
	}
}

// TestProxyInvalid: a proxy variable that is not a URL (a password with a
// bad %-escape, DEL, a raw '#', '/' or '?') is refused with exit 2 naming
// the variable, before any request, for assume, doctor --issuer-proxy and
// GitHub's token endpoint; Go alone would go direct without a word. The
// value is never printed.
func TestProxyInvalid(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	for _, c := range []struct {
		name, password, variable string
		command                  string
	}{
		{name: "bad_escape", password: "pS3cret%zz", variable: "HTTPS_PROXY", command: "assume"},
		{name: "del", password: "pS3cret\x7fPW", variable: "HTTPS_PROXY", command: "assume"},
		{name: "raw_hash", password: "pS3cret#PW", variable: "https_proxy", command: "assume"},
		{name: "raw_slash", password: "pS3cret/PW", variable: "HTTPS_PROXY", command: "assume"},
		{name: "raw_question_http", password: "pS3cret?PW", variable: "HTTP_PROXY", command: "assume"},
		{name: "doctor_issuer_proxy", password: "pS3cret%zz", variable: "HTTPS_PROXY", command: "doctor"},
		{name: "github_token", password: "pS3cret#PW", variable: "HTTPS_PROXY", command: "github"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newRefusingProxy(t, http.StatusOK, "", false)
			dir := t.TempDir()
			env := job(dir, mint(t, fakegitlab.Options{}))
			args := []string{"assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "--output", "json"}
			switch c.command {
			case "doctor":
				args = []string{"doctor", "--issuer-proxy"}
			case "github":
				// On loopback: the proxy is never used for it, so a tool that
				// ignored the variable would call it, not ask a resolver.
				env = githubEnv(dir, sts.URL+"/token")
			}
			host := strings.TrimPrefix(p.URL, "http://")
			env[c.variable] = "http://" + proxyUser + ":" + c.password + "@" + host
			before := sts.Total()
			r := run(t, dir, env, 0, args...)
			secrets := map[string]string{"the password": c.password}
			if r.Code != exitConfig {
				t.Errorf("exit %d, want %d\n%s", r.Code, exitConfig, redacted(r, secrets))
			}
			if want := "error: " + c.variable + " is not a valid URL (percent-encode the password)"; !strings.Contains(r.Stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, redacted(r, secrets))
			}
			if sts.Total() != before || p.requests() != 0 {
				t.Error("a request went out with a proxy variable that is not a URL")
			}
			assertNoSecret(t, texts(t, dir, r, false), secrets)
			if strings.Contains(r.Stderr+r.Stdout, "pS3cret") {
				t.Error("the password was printed")
			}
		})
	}
}

// TestProxyUntrustedCertificate: an https:// proxy with a certificate from
// a private CA is a configuration error (exit 2, the --ca-bundle hint), not
// a proxy that "could not be reached"; with the CA in --ca-bundle the proxy
// is reached.
func TestProxyUntrustedCertificate(t *testing.T) {
	t.Parallel()
	p := newRefusingProxy(t, http.StatusProxyAuthRequired, "", true)
	dir := t.TempDir()
	env := job(dir, mint(t, fakegitlab.Options{}))
	env["HTTPS_PROXY"] = p.withPassword()
	r := run(t, dir, env, 0, "assume", "--role-arn", roleARN, "--sts-endpoint", "https://sts.proxy.invalid", "--output", "json")
	if r.Code != exitConfig || !strings.Contains(r.Stderr, "--ca-bundle") || !strings.Contains(r.Stderr, "HTTPS_PROXY") {
		t.Errorf("exit %d, want %d and the --ca-bundle hint\n%s", r.Code, exitConfig, redacted(r, proxySecrets()))
	}
	if p.requests() != 0 {
		t.Error("the proxy got a request over a connection the tool did not trust")
	}
	bundle := filepath.Join(dir, "proxy-ca.pem")
	writeFile(t, bundle, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Certificate().Raw})))
	r = run(t, dir, env, 0, "assume", "--role-arn", roleARN, "--sts-endpoint", "https://sts.proxy.invalid", "--output", "json", "--ca-bundle", bundle)
	if p.requests() != 1 || !strings.Contains(r.Stderr, "refused the request") {
		t.Errorf("with --ca-bundle the proxy was not reached (%d requests)\n%s", p.requests(), redacted(r, proxySecrets()))
	}
	assertNoSecret(t, texts(t, dir, r, false), proxySecrets())
}

// TestProxyPasswordEchoed: a server (or the proxy) that echoes the proxy's
// password, raw, URL-escaped, or as the Proxy-Authorization it got, has it
// scrubbed from every output.
func TestProxyPasswordEchoed(t *testing.T) {
	t.Parallel()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(proxyUser+":"+proxyPassword))
	body := fmt.Sprintf(`<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>`+
		`<Message>from %s:%s escaped %s auth=%s b64 %s</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
		proxyUser, proxyPassword, "pS3cret%50W", auth, base64.StdEncoding.EncodeToString([]byte(proxyPassword)))
	p := newRefusingProxy(t, http.StatusBadRequest, body, false)
	dir := t.TempDir()
	env := job(dir, mint(t, fakegitlab.Options{}))
	env["HTTP_PROXY"] = strings.Replace(p.withPassword(), proxyPassword, "pS3cret%50W", 1)
	r := run(t, dir, env, 0, "assume", "--role-arn", roleARN, "--sts-endpoint", "http://sts.proxy.invalid:8080", "--output", "json", "--debug")
	if r.Code == exitOK {
		t.Fatalf("exit 0 from an error answer")
	}
	if !strings.Contains(r.Stderr, "debug: STS http://sts.proxy.invalid:8080: through proxy http://puser:xxxxx@") {
		t.Errorf("--debug does not say which proxy STS goes through:\n%s", redacted(r, proxySecrets()))
	}
	if !strings.Contains(r.Stderr, "[REDACTED]") {
		t.Errorf("nothing was scrubbed:\n%s", redacted(r, proxySecrets()))
	}
	secrets := proxySecrets()
	secrets["the password as escaped in the variable"] = "pS3cret%50W"
	assertNoSecret(t, texts(t, dir, r, false), secrets)
}

// TestProxyCGI: with REQUEST_METHOD set (a CGI environment), Go refuses
// HTTP_PROXY; the run says so with exit 2 instead of retrying a failure
// nobody reads as a setting.
func TestProxyCGI(t *testing.T) {
	t.Parallel()
	p := newRefusingProxy(t, http.StatusOK, "", false)
	dir := t.TempDir()
	env := job(dir, mint(t, fakegitlab.Options{}))
	env["HTTP_PROXY"] = p.URL
	env["REQUEST_METHOD"] = "GET"
	r := run(t, dir, env, 0, "assume", "--role-arn", roleARN, "--sts-endpoint", "http://sts.proxy.invalid:8080", "--output", "json")
	if r.Code != exitConfig || !strings.Contains(r.Stderr, "REQUEST_METHOD") {
		t.Errorf("exit %d, want %d naming REQUEST_METHOD\n%s", r.Code, exitConfig, redacted(r, nil))
	}
}
