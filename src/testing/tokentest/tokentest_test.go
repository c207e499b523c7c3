package tokentest_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

func decode(t *testing.T, part string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatalf("part is not base64url: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("part is not a JSON object: %v", err)
	}
	return m
}

// verify checks an RS256 signature the way an issuer's relying party does.
func verify(t *testing.T, tok string, pub *rsa.PublicKey) error {
	t.Helper()
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		t.Fatalf("signature is not base64url: %v", err)
	}
	digest := sha256.Sum256([]byte(tok[:i]))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
}

func TestMint_gitlab_defaults(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	tok := tokentest.Mint(t, map[string]any{"environment": "production", "user_email": nil}, tokentest.WithNow(now))
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	key := tokentest.Key(t)
	if err := verify(t, tok, &key.PublicKey); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	header := decode(t, parts[0])
	wantHeader := map[string]any{"alg": "RS256", "typ": "JWT", "kid": tokentest.KeyID(&key.PublicKey)}
	if diff := cmp.Diff(wantHeader, header); diff != "" {
		t.Errorf("header mismatch (-want +got):\n%s", diff)
	}
	claims := decode(t, parts[1])
	for name, want := range map[string]any{
		"iss":               "https://gitlab.example.com",
		"aud":               "https://gitlab.example.com",
		"sub":               "project_path:mygroup/myproject:ref_type:branch:ref:main",
		"project_id":        "42",
		"ref_protected":     "true",
		"environment":       "production",
		"iat":               float64(now.Unix()),
		"nbf":               float64(now.Unix() - 5),
		"exp":               float64(now.Add(time.Hour).Unix()),
		"runner_id":         float64(99),
		"ci_config_ref_uri": "gitlab.example.com/mygroup/myproject//.gitlab-ci.yml@refs/heads/main",
	} {
		if diff := cmp.Diff(want, claims[name]); diff != "" {
			t.Errorf("claim %q mismatch (-want +got):\n%s", name, diff)
		}
	}
	if _, ok := claims["user_email"]; ok {
		t.Errorf("user_email is still there after a nil override")
	}
}

