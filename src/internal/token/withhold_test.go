package token_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// TestWithhold: a process environment loses every variable that holds the
// job's token or the means to mint one, by name or by value, and keeps the
// rest in order.
func TestWithhold(t *testing.T) {
	t.Parallel()
	const (
		header, payload, sig = "eyJhbGciOiJSUzI1NiJ9", "eyJzdWIiOiJwcm9qZWN0X3BhdGg6YS9iIn0", "c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1wYXJ0"
		jwt                  = header + "." + payload + "." + sig
		requestToken         = "github-request-token-0123456789"
	)
	getenv := func(k string) string {
		if k == "ACTIONS_ID_TOKEN_REQUEST_TOKEN" {
			return requestToken
		}
		return ""
	}
	environ := []string{
		"PATH=/usr/bin",
		"AWS_OIDC_TOKEN=x", "GITLAB_OIDC_TOKEN=x", "MY_ID_TOKEN=" + jwt, "AWS_OIDC_TOKEN_FILE=/tmp/t",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + requestToken, "ACTIONS_ID_TOKEN_REQUEST_URL=https://example.com",
		"BEARER=Bearer " + jwt, "SIG_ONLY=" + sig, "COPY_OF_REQUEST=" + requestToken,
		"HEADER_ONLY=" + header, "HOME=/home/job", "NO_VALUE",
	}
	got := token.Withhold(environ, token.Pick{Envs: []string{"MY_ID_TOKEN"}}, " "+jwt+"\n", getenv)
	want := []string{"PATH=/usr/bin", "HEADER_ONLY=" + header, "HOME=/home/job", "NO_VALUE"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	// A value that is not a JWT is withheld whole.
	got = token.Withhold([]string{"A=opaque-token-value-1234", "B=other"}, token.Pick{}, "opaque-token-value-1234", getenv)
	if diff := cmp.Diff([]string{"B=other"}, got); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
}
