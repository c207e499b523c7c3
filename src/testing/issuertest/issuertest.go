// Package issuertest serves an OIDC issuer for tests, the way
// net/http/httptest serves HTTP: the discovery document and the JWKS over
// TLS, with a certificate chain the test shapes (misordered, duplicated,
// padded with an unrelated certificate), slow answers, a JWKS without the
// token's key, or a jwks_uri that leads nowhere. Each knob reproduces one
// cause on GitLab's troubleshooting page for real, on the wire.
package issuertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// Cert is a certificate with its key.
type Cert struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// PKI is a root CA, an intermediate CA and a leaf for some hosts, valid
// from 2020 to 2040 so that tests may fix the clock anywhere in between.
type PKI struct {
	Root, Intermediate, Leaf Cert
	// Stranger is a CA that issued nothing here: the "extra unrelated
	// certificate" of GitLab's troubleshooting page.
	Stranger Cert
}

var serial atomic.Int64

// Issue makes a certificate from tmpl with a fresh P-256 key, signed by
// parent (self-signed when parent is nil). A nil SerialNumber gets the next
// serial of this package, and a zero NotBefore or NotAfter 2020 or 2040,
// so that tests may fix the clock anywhere in between. It has no
// testing.TB, for programs (the fake GitLab process) as well as tests.
func Issue(tmpl *x509.Certificate, parent *Cert) (Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Cert{}, fmt.Errorf("failed to generate key: %w", err)
	}
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(serial.Add(1))
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.Key, parent.Cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	if err != nil {
		return Cert{}, fmt.Errorf("failed to create certificate: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return Cert{}, fmt.Errorf("failed to parse certificate: %w", err)
	}
	return Cert{Cert: c, Key: key}, nil
}

func issue(t testing.TB, tmpl *x509.Certificate, parent *Cert) Cert {
	t.Helper()
	c, err := Issue(tmpl, parent)
	if err != nil {
		t.Fatalf("issuertest: %v", err)
	}
	return c
}

// CATemplate is the template of a certificate authority named name, for Issue.
func CATemplate(name string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

// ServerTemplate is the template of a TLS server certificate valid for
// hosts (names or IP addresses, the first one its common name), for Issue.
func ServerTemplate(hosts ...string) *x509.Certificate {
	leaf := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0]},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	return leaf
}

// NewPKI makes a root, an intermediate and a leaf valid for hosts (names or
// IP addresses), plus an unrelated stranger CA.
func NewPKI(t testing.TB, hosts ...string) *PKI {
	t.Helper()
	p := &PKI{}
	p.Root = issue(t, CATemplate("Test Root CA"), nil)
	p.Intermediate = issue(t, CATemplate("Test Intermediate CA"), &p.Root)
	p.Leaf = issue(t, ServerTemplate(hosts...), &p.Intermediate)
	p.Stranger = issue(t, CATemplate("Unrelated CA"), nil)
	return p
}

// PEM encodes certs in PEM, in the order given: a chain as a server sends
// it, or a CA bundle.
func PEM(certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// KeyPEM encodes the certificate's key as PEM (PKCS #8), for a server that
// loads its key from a file.
func (c Cert) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		return nil, fmt.Errorf("failed to encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// RootPEM is the root in PEM, for a --ca-bundle file.
func (p *PKI) RootPEM() []byte { return PEM(p.Root.Cert) }

// Chain shapes, each a list of the certificates the server sends.
func (p *PKI) InOrder() []*x509.Certificate {
	return []*x509.Certificate{p.Leaf.Cert, p.Intermediate.Cert, p.Root.Cert}
}

// Misordered sends the root before the intermediate.
func (p *PKI) Misordered() []*x509.Certificate {
	return []*x509.Certificate{p.Leaf.Cert, p.Root.Cert, p.Intermediate.Cert}
}

// WithDuplicate sends the intermediate twice.
func (p *PKI) WithDuplicate() []*x509.Certificate {
	return []*x509.Certificate{p.Leaf.Cert, p.Intermediate.Cert, p.Intermediate.Cert, p.Root.Cert}
}

// WithStranger adds a certificate that issued nothing in the chain.
func (p *PKI) WithStranger() []*x509.Certificate {
	return []*x509.Certificate{p.Leaf.Cert, p.Intermediate.Cert, p.Stranger.Cert, p.Root.Cert}
}

// Options shape the issuer. The zero value is a healthy issuer.
type Options struct {
	// Hosts the leaf is valid for; default 127.0.0.1.
	Hosts []string
	// Chain picks what the server sends; default PKI.InOrder.
	Chain func(*PKI) []*x509.Certificate
	// DiscoveryDelay and KeysDelay hold the answers back.
	DiscoveryDelay, KeysDelay time.Duration
	// KeysStatus, when set, is the HTTP status of the JWKS answer (429 for
	// an issuer that rate-limits).
	KeysStatus int
	// Keys are published in the JWKS; default tokentest's signing key.
	Keys []*rsa.PublicKey
	// JWKSURI overrides the jwks_uri of the discovery document.
	JWKSURI string
	// Issuer overrides the issuer of the discovery document.
	Issuer string
}

// Server is a running issuer. URL is its issuer URL (https://127.0.0.1:port).
type Server struct {
	*httptest.Server
	PKI *PKI
	// IssuerURL, when set before the first request, is the issuer the
	// server names itself as (a public name routed to it by a test dialer);
	// default URL.
	IssuerURL string
}

func (s *Server) issuer() string {
	if s.IssuerURL != "" {
		return s.IssuerURL
	}
	return s.URL
}

// New starts an issuer; it is closed when the test ends. Requests are
// answered after the delays even when the client gave up, so a closed
// server never waits on a sleeping handler for long.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	if len(o.Hosts) == 0 {
		o.Hosts = []string{"127.0.0.1"}
	}
	if o.Chain == nil {
		o.Chain = (*PKI).InOrder
	}
	if o.Keys == nil {
		o.Keys = []*rsa.PublicKey{&tokentest.Key(t).PublicKey}
	}
	pki := NewPKI(t, o.Hosts...)
	s := &Server{PKI: pki}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		wait(r, o.DiscoveryDelay)
		iss := s.issuer()
		if o.Issuer != "" {
			iss = o.Issuer
		}
		jwks := s.issuer() + "/oauth/discovery/keys"
		if o.JWKSURI != "" {
			jwks = o.JWKSURI
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss,
			"jwks_uri":                              jwks,
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public", "pairwise"},
		})
	})
	mux.HandleFunc("GET /oauth/discovery/keys", func(w http.ResponseWriter, r *http.Request) {
		wait(r, o.KeysDelay)
		if o.KeysStatus != 0 {
			http.Error(w, http.StatusText(o.KeysStatus), o.KeysStatus)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(tokentest.JWKS(o.Keys...))
	})
	s.Server = httptest.NewUnstartedServer(mux)
	// Clients that hang up on purpose (timeouts, chain inspection) are
	// not news.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	var chain [][]byte
	for _, c := range o.Chain(pki) {
		chain = append(chain, c.Raw)
	}
	s.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: pki.Leaf.Key}}}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func wait(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-time.After(d):
	case <-r.Context().Done():
	}
}

// ClosedURL is an https URL on a port where nothing listens: an
// unreachable jwks_uri.
func ClosedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("issuertest: failed to listen: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "https://" + addr + "/oauth/discovery/keys"
}
