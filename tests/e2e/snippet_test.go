package e2e

import (
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// testGuideSnippet is the baseline: the command GitLab's guide gives users,
// run with the same token against the same peer, must get credentials that
// the AWS CLI can then use. If it fails, the bed is wrong, not aws-oidc.
func testGuideSnippet(t *testing.T, b *Bed) {
	leaks := harness.NewLeaks(t, b.Leaks)
	token := b.Mint(t, leaks, fakegitlab.Options{})
	// The snippet prints the credentials by design, so its stdout is not
	// scanned; its stderr is.
	r := Run(t, leaks, Command{Name: "guide snippet", Path: AWSCLI, NetNS: b.NetNS, Env: Env(BaseEnv(t.TempDir()), "AWS_REGION", "us-east-1"),
		StdoutHoldsSecrets: true,
		Args: []string{"--endpoint-url", b.STS, "sts", "assume-role-with-web-identity",
			"--role-arn", b.Roles.Deploy, "--role-session-name", "GitLabRunner-22-1001-2002",
			"--web-identity-token", token, "--duration-seconds", "3600",
			"--query", "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]", "--output", "text"}})
	if r.ExitCode != 0 {
		t.Fatalf("the guide's snippet failed (exit %d): %s", r.ExitCode, r.Stderr)
	}
	fields := strings.Fields(r.Stdout)
	if len(fields) != 3 {
		t.Fatalf("the guide's snippet printed %d fields, want 3 (key id, secret, session token)", len(fields))
	}
	leaks.Secret("secret access key", fields[1])
	leaks.Secret("session token", fields[2])
	later := Env(BaseEnv(t.TempDir()), "AWS_ACCESS_KEY_ID", fields[0], "AWS_SECRET_ACCESS_KEY", fields[1],
		"AWS_SESSION_TOKEN", fields[2], "AWS_REGION", "us-east-1")
	checkIdentity(t, b, leaks, later, "deploy")
	checkS3(t, b, leaks, later, "snippet-"+randomHex(t, 4))
}

// checkIdentity asks STS who the credentials in env belong to.
func checkIdentity(t *testing.T, b *Bed, leaks *harness.Leaks, env []string, role string) {
	t.Helper()
	r := b.AWS(t, leaks, env, "--endpoint-url", b.STS, "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if r.ExitCode != 0 {
		t.Fatalf("aws sts get-caller-identity failed (exit %d): %s", r.ExitCode, r.Stderr)
	}
	if !strings.Contains(r.Stdout, ":assumed-role/"+role+"/") {
		t.Errorf("get-caller-identity = %q, want the assumed role %q", strings.TrimSpace(r.Stdout), role)
	}
}

// checkS3 makes a bucket, puts an object and lists it with the credentials
// in env: what a deploy job does.
func checkS3(t *testing.T, b *Bed, leaks *harness.Leaks, env []string, bucket string) {
	t.Helper()
	dir := t.TempDir()
	if err := writeFile(dir+"/hello.txt", "hello from a later job\n"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"s3", "mb", "s3://" + bucket},
		{"s3", "cp", dir + "/hello.txt", "s3://" + bucket + "/hello.txt"},
		{"s3", "ls", "s3://" + bucket},
	} {
		r := b.AWS(t, leaks, env, append([]string{"--endpoint-url", b.S3}, args...)...)
		if r.ExitCode != 0 {
			t.Fatalf("aws %s failed (exit %d): %s", strings.Join(args, " "), r.ExitCode, r.Stderr)
		}
		if args[1] == "ls" && !strings.Contains(r.Stdout, "hello.txt") {
			t.Errorf("aws s3 ls = %q, want hello.txt listed", r.Stdout)
		}
	}
}

// runCases runs every case against one bed. The cases share the bed and run
// in parallel; the bed is torn down when all of them are done.
func runCases(t *testing.T, b *Bed) {
	t.Run("guide_snippet", func(t *testing.T) { t.Parallel(); testGuideSnippet(t, b) })
	t.Run("dotenv", func(t *testing.T) { testDotenv(t, b) })
	t.Run("prefix_two_roles", func(t *testing.T) { testPrefix(t, b) })
	t.Run("credential_process", func(t *testing.T) { testCredentialProcess(t, b) })
	t.Run("github", func(t *testing.T) { testGitHub(t, b) })
	t.Run("shell_eval", func(t *testing.T) { testShell(t, b) })
	t.Run("debug_verify", func(t *testing.T) { testDebugVerify(t, b) })
	t.Run("refusal", func(t *testing.T) { testRefusals(t, b) })
	t.Run("many", func(t *testing.T) { runManyCases(t, b) })
	t.Run("proxy", func(t *testing.T) { testProxy(t, b) })
	t.Run("powershell", func(t *testing.T) { testPowerShell(t, b) })
	t.Run("cleanup", func(t *testing.T) { testCleanup(t, b) })
}
