package e2e

import (
	"os"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// Exit codes of the contract (issue 2).
const (
	exitInvalidInput = 2
	exitToken        = 3
	exitRefused      = 4
	exitTransient    = 5
)

// refusal is one way the exchange must fail: the token or environment that
// causes it, and what the user must see.
type refusal struct {
	name string
	// token shapes the minted token; raw, when set, is sent instead.
	token fakegitlab.Options
	raw   string
	// noToken leaves GITLAB_OIDC_TOKEN unset.
	noToken bool
	role    func(Roles) string
	args    []string
	// wantExit per the contract; peerExit overrides it for a peer whose
	// answer differs from AWS's (documented in the case).
	wantExit int
	peerExit map[string]int
	// wantHint: the hint must contain each of these, on every peer.
	wantHint []string
}

func refusals(b *Bed) []refusal {
	deploy := func(r Roles) string { return r.Deploy }
	return []refusal{
		{
			// AWS answers AccessDenied, and so the hint can name the sub the
			// trust policy must match. VersityGW answers a failed trust
			// condition with a generic InvalidIdentityToken ("could not be
			// validated"), so the tool can only point at the provider.
			name: "other_project", token: fakegitlab.Options{ProjectPath: "othergroup/otherproject"},
			role: deploy, wantExit: exitRefused,
			wantHint: []string{"project_path:othergroup/otherproject:ref_type:branch:ref:main"},
		},
		{
			name: "other_branch", token: fakegitlab.Options{Ref: "feature"},
			role: deploy, wantExit: exitRefused,
			wantHint: []string{"project_path:mygroup/myproject:ref_type:branch:ref:feature"},
		},
		{
			// Not checked locally without --audience: STS refuses it.
			name: "wrong_audience", token: fakegitlab.Options{Audience: []string{"https://wrong.example.com"}},
			role: deploy, wantExit: exitRefused, wantHint: []string{"https://wrong.example.com"},
		},
		{
			// With --audience the tool sees it before any network call.
			name: "wrong_audience_checked_locally", token: fakegitlab.Options{Audience: []string{"https://wrong.example.com"}},
			role: deploy, args: []string{"--audience", b.Issuer.URL}, wantExit: exitToken,
			wantHint: []string{"https://wrong.example.com"},
		},
		{
			name: "expired", token: fakegitlab.Options{ClockShift: -2 * 3600e9},
			role: deploy, wantExit: exitToken, wantHint: []string{"expired"},
		},
		{
			name: "not_yet_valid", token: fakegitlab.Options{ClockShift: 3600e9},
			role: deploy, wantExit: exitToken,
		},
		{
			name: "signed_by_another_key", token: fakegitlab.Options{SignWith: mustKey()},
			role: deploy, wantExit: exitRefused,
		},
		{
			// An unsigned token is a token problem the tool can see itself.
			name: "alg_none", token: fakegitlab.Options{AlgNone: true},
			role: deploy, wantExit: exitToken,
		},
		{
			name: "malformed", raw: "this-is-not-a-jwt",
			role: deploy, wantExit: exitToken,
		},
		{
			name: "missing_token", noToken: true,
			role: deploy, wantExit: exitToken, wantHint: []string{"id_tokens:"},
		},
		{
			name: "unknown_role",
			role: func(r Roles) string { return r.Unknown }, wantExit: exitRefused,
		},
		{
			// STS cannot reach the issuer. AWS, like VersityGW, answers
			// InvalidIdentityToken "Couldn't retrieve verification key":
			// retried until the deadline (under load it passes), then exit 4
			// with the reachability hint. SeaweedFS answers AccessDenied with
			// "failed to fetch JWKS" and the dial error in the message, which
			// gets the same hint at once.
			name: "issuer_down", token: fakegitlab.Options{Issuer: b.DownIssuer, Audience: []string{b.DownIssuer}},
			role: func(r Roles) string { return r.IssuerDown }, args: []string{"--timeout", "8s"},
			wantExit: exitRefused, wantHint: []string{b.DownIssuer + "/.well-known/openid-configuration", "reachable"},
		},
		{
			// Nothing answers at the STS endpoint: transient, retried, exit 5.
			name: "sts_unreachable", role: deploy,
			args:     []string{"--sts-endpoint", "http://127.0.0.1:9", "--max-attempts", "2", "--timeout", "20s"},
			wantExit: exitTransient,
		},
		{
			name: "invalid_role_arn",
			role: func(Roles) string { return "arn:aws:iam::12345:user/deploy" }, wantExit: exitInvalidInput,
		},
	}
}

func mustKey() *fakegitlab.Key {
	k, err := fakegitlab.NewKey()
	if err != nil {
		panic(err)
	}
	return k
}

// testRefusals runs every refusal: the right exit code, `error:` and a
// `hint:` naming the cause, nothing written, no secret printed.
func testRefusals(t *testing.T, b *Bed) {
	for _, tc := range refusals(b) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			leaks := harness.NewLeaks(t, b.Leaks)
			token := tc.raw
			if token == "" && !tc.noToken {
				token = b.Mint(t, leaks, tc.token)
			}
			leaks.Secret("ID token", token)
			dir := t.TempDir()
			args := append([]string{"assume", "--role-arn", tc.role(b.Roles), "--sts-endpoint", b.STS}, tc.args...)
			r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), args...)

			want := tc.wantExit
			if e, ok := tc.peerExit[b.Peer]; ok {
				want = e
			}
			if r.ExitCode != want {
				t.Errorf("exit code = %d, want %d", r.ExitCode, want)
			}
			hint := hintOf(r.Stderr)
			if !strings.Contains(r.Stderr, "error: ") || hint == "" {
				t.Errorf("stderr has no `error:` and `hint:` lines")
			}
			for _, w := range tc.wantHint {
				if !strings.Contains(hint, w) {
					t.Errorf("hint does not name %q:\n%s", w, leaks.Redact(hint))
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("the failed run left %d files in the job folder (first %q), want none", len(entries), entries[0].Name())
			}
		})
	}
}

// hintOf returns the `hint:` line and what follows it.
func hintOf(stderr string) string {
	if i := strings.Index(stderr, "hint: "); i >= 0 {
		return stderr[i:]
	}
	return ""
}
