package e2e

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"

	"github.com/google/go-cmp/cmp"
	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
)

// credentialKeys are the variables a later job gets, per REFERENCE and issue 2.
var credentialKeys = []string{"AWS_ACCESS_KEY_ID", "AWS_CREDENTIAL_EXPIRATION", "AWS_DEFAULT_REGION",
	"AWS_REGION", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}

// readDotenv reads and checks the dotenv report, and registers its secrets.
func readDotenv(t *testing.T, leaks *harness.Leaks, path string) map[string]string {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no dotenv report: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("dotenv mode = %o, want 600", mode)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars, err := ParseDotenv(data)
	if err != nil {
		t.Fatalf("GitLab would reject %s: %v", filepath.Base(path), err)
	}
	for k, v := range vars {
		if strings.HasSuffix(k, "AWS_SECRET_ACCESS_KEY") || strings.HasSuffix(k, "AWS_SESSION_TOKEN") {
			leaks.Secret(k, v)
		}
	}
	return vars
}

// laterJob is the environment of a job that `needs:` the assume job: the
// dotenv's variables (with prefix stripped) and nothing else of AWS.
func laterJob(t *testing.T, vars map[string]string, prefix string) []string {
	t.Helper()
	env := BaseEnv(t.TempDir())
	for _, k := range credentialKeys {
		v, ok := vars[prefix+k]
		if !ok {
			t.Fatalf("dotenv has no %s%s", prefix, k)
		}
		env = append(env, k+"="+v)
	}
	return env
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// testDotenv is the main job: GITLAB_CI=true, the token in
// GITLAB_OIDC_TOKEN, aws.env written, and a later job using only it.
func testDotenv(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	dir := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
	r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS)
	if r.ExitCode != 0 {
		t.Fatalf("aws-oidc assume exited %d", r.ExitCode)
	}
	vars := readDotenv(t, leaks, filepath.Join(dir, "aws.env"))
	if diff := cmp.Diff(credentialKeys, keys(vars)); diff != "" {
		t.Errorf("dotenv variables (-want +got):\n%s", diff)
	}
	if _, err := time.Parse(time.RFC3339, vars["AWS_CREDENTIAL_EXPIRATION"]); err != nil {
		t.Errorf("AWS_CREDENTIAL_EXPIRATION is not RFC 3339: %v", err)
	}
	if vars["AWS_REGION"] != "us-east-1" || vars["AWS_DEFAULT_REGION"] != "us-east-1" {
		t.Errorf("region = %q/%q, want us-east-1", vars["AWS_REGION"], vars["AWS_DEFAULT_REGION"])
	}
	env := laterJob(t, vars, "")
	checkIdentity(t, b, leaks, env, "deploy")
	checkS3(t, b, leaks, env, "dotenv-"+randomHex(t, 4))
}

// testDebugVerify runs with --debug (more diagnostics, still no secret) and
// --verify (GetCallerIdentity with the new credentials before writing).
func testDebugVerify(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	dir := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{})
	r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token),
		"assume", "--debug", "--verify", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS)
	if r.ExitCode != 0 {
		t.Fatalf("aws-oidc assume --debug --verify exited %d", r.ExitCode)
	}
	readDotenv(t, leaks, filepath.Join(dir, "aws.env"))
}
