package httpclient

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestProxy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		url  string
		want string
	}{
		{name: "none", env: nil, url: "https://sts.amazonaws.com", want: ""},
		{name: "https_upper", env: map[string]string{"HTTPS_PROXY": "http://proxy:3128"}, url: "https://sts.amazonaws.com", want: "http://proxy:3128"},
		{name: "https_lower", env: map[string]string{"https_proxy": "http://lower:3128"}, url: "https://sts.amazonaws.com", want: "http://lower:3128"},
		{name: "upper_before_lower", env: map[string]string{"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"}, url: "https://sts.amazonaws.com", want: "http://upper:1"},
		{name: "http_uses_http_proxy", env: map[string]string{"HTTP_PROXY": "http://plain:3128", "HTTPS_PROXY": "http://secure:3128"}, url: "http://sts.example.test:7080", want: "http://plain:3128"},
		{name: "http_lower", env: map[string]string{"http_proxy": "plain:3128"}, url: "http://sts.example.test", want: "http://plain:3128"},
		{name: "https_ignores_http_proxy", env: map[string]string{"HTTP_PROXY": "http://plain:3128"}, url: "https://sts.amazonaws.com", want: ""},
		{name: "no_proxy_host", env: map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": "sts.amazonaws.com"}, url: "https://sts.amazonaws.com", want: ""},
		{name: "no_proxy_lower_suffix", env: map[string]string{"HTTPS_PROXY": "http://p:1", "no_proxy": ".amazonaws.com"}, url: "https://sts.us-east-1.amazonaws.com", want: ""},
		{name: "no_proxy_other_host", env: map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": "internal.example"}, url: "https://sts.amazonaws.com", want: "http://p:1"},
		{name: "no_proxy_ip", env: map[string]string{"HTTP_PROXY": "http://p:1", "NO_PROXY": "198.18.0.1"}, url: "http://198.18.0.1:7081", want: ""},
		{name: "no_proxy_star", env: map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, url: "https://sts.amazonaws.com", want: ""},
		{name: "loopback_always_direct", env: map[string]string{"HTTP_PROXY": "http://p:1"}, url: "http://127.0.0.1:7080", want: ""},
		{name: "localhost_always_direct", env: map[string]string{"HTTP_PROXY": "http://p:1"}, url: "http://localhost:7080", want: ""},
		{name: "cgi_refuses_http_proxy", env: map[string]string{"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"}, url: "http://sts.example.test", want: "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := Proxy(envOf(tt.env))
			got := ""
			if f != nil {
				u, _ := url.Parse(tt.url)
				p, err := f(&http.Request{URL: u})
				if err != nil {
					got = "error"
				} else if p != nil {
					got = p.String()
				}
			}
			if got != tt.want {
				t.Errorf("proxy for %s = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}

// TestClientGoesThroughProxy sends a request to a host nobody can resolve:
// only the proxy named in the injected environment (not the process's)
// can answer it. The proxied request never resolves the name itself; a
// direct one would ask the machine's DNS, so NO_PROXY's effect is checked
// by TestProxy here and end to end in tests/e2e, inside a namespace.
func TestClientGoesThroughProxy(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.RequestURI)
		mu.Unlock()
		_, _ = io.WriteString(w, "via proxy")
	}))
	t.Cleanup(proxy.Close)
	for _, name := range []string{"HTTP_PROXY", "http_proxy"} {
		c, err := New(context.Background(), envOf(map[string]string{name: proxy.URL}), "")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Get("http://sts.proxy.invalid:7080/")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "via proxy" {
			t.Errorf("%s: body %q", name, body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := "GET http://sts.proxy.invalid:7080/"
	if len(seen) != 2 || seen[0] != want || seen[1] != want {
		t.Errorf("the proxy saw %q, want %q twice", seen, want)
	}
}

// TestProxyInvalid: a proxy variable that is not a URL is refused by name,
// never printed (it holds a password), where Go's own rule goes direct.
func TestProxyInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, variable, value string
	}{
		{name: "bad_escape", variable: "HTTPS_PROXY", value: "http://puser:pw%zz@127.0.0.1:13129"},
		{name: "del_in_password", variable: "HTTPS_PROXY", value: "http://puser:pw\x7fpw@127.0.0.1:13129"},
		{name: "raw_hash", variable: "https_proxy", value: "http://puser:pw#pw@127.0.0.1:13129"},
		{name: "raw_slash", variable: "HTTPS_PROXY", value: "http://puser:pw/pw@127.0.0.1:13129"},
		{name: "raw_question", variable: "HTTP_PROXY", value: "http://puser:pw?pw@127.0.0.1:13129"},
		{name: "bad_port", variable: "HTTP_PROXY", value: "http://127.0.0.1:99999"},
		{name: "unknown_scheme", variable: "HTTPS_PROXY", value: "ftp://127.0.0.1:21"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := envOf(map[string]string{tt.variable: tt.value})
			err := CheckProxy(env)
			var pe *ProxyError
			if !errors.As(err, &pe) || pe.Problem != ProxyInvalid || pe.Var != tt.variable {
				t.Fatalf("CheckProxy = %v, want an invalid %s", err, tt.variable)
			}
			if strings.Contains(err.Error(), "pw") || !strings.Contains(err.Error(), tt.variable+" is not a valid URL (percent-encode the password)") {
				t.Errorf("message %q", err)
			}
			scheme := "https"
			if strings.EqualFold(tt.variable, "HTTP_PROXY") {
				scheme = "http"
			}
			u, _ := url.Parse(scheme + "://sts.example.invalid/")
			if _, err := Proxy(env)(&http.Request{URL: u}); !errors.As(err, &pe) {
				t.Errorf("a request through it: %v, want the same refusal", err)
			}
		})
	}
	for _, ok := range []string{"http://puser:p%23w%2Fx@127.0.0.1:3128", "proxy:3128", "https://u:p@w@proxy.example:443/", "socks5://127.0.0.1:1080"} {
		if err := CheckProxy(envOf(map[string]string{"HTTPS_PROXY": ok})); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}

func TestProxyNoProxyTrailingDot(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ noProxy, url string }{
		{"sts.proxy.test.", "https://sts.proxy.test/"},
		{"sts.proxy.test", "https://sts.proxy.test.:443/"},
		{" .proxy.test. ,other", "https://sts.proxy.test/"},
	} {
		f := Proxy(envOf(map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": tt.noProxy}))
		u, _ := url.Parse(tt.url)
		if p, err := f(&http.Request{URL: u}); p != nil || err != nil {
			t.Errorf("NO_PROXY=%q, %s: proxy %v, %v; want direct", tt.noProxy, tt.url, p, err)
		}
	}
}

// TestProxyCGI: under CGI, HTTP_PROXY (which a request's Proxy header can
// set) is refused with an error that names it; http_proxy is used.
func TestProxyCGI(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse("http://sts.example.invalid/")
	_, err := Proxy(envOf(map[string]string{"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"}))(&http.Request{URL: u})
	var pe *ProxyError
	if !errors.As(err, &pe) || pe.Problem != ProxyCGI || !strings.Contains(err.Error(), "REQUEST_METHOD") {
		t.Errorf("HTTP_PROXY under CGI: %v", err)
	}
	p, err := Proxy(envOf(map[string]string{"http_proxy": "http://p:1", "REQUEST_METHOD": "GET"}))(&http.Request{URL: u})
	if err != nil || p == nil || p.Host != "p:1" {
		t.Errorf("http_proxy under CGI: %v, %v", p, err)
	}
}

// TestProxyRefuses: a proxy that says no (its password, its policy) is a
// *ProxyError naming the variable, over CONNECT and over plain http.
func TestProxyRefuses(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusProxyAuthRequired, http.StatusForbidden, http.StatusUnauthorized} {
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodConnect || status != http.StatusForbidden {
				// tinyproxy asks with 401 and a Basic challenge in plain http.
				w.Header().Set("Proxy-Authenticate", `Basic realm="x"`)
				w.Header().Set("WWW-Authenticate", `Basic realm="Tinyproxy"`)
				w.WriteHeader(status)
				return
			}
			_, _ = io.WriteString(w, "the origin's answer")
		}))
		t.Cleanup(proxy.Close)
		withPW := strings.Replace(proxy.URL, "http://", "http://puser:pS3cretPW@", 1)
		env := envOf(map[string]string{"https_proxy": withPW, "HTTP_PROXY": withPW})
		c, err := New(context.Background(), env, "")
		if err != nil {
			t.Fatal(err)
		}
		var pe *ProxyError
		_, err = c.Get("https://sts.proxy.invalid/")
		if !errors.As(err, &pe) || pe.Problem != ProxyRefused || pe.Var != "https_proxy" || !strings.Contains(pe.Status, strconv.Itoa(status)) {
			t.Errorf("CONNECT answered %d: %v", status, err)
		} else if strings.Contains(err.Error(), "pS3cretPW") {
			t.Errorf("the password is in %q", err)
		}
		resp, err := NewWithRoots(env, nil).Get("http://sts.proxy.invalid/")
		if status == http.StatusProxyAuthRequired || status == http.StatusUnauthorized {
			if !errors.As(err, &pe) || pe.Var != "HTTP_PROXY" {
				t.Errorf("plain http answered 407: %v", err)
			}
		} else if err != nil {
			t.Errorf("plain http answered %d by the origin: %v", status, err)
		} else {
			resp.Body.Close()
		}
	}
}

