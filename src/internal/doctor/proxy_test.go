package doctor

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/issuertest"
)

// connectProxy is a CONNECT-only proxy that records the tunnels asked for
// and refuses them when refuse is set.
type connectProxy struct {
	*httptest.Server
	mu      sync.Mutex
	tunnels []string
}

func newConnectProxy(t *testing.T, refuse bool) *connectProxy {
	p := &connectProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.tunnels = append(p.tunnels, r.Method+" "+r.Host)
		p.mu.Unlock()
		if r.Header.Get("Proxy-Authorization") != "Basic dTpwdw==" { // u:pw
			http.Error(w, "who?", http.StatusProxyAuthRequired)
			return
		}
		if r.Method != http.MethodConnect || refuse {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { _, _ = io.Copy(up, conn); up.Close() }()
		_, _ = io.Copy(conn, up)
		conn.Close()
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *connectProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tunnels...)
}

func (p *connectProxy) rule() func(*http.Request) (*url.URL, error) {
	u, _ := url.Parse(p.URL)
	u.User = url.UserPassword("u", "pw")
	return func(*http.Request) (*url.URL, error) { return u, nil }
}

// TestIssuerProxy runs the issuer's checks through a CONNECT proxy, as
// --issuer-proxy does, and sees every fetch and the TLS check tunnel
// through it.
func TestIssuerProxy(t *testing.T) {
	t.Parallel()
	srv := issuertest.New(t, issuertest.Options{})
	p := newConnectProxy(t, false)
	d := New(Options{RootCAs: roots(srv), Proxy: p.rule()})
	c, disc := d.Issuer(context.Background(), srv.URL)
	want(t, c, OK, "answered in")
	if disc == nil {
		t.Fatal("no discovery document")
	}
	want(t, d.TLS(context.Background(), srv.URL), OK, "in order", "through proxy http://u:xxxxx@"+p.Listener.Addr().String())
	host := srv.Listener.Addr().String()
	got := p.seen()
	if len(got) != 2 || got[0] != "CONNECT "+host || got[1] != "CONNECT "+host {
		t.Errorf("proxy saw %q, want two CONNECT %s", got, host)
	}
}

func TestIssuerProxyRefuses(t *testing.T) {
	t.Parallel()
	srv := issuertest.New(t, issuertest.Options{})
	p := newConnectProxy(t, true)
	d := New(Options{RootCAs: roots(srv), Proxy: p.rule()})
	want(t, d.TLS(context.Background(), srv.URL), Fail, "refused a tunnel", "403")
}
