package trust

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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
		c, err := Client(context.Background(), envOf(map[string]string{name: proxy.URL}), "")
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
