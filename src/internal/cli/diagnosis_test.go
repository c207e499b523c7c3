package cli

import (
	"bytes"
	"context"
	"crypto/rsa"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/issuertest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// fixedNow is the clock of the golden tests: tokens are minted at it.
var fixedNow = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// runAt runs the command line at a fixed time.
func runAt(t *testing.T, now time.Time, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), Env{
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return env[k] },
		Now:    func() time.Time { return now },
	}, append([]string{"aws-oidc"}, args...))
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	return r
}

// tokenEnv is a job's environment holding a token minted at fixedNow.
func tokenEnv(t *testing.T, claims map[string]any, opts ...tokentest.Option) map[string]string {
	t.Helper()
	return map[string]string{"GITLAB_OIDC_TOKEN": tokentest.Mint(t, claims, append([]tokentest.Option{tokentest.WithNow(fixedNow)}, opts...)...)}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit = %d, want %d", r.code, code)
	}
}

func wantText(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("output lacks %q", p)
		}
	}
}

// TestClaims is the command's: its flags, token and exit codes; what it
// prints is doctor's TestClaimsView.
func TestClaims(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
	}{
		{name: "json", env: tokenEnv(t, nil), args: []string{"--format", "json"}, want: []string{`"sub": "project_path:mygroup/myproject:ref_type:branch:ref:main"`}},
		{name: "other_audience", env: tokenEnv(t, nil), args: []string{"--audience", "sts.amazonaws.com"}, want: []string{`does NOT contain "sts.amazonaws.com"`}},
		{name: "token_file", env: map[string]string{}, args: []string{"--token-file", "FILE"}, want: []string{"project_path    mygroup/myproject"}},
		{name: "missing_token", env: map[string]string{"GITLAB_CI": "true"}, code: ExitToken, want: []string{"error: ", "hint: add an ID token to the job:", "id_tokens:"}},
		{name: "malformed_token", env: map[string]string{"AWS_OIDC_TOKEN": "abc.def"}, code: ExitToken, want: []string{"malformed token", "hint: "}},
		{name: "bad_format", env: tokenEnv(t, nil), args: []string{"--format", "yaml"}, code: ExitConfig, want: []string{`unknown format "yaml"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"claims"}, tt.args...)
			if tt.name == "token_file" {
				args[2] = writeFile(t, "token", tokentest.Mint(t, nil, tokentest.WithNow(fixedNow))+"\n")
			}
			r := runAt(t, fixedNow, tt.env, args...)
			wantCode(t, r, tt.code)
			wantText(t, r.stdout+r.stderr, tt.want...)
			assertNoSecrets(t, r.stdout+r.stderr, tt.env)
		})
	}
}

func TestTrustPolicyGenerate(t *testing.T) {
	t.Parallel()
	ci := map[string]string{"CI_SERVER_URL": "https://gitlab.example.com"}
	tests := []struct {
		name   string
		args   []string
		golden string
		code   int
		want   []string
	}{
		{name: "project_branch", args: []string{"--account", "123456789012", "--project", "mygroup/myproject", "--branch", "main"}, golden: "trust-policy.golden.json"},
		{name: "group_wildcard_branches", args: []string{"--account", "123456789012", "--group", "mygroup", "--branch", "main", "--branch", "release/*"},
			want: []string{`"StringLike": {`, `"project_path:mygroup/*:ref_type:branch:ref:release/*"`}},
		{name: "terraform", args: []string{"--account", "123456789012", "--project", "mygroup/myproject", "--tag", "v*", "--format", "terraform"}, golden: "trust-policy.golden.tf"},
		{name: "every_project_refused", args: []string{"--account", "123456789012"}, code: ExitConfig, want: []string{"would trust every project on https://gitlab.example.com", "--allow-any-project", "hint: name the projects"}},
		{name: "every_project_allowed", args: []string{"--account", "123456789012", "--allow-any-project"}, want: []string{`"project_path:*"`}},
		{name: "environment_refused", args: []string{"--account", "123456789012", "--project", "g/p", "--environment", "production"}, code: ExitConfig,
			want: []string{`AWS cannot restrict a role to the environment "production"`}},
		{name: "protected_only_needs_refs", args: []string{"--account", "123456789012", "--project", "g/p", "--protected-only"}, code: ExitConfig, want: []string{"cannot see ref_protected"}},
		{name: "protected_only_with_branch", args: []string{"--account", "123456789012", "--project", "g/p", "--protected-only", "--branch", "main"},
			want: []string{"note: AWS cannot check ref_protected", `"project_path:g/p:ref_type:branch:ref:main"`}},
		{name: "bad_account", args: []string{"--account", "12345", "--project", "g/p"}, code: ExitConfig, want: []string{"invalid --account", "12-digit", "hint: run `aws-oidc trust-policy --help`"}},
		{name: "unknown_flag", args: []string{"--acount", "12345"}, code: ExitConfig, want: []string{"flag provided but not defined: -acount", "hint: run `aws-oidc trust-policy --help`"}},
		{name: "unknown_format", args: []string{"--account", "123456789012", "--project", "g/p", "--format", "yaml"}, code: ExitConfig, want: []string{`unknown format "yaml" (from --format; valid: json, terraform)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runAt(t, fixedNow, ci, append([]string{"trust-policy"}, tt.args...)...)
			wantCode(t, r, tt.code)
			if tt.golden != "" {
				golden(t, tt.golden, r.stdout)
			}
			wantText(t, r.stdout+r.stderr, tt.want...)
		})
	}
}

