package fwdproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

func TestProxy(t *testing.T) {
	t.Parallel()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, "plain "+r.Host+" "+string(body))
	}))
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "secure")
	}))
	t.Cleanup(secure.Close)

	log := &harness.SyncBuffer{}
	p := &Proxy{Auth: "u:pw", Log: log, Routes: map[string]string{
		"sts.proxy.test:7080": plain.Listener.Addr().String(),
		"idp.proxy.test:8443": secure.Listener.Addr().String(),
	}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	proxyURL, _ := url.Parse(srv.URL)
	client := func(user *url.Userinfo) *http.Client {
		u := *proxyURL
		u.User = user
		tr := secure.Client().Transport.(*http.Transport).Clone()
		tr.Proxy = http.ProxyURL(&u)
		// httptest's certificate names example.com, not the routed name.
		tr.TLSClientConfig.ServerName = "example.com"
		return &http.Client{Transport: tr}
	}
	c := client(url.UserPassword("u", "pw"))

	req, _ := http.NewRequest(http.MethodPost, "http://sts.proxy.test:7080/", strings.NewReader("Action=AssumeRole&SourceIdentity=alice&WebIdentityToken=secret"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "test-agent/1")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "plain sts.proxy.test:7080 Action=AssumeRole&SourceIdentity=alice&WebIdentityToken=secret"; string(body) != want {
		t.Errorf("forwarded: %q, want %q (Host and body kept)", body, want)
	}

	resp, err = c.Get("https://idp.proxy.test:8443/")
	if err != nil {
		t.Fatalf("through the tunnel: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "secure" {
		t.Errorf("through the tunnel: %q", body)
	}

	if _, err := c.Get("http://elsewhere.test/"); err != nil {
		t.Fatal(err)
	}
	if resp, err := client(url.UserPassword("u", "wrong")).Get("http://sts.proxy.test:7080/"); err != nil || resp.StatusCode != http.StatusProxyAuthRequired {
		t.Errorf("wrong password: %v, %v; want 407", resp, err)
	}

	got, err := ReadLog(log.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Method: "POST", Target: "http://sts.proxy.test:7080/", UserAgent: "test-agent/1", Status: 200, Action: "AssumeRole", SourceIdentity: "alice"},
		{Method: "CONNECT", Target: "idp.proxy.test:8443", UserAgent: "Go-http-client/1.1", Status: 200},
		{Method: "GET", Target: "http://elsewhere.test/", UserAgent: "Go-http-client/1.1", Status: 403},
		{Method: "GET", Target: "http://sts.proxy.test:7080/", UserAgent: "Go-http-client/1.1", Status: 407},
	}
	if len(got) != len(want) {
		t.Fatalf("log = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if strings.Contains(log.String(), "secret") || strings.Contains(log.String(), "pw") {
		t.Error("the log holds a body or a credential")
	}
}
