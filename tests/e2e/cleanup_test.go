package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// testCleanup is a shell executor's job that writes a profile into the
// user's own AWS files and a token file into the build folder, then runs
// `aws-oidc cleanup` with the same variables, as the credentials
// component's after_script does. The AWS CLI reads the files before,
// between and after: the profile works, then it is gone, and the user's
// own profiles read as before, byte for byte.
func testCleanup(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
	home := t.TempDir()
	awsDir := filepath.Join(home, ".aws")
	if err := os.MkdirAll(awsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	config, creds := filepath.Join(awsDir, "config"), filepath.Join(awsDir, "credentials")
	const userConfig = "# the runner's own\n[default]\nregion = eu-west-1\n\n[profile other] # keep\noutput = json\nregion = eu-central-1\n"
	const userCreds = "[other]\naws_access_key_id = AKIAEXAMPLEOTHER\naws_secret_access_key = not-a-real-secret\n"
	for path, content := range map[string]string{config: userConfig, creds: userCreds} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The job's variables: the files are the user's ~/.aws ones.
	job := Env(JobEnv(home, token), "AWS_CONFIG_FILE", config, "AWS_SHARED_CREDENTIALS_FILE", creds, "AWS_OIDC_PROFILE", "ci")
	cli := Env(BaseEnv(home), "AWS_CONFIG_FILE", config, "AWS_SHARED_CREDENTIALS_FILE", creds)
	profiles := func() string {
		t.Helper()
		r := b.AWS(t, leaks, cli, "configure", "list-profiles")
		if r.ExitCode != 0 {
			t.Fatalf("aws configure list-profiles exited %d: %s", r.ExitCode, r.Stderr)
		}
		return strings.Join(strings.Fields(r.Stdout), " ")
	}
	if got := profiles(); got != "default other" {
		t.Fatalf("profiles before: %q", got)
	}

	build := t.TempDir()
	if r := b.Tool(t, leaks, build, job, "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS); r.ExitCode != 0 {
		t.Fatalf("assume --profile exited %d", r.ExitCode)
	}
	if r := b.Tool(t, leaks, build, Env(JobEnv(home, token), "AWS_OIDC_OUTPUT", "token-file"), "assume",
		"--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS); r.ExitCode != 0 {
		t.Fatalf("assume --output token-file exited %d", r.ExitCode)
	}
	leakCredentialsFile(t, leaks, creds)
	if got := profiles(); got != "default other ci" {
		t.Errorf("profiles after assume: %q, want ci added", got)
	}
	checkIdentity(t, b, leaks, Env(cli, "AWS_PROFILE", "ci"), "deploy")
	if _, err := os.Stat(filepath.Join(build, ".aws-oidc", "web-identity-token")); err != nil {
		t.Fatalf("no token file: %v", err)
	}

	// after_script: the same variables, no token needed.
	for _, env := range [][]string{job, Env(BaseEnv(home), "GITLAB_CI", "true", "AWS_OIDC_OUTPUT", "token-file")} {
		if r := b.Tool(t, leaks, build, env, "cleanup"); r.ExitCode != 0 {
			t.Fatalf("cleanup exited %d", r.ExitCode)
		}
	}
	if got := profiles(); got != "default other" {
		t.Errorf("profiles after cleanup: %q, want the user's two", got)
	}
	for path, want := range map[string]string{config: userConfig, creds: userCreds} {
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Errorf("%s after cleanup:\n%s\nwant it as it was:\n%s", filepath.Base(path), leaks.Redact(string(got)), want)
		}
	}
	r := b.AWS(t, leaks, cli, "--profile", "other", "configure", "get", "region")
	if strings.TrimSpace(r.Stdout) != "eu-central-1" {
		t.Errorf("aws --profile other configure get region = %q", strings.TrimSpace(r.Stdout))
	}
	if r := b.AWS(t, leaks, Env(cli, "AWS_PROFILE", "ci"), "--endpoint-url", b.STS, "sts", "get-caller-identity"); r.ExitCode == 0 {
		t.Error("profile ci still works after cleanup")
	}
	if entries, _ := os.ReadDir(build); len(entries) != 0 {
		t.Errorf("the build folder still holds %d entries (want .aws-oidc and the token gone)", len(entries))
	}
}

// leakCredentialsFile registers the secrets of a credentials file.
func leakCredentialsFile(t *testing.T, leaks *harness.Leaks, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if ok && (k == "aws_secret_access_key" || k == "aws_session_token") && v != "not-a-real-secret" {
			leaks.Secret(k, v)
		}
	}
}