func TestTrustPolicyIssuerRequired(t *testing.T) {
	t.Parallel()
	r := runAt(t, fixedNow, nil, "trust-policy", "--account", "123456789012", "--project", "g/p")
	wantCode(t, r, ExitConfig)
	wantText(t, r.stderr, "give --issuer")
}

// TestTrustPolicyTakesRefsWhole: Git allows a comma in a branch or tag
// name, so --branch 'release,2024' trusts that one branch, not release and
// 2024 (an outside review of issue 11 found the policy trusting both).
func TestTrustPolicyTakesRefsWhole(t *testing.T) {
	t.Parallel()
	r := runAt(t, fixedNow, nil, "trust-policy", "--account", "123456789012", "--issuer", "https://gitlab.example.com",
		"--project", "g/p", "--branch", "release,2024", "--tag", "v1,x")
	wantCode(t, r, ExitOK)
	wantText(t, r.stdout, "ref_type:branch:ref:release,2024", "ref_type:tag:ref:v1,x")
	if strings.Contains(r.stdout, `ref:2024"`) || strings.Contains(r.stdout, `ref:x"`) {
		t.Errorf("a comma split the ref into two:\n%s", r.stdout)
	}
}

// Trust policies as users write them, each with one classic mistake.
const (
	policyHead = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":`
	policyTail = `}]}`
)

