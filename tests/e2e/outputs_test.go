package e2e

import (
	"encoding/json"
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

// testPrefix assumes two roles into one dotenv file with --prefix, the way
// the component is included twice, and uses each set in a later job.
func testPrefix(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	dir := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
	roles := map[string]string{"DEPLOY_": b.Roles.Deploy, "READONLY_": b.Roles.Readonly}
	for _, prefix := range []string{"DEPLOY_", "READONLY_"} {
		r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token),
			"assume", "--role-arn", roles[prefix], "--sts-endpoint", b.STS, "--prefix", prefix)
		if r.ExitCode != 0 {
			t.Fatalf("aws-oidc assume --prefix %s exited %d", prefix, r.ExitCode)
		}
	}
	vars := readDotenv(t, leaks, filepath.Join(dir, "aws.env"))
	var want []string
	for _, prefix := range []string{"DEPLOY_", "READONLY_"} {
		for _, k := range credentialKeys {
			want = append(want, prefix+k)
		}
	}
	if diff := cmp.Diff(want, keys(vars)); diff != "" {
		t.Errorf("dotenv variables (-want +got):\n%s", diff)
	}
	checkIdentity(t, b, leaks, laterJob(t, vars, "DEPLOY_"), "deploy")
	checkIdentity(t, b, leaks, laterJob(t, vars, "READONLY_"), "readonly")
}

// credentialProcess is the JSON the AWS CLI reads from a credential_process.
type credentialProcess struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

// testCredentialProcess checks --output json, then lets the AWS CLI run
// aws-oidc itself as the credential_process of a profile.
func testCredentialProcess(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	home := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
	args := []string{"assume", "--output", "json", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS}
	env := Env(BaseEnv(home), "AWS_OIDC_TOKEN", token)

	r := Run(t, leaks, Command{Name: "aws-oidc --output json", Path: b.Bin.AWSOIDC, Args: args, Env: env,
		NetNS: b.NetNS, Dir: t.TempDir(), StdoutHoldsSecrets: true})
	if r.ExitCode != 0 {
		t.Fatalf("aws-oidc assume --output json exited %d", r.ExitCode)
	}
	var got credentialProcess
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
		t.Fatalf("stdout is not credential_process JSON: %v", err)
	}
	leaks.Secret("secret access key", got.SecretAccessKey)
	leaks.Secret("session token", got.SessionToken)
	if _, err := time.Parse(time.RFC3339, got.Expiration); got.Version != 1 || got.AccessKeyID == "" || err != nil {
		t.Errorf("credential_process JSON: Version %d, AccessKeyId set %v, Expiration %q", got.Version, got.AccessKeyID != "", got.Expiration)
	}

	config := filepath.Join(home, "config")
	profile := fmt.Sprintf("[profile oidc]\ncredential_process = %s %s\nregion = us-east-1\n", b.Bin.AWSOIDC, strings.Join(args, " "))
	if err := os.WriteFile(config, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	checkIdentity(t, b, leaks, Env(env, "AWS_CONFIG_FILE", config, "AWS_PROFILE", "oidc"), "deploy")
}

// testGitHub runs the tool as a GitHub Actions step: it requests its own
// token from the (fake) token endpoint, masks the secrets, and exports to
// GITHUB_ENV and GITHUB_OUTPUT.
func testGitHub(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	leaks.Secret("GitHub request token", b.GitHubRequestToken)
	home := t.TempDir()
	githubEnv, githubOutput := filepath.Join(home, "github_env"), filepath.Join(home, "github_output")
	for _, f := range []string{githubEnv, githubOutput} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := Env(BaseEnv(home), "GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "9001", "GITHUB_REPOSITORY", "mygroup/myproject",
		"ACTIONS_ID_TOKEN_REQUEST_URL", b.GitHubTokenURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN", b.GitHubRequestToken,
		"GITHUB_ENV", githubEnv, "GITHUB_OUTPUT", githubOutput)
	if b.CAFile != "" {
		// A private CA, as on GitHub Enterprise Server behind one.
		env = Env(env, "SSL_CERT_FILE", b.CAFile)
	}
	// Mask commands print the secrets by design: the scan reads stdout
	// without them.
	r := Run(t, leaks, Command{Name: "aws-oidc (GitHub)", Path: b.Bin.AWSOIDC, Env: env, NetNS: b.NetNS, Dir: t.TempDir(),
		StdoutHoldsSecrets: true, Args: []string{"assume", "--role-arn", b.Roles.GitHub, "--sts-endpoint", b.STS}})
	b.MintedGitHubTokens(leaks)
	masked := map[string]bool{}
	var rest []string
	for _, line := range strings.Split(r.Stdout, "\n") {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
			masked[v] = true
			continue
		}
		rest = append(rest, line)
	}
	leaks.Output("aws-oidc (GitHub) stdout without ::add-mask:: lines", strings.Join(rest, "\n"))
	if r.ExitCode != 0 {
		t.Fatalf("aws-oidc assume in GitHub Actions exited %d", r.ExitCode)
	}
	vars := readGitHubFile(t, githubEnv)
	for _, k := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		leaks.Secret(k, vars[k])
		if !masked[vars[k]] {
			t.Errorf("%s was exported without ::add-mask:: first", k)
		}
	}
	outputs := readGitHubFile(t, githubOutput)
	if outputs["aws-account-id"] != b.Account || outputs["aws-role-arn"] != b.Roles.GitHub {
		t.Errorf("GITHUB_OUTPUT aws-account-id = %q, aws-role-arn = %q; want %q, %q",
			outputs["aws-account-id"], outputs["aws-role-arn"], b.Account, b.Roles.GitHub)
	}
	later := BaseEnv(t.TempDir())
	for _, k := range credentialKeys {
		later = append(later, k+"="+vars[k])
	}
	checkIdentity(t, b, leaks, later, "github")
}

// readGitHubFile parses GITHUB_ENV or GITHUB_OUTPUT as the runner does:
// NAME=value lines, or NAME<<DELIMITER, the value lines, DELIMITER.
func readGitHubFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var value []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				value = append(value, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("%s: delimiter %q of %s never closes", filepath.Base(path), delim, name)
			}
			vars[name] = strings.Join(value, "\n")
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line %d is neither NAME=value nor NAME<<DELIMITER", filepath.Base(path), i+1)
		}
		vars[name] = value
	}
	return vars
}

// testShell evaluates --output shell in a POSIX shell, as a user does outside
// CI, and calls STS from that same shell.
func testShell(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	token := b.Mint(t, leaks, fakegitlab.Options{})
	script := fmt.Sprintf(`set -e
eval "$(%s assume --output shell --role-arn %s --sts-endpoint %s)"
%s --endpoint-url %s sts get-caller-identity --query Arn --output text`, b.Bin.AWSOIDC, b.Roles.Deploy, b.STS, AWSCLI, b.STS)
	r := Run(t, leaks, Command{Name: "sh (eval aws-oidc --output shell)", Path: "/bin/sh", Args: []string{"-c", script},
		Env: Env(BaseEnv(t.TempDir()), "AWS_OIDC_TOKEN", token), NetNS: b.NetNS, Dir: t.TempDir()})
	if r.ExitCode != 0 {
		t.Fatalf("eval of --output shell, then aws sts get-caller-identity, exited %d", r.ExitCode)
	}
	if !strings.Contains(r.Stdout, ":assumed-role/deploy/") {
		t.Errorf("get-caller-identity = %q, want the assumed role deploy", strings.TrimSpace(r.Stdout))
	}
}
