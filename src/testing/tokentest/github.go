package tokentest

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
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
	e.Server = httptest.NewServer(GitHubHandler(e.RequestToken, func(audience string) (string, error) {
		e.mu.Lock()
		e.audiences = append(e.audiences, audience)
		e.mu.Unlock()
		return mint(audience), nil
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

// GitHubHandler answers like GitHub's ACTIONS_ID_TOKEN_REQUEST_URL: a GET
// with `Authorization: Bearer <requestToken>` gets `{"value": "<jwt>"}`
// from mint, given the ?audience= asked for ("" when none); anything else
// gets 401 Bad credentials, as does every request when requestToken is "".
func GitHubHandler(requestToken string, mint func(audience string) (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if r.Method != http.MethodGet || requestToken == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(requestToken)) != 1 {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"Bad credentials"}`))
			return
		}
		token, err := mint(r.URL.Query().Get("audience"))
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"value": token})
	})
}