// TestTrustPolicyCheck is the command's: its token, its errors and exit
// codes; the report is trustpolicy's TestWriteReport.
func TestTrustPolicyCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		condition string
		env       map[string]string
		code      int
		want      []string
	}{
		{name: "good_policy_and_token", env: tokenEnv(t, nil), want: []string{"ok    this token"},
			condition: `{"StringEquals":{"gitlab.example.com:aud":"https://gitlab.example.com","gitlab.example.com:sub":"project_path:mygroup/myproject:ref_type:branch:ref:main"}}`},
		{name: "wildcard_under_stringequals", env: tokenEnv(t, nil), code: ExitFailure, want: []string{"which StringEquals compares literally", "has 1 problem(s) and refuses this job's token"},
			condition: `{"StringEquals":{"gitlab.example.com:aud":"https://gitlab.example.com","gitlab.example.com:sub":"project_path:mygroup/*:ref_type:branch:ref:main"}}`},
		{name: "wrong_host", env: tokenEnv(t, nil), code: ExitFailure, want: []string{`use "gitlab.example.com:sub"`, "has 3 problem(s) and refuses"},
			condition: `{"StringEquals":{"gitlab.com:aud":"https://gitlab.example.com","gitlab.com:sub":"project_path:mygroup/myproject:ref_type:branch:ref:main"}}`},
		{name: "no_sub", env: map[string]string{}, code: ExitFailure, want: []string{"(no token: pass one", "has 1 problem(s)\nhint: fix what is listed above"},
			condition: `{"StringEquals":{"gitlab.example.com:aud":"https://gitlab.example.com"}}`},
		{name: "token_for_other_project_and_branch", code: ExitFailure,
			env:       tokenEnv(t, map[string]any{"sub": "project_path:mygroup/other:ref_type:branch:ref:feature", "project_path": "mygroup/other", "ref": "feature"}),
			condition: `{"StringEquals":{"gitlab.example.com:aud":"https://gitlab.example.com","gitlab.example.com:sub":"project_path:mygroup/myproject:ref_type:branch:ref:main"}}`,
			want:      []string{"fail  this token", "refused", `the token's sub is "project_path:mygroup/other:ref_type:branch:ref:feature"`, "refuses this job's token"}},
		{name: "token_for_other_audience", code: ExitFailure, env: tokenEnv(t, map[string]any{"aud": "sts.amazonaws.com"}),
			condition: `{"StringEquals":{"gitlab.example.com:aud":"https://gitlab.example.com","gitlab.example.com:sub":"project_path:mygroup/myproject:ref_type:branch:ref:main"}}`,
			want:      []string{`the token's aud is "sts.amazonaws.com"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "trust.json", policyHead+tt.condition+policyTail)
			r := runAt(t, fixedNow, tt.env, "trust-policy", "--check", path)
			wantCode(t, r, tt.code)
			wantText(t, r.stdout+r.stderr, tt.want...)
			assertNoSecrets(t, r.stdout+r.stderr, tt.env)
		})
	}
}

func TestTrustPolicyCheckUnreadable(t *testing.T) {
	t.Parallel()
	r := runAt(t, fixedNow, nil, "trust-policy", "--check", filepath.Join(t.TempDir(), "missing.json"))
	wantCode(t, r, ExitConfig)
	r = runAt(t, fixedNow, nil, "trust-policy", "--check", writeFile(t, "bad.json", "{"))
	wantCode(t, r, ExitConfig)
	wantText(t, r.stderr, "not a JSON object")
}

// doctorNormalizer makes a doctor report stable: the issuer's port, the
// timings and the key's thumbprint change from run to run.
func doctorNormalizer(srvURL string) func(string) string {
	timing := regexp.MustCompile(`in [0-9.]+(ms|µs|s)`)
	elapsed := regexp.MustCompile(`\([0-9.]+(ms|µs|s)\)`)
	kid := regexp.MustCompile(`"[A-Za-z0-9_-]{43}"`)
	port := regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
	tmp := regexp.MustCompile(`/\S+/trust\.json`)
	return func(s string) string {
		s = strings.ReplaceAll(s, srvURL, "https://ISSUER")
		s = timing.ReplaceAllString(s, "in <time>")
		s = elapsed.ReplaceAllString(s, "(<time>)")
		s = tmp.ReplaceAllString(s, "trust.json")
		s = kid.ReplaceAllString(s, `"<kid>"`)
		return port.ReplaceAllString(s, "127.0.0.1:<port>")
	}
}

func TestDoctor(t *testing.T) {
	t.Parallel()
	denied := ststest.Fail(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	wildcardPolicy := policyHead + `{"StringEquals":{"HOST:aud":"ISS","HOST:sub":"project_path:mygroup/*:ref_type:branch:ref:main"}}` + policyTail
	tests := []struct {
		name    string
		issuer  issuertest.Options
		claims  map[string]any
		tokOpts []tokentest.Option
		args    []string
		sts     []ststest.Answer
		policy  string
		noToken bool
		code    int
		golden  string
		want    []string
	}{
		{name: "healthy_issuer", golden: "doctor-healthy.golden"},
		{name: "misordered_chain", issuer: issuertest.Options{Chain: (*issuertest.PKI).Misordered}, code: ExitFailure, golden: "doctor-misordered.golden"},
		{name: "duplicate_in_chain", issuer: issuertest.Options{Chain: (*issuertest.PKI).WithDuplicate}, code: ExitFailure,
			want: []string{"fail  tls", "is sent again as certificate 3"}},
		{name: "unrelated_certificate_in_chain", issuer: issuertest.Options{Chain: (*issuertest.PKI).WithStranger}, code: ExitFailure,
			want: []string{"fail  tls", "(CN=Unrelated CA) is unrelated"}},
		{name: "jwks_without_the_tokens_key", issuer: issuertest.Options{Keys: []*rsa.PublicKey{&tokentest.NewKey(t).PublicKey}}, code: ExitFailure, golden: "doctor-no-kid.golden"},
		// STS's 5 s limit, scaled: the discovery answers after 300ms against
		// a 200ms limit, as a 6 s answer fails against 5 s.
		{name: "discovery_answers_after_6s", issuer: issuertest.Options{DiscoveryDelay: 300 * time.Millisecond}, args: []string{"--issuer-limit", "200ms"}, code: ExitFailure,
			want: []string{"fail  issuer", "did not answer within 200ms", "skip  keys"}},
		{name: "unreachable_jwks_uri", issuer: issuertest.Options{JWKSURI: "CLOSED"}, code: ExitFailure,
			want: []string{"fail  keys", "connection refused", "Couldn't retrieve verification key"}},
		// An issuer serving a jwks_uri with a user name and password: the
		// keys check fails on it, and neither is printed (issue 14 review).
		{name: "jwks_uri_with_password", issuer: issuertest.Options{JWKSURI: "CLOSED_WITH_PASSWORD"}, code: ExitFailure,
			want: []string{"fail  keys", "https://…@127.0.0.1:"}},
		{name: "expired_token", tokOpts: []tokentest.Option{tokentest.WithNow(fixedNow.Add(-2 * time.Hour))}, code: ExitToken,
			want: []string{"fail  token", "token expired at", "job's timeout", "ok    keys"}},
		{name: "token_about_to_expire", tokOpts: []tokentest.Option{tokentest.WithLifetime(90 * time.Second)},
			want: []string{"warn  token", "1m30s left", "run aws-oidc at the start of the job"}},
		{name: "token_for_another_audience", args: []string{"--audience", "sts.amazonaws.com"}, code: ExitToken,
			want: []string{"fail  token", `the token's aud is "https://`}},
		{name: "missing_token", noToken: true, code: ExitToken, golden: "doctor-missing-token.golden"},
		{name: "role_accepted", sts: []ststest.Answer{ststest.OK}, want: []string{"ok    role", "STS accepted the token", "credentials discarded"}},
		{name: "role_refused_with_trust_policy", sts: []ststest.Answer{denied}, policy: wildcardPolicy, code: ExitRefused, golden: "doctor-refused.golden"},
		{name: "role_refused_other_project_and_branch", sts: []ststest.Answer{denied}, code: ExitRefused,
			claims: map[string]any{"sub": "project_path:mygroup/other:ref_type:branch:ref:feature"},
			want:   []string{"fail  role", "cause: trust-policy", `:sub" = "project_path:mygroup/other:ref_type:branch:ref:feature"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := tt.issuer
			switch opts.JWKSURI {
			case "CLOSED":
				opts.JWKSURI = issuertest.ClosedURL(t)
			case "CLOSED_WITH_PASSWORD":
				opts.JWKSURI = strings.Replace(issuertest.ClosedURL(t), "https://", "https://jwksuser:JwksPassw0rd@", 1)
			}
			srv := issuertest.New(t, opts)
			env := map[string]string{}
			if !tt.noToken {
				env = tokenEnv(t, tt.claims, append([]tokentest.Option{tokentest.WithIssuer(srv.URL)}, tt.tokOpts...)...)
			}
			args := append([]string{"doctor", "--ca-bundle", writeFile(t, "ca.pem", string(srv.PKI.RootPEM()))}, tt.args...)
			if tt.sts != nil {
				sts := ststest.New(t, tt.sts...)
				// doctor asks for 15 minutes, on this test's clock.
				sts.Expiration = fixedNow.Add(15 * time.Minute)
				args = append(args, "--role-arn", roleARN, "--sts-endpoint", sts.URL)
			}
			if tt.policy != "" {
				host := strings.TrimPrefix(srv.URL, "https://")
				p := strings.NewReplacer("gitlab.example.com", host, "HOST", host, "ISS", srv.URL).Replace(tt.policy)
				args = append(args, "--trust-policy", writeFile(t, "trust.json", p))
			}
			r := runAt(t, fixedNow, env, args...)
			wantCode(t, r, tt.code)
			norm := doctorNormalizer(srv.URL)
			if tt.golden != "" {
				golden(t, tt.golden, norm(r.stdout+"--- stderr\n"+r.stderr))
			}
			wantText(t, r.stdout+r.stderr, tt.want...)
			assertNoSecrets(t, r.stdout+r.stderr, env)
			if strings.Contains(r.stdout+r.stderr, "JwksPassw0rd") || strings.Contains(r.stdout+r.stderr, "jwksuser") {
				t.Error("doctor printed the jwks_uri's user name or password")
			}
			for _, s := range []string{ststest.SecretAccessKey, ststest.SessionToken, ststest.AccessKeyID} {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Errorf("doctor printed a credential")
				}
			}
		})
	}
}

func TestDoctorFlags(t *testing.T) {
	t.Parallel()
	srv := issuertest.New(t, issuertest.Options{})
	bundle := writeFile(t, "ca.pem", string(srv.PKI.RootPEM()))
	env := tokenEnv(t, nil, tokentest.WithIssuer(srv.URL))
	for _, v := range []string{"AWS_CA_BUNDLE", "SSL_CERT_FILE"} {
		t.Run("ca_bundle_from_"+v, func(t *testing.T) {
			t.Parallel()
			e := map[string]string{"GITLAB_OIDC_TOKEN": env["GITLAB_OIDC_TOKEN"], v: bundle}
			r := runAt(t, fixedNow, e, "doctor")
			wantCode(t, r, ExitOK)
			wantText(t, r.stdout, "ok    tls", "ok    keys")
		})
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "unknown_flag", args: []string{"--rol-arn", roleARN}, want: []string{"flag provided but not defined: -rol-arn", "hint: run `aws-oidc doctor --help`"}},
		{name: "missing_ca_bundle", args: []string{"--ca-bundle", "/nonexistent/ca.pem"}, want: []string{"invalid --ca-bundle", "hint: run `aws-oidc doctor --help`"}},
		{name: "ca_bundle_without_pem", args: []string{"--ca-bundle", "TEXT"}, want: []string{"holds no PEM certificate"}},
		{name: "bad_limit", args: []string{"--issuer-limit", "soon"}, want: []string{"invalid --issuer-limit"}},
		{name: "bad_role_arn", args: []string{"--role-arn", "arn:aws:iam::1:role/x"}, want: []string{"invalid --role-arn", "hint: set --role-arn"}},
		{name: "unreadable_trust_policy", args: []string{"--trust-policy", "/nonexistent/trust.json"}, want: []string{"invalid --trust-policy"}},
		{name: "argument", args: []string{"now"}, want: []string{`unexpected argument "now"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"doctor"}, tt.args...)
			for i, a := range args {
				if a == "TEXT" {
					args[i] = writeFile(t, "text.pem", "not a certificate")
				}
			}
			r := runAt(t, fixedNow, env, args...)
			wantCode(t, r, ExitConfig)
			wantText(t, r.stderr, tt.want...)
			if r.stdout != "" {
				t.Errorf("doctor ran checks despite an invalid command line:\n%s", r.stdout)
			}
		})
	}
}

func TestClaimsGitHubEndpoint(t *testing.T) {
	t.Parallel()
	e := tokentest.NewGitHubEndpoint(t, nil)
	env := e.Env()
	r := runAt(t, time.Now(), env, "claims", "--format", "json")
	wantCode(t, r, ExitOK)
	wantText(t, r.stdout, `"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"`, `"sts.amazonaws.com"`)
	if got := e.Audiences(); len(got) != 1 || got[0] != "sts.amazonaws.com" {
		t.Errorf("requested audiences = %q, want the default sts.amazonaws.com", got)
	}
}
