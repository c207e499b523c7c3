package fakegitlab

import (
	"bytes"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// TestCertificate checks the chain fake-gitlab serves: a leaf for the hosts
// then the CA, valid now, the CA alone for clients to trust, and the SHA-1
// of the CA as the thumbprint IAM pins.
func TestCertificate(t *testing.T) {
	t.Parallel()
	c, err := NewCertificate("198.18.0.1", "gitlab.test")
	if err != nil {
		t.Fatal(err)
	}
	var chain []*x509.Certificate
	for rest := c.ChainPEM; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, cert)
	}
	if len(chain) != 2 || !chain[1].IsCA || chain[0].IsCA {
		t.Fatalf("chain of %d certificates, want the leaf then the CA", len(chain))
	}
	if !bytes.Equal(c.CAPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[1].Raw})) {
		t.Error("CAPEM is not the chain's CA")
	}
	sum := sha1.Sum(chain[1].Raw)
	if c.Thumbprint != hex.EncodeToString(sum[:]) {
		t.Errorf("thumbprint %s is not the SHA-1 of the CA", c.Thumbprint)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(c.CAPEM)
	for _, host := range []string{"198.18.0.1", "gitlab.test"} {
		if _, err := chain[0].Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("leaf for %s: %v", host, err)
		}
	}
	if chain[1].Subject.CommonName != "aws-oidc test CA" || chain[0].Subject.CommonName != "198.18.0.1" {
		t.Errorf("subjects %q, %q", chain[0].Subject, chain[1].Subject)
	}
	if _, err := tls.X509KeyPair(c.ChainPEM, c.KeyPEM); err != nil {
		t.Errorf("chain and key do not pair: %v", err)
	}
	dir := t.TempDir()
	certPath, keyPath, err := c.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]byte{certPath: c.ChainPEM, keyPath: c.KeyPEM, filepath.Join(dir, "ca.crt"): c.CAPEM} {
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v, or not what was made", path, err)
		}
	}
}
