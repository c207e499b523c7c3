// Package faultproxy is a reverse proxy for tests that stands between
// aws-oidc and a real STS peer and spoils the first N requests (or, for the
// TLS faults, connections) in one configured way: an STS error answer, a 5xx,
// a reset connection, a cut or garbled body, an answer slower than the
// client's patience, or a failed TLS handshake. Everything after the first N
// is passed through untouched, so a client that retries well gets real
// credentials from the real peer, unless Config.Then names a second fault
// for the requests after them.
package faultproxy

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/relay"
)

// Fault is one way to spoil an answer.
type Fault string

// The faults. The STS ones answer with the XML STS itself sends; the others
// are what proxies, load balancers and flaky networks do.
const (
	None                  Fault = "none"
	Throttling            Fault = "throttling"
	IDPCommunicationError Fault = "idp-communication-error"
	AccessDenied          Fault = "access-denied"
	// InvalidIdentityToken is AWS's answer while it cannot fetch the
	// issuer's keys, right after a provider is created or keys rotate.
	InvalidIdentityToken Fault = "invalid-identity-token"
	HTTP500              Fault = "http-500"
	HTTP503              Fault = "http-503"
	Reset                Fault = "reset"
	Truncated            Fault = "truncated"
	Malformed            Fault = "malformed"
	Slow                 Fault = "slow"
	// TLSCut reads the start of the client's handshake and hangs up.
	TLSCut Fault = "tls-cut"
	// TLSUntrusted presents a certificate from a CA the client does not trust.
	TLSUntrusted Fault = "tls-untrusted"
	// Chaos picks, for each spoiled request, one of ChaosFaults at random
	// (seeded by Config.Seed): a flaky network in one fault.
	Chaos Fault = "chaos"
)

// ChaosFaults are what Chaos picks from: every request-level fault a retry
// can get past, and None, so that some answers pass.
var ChaosFaults = []Fault{None, Throttling, IDPCommunicationError, HTTP500, HTTP503, Reset, Truncated, Malformed, Slow}

// Faults lists every fault, for flag help and validation.
var Faults = []Fault{None, Throttling, IDPCommunicationError, AccessDenied, InvalidIdentityToken, HTTP500, HTTP503,
	Reset, Truncated, Malformed, Slow, TLSCut, TLSUntrusted, Chaos}

// ParseFault reads a fault's name.
func ParseFault(s string) (Fault, error) {
	for _, f := range Faults {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Faults))
	for i, f := range Faults {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown fault %q (valid: %s)", s, strings.Join(names, ", "))
}

// needsTLS reports whether a fault lives in the TLS handshake.
func (f Fault) needsTLS() bool { return f == TLSCut || f == TLSUntrusted }

// Config is what the proxy does.
type Config struct {
	// Upstream is the real peer's base URL.
	Upstream *url.URL
	Fault    Fault
	// Count is how many requests (connections, for the TLS faults) get the
	// fault; a negative count spoils every one.
	Count int
	// Then is the fault of every request after the first Count (None, the
	// default, passes them through): one request-level fault, not Chaos.
	Then Fault
	// Delay is how long a Slow answer waits before it is forwarded.
	Delay time.Duration
	// Seed makes Chaos's picks repeatable.
	Seed uint64
	// Certificate is what the proxy presents over https; nil serves plain
	// http. Untrusted is presented instead while a TLSUntrusted fault lasts.
	Certificate, Untrusted *tls.Certificate
	// Secrets receives, one a line, every secret access key and session
	// token the peer handed out through the proxy, so that a test can scan
	// the client's output for credentials it never got whole (a cut or
	// garbled answer still carries them).
	Secrets io.Writer
	// Log receives one line per request or connection: never a body.
	Log io.Writer
}

// Proxy serves one Config.
type Proxy struct {
	cfg      Config
	upstream *relay.Upstream

	chaos    *rand.Rand // guarded by mu
	requests atomic.Int64
	conns    atomic.Int64
	spoiled  atomic.Int64

	mu sync.Mutex // guards writes to Log
}

// New checks cfg and returns a proxy for it.
func New(cfg Config) (*Proxy, error) {
	if cfg.Upstream == nil {
		return nil, fmt.Errorf("no upstream")
	}
	if cfg.Fault == "" {
		cfg.Fault = None
	}
	if _, err := ParseFault(string(cfg.Fault)); err != nil {
		return nil, err
	}
	if cfg.Then == "" {
		cfg.Then = None
	}
	if _, err := ParseFault(string(cfg.Then)); err != nil {
		return nil, err
	}
	if cfg.Then != None && (cfg.Then.needsTLS() || cfg.Then == Chaos || cfg.Fault.needsTLS()) {
		return nil, fmt.Errorf("then %q: a second fault follows a request-level fault and is one itself", cfg.Then)
	}
	if cfg.Fault.needsTLS() && cfg.Certificate == nil {
		return nil, fmt.Errorf("fault %q needs the proxy to serve https (a certificate)", cfg.Fault)
	}
	if cfg.Fault == TLSUntrusted && cfg.Untrusted == nil {
		return nil, fmt.Errorf("fault %q needs an untrusted certificate", cfg.Fault)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	// Each forwarded request is independent: no pooled connection to the
	// peer can carry one fault's leftovers into the next request.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return &Proxy{cfg: cfg, upstream: &relay.Upstream{URL: cfg.Upstream, Client: client, Secrets: cfg.Secrets},
		chaos: rand.New(rand.NewPCG(cfg.Seed, 0))}, nil
}

