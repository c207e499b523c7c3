package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"

	"github.com/google/go-cmp/cmp"
	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
)

// runManyCases are issue 6's cases: several roles from one token, role
// chaining, exec, the token file, and the access checks.
func runManyCases(t *testing.T, b *Bed) {
	t.Run("roles_as_prefixes", func(t *testing.T) { testRolesPrefixes(t, b) })
	t.Run("roles_as_profiles", func(t *testing.T) { testRolesProfiles(t, b) })
	t.Run("roles_one_fails", func(t *testing.T) { testRolesOneFails(t, b) })
	t.Run("chain", func(t *testing.T) { testChain(t, b) })
	t.Run("exec", func(t *testing.T) { testExec(t, b) })
	t.Run("token_file", func(t *testing.T) { testTokenFile(t, b) })
	t.Run("check_s3", func(t *testing.T) { testCheckS3(t, b) })
	t.Run("allowed_account", func(t *testing.T) { testAllowedAccount(t, b) })
}

// threeRoles is a --roles file with the bed's three trusted roles, each
// either with a prefix or with a profile.
func threeRoles(t *testing.T, b *Bed, profiles bool) string {
	t.Helper()
	var s strings.Builder
	for _, r := range []struct{ name, arn string }{{"deploy", b.Roles.Deploy}, {"readonly", b.Roles.Readonly}, {"audit", b.Roles.Audit}} {
		fmt.Fprintf(&s, "- name: %s\n  role_arn: %s\n", r.name, r.arn)
		if profiles {
			fmt.Fprintf(&s, "  profile: %s\n", r.name)
		}
	}
	path := filepath.Join(t.TempDir(), "roles.yml")
	if err := os.WriteFile(path, []byte(s.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testRolesPrefixes assumes three roles concurrently from one token into
// one dotenv report, each under its own prefix, and a later job uses each.
func testRolesPrefixes(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	dir := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
	roles := threeRoles(t, b, false)
	r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--roles", roles, "--sts-endpoint", b.STS)
	for _, name := range []string{"deploy", "readonly", "audit"} {
		if !strings.Contains(r.Stderr, fmt.Sprintf("role %q: assumed", name)) {
			t.Errorf("no result line for role %q", name)
		}
	}
	var vars map[string]string
	if b.Peer == "seaweedfs" {
		// SeaweedFS's session tokens are JWTs of about 2 KB: three of them
		// do not fit GitLab's default dotenv_size, and the whole file is
		// refused before anything is written. The same roles then go to
		// shell export lines.
		if r.ExitCode != exitInvalidInput || !strings.Contains(r.Stderr, "smaller than 5120 bytes") {
			t.Fatalf("exit code = %d, want %d for a dotenv over 5120 bytes", r.ExitCode, exitInvalidInput)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("the refused run left %d files in the job folder, want none", len(entries))
		}
		r = Run(t, leaks, Command{Name: "aws-oidc --roles -o shell", Path: b.Bin.AWSOIDC, NetNS: b.NetNS, Dir: dir, StdoutHoldsSecrets: true,
			Env: JobEnv(t.TempDir(), token), Args: []string{"assume", "--roles", roles, "--sts-endpoint", b.STS, "-o", "shell"}})
		vars = exportsOf(t, r.Stdout)
		for k, v := range vars {
			if strings.HasSuffix(k, "AWS_SECRET_ACCESS_KEY") || strings.HasSuffix(k, "AWS_SESSION_TOKEN") {
				leaks.Secret(k, v)
			}
		}
	} else {
		if r.ExitCode != 0 {
			t.Fatalf("aws-oidc assume --roles exited %d", r.ExitCode)
		}
		vars = readDotenv(t, leaks, filepath.Join(dir, "aws.env"))
	}
	var want []string
	for _, prefix := range []string{"AUDIT_", "DEPLOY_", "READONLY_"} {
		for _, k := range credentialKeys {
			want = append(want, prefix+k)
		}
	}
	if diff := cmp.Diff(want, keys(vars)); diff != "" {
		t.Errorf("dotenv variables (-want +got):\n%s", diff)
	}
	checkIdentity(t, b, leaks, laterJob(t, vars, "DEPLOY_"), "deploy")
	checkIdentity(t, b, leaks, laterJob(t, vars, "READONLY_"), "readonly")
	checkIdentity(t, b, leaks, laterJob(t, vars, "AUDIT_"), "audit")
}

// testRolesProfiles writes the three roles as profiles, and the AWS CLI
// uses each with --profile.
func testRolesProfiles(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	dir := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
	// The folder aws/ does not exist: aws-oidc makes it, 0700.
	r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--roles", threeRoles(t, b, true), "--sts-endpoint", b.STS,
		"--aws-config-file", "aws/config", "--aws-credentials-file", "aws/credentials", "--max-parallel", "3")
	if r.ExitCode != 0 {
		t.Fatalf("aws-oidc assume --roles with profiles exited %d", r.ExitCode)
	}
	if info, err := os.Stat(filepath.Join(dir, "aws")); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("folder aws: %v, want one made with mode 0700", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "aws.env")); err == nil {
		t.Errorf("aws.env written although every role went to a profile")
	}
	config, credentials := filepath.Join(dir, "aws", "config"), filepath.Join(dir, "aws", "credentials")
	for _, f := range []string{config, credentials} {
		if info, err := os.Stat(f); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, want a 0600 file", filepath.Base(f), err)
		}
	}
	registerProfileSecrets(t, leaks, credentials)
	env := Env(BaseEnv(t.TempDir()), "AWS_CONFIG_FILE", config, "AWS_SHARED_CREDENTIALS_FILE", credentials)
	for _, name := range []string{"deploy", "readonly", "audit"} {
		checkIdentity(t, b, leaks, Env(env, "AWS_PROFILE", name), name)
	}
}

