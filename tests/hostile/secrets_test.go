package hostile

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
)

// TestServerEchoesEverySecret: an STS that echoes, in its error code and
// message, the ID token, each of its parts and every secret key and session
// token it has handed out or been signed with, in every mode of every
// command. Nothing of it may reach stdout, stderr or any file, and no line
// it forges may reach the log.
func TestServerEchoesEverySecret(t *testing.T) {
	t.Parallel()
	runEchoCases(t, Echo, EchoInFields, assertNoSecret)
}

// TestServerEchoesPiecesOfSecrets: the same runs against an STS that
// echoes pieces of every secret rather than whole copies (the ID token
// minus its last character, halves in two fields, prefixes) and forms
// that differ by case or escaping (lower-case percent escapes, JSON's \/,
// '+' turned into a space, upper case, hex, base64 of a larger text).
// No piece of 20 characters of any secret may be printed in any form.
func TestServerEchoesPiecesOfSecrets(t *testing.T) {
	t.Parallel()
	runEchoCases(t, EchoPieces, PiecesInFields, assertNoPiece)
}

func runEchoCases(t *testing.T, Echo, EchoInFields Behaviour, assertNoSecret func(*testing.T, map[string]string, map[string]string)) {
	type tc struct {
		name string
		plan map[string]Behaviour
		// args come after the command and its endpoint flag.
		cmd  string
		args []string
		env  map[string]string
		want int
		// setup runs in the run's folder before it.
		setup func(t *testing.T, dir string)
	}
	web := map[string]Behaviour{"AssumeRoleWithWebIdentity": Echo}
	fields := map[string]Behaviour{"AssumeRoleWithWebIdentity": EchoInFields}
	roles := func(t *testing.T, dir string) {
		writeFile(t, filepath.Join(dir, "roles.yml"), "- name: prod\n  role_arn: arn:aws:iam::111111111111:role/deploy\n"+
			"- name: staging\n  role_arn: arn:aws:iam::222222222222:role/deploy\n- name: audit\n  role_arn: arn:aws:iam::333333333333:role/deploy\n  profile: audit\n")
	}
	github := func(t *testing.T, dir string) {
		writeFile(t, filepath.Join(dir, "github_env"), "")
		writeFile(t, filepath.Join(dir, "github_output"), "")
	}
	githubEnv := map[string]string{"GITHUB_ENV": "github_env", "GITHUB_OUTPUT": "github_output"}
	cases := []tc{
		{name: "dotenv", plan: web, cmd: "assume", want: exitRefused},
		{name: "debug", plan: web, cmd: "assume", args: []string{"--debug"}, want: exitRefused},
		{name: "json", plan: web, cmd: "assume", args: []string{"--output", "json"}, want: exitRefused},
		{name: "shell", plan: web, cmd: "assume", args: []string{"--output", "shell"}, want: exitRefused},
		{name: "github_in_gitlab", plan: web, cmd: "assume", args: []string{"--output", "github"}, env: githubEnv, setup: github, want: exitRefused},
		{name: "github_actions", plan: web, cmd: "assume", args: []string{"--token-env", "GITLAB_OIDC_TOKEN"},
			env: map[string]string{"GITLAB_CI": "", "GITHUB_ACTIONS": "true", "GITHUB_ENV": "github_env", "GITHUB_OUTPUT": "github_output"}, setup: github, want: exitRefused},
		{name: "profile", plan: web, cmd: "assume", args: []string{"--profile", "deploy"}, want: exitRefused},
		{name: "many_roles", plan: web, cmd: "assume", args: []string{"--roles", "roles.yml", "--debug"}, setup: roles, want: exitRefused},
		{name: "chain_hop_echoes_first_session", plan: map[string]Behaviour{"AssumeRole": Echo}, cmd: "assume",
			args: []string{"--chain-role-arn", chainARN, "--debug"}, want: exitRefused},
		{name: "chain_second_hop", plan: map[string]Behaviour{"AssumeRole": Echo}, cmd: "assume",
			args: []string{"--chain-role-arn", chainARN, "--chain-role-arn", "arn:aws:iam::123456789012:role/third"}, want: exitRefused},
		{name: "verify_echoes_new_session", plan: map[string]Behaviour{"GetCallerIdentity": Echo}, cmd: "assume", args: []string{"--verify", "--debug"}, want: exitRefused},
		{name: "verify_answer_fields", plan: map[string]Behaviour{"GetCallerIdentity": EchoInFields}, cmd: "assume", args: []string{"--verify"}, want: exitRefused},
		{name: "answer_fields", plan: fields, cmd: "assume", args: []string{"--debug"}, want: exitRefused},
		{name: "answer_fields_many_roles", plan: fields, cmd: "assume", args: []string{"--roles", "roles.yml"}, setup: roles, want: exitRefused},
		{name: "chain_answer_fields", plan: map[string]Behaviour{"AssumeRole": EchoInFields}, cmd: "assume", args: []string{"--chain-role-arn", chainARN}, want: exitRefused},
		{name: "exec", plan: web, cmd: "exec", args: []string{"--", "true"}, want: exitRefused},
		{name: "exec_answer_fields", plan: fields, cmd: "exec", args: []string{"--debug", "--", "true"}, want: exitRefused},
		{name: "doctor", plan: web, cmd: "doctor", args: []string{"--debug"}, want: exitRefused},
		{name: "doctor_answer_fields", plan: fields, cmd: "doctor", want: exitRefused},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sts := NewSTS(t, c.plan)
			dir := t.TempDir()
			token := mint(t, fakegitlab.Options{})
			env := job(dir, token)
			for k, v := range c.env {
				env[k] = v
			}
			if c.setup != nil {
				c.setup(t, dir)
			}
			args := []string{c.cmd, "--sts-endpoint", sts.URL}
			if !slices.Contains(c.args, "--roles") {
				args = append(args, "--role-arn", roleARN)
			}
			if c.cmd != "doctor" {
				args = append(args, "--region", "eu-west-1")
			}
			r := run(t, dir, env, 0, append(args, c.args...)...)
			secrets := map[string]string{"the ID token": token}
			if Echo == EchoPieces {
				secrets["a long value the run does not know"] = Unknown
			}
			for i, s := range sts.Secrets() {
				secrets["server secret "+string(rune('A'+i))] = s
			}
			if r.Code != c.want {
				t.Errorf("exit %d, want %d\n%s", r.Code, c.want, redacted(r, secrets))
			}
			if sts.Total() == 0 {
				t.Fatal("the run never called STS: the case tests nothing")
			}
			keep := []string{"roles.yml"}
			assertNoSecret(t, texts(t, dir, r, false, keep...), secrets)
			assertNoForgedLine(t, "stderr", r.Stderr, secrets)
			assertNoForgedLine(t, "stdout", r.Stdout, secrets)
			assertNothingWritten(t, dir)
		})
	}
}

