package doctor

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// golden compares got with testdata/name (goldentest.Check).
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldentest.Check(t, name, []byte(got))
}

var kidRE = regexp.MustCompile(`"kid": "[A-Za-z0-9_-]{43}"`)

// normalizeKid replaces the signing key's thumbprint: the key is made anew
// by every test binary.
func normalizeKid(s string) string { return kidRE.ReplaceAllString(s, `"kid": "<kid>"`) }

func TestClaimsView(t *testing.T) {
	t.Parallel()
	fixedNow := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		claims   map[string]any
		opts     []tokentest.Option
		audience string
		json     bool
		golden   string
		want     []string
	}{
		{name: "text", claims: map[string]any{"environment": "production"}, golden: "claims.golden"},
		{name: "json", json: true, golden: "claims.golden.json"},
		{name: "expired", opts: []tokentest.Option{tokentest.WithNow(fixedNow.Add(-2 * time.Hour))}, want: []string{"(expired 1h0m0s ago)"}},
		{name: "other_audience", audience: "sts.amazonaws.com", want: []string{`does NOT contain "sts.amazonaws.com"`}},
		{name: "github_token", opts: []tokentest.Option{tokentest.WithGitHub()}, want: []string{
			`"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"`, "repository      octo-org/octo-repo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := tokentest.Mint(t, tt.claims, append([]tokentest.Option{tokentest.WithNow(fixedNow)}, tt.opts...)...)
			tok, err := token.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			secrets := logging.NewSecrets()
			secrets.AddToken(raw)
			w := logging.NewWriter(&b, secrets)
			v := Claims(tok, tt.audience, fixedNow)
			if tt.json {
				err = v.WriteJSON(w)
			} else {
				err = v.WriteText(w)
			}
			if err != nil {
				t.Fatal(err)
			}
			got := b.String()
			t.Log(got)
			if tt.golden != "" {
				golden(t, tt.golden, normalizeKid(got))
			}
			for _, s := range tt.want {
				if !strings.Contains(got, s) {
					t.Errorf("output lacks %q", s)
				}
			}
			assertNoToken(t, got, tok)
		})
	}
}