// Spoiled is how many requests or connections got the fault so far.
func (p *Proxy) Spoiled() int { return int(p.spoiled.Load()) }

// Serve answers on l until it is closed.
func (p *Proxy) Serve(l net.Listener) error {
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
	if p.cfg.Certificate != nil {
		l = tls.NewListener(&cutListener{Listener: l, p: p}, &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: p.certificate,
			// HTTP/1.1 only, so that a handler can take over the connection.
			NextProtos: []string{"http/1.1"},
		})
	}
	return srv.Serve(l)
}

// take reports whether the n-th request or connection gets the fault.
func (p *Proxy) take(n int64) bool {
	if p.cfg.Count >= 0 && n > int64(p.cfg.Count) {
		return false
	}
	p.spoiled.Add(1)
	return true
}

func (p *Proxy) logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.cfg.Log, format+"\n", args...)
}

// certificate picks the untrusted certificate for the first handshakes of a
// TLSUntrusted fault.
func (p *Proxy) certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if p.cfg.Fault == TLSUntrusted {
		n := p.conns.Add(1)
		if p.take(n) {
			p.logf("connection %d: fault %s", n, p.cfg.Fault)
			return p.cfg.Untrusted, nil
		}
	}
	return p.cfg.Certificate, nil
}

// cutListener hangs up on the first connections of a TLSCut fault after
// reading part of the client's hello, before the TLS layer sees them.
type cutListener struct {
	net.Listener
	p *Proxy
}

func (l *cutListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.p.cfg.Fault != TLSCut {
			return c, err
		}
		n := l.p.conns.Add(1)
		if !l.p.take(n) {
			return c, nil
		}
		l.p.logf("connection %d: fault %s", n, TLSCut)
		go func() {
			// Half of a ClientHello is on the wire by now: mid-handshake.
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, _ = c.Read(make([]byte, 64))
			_ = c.Close()
		}()
	}
}

// ServeHTTP forwards the request, spoiling the answer while the fault lasts.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := p.requests.Add(1)
	fault := None
	switch {
	case p.cfg.Fault.needsTLS():
	case p.take(n):
		fault = p.cfg.Fault
		if fault == Chaos {
			p.mu.Lock()
			fault = ChaosFaults[p.chaos.IntN(len(ChaosFaults))]
			p.mu.Unlock()
		}
	default:
		fault = p.cfg.Then
	}
	p.logf("request %d: %s %s, fault %s", n, r.Method, r.URL.Path, fault)

	switch fault {
	case Throttling:
		stsError(w, http.StatusBadRequest, "Sender", "Throttling", "Rate exceeded")
		return
	case IDPCommunicationError:
		stsError(w, http.StatusBadRequest, "Sender", "IDPCommunicationError",
			"Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
		return
	case AccessDenied:
		stsError(w, http.StatusForbidden, "Sender", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
		return
	case InvalidIdentityToken:
		stsError(w, http.StatusBadRequest, "Sender", "InvalidIdentityToken",
			"Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
		return
	case HTTP500:
		// What a load balancer in front of STS sends: not STS's XML.
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	case HTTP503:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case Reset:
		resetConn(w)
		return
	case Slow:
		select {
		case <-time.After(p.cfg.Delay):
		case <-r.Context().Done():
			p.logf("request %d: client gave up while the answer was held back", n)
			return
		}
	}

	status, header, body, err := p.forward(r)
	if err != nil {
		p.logf("request %d: upstream failed: %v", n, err)
		http.Error(w, "upstream failed", http.StatusBadGateway)
		return
	}
	switch fault {
	case Truncated:
		// The whole answer's length is announced, half of it arrives.
		writeRaw(w, status, header, body, len(body)/2)
		return
	case Malformed:
		body = garble(body)
	}
	relay.Reply(w, status, header, body)
}

// forward sends r to the upstream and reads the whole answer.
func (p *Proxy) forward(r *http.Request) (int, http.Header, []byte, error) {
	in, err := io.ReadAll(r.Body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("failed to read request: %w", err)
	}
	return p.upstream.Forward(r, in)
}

// stsError answers the way STS does: the Query protocol's ErrorResponse.
func stsError(w http.ResponseWriter, status int, typ, code, message string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>%s</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>f2c0b4e7-0000-4000-8000-faultproxy00</RequestId>
</ErrorResponse>
`, typ, code, message)
}

// garble breaks the XML's structure but keeps every value, credentials
// included: a client that quotes the body in its error would leak them.
func garble(body []byte) []byte {
	if bytes.Contains(body, []byte("</Credentials>")) {
		return bytes.Replace(body, []byte("</Credentials>"), []byte("</Credentialz>"), 1)
	}
	return append([]byte("<<not xml"), body...)
}

// resetConn takes the connection over and closes it with a TCP reset.
func resetConn(w http.ResponseWriter) {
	c, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = c.Close()
}

// writeRaw takes the connection over, announces the whole body's length and
// writes only its first n bytes before hanging up.
func writeRaw(w http.ResponseWriter, status int, header http.Header, body []byte, n int) {
	c, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = header.Write(buf)
	fmt.Fprintf(buf, "Content-Length: %d\r\nConnection: close\r\n\r\n", len(body))
	_, _ = buf.Write(body[:n])
	_ = buf.Flush()
}
