package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

const roleARN = "arn:aws:iam::123456789012:role/deploy"

type result struct {
	code           int
	stdout, stderr string
}

// run runs the command line with exactly env as the environment.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), Env{
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return env[k] },
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
		Now: time.Now,
	}, append([]string{"aws-oidc"}, args...))
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	t.Logf("exit %d\nstderr:\n%s", r.code, r.stderr)
	return r
}

// gitlabEnv is a GitLab job's environment with a fresh token.
func gitlabEnv(t *testing.T, claims map[string]any, opts ...tokentest.Option) map[string]string {
	return map[string]string{
		"GITLAB_CI":         "true",
		"CI_PROJECT_ID":     "42",
		"CI_PIPELINE_ID":    "1234",
		"CI_JOB_ID":         "5678",
		"GITLAB_OIDC_TOKEN": tokentest.Mint(t, claims, opts...),
	}
}

// assertNoSecrets fails when any secret shows in what the process printed
// for people.
func assertNoSecrets(t *testing.T, text string, env map[string]string) {
	t.Helper()
	secrets := []string{ststest.SecretAccessKey, ststest.SessionToken, ststest.AccessKeyID}
	for _, k := range []string{"GITLAB_OIDC_TOKEN", "AWS_OIDC_TOKEN"} {
		if v := env[k]; v != "" {
			secrets = append(secrets, v)
			// The signature alone is as secret as the token.
			if i := strings.LastIndex(v, "."); i > 0 && len(v)-i > 8 {
				secrets = append(secrets, v[i+1:])
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("a secret of %d characters was printed", len(s))
		}
	}
}

// stableTimes replaces every timestamp of the next 13 hours (the
// credentials' expiry, the session's duration after the fake STS answered) with one fixed
// value, so that golden files and wanted lines do not change with the clock.
func stableTimes(s string) string {
	now := time.Now()
	return timestamp.ReplaceAllStringFunc(s, func(m string) string {
		if ts, err := time.Parse(time.RFC3339, m); err == nil && ts.After(now.Add(-10*time.Minute)) && ts.Before(now.Add(13*time.Hour)) {
			return stableTime
		}
		return m
	})
}

const stableTime = "2030-01-02T03:04:05Z"

var timestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// golden compares got, its times made stable, with testdata/name.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldentest.Check(t, name, []byte(stableTimes(got)))
}

func TestAssumeGitLabDotenv(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := gitlabEnv(t, nil)
	dotenv := filepath.Join(t.TempDir(), "aws.env")
	r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--dotenv-file", dotenv)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	b, err := os.ReadFile(dotenv)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "gitlab.env.golden", string(b))
	if fi, _ := os.Stat(dotenv); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if r.stdout != "" {
		t.Errorf("stdout holds %d bytes, want nothing in dotenv mode", len(r.stdout)) // it may hold credentials: not printed
	}
	if !strings.Contains(r.stderr, "assumed arn:aws:sts::123456789012:assumed-role/deploy/GitLabRunner-42-1234-5678 (account 123456789012)") {
		t.Errorf("no summary line in stderr")
	}
	if !strings.Contains(r.stderr, "section_start:") {
		t.Errorf("claims not in a collapsible section")
	}
	assertNoSecrets(t, r.stderr, env)
	want := []ststest.Request{{Action: "AssumeRoleWithWebIdentity", RoleARN: roleARN, RoleSessionName: "GitLabRunner-42-1234-5678",
		DurationSeconds: "3600", TokenLength: len(env["GITLAB_OIDC_TOKEN"])}}
	if diff := cmp.Diff(want, srv.Requests()); diff != "" {
		t.Errorf("STS request (-want +got):\n%s", diff)
	}
}

func TestAssumeOutputs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		args   []string
		golden string
	}{
		{name: "shell", args: []string{"--output", "shell"}, golden: "shell.golden"},
		{name: "json", args: []string{"--output", "json"}, golden: "json.golden"},
		{name: "shell_prefix_region", args: []string{"-o", "shell", "--prefix", "PROD_", "--region", "eu-west-1"}, golden: "shell-prefix.golden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			env := map[string]string{"AWS_OIDC_TOKEN": tokentest.Mint(t, nil), "AWS_OIDC_SESSION_NAME": "local-test"}
			r := run(t, env, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d", r.code)
			}
			golden(t, tc.golden, r.stdout)
			assertNoSecrets(t, r.stderr, env)
		})
	}
}

