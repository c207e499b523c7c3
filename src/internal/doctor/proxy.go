package doctor

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// dialIssuer opens a TCP connection to addr (host:port) for the TLS check:
// directly, or, when Options.Proxy names a proxy for https://addr, through
// an HTTP CONNECT tunnel, so the chain seen is the one the proxy lets
// through (an inspecting proxy's own, if it re-signs).
func (d *Doctor) dialIssuer(ctx context.Context, addr string) (net.Conn, *url.URL, error) {
	if d.o.Proxy == nil {
		c, err := d.o.DialContext(ctx, "tcp", addr)
		return c, nil, err
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Scheme: "https", Host: addr}, Host: addr, Header: http.Header{}}
	proxy, err := d.o.Proxy(req)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid proxy setting: %w", err)
	}
	if proxy == nil {
		c, err := d.o.DialContext(ctx, "tcp", addr)
		return c, nil, err
	}
	c, err := d.connect(ctx, proxy, addr)
	return c, proxy, err
}

// connect asks proxy (http or https) for a tunnel to addr.
func (d *Doctor) connect(ctx context.Context, proxy *url.URL, addr string) (net.Conn, error) {
	port := proxy.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[proxy.Scheme]
		if port == "" {
			port = "80"
		}
	}
	conn, err := d.o.DialContext(ctx, "tcp", net.JoinHostPort(proxy.Hostname(), port))
	if err != nil {
		return nil, fmt.Errorf("failed to connect to proxy %s: %w", proxy.Redacted(), err)
	}
	if proxy.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: proxy.Hostname(), RootCAs: d.o.RootCAs, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS handshake with proxy %s failed: %w", proxy.Redacted(), err)
		}
		conn = tc
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if u := proxy.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("failed to ask proxy %s for a tunnel: %w", proxy.Redacted(), err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s did not answer the tunnel request: %w", proxy.Redacted(), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("proxy %s refused a tunnel to %s: %s", proxy.Redacted(), addr, resp.Status)
	}
	if br.Buffered() > 0 {
		conn.Close()
		return nil, fmt.Errorf("proxy %s sent data before the tunnel opened", proxy.Redacted())
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}