func TestMint_options(t *testing.T) {
	t.Parallel()
	other := tokentest.NewKey(t)
	cases := []struct {
		name  string
		opts  []tokentest.Option
		check func(t *testing.T, tok string, header, claims map[string]any)
	}{
		{
			name: "other_key",
			opts: []tokentest.Option{tokentest.WithKey(other)},
			check: func(t *testing.T, tok string, header, _ map[string]any) {
				if err := verify(t, tok, &other.PublicKey); err != nil {
					t.Errorf("does not verify with the other key: %v", err)
				}
				if err := verify(t, tok, &tokentest.Key(t).PublicKey); err == nil {
					t.Errorf("verifies with the default key")
				}
				if header["kid"] != tokentest.KeyID(&other.PublicKey) {
					t.Errorf("kid = %v, want the other key's thumbprint", header["kid"])
				}
			},
		},
		{
			name: "alg_none_unsigned",
			opts: []tokentest.Option{tokentest.WithHeader("alg", "none"), tokentest.WithHeader("kid", nil), tokentest.WithSignature("")},
			check: func(t *testing.T, tok string, header, _ map[string]any) {
				if !strings.HasSuffix(tok, ".") || header["alg"] != "none" || header["kid"] != nil {
					t.Errorf("header = %v, token ends %q", header, tok[len(tok)-1:])
				}
			},
		},
		{
			name: "fake_signature",
			opts: []tokentest.Option{tokentest.WithFakeSignature()},
			check: func(t *testing.T, tok string, _, _ map[string]any) {
				if err := verify(t, tok, &tokentest.Key(t).PublicKey); err == nil {
					t.Errorf("a fake signature verifies")
				}
			},
		},
		{
			name: "expired_lifetime",
			opts: []tokentest.Option{tokentest.WithNow(time.Unix(1000, 0)), tokentest.WithLifetime(-time.Minute)},
			check: func(t *testing.T, _ string, _, claims map[string]any) {
				if claims["exp"] != float64(940) {
					t.Errorf("exp = %v, want 940", claims["exp"])
				}
			},
		},
		{
			name: "issuer",
			opts: []tokentest.Option{tokentest.WithIssuer("http://127.0.0.1:8080")},
			check: func(t *testing.T, _ string, _, claims map[string]any) {
				got := []any{claims["iss"], claims["aud"], claims["ci_config_ref_uri"]}
				want := []any{"http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1:8080/mygroup/myproject//.gitlab-ci.yml@refs/heads/main"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("issuer claims mismatch (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "github",
			opts: []tokentest.Option{tokentest.WithGitHub()},
			check: func(t *testing.T, _ string, _, claims map[string]any) {
				got := []any{claims["iss"], claims["aud"], claims["sub"], claims["project_path"]}
				want := []any{tokentest.GitHubIssuer, "sts.amazonaws.com", "repo:octo-org/octo-repo:ref:refs/heads/main", nil}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("github claims mismatch (-want +got):\n%s", diff)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok := tokentest.Mint(t, nil, tc.opts...)
			parts := strings.Split(tok, ".")
			tc.check(t, tok, decode(t, parts[0]), decode(t, parts[1]))
		})
	}
}

func TestRaw(t *testing.T) {
	t.Parallel()
	tok := tokentest.Raw(t, `{"alg":"RS256"}`, `[1,2]`)
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil || string(payload) != `[1,2]` {
		t.Errorf("payload = %q, %v; want the JSON given", payload, err)
	}
	if err := verify(t, tok, &tokentest.Key(t).PublicKey); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}

// TestKeyID_rfc7638_example uses the example key of RFC 7638 section 3.1.
func TestKeyID_rfc7638_example(t *testing.T) {
	t.Parallel()
	n, err := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	if err != nil {
		t.Fatal(err)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	if got, want := tokentest.KeyID(pub), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("KeyID() = %q, want %q", got, want)
	}
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	key := tokentest.Key(t)
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(tokentest.JWKS(&key.PublicKey), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	n, _ := base64.RawURLEncoding.DecodeString(k["n"])
	if new(big.Int).SetBytes(n).Cmp(key.N) != 0 || k["e"] != "AQAB" || k["kid"] != tokentest.KeyID(&key.PublicKey) || k["kty"] != "RSA" {
		t.Errorf("JWKS key = %v, does not match the signing key", k)
	}
	if _, ok := k["d"]; ok {
		t.Errorf("JWKS shows the private exponent")
	}
}

func TestGitHubEndpoint(t *testing.T) {
	t.Parallel()
	e := tokentest.NewGitHubEndpoint(t, func(audience string) string { return "minted-for-" + audience })
	env := e.Env()
	if env["GITHUB_ACTIONS"] != "true" || !strings.Contains(env["ACTIONS_ID_TOKEN_REQUEST_URL"], "?api-version=2.0") {
		t.Errorf("Env() = %v", env)
	}
	req, err := http.NewRequest(http.MethodGet, e.URL()+"&audience=sts.amazonaws.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.RequestToken)
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Value string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Value != "minted-for-sts.amazonaws.com" {
		t.Errorf("value = %q", body.Value)
	}

	unauthorized, err := e.Server.Client().Get(e.URL())
	if err != nil {
		t.Fatal(err)
	}
	unauthorized.Body.Close()
	if unauthorized.StatusCode != http.StatusUnauthorized {
		t.Errorf("status without bearer = %d, want 401", unauthorized.StatusCode)
	}
	if diff := cmp.Diff([]string{"sts.amazonaws.com"}, e.Audiences()); diff != "" {
		t.Errorf("Audiences() mismatch (-want +got):\n%s", diff)
	}
}

func TestKeyPEM_round_trip(t *testing.T) {
	t.Parallel()
	key := tokentest.Key(t)
	b, err := tokentest.KeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tokentest.ParseKeyPEM(b)
	if err != nil || !got.Equal(key) {
		t.Errorf("ParseKeyPEM(KeyPEM(k)) = a different key, %v", err)
	}
	if _, err := tokentest.ParseKeyPEM([]byte("no key here")); !errors.Is(err, tokentest.ErrNoPEM) {
		t.Errorf("ParseKeyPEM(text) = %v, want ErrNoPEM", err)
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	header, payload := []byte(`{"alg":"RS256"}`), []byte(`{"sub":"x"}`)
	signed, err := tokentest.Encode(header, payload, tokentest.Key(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t, signed, &tokentest.Key(t).PublicKey); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	unsigned, err := tokentest.Encode(header, payload, nil)
	if want := strings.Join(strings.Split(signed, ".")[:2], ".") + "."; err != nil || unsigned != want {
		t.Errorf("Encode without a key = %q, %v; want %q", unsigned, err, want)
	}
}
