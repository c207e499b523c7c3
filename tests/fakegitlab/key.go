// Package fakegitlab is a GitLab-shaped OIDC issuer for end-to-end tests: it
// publishes discovery and keys the way a GitLab instance does, mints ID tokens
// with GitLab's claim set (and knobs to break them on purpose), and answers
// GitHub Actions' token request, so real STS servers can verify our tokens.
package fakegitlab

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
)

// Key is an RSA signing key with its JWK identity.
type Key struct {
	Private *rsa.PrivateKey
	// ID is the RFC 7638 thumbprint of the public key, which is how GitLab
	// names its keys in `kid`.
	ID string
}

// NewKey makes a fresh 2048-bit RSA key, the size GitLab uses.
func NewKey() (*Key, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("failed to generate key: %w", err)
	}
	return newKey(k), nil
}

func newKey(k *rsa.PrivateKey) *Key {
	return &Key{Private: k, ID: thumbprint(&k.PublicKey)}
}

// LoadKey reads a PEM (PKCS #8) key written by WriteKey, so that a test and
// the fake-gitlab process sign with the same key.
func LoadKey(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("failed to read key: no PEM block in %q", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to parse key: %w", err)
	}
	k, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("failed to parse key: not an RSA key")
	}
	return newKey(k), nil
}

// WriteKey writes the key as PEM (PKCS #8), mode 0600.
func (k *Key) WriteKey(path string) error {
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return fmt.Errorf("failed to encode key: %w", err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("failed to write key: %w", err)
	}
	return nil
}

// jwk is one entry of a JSON Web Key Set, as GitLab publishes it.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	E   string `json:"e"`
	N   string `json:"n"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

func (k *Key) jwk() jwk {
	e, n := publicParts(&k.Private.PublicKey)
	return jwk{Kty: "RSA", Kid: k.ID, E: e, N: n, Use: "sig", Alg: "RS256"}
}

func publicParts(pub *rsa.PublicKey) (e, n string) {
	enc := base64.RawURLEncoding
	return enc.EncodeToString(big.NewInt(int64(pub.E)).Bytes()), enc.EncodeToString(pub.N.Bytes())
}

// thumbprint is RFC 7638: SHA-256 over the required members in lexical order,
// without whitespace.
func thumbprint(pub *rsa.PublicKey) string {
	e, n := publicParts(pub)
	// encoding/json sorts map keys, which gives exactly the canonical form.
	b, _ := json.Marshal(map[string]string{"e": e, "kty": "RSA", "n": n})
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
