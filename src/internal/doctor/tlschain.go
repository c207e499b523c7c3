package doctor

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// AWS opens the issuer's discovery document over TLS and, unlike most
// clients, does not rebuild a chain the server sends in a bad order: a
// misordered chain, a duplicate or an unrelated certificate gives "Could not
// connect to openid configuration of provider" (GitLab's troubleshooting
// page). Go's own verifier builds a path from whatever pool it is given, so
// the order has to be checked separately.

// ChainProblem is one reason AWS cannot use a presented chain.
type ChainProblem struct {
	// ID names the problem for tests, for example "tls-order".
	ID      string
	Problem string
	Fix     string
}

// ChainReport is the analysis of the certificates an issuer presents.
type ChainReport struct {
	// Lines describe the presented certificates, in the order sent.
	Lines    []string
	Findings []ChainProblem
}

// Chain checks the certificates as presented (leaf first) for host: their
// order (leaf, then each certificate's issuer), duplicates, unrelated
// certificates, the host name and trust from roots (nil: the system's) at
// now.
func Chain(certs []*x509.Certificate, host string, roots *x509.CertPool, now time.Time) ChainReport {
	var r ChainReport
	if len(certs) == 0 {
		r.Findings = append(r.Findings, ChainProblem{ID: "tls-no-certificate", Problem: "the server presented no certificate"})
		return r
	}
	for i, c := range certs {
		r.Lines = append(r.Lines, fmt.Sprintf("%d. %s (issued by %s, until %s)", i+1, certName(c), issuerName(c), c.NotAfter.UTC().Format("2006-01-02")))
	}
	fail := func(id, problem, fix string) {
		r.Findings = append(r.Findings, ChainProblem{ID: id, Problem: problem, Fix: fix})
	}
	const orderFix = "configure the web server to send the leaf certificate, then each intermediate in order up to the root, once each and nothing else (for nginx: ssl_certificate holds the leaf followed by its chain)"

	dup := map[int]bool{}
	for i := range certs {
		for j := i + 1; j < len(certs); j++ {
			if !dup[j] && bytes.Equal(certs[i].Raw, certs[j].Raw) {
				dup[j] = true
				fail("tls-duplicate", fmt.Sprintf("certificate %d (%s) is sent again as certificate %d", i+1, certName(certs[i]), j+1), orderFix)
			}
		}
	}
	// A server certificate sent after a CA: the chain starts in the wrong
	// place, which says more than "unrelated" would.
	leafAt := -1
	if certs[0].IsCA {
		for j := 1; j < len(certs); j++ {
			if !certs[j].IsCA {
				leafAt = j
				fail("tls-order", fmt.Sprintf("certificate %d (%s) is the server's own certificate and must come first, not %s", j+1, certName(certs[j]), certName(certs[0])), orderFix)
				break
			}
		}
	}
	for i := 1; i < len(certs); i++ {
		if dup[i] || i == leafAt || issued(certs[i], certs[i-1]) {
			continue
		}
		issuesOther := false
		for j := range certs {
			if j != i && !dup[j] && issued(certs[i], certs[j]) && !bytes.Equal(certs[i].Raw, certs[j].Raw) {
				issuesOther = true
			}
		}
		if issuesOther {
			fail("tls-order", fmt.Sprintf("certificate %d (%s) is out of order: it does not issue certificate %d (%s) before it", i+1, certName(certs[i]), i, certName(certs[i-1])), orderFix)
		} else {
			fail("tls-unrelated", fmt.Sprintf("certificate %d (%s) is unrelated: it issued none of the certificates sent", i+1, certName(certs[i])), orderFix)
		}
	}

	leaf := certs[0]
	if err := leaf.VerifyHostname(host); err != nil {
		fail("tls-hostname", fmt.Sprintf("the leaf certificate (%s) is not valid for %q", certName(leaf), host),
			"serve a certificate whose subject alternative names include "+host)
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now}); err != nil {
		fail("tls-untrusted", fmt.Sprintf("the chain does not verify: %v", err),
			"use a certificate from a public CA (AWS trusts only those) that is valid now; with a private CA, give doctor its root with --ca-bundle to check the rest")
	}
	return r
}

// issued reports whether parent signed child.
func issued(parent, child *x509.Certificate) bool {
	return bytes.Equal(child.RawIssuer, parent.RawSubject) && child.CheckSignatureFrom(parent) == nil
}

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	if s := c.Subject.String(); s != "" {
		return s
	}
	if len(c.DNSNames) > 0 {
		return "DNS:" + strings.Join(c.DNSNames, ",")
	}
	return "(no subject)"
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return "CN=" + c.Issuer.CommonName
	}
	return c.Issuer.String()
}