// registerProfileSecrets registers the secrets of a credentials file.
func registerProfileSecrets(t *testing.T, leaks *harness.Leaks, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, " = ")
		if ok && (k == "aws_secret_access_key" || k == "aws_session_token") {
			leaks.Secret(k, v)
		}
	}
}

// testRolesOneFails: one role of three does not exist, so nothing at all is
// written and the failing role is named.
func testRolesOneFails(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	dir := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{})
	roles := filepath.Join(t.TempDir(), "roles.json")
	data := fmt.Sprintf(`[{"name":"deploy","role_arn":%q},{"name":"ghost","role_arn":%q},{"name":"audit","role_arn":%q,"profile":"audit"}]`,
		b.Roles.Deploy, b.Roles.Unknown, b.Roles.Audit)
	if err := os.WriteFile(roles, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--roles", roles, "--sts-endpoint", b.STS)
	if r.ExitCode != exitRefused {
		t.Errorf("exit code = %d, want %d", r.ExitCode, exitRefused)
	}
	for _, want := range []string{"1 of 3 roles failed, so nothing was written", `role "ghost" (` + b.Roles.Unknown + `)`, `hint: role "ghost"`} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the failed run left %d files in the job folder (first %q), want none", len(entries), entries[0].Name())
	}
}

// testChain assumes the deploy role, then AssumeRole into the chained role
// with session tags from the token's claims. SeaweedFS implements
// AssumeRole (it ignores tags and external ids); VersityGW v1.8.0 has no
// AssumeRole, so there the test proves the refusal is reported and nothing
// is written.
func testChain(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	dir := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
	r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS,
		"--chain-role-arn", b.Roles.Chained, "--tags-from-claims", "--tag", "team=payments", "--transitive-tag-key", "project_path",
		"--external-id", "tenant-42", "--duration", "2h")
	if b.Peer == "versitygw" {
		if r.ExitCode != exitRefused || !strings.Contains(r.Stderr, "chained hop 1") || !strings.Contains(hintOf(r.Stderr), "does not implement AssumeRole") {
			t.Errorf("exit code = %d, want %d, the failed hop named and a hint that this STS has no AssumeRole", r.ExitCode, exitRefused)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("the failed run left files in the job folder")
		}
		return
	}
	if r.ExitCode != 0 {
		t.Fatalf("aws-oidc assume --chain-role-arn exited %d", r.ExitCode)
	}
	if !strings.Contains(r.Stderr, "clamped to 1h0m0s") {
		t.Errorf("the chained duration was not clamped with a warning")
	}
	vars := readDotenv(t, leaks, filepath.Join(dir, "aws.env"))
	exp, err := time.Parse(time.RFC3339, vars["AWS_CREDENTIAL_EXPIRATION"])
	if err != nil || time.Until(exp) > time.Hour+time.Minute {
		t.Errorf("chained session expires at %s (%v), want within the hour", vars["AWS_CREDENTIAL_EXPIRATION"], err)
	}
	checkIdentity(t, b, leaks, laterJob(t, vars, ""), "chained")
}

