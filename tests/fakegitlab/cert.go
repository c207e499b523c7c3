package fakegitlab

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
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
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("failed to generate CA key: %w", err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "aws-oidc test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("failed to make CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("failed to parse CA certificate: %w", err)
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("failed to generate server key: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("failed to make server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		return nil, fmt.Errorf("failed to encode server key: %w", err)
	}
	sum := sha1.Sum(caDER)
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
	chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	return &Certificate{
		ChainPEM:   chain,
		KeyPEM:     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		CAPEM:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
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
