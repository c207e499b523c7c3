package hostile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
)

// TestBadAnswers: credentials that are expired, that expire long after the
// session asked for could last (a server clock a century ahead), that hold
// a line break, or
// an assumed-role ARN that forges log lines, from whichever call of the run
// (web identity, a chained hop, one role of several), are refused with exit
// 4 whatever the output format, and nothing is written.
func TestBadAnswers(t *testing.T) {
	t.Parallel()
	outputs := map[string][]string{
		"dotenv":  {"--output", "dotenv"},
		"shell":   {"--output", "shell"},
		"json":    {"--output", "json"},
		"github":  {"--output", "github"},
		"profile": {"--profile", "deploy"},
	}
	type tc struct {
		name     string
		plan     map[string]Behaviour
		args     []string
		wantHint string
	}
	var cases []tc
	for _, b := range []struct {
		name string
		b    Behaviour
		hint string
	}{{"expired", Expired, "clock"}, {"far_future", FarFuture, "clock is probably ahead"}, {"multi_line", MultiLine, "not usable credentials"}, {"forged_arn", ForgedARN, "not usable credentials"}} {
		for name, args := range outputs {
			cases = append(cases, tc{name: b.name + "_" + name, plan: map[string]Behaviour{"AssumeRoleWithWebIdentity": b.b}, args: args, wantHint: b.hint})
		}
		cases = append(cases,
			tc{name: b.name + "_chained_hop", plan: map[string]Behaviour{"AssumeRole": b.b}, args: []string{"--chain-role-arn", chainARN}, wantHint: b.hint},
			tc{name: b.name + "_many_roles", plan: map[string]Behaviour{"AssumeRoleWithWebIdentity": b.b}, args: []string{"--roles", "roles.yml"}, wantHint: b.hint},
		)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sts := NewSTS(t, c.plan)
			dir := t.TempDir()
			token := mint(t, fakegitlab.Options{})
			env := job(dir, token)
			env["GITHUB_ENV"], env["GITHUB_OUTPUT"] = filepath.Join(dir, "github_env"), filepath.Join(dir, "github_output")
			writeFile(t, env["GITHUB_ENV"], "")
			writeFile(t, env["GITHUB_OUTPUT"], "")
			writeFile(t, filepath.Join(dir, "roles.yml"), "- name: prod\n  role_arn: arn:aws:iam::111111111111:role/deploy\n- name: staging\n  role_arn: arn:aws:iam::222222222222:role/deploy\n")
			args := []string{"assume", "--sts-endpoint", sts.URL, "--region", "eu-west-1"}
			if !slices.Contains(c.args, "--roles") {
				args = append(args, "--role-arn", roleARN)
			}
			r := run(t, dir, env, 0, append(args, c.args...)...)
			secrets := map[string]string{"the ID token": token}
			for i, s := range sts.Secrets() {
				secrets["server secret "+string(rune('A'+i))] = s
			}
			if r.Code != exitRefused {
				t.Errorf("exit %d, want %d\n%s", r.Code, exitRefused, redacted(r, secrets))
			}
			if !strings.Contains(r.Stderr, c.wantHint) {
				t.Errorf("stderr does not say %q\n%s", c.wantHint, redacted(r, secrets))
			}
			assertNoSecret(t, texts(t, dir, r, false, "roles.yml"), secrets)
			assertNoForgedLine(t, "stderr", r.Stderr, secrets)
			assertNothingWritten(t, dir)
		})
	}
}