func TestAssumeGitHub(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	ep := tokentest.NewGitHubEndpoint(t, nil)
	dir := t.TempDir()
	env := ep.Env()
	env["GITHUB_ENV"] = filepath.Join(dir, "env")
	env["GITHUB_OUTPUT"] = filepath.Join(dir, "output")
	env["GITHUB_RUN_ID"] = "5813245765"
	for _, f := range []string{env["GITHUB_ENV"], env["GITHUB_OUTPUT"]} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if diff := cmp.Diff([]string{"sts.amazonaws.com"}, ep.Audiences()); diff != "" {
		t.Errorf("audience (-want +got):\n%s", diff)
	}
	masks := strings.Index(r.stdout, "::add-mask::"+ststest.SecretAccessKey)
	if masks < 0 || !strings.Contains(r.stdout, "::add-mask::"+ststest.SessionToken) {
		t.Fatal("secrets not masked (stdout not shown: it holds the credentials)")
	}
	ghenv, _ := os.ReadFile(env["GITHUB_ENV"])
	for _, want := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_CREDENTIAL_EXPIRATION"} {
		if !strings.Contains(string(ghenv), want) {
			t.Errorf("GITHUB_ENV lacks %s", want)
		}
	}
	ghout, _ := os.ReadFile(env["GITHUB_OUTPUT"])
	for _, want := range []string{"aws-account-id", "aws-role-arn"} {
		if !strings.Contains(string(ghout), want) {
			t.Errorf("GITHUB_OUTPUT lacks %s", want)
		}
	}
	if got := srv.Requests()[0].RoleSessionName; !strings.HasPrefix(got, "GitHubActions-5813245765") {
		t.Errorf("session name = %q", got)
	}
	assertNoSecrets(t, r.stderr, env)
}