// testExec runs the AWS CLI under aws-oidc exec: the child has the
// credentials, its exit code comes through, and nothing is written.
func testExec(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	dir := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{})
	r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "exec", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS, "--",
		AWSCLI, "--endpoint-url", b.STS, "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if r.ExitCode != 0 {
		t.Fatalf("aws-oidc exec exited %d", r.ExitCode)
	}
	if !strings.Contains(r.Stdout, ":assumed-role/deploy/") {
		t.Errorf("the child saw identity %q, want the deploy role", strings.TrimSpace(r.Stdout))
	}
	r = b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "exec", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS, "--",
		"/bin/sh", "-c", `test -n "$AWS_SESSION_TOKEN" && exit 3`)
	if r.ExitCode != 3 {
		t.Errorf("exit code = %d, want the child's 3", r.ExitCode)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("exec left %d files in the job folder (first %q), want none", len(entries), entries[0].Name())
	}
}

// testTokenFile writes the job's token for the SDKs, and the AWS CLI
// assumes the role with it on its own. The CLI here (2.9) cannot be pointed
// at another STS by variable, so an endpoint rule set in AWS_DATA_PATH sends
// its STS calls to the peer.
func testTokenFile(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	dir := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
	r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS, "-o", "token-file")
	if r.ExitCode != 0 {
		t.Fatalf("aws-oidc assume -o token-file exited %d", r.ExitCode)
	}
	exports := exportsOf(t, r.Stdout)
	path := filepath.Join(dir, ".aws-oidc", "web-identity-token")
	if exports["AWS_WEB_IDENTITY_TOKEN_FILE"] != path || exports["AWS_ROLE_ARN"] != b.Roles.Deploy {
		t.Errorf("exports = %v, want the token file %s and the role", exports, path)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, want a 0600 file", err)
	}
	env := Env(BaseEnv(t.TempDir()), "AWS_DATA_PATH", stsDataPath(t, b.STS))
	for _, k := range []string{"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_REGION"} {
		env = Env(env, k, exports[k])
	}
	checkIdentity(t, b, leaks, env, "deploy")

	r = b.Tool(t, leaks, t.TempDir(), JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS,
		"-o", "token-file", "-o", "dotenv")
	if r.ExitCode != exitInvalidInput || !strings.Contains(r.Stderr, "job-scoped") {
		t.Errorf("token-file with dotenv: exit %d, want %d and the reason", r.ExitCode, exitInvalidInput)
	}
}

