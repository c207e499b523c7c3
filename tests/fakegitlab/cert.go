package fakegitlab

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/issuertest"
)

// Certificate is a test-made CA and a server certificate it issued, the
// shape of a real GitLab instance's chain (leaf, then the CA).
type Certificate struct {
	// ChainPEM is the leaf followed by the CA, what the server presents.
	ChainPEM []byte
	KeyPEM   []byte
	// CAPEM is the CA alone, for clients that trust it (SSL_CERT_FILE).
	CAPEM []byte
	// Thumbprint is the SHA-1 of the top certificate in the presented
	// chain, hex: the value IAM's --thumbprint-list pins.
	Thumbprint string
}

// NewCertificate makes a CA and a leaf valid for hosts (names or IPs) for a day.
func NewCertificate(hosts ...string) (*Certificate, error) {
	// Valid from an hour ago, unlike issuertest's fixed 2020 to 2040: the
	// real peers check the real clock.
	now := time.Now()
	validFor := func(c *x509.Certificate, serial int64) *x509.Certificate {
		c.SerialNumber = big.NewInt(serial)
		c.NotBefore, c.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
		return c
	}
	ca, err := issuertest.Issue(validFor(issuertest.CATemplate("aws-oidc test CA"), 1), nil)
	if err != nil {
		return nil, fmt.Errorf("failed to make CA certificate: %w", err)
	}
	leaf, err := issuertest.Issue(validFor(issuertest.ServerTemplate(hosts...), 2), &ca)
	if err != nil {
		return nil, fmt.Errorf("failed to make server certificate: %w", err)
	}
	key, err := leaf.KeyPEM()
	if err != nil {
		return nil, fmt.Errorf("failed to encode server key: %w", err)
	}
	sum := sha1.Sum(ca.Cert.Raw)
	return &Certificate{
		ChainPEM:   issuertest.PEM(leaf.Cert, ca.Cert),
		KeyPEM:     key,
		CAPEM:      issuertest.PEM(ca.Cert),
		Thumbprint: hex.EncodeToString(sum[:]),
	}, nil
}

// Write stores the chain, key and CA as dir/tls.crt, dir/tls.key and
// dir/ca.crt and returns the first two paths.
func (c *Certificate) Write(dir string) (certPath, keyPath string, err error) {
	certPath, keyPath = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), c.CAPEM, 0o644); err != nil {
		return "", "", fmt.Errorf("failed to write CA certificate: %w", err)
	}
	if err := os.WriteFile(certPath, c.ChainPEM, 0o644); err != nil {
		return "", "", fmt.Errorf("failed to write certificate: %w", err)
	}
	if err := os.WriteFile(keyPath, c.KeyPEM, 0o600); err != nil {
		return "", "", fmt.Errorf("failed to write certificate key: %w", err)
	}
	return certPath, keyPath, nil
}

// TLSConfig returns a server configuration presenting the chain.
func (c *Certificate) TLSConfig() (*tls.Config, error) {
	pair, err := tls.X509KeyPair(c.ChainPEM, c.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("failed to load certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}
