// Package tokentest mints ID tokens for tests, the way net/http/httptest
// serves HTTP: RS256-signed JWTs with GitLab's real claim set (numeric ids as
// strings, as GitLab sends them) or GitHub's, the JWKS that verifies them,
// and a fake GitHub Actions token endpoint.
//
// Every knob a refusal test needs is an Option: lifetime, clock, audience,
// issuer, another key, a forged or missing signature, alg=none. Claims passed
// to Mint override the defaults; a nil value removes a claim.
package tokentest

import (
	"crypto"
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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Defaults of the GitLab-shaped token, matching the end-to-end scenario:
// project mygroup/myproject on branch main of a self-managed instance.
const (
	Issuer        = "https://gitlab.example.com"
	Audience      = Issuer
	ProjectPath   = "mygroup/myproject"
	Subject       = "project_path:" + ProjectPath + ":ref_type:branch:ref:main"
	GitHubIssuer  = "https://token.actions.githubusercontent.com"
	GitHubSubject = "repo:octo-org/octo-repo:ref:refs/heads/main"
	// GitHubAudience is what AWS's own action requests, and what the CLI
	// requests by default.
	GitHubAudience = "sts.amazonaws.com"
	// Lifetime is GitLab's token lifetime for a job with the default
	// one-hour timeout.
	Lifetime = time.Hour
)

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error
	jti     atomic.Int64
)

// Key returns the RSA key that signs tokens by default. It is generated once
// per test binary, so no private key is ever committed.
func Key(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() { key, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if keyErr != nil {
		t.Fatalf("tokentest: failed to generate rsa key: %v", keyErr)
	}
	return key
}

// NewKey returns a fresh RSA key, for "signed by another key" cases.
func NewKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("tokentest: failed to generate rsa key: %v", err)
	}
	return k
}

type config struct {
	now       time.Time
	lifetime  time.Duration
	github    bool
	issuer    string
	key       *rsa.PrivateKey
	kid       string
	header    map[string]any
	signature *string
}

// Option changes how Mint builds a token.
type Option func(*config)

// WithNow sets the issue time (default: time.Now()); nbf is 5 s earlier, as
// GitLab does it.
func WithNow(now time.Time) Option { return func(c *config) { c.now = now } }

// WithLifetime sets exp to now plus d (default Lifetime). A negative d gives
// an expired token.
func WithLifetime(d time.Duration) Option { return func(c *config) { c.lifetime = d } }

// WithIssuer sets iss and the claims derived from the instance URL.
func WithIssuer(iss string) Option { return func(c *config) { c.issuer = iss } }

// WithGitHub switches the default claims to a GitHub Actions token.
func WithGitHub() Option { return func(c *config) { c.github = true } }

// WithKey signs with another key; kid is its RFC 7638 thumbprint.
func WithKey(k *rsa.PrivateKey) Option { return func(c *config) { c.key = k } }

// WithKeyID overrides the kid header.
func WithKeyID(kid string) Option { return func(c *config) { c.kid = kid } }

// WithHeader sets a header parameter; nil removes it. WithHeader("alg",
// "none") together with WithSignature("") gives an unsigned token.
func WithHeader(name string, value any) Option {
	return func(c *config) {
		if c.header == nil {
			c.header = map[string]any{}
		}
		c.header[name] = value
	}
}

// WithSignature replaces the signature part by sig, verbatim (for example
// "" or a forged value).
func WithSignature(sig string) Option { return func(c *config) { c.signature = &sig } }

// WithFakeSignature replaces the signature by a well-formed but wrong one:
// the token still parses, and only a verifier can tell.
func WithFakeSignature() Option {
	return WithSignature(base64.RawURLEncoding.EncodeToString(make([]byte, 256)))
}

// Claims returns the default claim set Mint starts from.
func Claims(opts ...Option) map[string]any {
	c := newConfig(opts)
	return defaultClaims(c)
}

func newConfig(opts []Option) *config {
	c := &config{lifetime: Lifetime}
	for _, opt := range opts {
		opt(c)
	}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	c.now = c.now.Truncate(time.Second)
	if c.issuer == "" {
		c.issuer = Issuer
		if c.github {
			c.issuer = GitHubIssuer
		}
	}
	return c
}