// TestProxyUntrusted: an https:// proxy whose certificate is from a CA the
// machine does not trust is a configuration error, not a proxy down.
func TestProxyUntrusted(t *testing.T) {
	t.Parallel()
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	proxy.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(proxy.Close)
	c, err := New(context.Background(), envOf(map[string]string{"HTTPS_PROXY": proxy.URL}), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Get("https://sts.proxy.invalid/")
	var pe *ProxyError
	if !errors.As(err, &pe) || pe.Problem != ProxyUntrusted || pe.Var != "HTTPS_PROXY" {
		t.Errorf("got %v, want an untrusted proxy", err)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{"HTTPS_PROXY": "http://puser:pS3cretPW@proxy.example:3128", "NO_PROXY": "direct.example"})
	if got, want := Describe(env, "https://sts.amazonaws.com"), "through proxy http://puser:xxxxx@proxy.example:3128 (HTTPS_PROXY)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Describe(env, "https://direct.example"); got != "direct" {
		t.Errorf("NO_PROXY host: %q", got)
	}
}

func TestProxySecrets(t *testing.T) {
	t.Parallel()
	got := ProxySecrets(envOf(map[string]string{"HTTPS_PROXY": "http://puser:p%40S3cret@proxy.example:3128"}))
	for _, want := range []string{"p@S3cret", "puser:p@S3cret", "Basic cHVzZXI6cEBTM2NyZXQ="} {
		if !slices.Contains(got, want) {
			t.Errorf("%q not in %q", want, got)
		}
	}
}

