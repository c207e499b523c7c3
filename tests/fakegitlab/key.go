// Package fakegitlab is a GitLab-shaped OIDC issuer for end-to-end tests: it
// publishes discovery and keys the way a GitLab instance does, mints ID tokens
// with GitLab's claim set (and knobs to break them on purpose), and answers
// GitHub Actions' token request, so real STS servers can verify our tokens.
// Keys, signatures, the JWKS and certificates come from src/testing's
// tokentest and issuertest; what is GitLab's own (the claim set, the
// discovery document, the command line) is here.
package fakegitlab

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
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
	return &Key{Private: k, ID: tokentest.KeyID(&k.PublicKey)}
}

// LoadKey reads a PEM (PKCS #8) key written by WriteKey, so that a test and
// the fake-gitlab process sign with the same key.
func LoadKey(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read key: %w", err)
	}
	k, err := tokentest.ParseKeyPEM(b)
	if errors.Is(err, tokentest.ErrNoPEM) {
		return nil, fmt.Errorf("failed to read key: no PEM block in %q", path)
	}
	if err != nil {
		return nil, err
	}
	return newKey(k), nil
}

// WriteKey writes the key as PEM (PKCS #8), mode 0600.
func (k *Key) WriteKey(path string) error {
	b, err := tokentest.KeyPEM(k.Private)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("failed to write key: %w", err)
	}
	return nil
}

// JWKS is the key set the issuer publishes: this key alone.
func (k *Key) JWKS() []byte {
	return tokentest.JWKS(&k.Private.PublicKey)
}