func TestAssumeFailures(t *testing.T) {
	t.Parallel()
	denied := ststest.Fail(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	throttle := ststest.Fail(400, "Throttling", "Rate exceeded")
	now := time.Now()
	cases := []struct {
		name     string
		env      func(t *testing.T) map[string]string
		args     []string
		script   []ststest.Answer
		wantCode int
		// wantErr and wantHint must appear in stderr.
		wantErr, wantHint string
		wantCalls         int
	}{
		{name: "missing_role_arn", wantCode: ExitConfig, args: []string{"--role-arn", ""}, wantErr: "invalid --role-arn", wantHint: "hint: set --role-arn"},
		{name: "user_not_role", wantCode: ExitConfig, args: []string{"--role-arn", "arn:aws:iam::123456789012:user/deploy"}, wantErr: "not a role"},
		{name: "short_account", wantCode: ExitConfig, args: []string{"--role-arn", "arn:aws:iam::12345678901:role/deploy"}, wantErr: "12 digits"},
		{name: "partition_region_mismatch", wantCode: ExitConfig, args: []string{"--region", "cn-north-1"}, wantErr: "partition \"aws-cn\""},
		{name: "duration_too_short", wantCode: ExitConfig, args: []string{"--duration", "899"}, wantErr: "invalid --duration"},
		{name: "unknown_output", wantCode: ExitConfig, args: []string{"--output", "yaml"}, wantErr: "unknown format \"yaml\" (valid: dotenv, github, shell, json, token-file, powershell)"},
		{name: "bad_prefix", wantCode: ExitConfig, args: []string{"--prefix", "1X"}, wantErr: "invalid --prefix"},
		{name: "bad_policy", wantCode: ExitConfig, args: []string{"--policy", "{not json"}, wantErr: "invalid --policy"},
		{name: "unknown_flag", wantCode: ExitConfig, args: []string{"--nope"}, wantErr: "flag provided but not defined"},
		{name: "missing_token", wantCode: ExitToken, env: func(t *testing.T) map[string]string {
			return map[string]string{"GITLAB_CI": "true"}
		}, wantErr: "none of the token variables", wantHint: "id_tokens:"},
		{name: "expired_token", wantCode: ExitToken, env: func(t *testing.T) map[string]string {
			return gitlabEnv(t, nil, tokentest.WithNow(now.Add(-time.Hour)), tokentest.WithLifetime(5*time.Minute))
		}, wantErr: "token expired at", wantHint: "job's timeout"},
		{name: "wrong_audience", wantCode: ExitToken, args: []string{"--audience", "sts.amazonaws.com"}, wantErr: "does not contain \"sts.amazonaws.com\"", wantHint: "the token's aud is \"https://gitlab.example.com\""},
		{name: "malformed_token", wantCode: ExitToken, env: func(t *testing.T) map[string]string {
			return map[string]string{"GITLAB_CI": "true", "GITLAB_OIDC_TOKEN": "not-a-jwt-at-all"}
		}, wantErr: "malformed token", wantHint: "id_tokens:"},
		{name: "access_denied", wantCode: ExitRefused, script: []ststest.Answer{denied}, wantCalls: 1,
			wantErr:  "AccessDenied",
			wantHint: `"gitlab.example.com:sub" = "project_path:mygroup/myproject:ref_type:branch:ref:main"`},
		{name: "no_provider", wantCode: ExitRefused, wantCalls: 1,
			script:  []ststest.Answer{ststest.Fail(400, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://gitlab.example.com")},
			wantErr: "InvalidIdentityToken", wantHint: "has no IAM OIDC identity provider"},
		// AWS failing to fetch the keys is retried until the deadline, as
		// it comes from load too; the first wait (2s or more) does not fit
		// in a 1s --timeout, so it ends at the first answer, with the hint
		// for an issuer AWS cannot reach.
		// The wait is cut to fit one last attempt before the deadline.
		{name: "keys_unreachable_until_deadline", wantCode: ExitRefused, wantCalls: 2, args: []string{"--timeout", "1s"},
			script: []ststest.Answer{
				ststest.Fail(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider"),
				ststest.Fail(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider"),
			},
			wantErr: "(overall deadline reached): InvalidIdentityToken", wantHint: "reachable from the internet and answer within 5 seconds"},
		{name: "duration_over_role_max", wantCode: ExitRefused, wantCalls: 1,
			script:  []ststest.Answer{ststest.Fail(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")},
			wantErr: "ValidationError", wantHint: "MaxSessionDuration"},
		{name: "server_errors_until_attempts_run_out", wantCode: ExitTransient, args: []string{"--max-attempts", "2"}, wantCalls: 2,
			script:  []ststest.Answer{ststest.Fail(500, "InternalFailure", "oops"), ststest.Fail(500, "InternalFailure", "oops")},
			wantErr: "after 2 attempts: InternalFailure", wantHint: "retry the job"},
		// Throttling does not count against --max-attempts: the deadline
		// ends it, and the hint says that the rate is shared.
		{name: "throttled_until_deadline", wantCode: ExitTransient, args: []string{"--max-attempts", "1", "--timeout", "1s"}, wantCalls: 2,
			script: []ststest.Answer{throttle, throttle}, wantErr: "(overall deadline reached): Throttling", wantHint: "shares one STS request rate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.script...)
			env := gitlabEnv(t, nil)
			if tc.env != nil {
				env = tc.env(t)
			}
			dotenv := filepath.Join(t.TempDir(), "aws.env")
			args := append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--dotenv-file", dotenv}, tc.args...)
			r := run(t, env, args...)
			if r.code != tc.wantCode {
				t.Errorf("exit = %d, want %d", r.code, tc.wantCode)
			}
			if !strings.Contains(r.stderr, "error: ") || !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("stderr lacks %q", tc.wantErr)
			}
			if tc.wantHint != "" && (!strings.Contains(r.stderr, "hint: ") || !strings.Contains(r.stderr, tc.wantHint)) {
				t.Errorf("stderr lacks hint %q", tc.wantHint)
			}
			if got := len(srv.Requests()); got != tc.wantCalls {
				t.Errorf("STS calls = %d, want %d", got, tc.wantCalls)
			}
			if _, err := os.Stat(dotenv); !os.IsNotExist(err) {
				t.Errorf("dotenv file exists after a failure")
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q after a failure", r.stdout)
			}
			assertNoSecrets(t, r.stdout+r.stderr, env)
		})
	}
}

func TestAssumeEnvironmentPrecedence(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := gitlabEnv(t, nil)
	env["AWS_OIDC_ROLE_ARN"] = ""                               // set but empty, as GitLab sets an empty input
	env["ROLE_ARN"] = "arn:aws:iam::123456789012:role/from-env" // so the next variable counts
	env["AWS_OIDC_OUTPUT"] = "shell"
	env["AWS_OIDC_DURATION"] = "2h"
	env["AWS_REGION"] = ""
	env["AWS_DEFAULT_REGION"] = "eu-central-1"
	r := run(t, env, "assume", "--sts-endpoint", srv.URL, "--duration", "30m")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	got := srv.Requests()[0]
	if got.RoleARN != env["ROLE_ARN"] || got.DurationSeconds != "1800" {
		t.Errorf("role %q duration %q, want $ROLE_ARN and the flag's 1800", got.RoleARN, got.DurationSeconds)
	}
	if !strings.Contains(r.stdout, "export AWS_REGION='eu-central-1'") {
		t.Error("region not from $AWS_DEFAULT_REGION (stdout not shown: it holds the credentials)")
	}
}

func TestAssumeSessionNameRewritten(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := gitlabEnv(t, nil)
	r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", "json", "--session-name", "deploy main; rm -rf /")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if got := srv.Requests()[0].RoleSessionName; got != "deploy-main--rm--rf--" {
		t.Errorf("session name = %q", got)
	}
	if !strings.Contains(r.stderr, "rewritten") {
		t.Errorf("rewrite not logged")
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "aws-oidc ") {
		t.Errorf("version: exit %d, %q", r.code, r.stdout)
	}
}