// TestForgedClaims: a token whose claims carry line breaks, CI commands and
// terminal controls is refused by assume and doctor (exit 3) and shown
// escaped by claims; no run prints a forged line.
func TestForgedClaims(t *testing.T) {
	t.Parallel()
	evil := "main\n::add-mask::forged\r\u009b31m##[group]x"
	token := mint(t, fakegitlab.Options{Ref: evil, Environment: "prod\n::warning::forged"})
	for _, c := range []struct {
		name string
		args []string
		want int
	}{
		{name: "assume", args: []string{"assume", "--role-arn", roleARN}, want: exitToken},
		{name: "assume_debug", args: []string{"assume", "--role-arn", roleARN, "--debug"}, want: exitToken},
		{name: "claims", args: []string{"claims"}, want: exitOK},
		{name: "claims_json", args: []string{"claims", "--format", "json"}, want: exitOK},
		{name: "doctor", args: []string{"doctor"}, want: exitToken},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sts := NewSTS(t, nil)
			dir := t.TempDir()
			args := c.args
			if c.name != "claims" && c.name != "claims_json" {
				args = append(args, "--sts-endpoint", sts.URL)
			}
			r := run(t, dir, job(dir, token), 0, args...)
			secrets := map[string]string{"the ID token": token}
			if r.Code != c.want {
				t.Errorf("exit %d, want %d\n%s", r.Code, c.want, redacted(r, secrets))
			}
			if sts.Total() != 0 {
				t.Errorf("a forged token reached STS %d times", sts.Total())
			}
			assertNoSecret(t, texts(t, dir, r, false), secrets)
			assertNoForgedLine(t, "stderr", r.Stderr, secrets)
			assertNoForgedLine(t, "stdout", r.Stdout, secrets)
		})
	}
}

// TestFormatCharactersInClaims: claims with bidi overrides and zero-width
// characters (Unicode category Cf), which make a log line read otherwise
// than it is, are printed escaped by claims, assume's log and doctor.
func TestFormatCharactersInClaims(t *testing.T) {
	t.Parallel()
	token := mint(t, fakegitlab.Options{Ref: "main\u202e\u2066niam\u200b\ufeff", Environment: "prod\u200d\u00ad"})
	for _, c := range []struct {
		name string
		args []string
	}{
		{name: "assume", args: []string{"assume", "--role-arn", roleARN, "--region", "eu-west-1", "--output", "json"}},
		{name: "claims", args: []string{"claims"}},
		{name: "claims_json", args: []string{"claims", "--format", "json"}},
		{name: "doctor", args: []string{"doctor", "--role-arn", roleARN}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sts := NewSTS(t, nil)
			dir := t.TempDir()
			args := c.args
			if c.name == "assume" || c.name == "doctor" {
				args = append(args, "--sts-endpoint", sts.URL)
			}
			r := run(t, dir, job(dir, token), 0, args...)
			secrets := map[string]string{"the ID token": token}
			if !strings.Contains(r.Stdout+r.Stderr, `\u202e`) {
				t.Errorf("the override is not shown escaped\n%s", redacted(r, secrets))
			}
			assertNoForgedLine(t, "stderr", r.Stderr, secrets)
			if c.name != "assume" {
				assertNoForgedLine(t, "stdout", r.Stdout, secrets)
			}
		})
	}
}
