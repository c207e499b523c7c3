package fakegitlab

import (
	"encoding/json"
	"net/http"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// Issuer is one GitLab instance's OIDC identity: its URL and signing key.
type Issuer struct {
	// URL is the issuer, scheme included, no trailing slash
	// (https://198.18.0.1), exactly what lands in iss.
	URL string
	Key *Key
	// Audience is the default aud, GitLab's own URL unless set otherwise.
	Audience string
	// GitHubRequestToken is the bearer token the GitHub token endpoint
	// demands, as ACTIONS_ID_TOKEN_REQUEST_TOKEN does; empty disables it.
	GitHubRequestToken string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Minted, when set, is called with every token the GitHub endpoint
	// hands out, so a test can scan output for it.
	Minted func(token string)
}

func (i *Issuer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

// Mint returns a GitLab ID token shaped by o.
func (i *Issuer) Mint(o Options) (string, error) {
	return o.sign(o.GitLabClaims(i.URL, or(i.Audience, i.URL), i.now()), i.Key)
}

// MintGitHub returns a GitHub Actions ID token for audience, shaped by o.
func (i *Issuer) MintGitHub(audience string, o Options) (string, error) {
	return o.sign(o.GitHubClaims(i.URL, audience, i.now()), i.Key)
}

// Handler serves what STS fetches from GitLab (discovery and keys) and the
// GitHub Actions token endpoint at /github/token.
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.serveDiscovery)
	mux.HandleFunc("GET /oauth/discovery/keys", i.serveKeys)
	mux.HandleFunc("GET /github/token", i.serveGitHubToken)
	return mux
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	// The fields GitLab publishes; STS reads issuer and jwks_uri.
	writeJSON(w, map[string]any{
		"issuer":                                i.URL,
		"authorization_endpoint":                i.URL + "/oauth/authorize",
		"token_endpoint":                        i.URL + "/oauth/token",
		"revocation_endpoint":                   i.URL + "/oauth/revoke",
		"introspection_endpoint":                i.URL + "/oauth/introspect",
		"userinfo_endpoint":                     i.URL + "/oauth/userinfo",
		"jwks_uri":                              i.URL + "/oauth/discovery/keys",
		"scopes_supported":                      []string{"api", "read_api", "openid", "profile", "email"},
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"grant_types_supported":                 []string{"authorization_code", "password", "client_credentials", "refresh_token"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claim_types_supported":                 []string{"normal"},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "sub_legacy", "name", "nickname", "preferred_username", "email", "email_verified", "website", "profile", "picture", "groups", "groups_direct"},
	})
}

func (i *Issuer) serveKeys(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// The newline json.Encoder ends writeJSON's answers with.
	_, _ = w.Write(append(i.Key.JWKS(), '\n'))
}

// serveGitHubToken answers like GitHub's ACTIONS_ID_TOKEN_REQUEST_URL:
// bearer-authenticated GET with ?audience=, body {"value": "<jwt>"}.
func (i *Issuer) serveGitHubToken(w http.ResponseWriter, r *http.Request) {
	tokentest.GitHubHandler(i.GitHubRequestToken, func(audience string) (string, error) {
		if audience == "" {
			// GitHub's own default audience is the repository owner's URL.
			audience = "https://github.com/mygroup"
		}
		token, err := i.MintGitHub(audience, Options{})
		if err == nil && i.Minted != nil {
			i.Minted(token)
		}
		return token, err
	}).ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
