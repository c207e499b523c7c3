// Package fwdproxy is the corporate forward proxy of the end-to-end tests:
// it forwards plain http requests given in absolute form and tunnels
// CONNECT requests, but only to the host names it is told of, which it
// resolves itself. A client that can reach such a name at all has gone
// through it. Every request is recorded (method, target, User-Agent, never
// a body or a credential), so tests can see what went through and how it
// introduced itself.
package fwdproxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Entry is one request the proxy saw.
type Entry struct {
	Method string `json:"method"`
	// Target is the absolute URL of a forwarded request, or host:port of
	// a tunnel.
	Target    string `json:"target"`
	UserAgent string `json:"user_agent"`
	// Action and SourceIdentity are read from an STS query-protocol form
	// body; nothing else of a body is kept (it may hold a token).
	Action         string `json:"action,omitempty"`
	SourceIdentity string `json:"source_identity,omitempty"`
	// Status is what the proxy answered: 200 for an open tunnel, the
	// upstream's status for a forwarded request, 403 or 407 when refused.
	Status int `json:"status"`
}

// Proxy is the handler.
type Proxy struct {
	// Routes maps host:port as clients name it to the address it is
	// reached at; anything else is refused with 403.
	Routes map[string]string
	// Auth, when set ("user:password"), is required in Proxy-Authorization.
	Auth string
	// Log receives one JSON line per request.
	Log io.Writer

	mu sync.Mutex
}

func (p *Proxy) record(e Entry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Log != nil {
		b, _ := json.Marshal(e)
		_, _ = p.Log.Write(append(b, '\n'))
	}
}

func (p *Proxy) authorized(r *http.Request) bool {
	if p.Auth == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Proxy-Authorization"), "Basic ")
	return ok && got == base64.StdEncoding.EncodeToString([]byte(p.Auth))
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := Entry{Method: r.Method, UserAgent: r.Header.Get("User-Agent")}
	if r.Method == http.MethodConnect {
		e.Target = r.Host
	} else {
		e.Target = r.URL.String()
	}
	switch {
	case !p.authorized(r):
		e.Status = http.StatusProxyAuthRequired
		w.Header().Set("Proxy-Authenticate", `Basic realm="fwdproxy"`)
		http.Error(w, "proxy authentication required", e.Status)
	case r.Method == http.MethodConnect:
		// Recorded once the tunnel is open or refused, not when it
		// closes: the client may be long gone by then.
		p.tunnel(w, r, func(status int) { e.Status = status; p.record(e) })
		return
	case r.URL.IsAbs() && r.URL.Scheme == "http":
		e.Action, e.SourceIdentity = peekForm(r)
		e.Status = p.forward(w, r)
	default:
		e.Status = http.StatusBadRequest
		http.Error(w, "fwdproxy takes absolute http URLs and CONNECT only", e.Status)
	}
	p.record(e)
}

func (p *Proxy) route(hostport string) (string, bool) {
	addr, ok := p.Routes[strings.ToLower(hostport)]
	return addr, ok
}

func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request, done func(status int)) {
	addr, ok := p.route(r.Host)
	if !ok {
		http.Error(w, "no route to "+r.Host, http.StatusForbidden)
		done(http.StatusForbidden)
		return
	}
	up, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		done(http.StatusBadGateway)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		done(http.StatusInternalServerError)
		return
	}
	done(http.StatusOK)
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		conn.Close()
		up.Close()
		return
	}
	go func() {
		// What the client sent after its CONNECT may already sit in buf.
		_, _ = io.Copy(up, buf)
		if tc, ok := up.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	_, _ = io.Copy(conn, up)
	conn.Close()
	up.Close()
}

func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) int {
	addr, ok := p.route(r.URL.Host)
	if !ok && r.URL.Port() == "" {
		addr, ok = p.route(r.URL.Host + ":80")
	}
	if !ok {
		http.Error(w, "no route to "+r.URL.Host, http.StatusForbidden)
		return http.StatusForbidden
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Header.Del("Proxy-Authorization")
	out.Header.Del("Proxy-Connection")
	// The Host header stays the client's: signatures cover it.
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}
	resp, err := transport.RoundTrip(out)
	if err != nil {
		http.Error(w, fmt.Sprintf("upstream %s: %v", addr, err), http.StatusBadGateway)
		return http.StatusBadGateway
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
	return resp.StatusCode
}

// peekForm reads Action and SourceIdentity of a form body and puts the
// body back for forwarding.
func peekForm(r *http.Request) (action, sourceIdentity string) {
	if r.Body == nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return "", ""
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return "", ""
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", ""
	}
	return form.Get("Action"), form.Get("SourceIdentity")
}

// ReadLog parses a log written by Proxy.
func ReadLog(data []byte) ([]Entry, error) {
	var out []Entry
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var e Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			return nil, fmt.Errorf("bad log line %q: %w", line, err)
		}
		out = append(out, e)
	}
	return out, nil
}
