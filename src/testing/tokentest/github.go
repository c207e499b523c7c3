package tokentest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// GitHubEndpoint is a fake GitHub Actions ID token endpoint: GET with
// `Authorization: Bearer <request token>` and `?audience=` answers
// `{"value": "<jwt>"}`.
type GitHubEndpoint struct {
	Server *httptest.Server
	// RequestToken is the bearer token the endpoint expects, as the runner
	// puts it in ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	RequestToken string

	mu        sync.Mutex
	audiences []string
}

// NewGitHubEndpoint starts an endpoint that answers with mint(audience); a
// nil mint gives a GitHub-shaped token for the requested audience. The
// server is closed when the test ends.
func NewGitHubEndpoint(t testing.TB, mint func(audience string) string) *GitHubEndpoint {
	t.Helper()
	if mint == nil {
		mint = func(audience string) string {
			claims := map[string]any{}
			if audience != "" {
				claims["aud"] = audience
			}
			return Mint(t, claims, WithGitHub())
		}
	}
	// The handler runs outside the test goroutine, where t.Fatal must not be
	// called: make the key now.
	Key(t)
	e := &GitHubEndpoint{RequestToken: "tokentest-request-token"}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Authorization") != "Bearer "+e.RequestToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"Bad credentials"}`))
			return
		}
		audience := r.URL.Query().Get("audience")
		e.mu.Lock()
		e.audiences = append(e.audiences, audience)
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"value": mint(audience)})
	}))
	t.Cleanup(e.Server.Close)
	return e
}

// URL is the value of ACTIONS_ID_TOKEN_REQUEST_URL; like GitHub's, it already
// has a query, to which the client must add the audience.
func (e *GitHubEndpoint) URL() string {
	return e.Server.URL + "/idtoken?api-version=2.0"
}

// Env returns the variables a job with `permissions: id-token: write` sees.
func (e *GitHubEndpoint) Env() map[string]string {
	return map[string]string{
		"GITHUB_ACTIONS":                 "true",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   e.URL(),
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": e.RequestToken,
	}
}

// Audiences lists the audiences requested so far, in order.
func (e *GitHubEndpoint) Audiences() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.audiences...)
}
