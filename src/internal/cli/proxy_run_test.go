package cli

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

// TestAssumeUsesTheGivenProxy runs assume with the proxy in the command's
// environment (not the process's): the STS endpoint's name resolves
// nowhere, so only the proxy, which forwards it to the fake STS, can
// answer. (NO_PROXY going direct is proven in tests/e2e, inside a network
// namespace: here a direct request would ask the machine's DNS.)
func TestAssumeUsesTheGivenProxy(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String())
		mu.Unlock()
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.URL.Host = srv.Listener.Addr().String()
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	const endpoint = "http://sts.proxy.invalid:7080"
	for _, name := range []string{"HTTP_PROXY", "http_proxy"} {
		env := gitlabEnv(t, nil)
		env[name] = proxy.URL
		r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", endpoint, "-o", "json", "--max-attempts", "1")
		if r.code != 0 {
			t.Errorf("%s: exit %d", name, r.code)
		}
	}
	mu.Lock()
	got := slices.Clone(seen)
	mu.Unlock()
	if want := []string{"POST " + endpoint + "/", "POST " + endpoint + "/"}; !slices.Equal(got, want) {
		t.Errorf("the proxy saw %q, want %q", got, want)
	}
}

// TestProxyPasswordNeverPrinted points assume at a proxy that refuses
// connections, with --debug: the error names the failure, never the
// proxy's password.
func TestProxyPasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	const password = "proxy-pass-5ecret"
	env := gitlabEnv(t, nil)
	env["HTTPS_PROXY"] = "http://ci:" + password + "@" + addr
	r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", "https://sts.proxy.invalid", "-o", "json",
		"--max-attempts", "2", "--debug")
	if r.code == 0 {
		t.Fatal("assume succeeded through a closed proxy")
	}
	if strings.Contains(r.stdout+r.stderr, password) {
		t.Error("the proxy's password was printed")
	}
	if !strings.Contains(r.stderr, "hint: the proxy named by $HTTPS_PROXY") {
		t.Error("the hint does not name the proxy")
	}
	assertNoSecrets(t, r.stderr, env)
}