// stsDataPath is an AWS_DATA_PATH whose STS endpoint rule set answers url
// for every request.
func stsDataPath(t *testing.T, url string) string {
	t.Helper()
	dir := t.TempDir()
	ruleset := `{"version":"1.0","parameters":{
  "Region":{"builtIn":"AWS::Region","required":false,"type":"String"},
  "UseDualStack":{"builtIn":"AWS::UseDualStack","required":true,"default":false,"type":"Boolean"},
  "UseFIPS":{"builtIn":"AWS::UseFIPS","required":true,"default":false,"type":"Boolean"},
  "Endpoint":{"builtIn":"SDK::Endpoint","required":false,"type":"String"},
  "UseGlobalEndpoint":{"builtIn":"AWS::STS::UseGlobalEndpoint","required":true,"default":false,"type":"Boolean"}},
 "rules":[{"conditions":[],"endpoint":{"url":"` + url + `","properties":{},"headers":{}},"type":"endpoint"}]}`
	sts := mkdir(t, filepath.Join(dir, "sts", "2011-06-15"))
	if err := os.WriteFile(filepath.Join(sts, "endpoint-rule-set-1.json"), []byte(ruleset), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testCheckS3 proves access to a bucket with the deploy role, and that a
// role without s3:ListBucket is refused with the permission named and
// nothing written.
func testCheckS3(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
	bucket := "check-" + randomHex(t, 4)
	dir := t.TempDir()
	r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS)
	if r.ExitCode != 0 {
		t.Fatalf("aws-oidc assume exited %d", r.ExitCode)
	}
	deploy := laterJob(t, readDotenv(t, leaks, filepath.Join(dir, "aws.env")), "")
	if r := b.AWS(t, leaks, deploy, "--endpoint-url", b.S3, "s3", "mb", "s3://"+bucket); r.ExitCode != 0 {
		t.Fatalf("aws s3 mb failed (exit %d): %s", r.ExitCode, r.Stderr)
	}

	dir = t.TempDir()
	r = b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.Readonly, "--sts-endpoint", b.STS,
		"--check-s3", "s3://"+bucket+"/app/", "--s3-endpoint", b.S3)
	if r.ExitCode != 0 || !strings.Contains(r.Stderr, "checked s3://"+bucket+"/app/") {
		t.Errorf("--check-s3 with a role that may list the bucket: exit %d", r.ExitCode)
	}
	readDotenv(t, leaks, filepath.Join(dir, "aws.env"))

	dir = t.TempDir()
	r = b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.NoS3, "--sts-endpoint", b.STS,
		"--check-s3", "s3://"+bucket, "--s3-endpoint", b.S3)
	if i := strings.LastIndex(r.Stderr, "error: "); i >= 0 {
		t.Logf("the peer refused with: %s", leaks.Redact(r.Stderr[i:]))
	}
	if r.ExitCode != exitRefused || !strings.Contains(hintOf(r.Stderr), "s3:ListBucket") {
		t.Errorf("--check-s3 with a role without S3: exit %d, want %d and a hint naming s3:ListBucket", r.ExitCode, exitRefused)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the refused check left %d files in the job folder, want none", len(entries))
	}
}

// testAllowedAccount: the role's account is allowed, or the run fails
// before anything is written.
func testAllowedAccount(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	token := b.Mint(t, leaks, fakegitlab.Options{})
	dir := t.TempDir()
	r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS,
		"--allowed-account", b.Account, "--verify")
	if r.ExitCode != 0 {
		t.Fatalf("--allowed-account %s exited %d", b.Account, r.ExitCode)
	}
	readDotenv(t, leaks, filepath.Join(dir, "aws.env"))

	dir = t.TempDir()
	r = b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS,
		"--allowed-account", "111111111111")
	if r.ExitCode != exitInvalidInput || !strings.Contains(r.Stderr, "is not allowed") || !strings.Contains(hintOf(r.Stderr), "--allowed-account") {
		t.Errorf("--allowed-account of another account: exit %d, want %d with the account named", r.ExitCode, exitInvalidInput)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the refused run left %d files in the job folder, want none", len(entries))
	}
}

// exportsOf reads `export K='v'` lines whose values need no unquoting
// (what aws-oidc prints for ARNs, paths and credentials).
func exportsOf(t *testing.T, stdout string) map[string]string {
	t.Helper()
	exports := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || !strings.HasPrefix(v, "'") || !strings.HasSuffix(v, "'") || strings.Count(v, "'") != 2 {
			t.Fatalf("stdout line %d is not a simple export line", len(exports)+1)
		}
		exports[k] = strings.Trim(v, "'")
	}
	return exports
}
