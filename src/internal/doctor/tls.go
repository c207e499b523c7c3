package doctor

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
)

// TLS connects to the issuer and checks the certificate chain exactly as
// the server presents it (see Chain for why the order matters).
func (d *Doctor) TLS(ctx context.Context, iss string) Check {
	c := Check{Name: "tls"}
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" {
		c.Status, c.Summary = Fail, fmt.Sprintf("the issuer %q is not a URL", iss)
		return c
	}
	if u.Scheme != "https" {
		c.Status = Fail
		c.Summary = fmt.Sprintf("the issuer %q is not https: AWS accepts only https issuers", iss)
		c.Fix = "serve the instance (or the published discovery documents) over https with a certificate from a public CA"
		return c
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	ctx, cancel := context.WithTimeout(ctx, d.o.Limit)
	defer cancel()
	raw, proxy, err := d.dialIssuer(ctx, net.JoinHostPort(host, port))
	if err != nil {
		c.Status, c.Summary = Fail, fmt.Sprintf("failed to connect to %s: %v", u.Host, err)
		c.Fix = "the issuer must accept https connections from the internet"
		return c
	}
	via := ""
	if proxy != nil {
		via = " through proxy " + proxy.Redacted()
	}
	defer raw.Close()
	// Verification is done by Chain on the certificates as sent;
	// the handshake's own verifier would reorder them and hide the fault.
	conn := tls.Client(raw, &tls.Config{ServerName: host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // verified below, in the order sent
	if err := conn.HandshakeContext(ctx); err != nil {
		c.Status, c.Summary = Fail, fmt.Sprintf("TLS handshake with %s%s failed: %v", u.Host, via, err)
		c.Fix = "the issuer must speak TLS 1.2 or later with a certificate from a public CA"
		return c
	}
	certs := conn.ConnectionState().PeerCertificates
	report := Chain(certs, host, d.o.RootCAs, d.o.Now())
	c.Details = report.Lines
	if len(report.Findings) == 0 {
		c.Status = OK
		c.Summary = fmt.Sprintf("%s presents %d certificate(s) in order (leaf, then issuers), valid for %s%s", u.Host, len(certs), host, via)
		return c
	}
	c.Status = Fail
	c.Summary = fmt.Sprintf("%s presents a chain AWS cannot use (\"Could not connect to openid configuration of provider\")%s", u.Host, via)
	if proxy != nil {
		c.Details = append(c.Details, "seen through a proxy: a TLS-inspecting proxy shows its own chain, not the issuer's; run without --issuer-proxy from a host that reaches the issuer directly to be sure")
	}
	for _, f := range report.Findings {
		c.Details = append(c.Details, "problem: "+f.Problem)
		if c.Fix == "" {
			c.Fix = f.Fix
		}
	}
	return c
}