func defaultClaims(c *config) map[string]any {
	common := map[string]any{
		"iss": c.issuer,
		"iat": c.now.Unix(),
		"nbf": c.now.Add(-5 * time.Second).Unix(),
		"exp": c.now.Add(c.lifetime).Unix(),
		"jti": fmt.Sprintf("tokentest-%d", jti.Add(1)),
	}
	var claims map[string]any
	if c.github {
		claims = map[string]any{
			"aud":                   GitHubAudience,
			"sub":                   GitHubSubject,
			"ref":                   "refs/heads/main",
			"ref_type":              "branch",
			"ref_protected":         "true",
			"sha":                   "0123456789abcdef0123456789abcdef01234567",
			"repository":            "octo-org/octo-repo",
			"repository_owner":      "octo-org",
			"repository_id":         "74",
			"repository_visibility": "private",
			"actor":                 "octocat",
			"actor_id":              "583231",
			"workflow":              "deploy",
			"workflow_ref":          "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
			"event_name":            "push",
			"run_id":                "5813245765",
			"run_number":            "17",
			"run_attempt":           "1",
			"runner_environment":    "github-hosted",
			"job_workflow_ref":      "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
		}
	} else {
		// ci_config_ref_uri names the instance without its scheme.
		host := strings.TrimPrefix(strings.TrimPrefix(c.issuer, "https://"), "http://")
		claims = map[string]any{
			"aud":                c.issuer,
			"sub":                Subject,
			"namespace_id":       "1001",
			"namespace_path":     "mygroup",
			"project_id":         "42",
			"project_path":       ProjectPath,
			"project_visibility": "private",
			"user_id":            "7",
			"user_login":         "alice",
			"user_email":         "alice@example.com",
			"user_access_level":  "maintainer",
			"pipeline_id":        "1234",
			"pipeline_source":    "push",
			"job_id":             "5678",
			"ref":                "main",
			"ref_type":           "branch",
			"ref_path":           "refs/heads/main",
			"ref_protected":      "true",
			// GitLab sends runner_id as a JSON number, unlike the other ids.
			"runner_id":          99,
			"runner_environment": "self-hosted",
			"sha":                "0123456789abcdef0123456789abcdef01234567",
			"ci_config_ref_uri":  host + "/" + ProjectPath + "//.gitlab-ci.yml@refs/heads/main",
			"ci_config_sha":      "0123456789abcdef0123456789abcdef01234567",
			"groups_direct":      []string{"mygroup"},
		}
	}
	for k, v := range common {
		claims[k] = v
	}
	return claims
}

// Mint returns a compact RS256 JWT with the default claims of a GitLab job
// (or GitHub's, WithGitHub) overridden by claims. A nil claim value removes
// the claim.
func Mint(t testing.TB, claims map[string]any, opts ...Option) string {
	t.Helper()
	c := newConfig(opts)
	payload := defaultClaims(c)
	for k, v := range claims {
		if v == nil {
			delete(payload, k)
			continue
		}
		payload[k] = v
	}
	k := c.key
	if k == nil {
		k = Key(t)
	}
	kid := c.kid
	if kid == "" {
		kid = KeyID(&k.PublicKey)
	}
	header := map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}
	for name, v := range c.header {
		if v == nil {
			delete(header, name)
			continue
		}
		header[name] = v
	}
	hb, err := json.Marshal(header)
	if err != nil {
		t.Fatalf("tokentest: failed to encode header: %v", err)
	}
	pb, err := json.Marshal(payload)
	if err != nil {
		t.Fatalf("tokentest: failed to encode claims: %v", err)
	}
	return Sign(t, hb, pb, k, c.signature)
}

// Raw builds a compact token from a header and a payload given as JSON text,
// which may be anything (an array, a string exp), signed with the default
// key. It is the way to build a malformed token.
func Raw(t testing.TB, headerJSON, payloadJSON string) string {
	t.Helper()
	return Sign(t, []byte(headerJSON), []byte(payloadJSON), Key(t), nil)
}

// Sign encodes header and payload and signs them with RS256 using k, or uses
// sig verbatim when it is not nil.
func Sign(t testing.TB, header, payload []byte, k *rsa.PrivateKey, sig *string) string {
	t.Helper()
	if sig != nil {
		return b64(header) + "." + b64(payload) + "." + *sig
	}
	tok, err := Encode(header, payload, k)
	if err != nil {
		t.Fatalf("tokentest: %v", err)
	}
	return tok
}

// Encode returns the compact JWS of header and payload signed with RS256 by
// k; a nil k leaves the signature part empty, as alg "none" has it. It is
// Sign for programs that have no testing.TB (the fake GitLab process).
func Encode(header, payload []byte, k *rsa.PrivateKey) (string, error) {
	input := b64(header) + "." + b64(payload)
	if k == nil {
		return input + ".", nil
	}
	digest := sha256.Sum256([]byte(input))
	s, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("failed to sign token: %w", err)
	}
	return input + "." + b64(s), nil
}

// KeyPEM encodes k as PEM (PKCS #8), so that a test and a fake issuer
// running as another process sign with the same key.
func KeyPEM(k *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("failed to encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ErrNoPEM is ParseKeyPEM's answer to text without a PEM block.
var ErrNoPEM = errors.New("no PEM block")

// ParseKeyPEM reads an RSA key written by KeyPEM.
func ParseKeyPEM(b []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, ErrNoPEM
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to parse key: %w", err)
	}
	k, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("failed to parse key: not an RSA key")
	}
	return k, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// KeyID returns the RFC 7638 JWK thumbprint of an RSA public key, which is
// how GitLab names its signing keys.
func KeyID(pub *rsa.PublicKey) string {
	// RFC 7638: the required members in lexicographic order, no whitespace.
	canonical := fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, b64(big.NewInt(int64(pub.E)).Bytes()), b64(pub.N.Bytes()))
	sum := sha256.Sum256([]byte(canonical))
	return b64(sum[:])
}

// JWKS returns a JSON Web Key Set with the public halves of keys, as an
// issuer serves it at its jwks_uri.
func JWKS(keys ...*rsa.PublicKey) []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Kid string `json:"kid"`
		E   string `json:"e"`
		N   string `json:"n"`
		Use string `json:"use"`
		Alg string `json:"alg"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range keys {
		set.Keys = append(set.Keys, jwk{
			Kty: "RSA", Kid: KeyID(k), Use: "sig", Alg: "RS256",
			E: b64(big.NewInt(int64(k.E)).Bytes()), N: b64(k.N.Bytes()),
		})
	}
	b, _ := json.Marshal(set) // cannot fail: only strings
	return b
}
