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

// TestDoctor runs `aws-oidc doctor --role-arn` against VersityGW, which
// verifies tokens for real: once healthy, once for a job of another project
// and branch, where the doctor must explain the peer's refusal and, given
// the role's trust policy, name the condition that failed. It has a bed of
// its own so that it does not touch the shared cases' runner.
func TestDoctor(t *testing.T) {
	t.Parallel()
	leaks := harness.NewLeaks(t, nil)
	b := StartVersity(t, leaks, bin, 5)

	host := strings.TrimPrefix(b.Issuer.URL, "https://")
	// The deploy role's trust policy, as `aws iam get-role` would show it.
	policy := filepath.Join(t.TempDir(), "trust.json")
	doc := trustPolicy("arn:aws:iam::"+b.Account+":oidc-provider/"+host, host+":sub", Subject, host+":aud", b.Issuer.URL)
	if err := os.WriteFile(policy, []byte(mustJSON(doc)), 0o600); err != nil {
		t.Fatal(err)
	}
	doctor := func(t *testing.T, token string) Result {
		return b.Tool(t, leaks, t.TempDir(), JobEnv(t.TempDir(), token), "doctor",
			"--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS, "--ca-bundle", b.CAFile, "--trust-policy", policy)
	}

	t.Run("healthy", func(t *testing.T) {
		t.Parallel()
		leaks := harness.NewLeaks(t, leaks)
		r := doctor(t, b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour}))
		if r.ExitCode != 0 {
			t.Errorf("exit code = %d, want 0", r.ExitCode)
		}
		for _, want := range []string{"ok    token", "ok    issuer", "ok    tls", "ok    keys",
			// 198.18.0.0/15 is not routable on the internet: AWS could not
			// reach this issuer, VersityGW in the namespace can.
			"warn  reachability", "a benchmarking address",
			"ok    trust-policy", "ok    role", "STS accepted the token"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("doctor's report lacks %q:\n%s", want, leaks.Redact(r.Stdout))
			}
		}
	})

	t.Run("other_project_and_branch", func(t *testing.T) {
		t.Parallel()
		leaks := harness.NewLeaks(t, leaks)
		r := doctor(t, b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour, ProjectPath: "othergroup/otherproject", Ref: "feature"}))
		if r.ExitCode != exitRefused {
			t.Errorf("exit code = %d, want %d", r.ExitCode, exitRefused)
		}
		// VersityGW answers InvalidIdentityToken where AWS says
		// AccessDenied; with the trust policy the doctor still names the
		// condition.
		for _, want := range []string{"fail  trust-policy", "fail  role", "cause: trust-policy",
			`StringEquals "` + host + `:sub" is "` + Subject + `" but the token's sub is "project_path:othergroup/otherproject:ref_type:branch:ref:feature"`} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("doctor's report lacks %q:\n%s", want, leaks.Redact(r.Stdout))
			}
		}
		if !strings.Contains(r.Stderr, "error: ") || !strings.Contains(r.Stderr, "hint: ") {
			t.Errorf("stderr has no `error:` and `hint:` lines:\n%s", leaks.Redact(r.Stderr))
		}
	})
}

// TestDoctorSeaweedFS runs the doctor against SeaweedFS, whose issuer is
// plain http on loopback (AWS would refuse it: the doctor says so) and
// whose STS answers a failed trust condition with AccessDenied, as AWS
// does: the refusal is explained with the sub the policy must match.
func TestDoctorSeaweedFS(t *testing.T) {
	t.Parallel()
	leaks := harness.NewLeaks(t, nil)
	b := StartSeaweedFS(t, leaks, bin, 6)
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour, ProjectPath: "othergroup/otherproject", Ref: "feature"})
	r := b.Tool(t, leaks, t.TempDir(), JobEnv(t.TempDir(), token), "doctor", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS)
	if r.ExitCode != exitRefused {
		t.Errorf("exit code = %d, want %d", r.ExitCode, exitRefused)
	}
	host := strings.TrimPrefix(b.Issuer.URL, "http://")
	for _, want := range []string{"ok    token", "fail  issuer", "AWS accepts only https issuers", "fail  tls",
		"ok    keys", "a loopback address", "fail  role", "cause: trust-policy",
		`"` + host + `:sub" = "project_path:othergroup/otherproject:ref_type:branch:ref:feature"`} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("doctor's report lacks %q:\n%s", want, leaks.Redact(r.Stdout))
		}
	}
}