// TestHugeAnswer: an STS answer of 300 MB, under a memory limit a normal run
// fits in, ends in a clear refusal, not in the process being killed.
func TestHugeAnswer(t *testing.T) {
	t.Parallel()
	// Go reserves over a gigabyte of address space at start (a normal run
	// fails under 1200 MB on linux/amd64); 1800 MB leaves room for a normal
	// run and none for the old code, which read the whole 300 MB answer and
	// died of "out of memory" (2.1 GB measured without a limit).
	const limitMB = 1800
	dir := t.TempDir()
	token := mint(t, fakegitlab.Options{})
	ok := NewSTS(t, nil)
	if r := run(t, dir, job(dir, token), limitMB, "assume", "--sts-endpoint", ok.URL, "--role-arn", roleARN, "--output", "json"); r.Code != exitOK {
		t.Fatalf("a normal run does not fit in %d MB: exit %d\n%s", limitMB, r.Code, redacted(r, map[string]string{"the ID token": token}))
	}
	for _, op := range []string{"AssumeRoleWithWebIdentity", "GetCallerIdentity"} {
		t.Run(op, func(t *testing.T) {
			sts := NewSTS(t, map[string]Behaviour{op: Huge})
			dir := t.TempDir()
			r := run(t, dir, job(dir, token), limitMB, "assume", "--sts-endpoint", sts.URL, "--role-arn", roleARN, "--verify")
			secrets := map[string]string{"the ID token": token}
			for i, s := range sts.Secrets() {
				secrets["server secret "+string(rune('A'+i))] = s
			}
			if r.Code != exitRefused || !strings.Contains(r.Stderr, "longer than") {
				t.Errorf("exit %d, want %d with the answer's size named\n%s", r.Code, exitRefused, redacted(r, secrets))
			}
			if n := sts.Calls(op); n != 1 {
				t.Errorf("%s called %d times: an answer too large is not retried\n%s", op, n, redacted(r, secrets))
			}
			if _, err := os.Stat(filepath.Join(dir, "aws.env")); err == nil {
				t.Error("a refused run wrote aws.env")
			}
		})
	}
}

// TestProfileWithOutputs: --profile writes the profile, and every output
// --output asks for besides (the README: "No other output is written unless
// --output asks for one"); none was silently dropped.
func TestProfileWithOutputs(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	dir := t.TempDir()
	token := mint(t, fakegitlab.Options{})
	r := run(t, dir, job(dir, token), 0, "assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "--profile", "p", "-o", "shell", "-o", "dotenv")
	secrets := map[string]string{"the ID token": token}
	for i, s := range sts.Secrets() {
		secrets["server secret "+string(rune('A'+i))] = s
	}
	if r.Code != exitOK {
		t.Fatalf("exit %d\n%s", r.Code, redacted(r, secrets))
	}
	if !strings.Contains(r.Stdout, "export AWS_ACCESS_KEY_ID=") {
		t.Error("--output shell printed no exports")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "aws.env")); err != nil || !strings.Contains(string(b), "AWS_SESSION_TOKEN=") {
		t.Errorf("--output dotenv wrote no aws.env with the credentials (%v)", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".aws-oidc", "credentials")); err != nil || !strings.Contains(string(b), "[p]") {
		t.Errorf("--profile p wrote no profile (%v)", err)
	}
}

// TestRolesFailureSummaryLines: the --roles failure summary prints each
// failed role on a line of its own (our line breaks are lines, not a
// literal \n), while a server's line breaks inside a role's error stay
// escaped.
func TestRolesFailureSummaryLines(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, map[string]Behaviour{"AssumeRoleWithWebIdentity": Echo})
	dir := t.TempDir()
	token := mint(t, fakegitlab.Options{})
	writeFile(t, filepath.Join(dir, "roles.yml"), "- name: prod\n  role_arn: arn:aws:iam::111111111111:role/deploy\n"+
		"- name: staging\n  role_arn: arn:aws:iam::222222222222:role/deploy\n")
	r := run(t, dir, job(dir, token), 0, "assume", "--roles", "roles.yml", "--sts-endpoint", sts.URL)
	secrets := map[string]string{"the ID token": token}
	if r.Code != exitRefused {
		t.Errorf("exit %d, want %d\n%s", r.Code, exitRefused, redacted(r, secrets))
	}
	for _, name := range []string{"prod", "staging"} {
		if !strings.Contains(r.Stderr, "\n  role \""+name+"\" (") {
			t.Errorf("role %q's failure is not on a line of its own:\n%s", name, redacted(r, secrets))
		}
	}
	if strings.Contains(r.Stderr, `\n  role`) {
		t.Errorf("the summary's own line breaks print as \\n:\n%s", redacted(r, secrets))
	}
	assertNoForgedLine(t, "stderr", r.Stderr, secrets)
}