// TestProxyOwnRefusalInPlainHTTP: a proxy's own 4xx page to a plain http
// request (tinyproxy's "Access violation", Squid's, RFC 9209's
// Proxy-Status) is the proxy refusing; the same status without those marks
// is the server's answer, left to the caller.
func TestProxyOwnRefusalInPlainHTTP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, header, value string
		proxy               bool
	}{
		{name: "tinyproxy", header: "Server", value: "tinyproxy/1.11.1", proxy: true},
		{name: "squid", header: "X-Squid-Error", value: "ERR_ACCESS_DENIED 0", proxy: true},
		{name: "proxy_status", header: "Proxy-Status", value: "corp; error=destination_ip_prohibited", proxy: true},
		{name: "origin", header: "Server", value: "AmazonS3", proxy: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(tc.header, tc.value)
				w.WriteHeader(http.StatusForbidden)
				_, _ = io.WriteString(w, "<html>Access violation</html>")
			}))
			t.Cleanup(proxy.Close)
			resp, err := NewWithRoots(envOf(map[string]string{"HTTP_PROXY": proxy.URL}), nil).Get("http://sts.proxy.invalid/")
			var pe *ProxyError
			switch {
			case tc.proxy && (!errors.As(err, &pe) || pe.Problem != ProxyRefused || !strings.Contains(pe.Status, "403")):
				t.Errorf("got %v, want the proxy's refusal", err)
			case !tc.proxy && err != nil:
				t.Errorf("the origin's 403 became %v", err)
			}
			if resp != nil {
				resp.Body.Close()
			}
		})
	}
}
