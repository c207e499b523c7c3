package fakegitlab

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

func newTestIssuer(t *testing.T) (*Issuer, *httptest.Server) {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	iss := &Issuer{URL: "https://gitlab.example.com", Key: k, GitHubRequestToken: "request-token",
		Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	srv := httptest.NewServer(iss.Handler())
	t.Cleanup(srv.Close)
	return iss, srv
}

func getJSON(t *testing.T, req *http.Request, v any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", req.URL, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// verify checks token against the served JWKS the way STS does, and returns
// its claims.
func verify(t *testing.T, srv *httptest.Server, token string) map[string]any {
	t.Helper()
	var set struct {
		Keys []struct{ Kty, Kid, E, N, Use, Alg string }
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/oauth/discovery/keys", nil)
	getJSON(t, req, &set)
	parts := strings.Split(token, ".")
	var header struct{ Alg, Kid string }
	decode(t, parts[0], &header)
	if len(set.Keys) != 1 || set.Keys[0].Kid != header.Kid || header.Alg != "RS256" {
		t.Fatalf("header %+v does not name the published key %+v", header, set.Keys)
	}
	k := set.Keys[0]
	n, _ := base64.RawURLEncoding.DecodeString(k.N)
	e, _ := base64.RawURLEncoding.DecodeString(k.E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if got := tokentest.KeyID(pub); got != k.Kid || k.Kty != "RSA" || k.Use != "sig" || k.Alg != "RS256" {
		t.Errorf("key %+v: want kty RSA, use sig, alg RS256 and the RFC 7638 thumbprint %q as kid", k, got)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	var claims map[string]any
	decode(t, parts[1], &claims)
	return claims
}

func decode(t *testing.T, part string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestMintGitLabToken(t *testing.T) {
	t.Parallel()
	iss, srv := newTestIssuer(t)
	token, err := iss.Mint(Options{ProjectPath: "g/p", Ref: "v1", RefType: "tag", Lifetime: time.Hour, ClockShift: -time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	claims := verify(t, srv, token)
	want := map[string]any{
		"iss": "https://gitlab.example.com", "aud": "https://gitlab.example.com",
		"sub":          "project_path:g/p:ref_type:tag:ref:v1",
		"project_id":   "22", // a string, as GitLab sends it
		"project_path": "g/p", "ref_path": "refs/tags/v1",
		"iat": float64(1_800_000_000 - 60), "exp": float64(1_800_000_000 - 60 + 3600),
	}
	got := map[string]any{}
	for k := range want {
		got[k] = claims[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
}

func TestDiscoveryNamesIssuerAndKeys(t *testing.T) {
	t.Parallel()
	iss, srv := newTestIssuer(t)
	var doc map[string]any
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/.well-known/openid-configuration", nil)
	getJSON(t, req, &doc)
	want := []any{iss.URL, iss.URL + "/oauth/discovery/keys"}
	if diff := cmp.Diff(want, []any{doc["issuer"], doc["jwks_uri"]}); diff != "" {
		t.Errorf("discovery (-want +got):\n%s", diff)
	}
}

func TestGitHubTokenEndpoint(t *testing.T) {
	t.Parallel()
	_, srv := newTestIssuer(t)
	tests := []struct {
		name   string
		bearer string
		status int
	}{
		{name: "right_bearer", bearer: "request-token", status: http.StatusOK},
		{name: "wrong_bearer", bearer: "nope", status: http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/github/token?api-version=2.0&audience=sts.amazonaws.com", nil)
			req.Header.Set("Authorization", "Bearer "+tc.bearer)
			if tc.status != http.StatusOK {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
				}
				return
			}
			var body struct{ Value string }
			getJSON(t, req, &body)
			claims := verify(t, srv, body.Value)
			got := []any{claims["aud"], claims["sub"]}
			want := []any{"sts.amazonaws.com", "repo:mygroup/myproject:ref:refs/heads/main"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAlgNoneHasNoSignature(t *testing.T) {
	t.Parallel()
	iss, _ := newTestIssuer(t)
	token, err := iss.Mint(Options{AlgNone: true})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	var header map[string]any
	decode(t, parts[0], &header)
	if diff := cmp.Diff(map[string]any{"alg": "none", "typ": "JWT"}, header); diff != "" || parts[2] != "" {
		t.Errorf("header (-want +got):\n%s\nsignature %q", diff, parts[2])
	}
}