// TestChainDebugWithoutSessionTokenUtilization: an AssumeRole answer
// without SessionTokenUtilization (an STS-compatible server may not send
// it) shows no made-up "-1%" in --debug.
func TestChainDebugWithoutSessionTokenUtilization(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	dir := t.TempDir()
	token := mint(t, fakegitlab.Options{})
	r := run(t, dir, job(dir, token), 0, "assume", "--role-arn", roleARN, "--chain-role-arn", chainARN, "--sts-endpoint", sts.URL, "--output", "json", "--debug")
	secrets := map[string]string{"the ID token": token}
	if r.Code != exitOK {
		t.Fatalf("exit %d\n%s", r.Code, redacted(r, secrets))
	}
	if !strings.Contains(r.Stderr, "chained hop 1: ") {
		t.Errorf("--debug does not show the chained hop:\n%s", redacted(r, secrets))
	}
	if strings.Contains(r.Stderr, "-1%") {
		t.Errorf("--debug shows a session token utilization STS never sent:\n%s", redacted(r, secrets))
	}
}

// TestAllowedAccountFromTheAnswer: --allowed-account holds against the
// assumed role ARN STS answers, and an answer whose ARN names no account of
// the role's partition is refused (exit 4, nothing printed) instead of
// passing as the role asked for (an outside review of issue 11: "hello"
// and an aws-cn ARN went through with exit 0). A server that answers with
// no AssumedRoleUser at all is held to the role asked for, as README says.
func TestAllowedAccountFromTheAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		op        string
		behaviour Behaviour
		want      int
	}{
		{"odd_arn", "AssumeRoleWithWebIdentity", OddARN, exitRefused},
		{"other_partition", "AssumeRoleWithWebIdentity", OtherPartitionARN, exitRefused},
		{"no_assumed_role_user", "AssumeRoleWithWebIdentity", NoUser, exitOK},
		{"aws_arn", "AssumeRoleWithWebIdentity", Grant, exitOK},
		// --verify: the caller's ARN, which then stands for the session, is
		// held to the same rule (the second outside review).
		{"verify_caller_arn_other_account", "GetCallerIdentity", OtherAccountARN, exitConfig},
		// One that names no account is the server's odd form (SeaweedFS);
		// GetCallerIdentity's Account was checked.
		{"verify_odd_caller_arn", "GetCallerIdentity", OddARN, exitOK},
		{"verify_caller_arn", "GetCallerIdentity", Grant, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sts := NewSTS(t, map[string]Behaviour{tc.op: tc.behaviour})
			dir := t.TempDir()
			token := mint(t, fakegitlab.Options{})
			r := run(t, dir, job(dir, token), 0, "assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL,
				"--allowed-account", "123456789012", "--output", "shell", "--verify")
			secrets := map[string]string{"the ID token": token}
			if r.Code != tc.want {
				t.Fatalf("exit %d, want %d\n%s", r.Code, tc.want, redacted(r, secrets))
			}
			why := map[int]string{exitRefused: "so its account cannot be checked", exitConfig: "is not allowed"}[tc.want]
			if tc.want != exitOK && (r.Stdout != "" || !strings.Contains(r.Stderr, why)) {
				t.Errorf("printed %d bytes on stdout, or did not say why\n%s", len(r.Stdout), redacted(r, secrets))
			}
		})
	}
}

// TestAccountIsTheAnswers: the account logged and handed on is the one STS
// answered for, not the one of the role asked for (an outside review of
// issue 11 saw "assumed arn:aws:sts::999999999999:... (account
// 123456789012)" and aws-account-id=123456789012 in GITHUB_OUTPUT).
func TestAccountIsTheAnswers(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, map[string]Behaviour{"AssumeRoleWithWebIdentity": OtherAccountARN})
	dir := t.TempDir()
	token := mint(t, fakegitlab.Options{})
	r := run(t, dir, job(dir, token), 0, "assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "--output", "json")
	if r.Code != exitOK || !strings.Contains(r.Stderr, "(account 999999999999)") {
		t.Errorf("exit %d, want 0 reporting account 999999999999\n%s", r.Code, redacted(r, map[string]string{"the ID token": token}))
	}
}
