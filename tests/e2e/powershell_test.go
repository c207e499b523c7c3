package e2e

import (
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// testPowerShell runs --output powershell against the peer and hands what
// a PowerShell job's Invoke-Expression would set to the AWS CLI. No
// PowerShell runs here (none is packaged for this machine): the lines are
// read by PowerShell's rules for single-quoted strings, which
// src/internal/output tests with hostile values.
func testPowerShell(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
	r := Run(t, leaks, Command{Name: "aws-oidc --output powershell", Path: b.Bin.AWSOIDC, NetNS: b.NetNS, Dir: t.TempDir(),
		Env: JobEnv(t.TempDir(), token), StdoutHoldsSecrets: true,
		Args: []string{"assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS, "--output", "powershell"}})
	if r.ExitCode != 0 {
		t.Fatalf("aws-oidc assume --output powershell exited %d", r.ExitCode)
	}
	env := BaseEnv(t.TempDir())
	for _, line := range strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "$env:")
		name, quoted, ok2 := strings.Cut(rest, " = '")
		value, ok3 := strings.CutSuffix(quoted, "'")
		if !ok || !ok2 || !ok3 {
			t.Fatalf("not a $env: assignment: %q", leaks.Redact(line))
		}
		value = strings.ReplaceAll(value, "''", "'")
		if strings.HasSuffix(name, "AWS_SECRET_ACCESS_KEY") || strings.HasSuffix(name, "AWS_SESSION_TOKEN") {
			leaks.Secret(name, value)
		}
		env = append(env, name+"="+value)
	}
	if len(env) != len(BaseEnv(""))+len(credentialKeys) {
		t.Errorf("%d assignments, want %d", len(env)-len(BaseEnv("")), len(credentialKeys))
	}
	checkIdentity(t, b, leaks, env, "deploy")
}
