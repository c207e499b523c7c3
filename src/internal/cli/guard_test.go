package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

// staticKeyID and staticSecret stand for the long-lived keys a project
// still holds in its CI/CD variables.
const (
	staticKeyID  = "AKIASTATICSTATIC1234"
	staticSecret = "static/secret/key/never/printed/0123456789"
)

func TestGuardInheritedCredentials(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		args []string
		// code 2 means refused before STS; the names must all be in the
		// error, and nothing written.
		code      int
		names     []string
		warnings  []string
		noWarning bool
	}{
		{
			name: "static_keys_refused",
			env:  map[string]string{"AWS_ACCESS_KEY_ID": staticKeyID, "AWS_SECRET_ACCESS_KEY": staticSecret},
			code: ExitConfig, names: []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
		},
		{
			name: "session_token_alone_refused",
			env:  map[string]string{"AWS_SESSION_TOKEN": staticSecret},
			code: ExitConfig, names: []string{"AWS_SESSION_TOKEN"},
		},
		{
			name: "prefixed_keys_refused",
			env:  map[string]string{"PROD_AWS_SECRET_ACCESS_KEY": staticSecret},
			args: []string{"--prefix", "PROD_"},
			code: ExitConfig, names: []string{"PROD_AWS_SECRET_ACCESS_KEY"},
		},
		{
			name:     "unprefixed_keys_with_prefix_warned",
			env:      map[string]string{"AWS_ACCESS_KEY_ID": staticKeyID},
			args:     []string{"--prefix", "PROD_"},
			warnings: []string{"warning: AWS_ACCESS_KEY_ID is set in this job's environment", `export AWS_ACCESS_KEY_ID="$PROD_AWS_ACCESS_KEY_ID"`},
		},
		{
			name:     "allowed_by_flag",
			env:      map[string]string{"AWS_ACCESS_KEY_ID": staticKeyID, "AWS_SECRET_ACCESS_KEY": staticSecret},
			args:     []string{"--allow-existing-credentials"},
			warnings: []string{"warning: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are already set", "allowed by --allow-existing-credentials"},
		},
		{
			name:     "allowed_by_variable",
			env:      map[string]string{"AWS_SECRET_ACCESS_KEY": staticSecret, "AWS_OIDC_ALLOW_EXISTING_CREDENTIALS": "true"},
			warnings: []string{"warning: AWS_SECRET_ACCESS_KEY is already set"},
		},
		{
			name:      "shell_output_is_not_a_hand_off",
			env:       map[string]string{"AWS_ACCESS_KEY_ID": staticKeyID, "AWS_SECRET_ACCESS_KEY": staticSecret},
			args:      []string{"--output", "shell"},
			noWarning: true,
		},
		{
			name: "region_outranked_warned",
			env:  map[string]string{"AWS_OIDC_REGION": "us-east-1", "AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "us-east-1"},
			warnings: []string{`warning: AWS_REGION is "eu-central-1" in this job's environment, not "us-east-1" (--region): later jobs get "eu-central-1"`,
				"not over project, group, instance, or pipeline variables"},
		},
		{
			name:     "profile_warned",
			env:      map[string]string{"AWS_PROFILE": "legacy"},
			warnings: []string{`warning: AWS_PROFILE is "legacy" in this job's environment`},
		},
		{
			// An empty CI/CD variable outranks the report as much as a set one.
			name:     "empty_session_token_warned",
			env:      map[string]string{"AWS_SESSION_TOKEN": ""},
			warnings: []string{"warning: AWS_SESSION_TOKEN is set to the empty string in this job's environment: if it is a CI/CD variable, later jobs get that empty value"},
		},
		{
			// A later job copying the prefixed keys keeps AWS_PROFILE.
			name:     "profile_warned_with_prefix",
			env:      map[string]string{"AWS_PROFILE": "dev"},
			args:     []string{"--prefix", "PROD_"},
			warnings: []string{`warning: AWS_PROFILE is "dev" in this job's environment: a later job that copies PROD_AWS_ACCESS_KEY_ID`, "unset AWS_PROFILE"},
		},
		{
			name:      "same_region_is_quiet",
			env:       map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"},
			noWarning: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			env := gitlabEnv(t, nil)
			for k, v := range tc.env {
				env[k] = v
			}
			dotenv := filepath.Join(t.TempDir(), "aws.env")
			r := run(t, env, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--dotenv-file", dotenv}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d", r.code, tc.code)
			}
			if tc.code != 0 {
				for _, n := range tc.names {
					if !strings.Contains(firstLine(r.stderr, "error: "), n) {
						t.Errorf("the error does not name %s", n)
					}
				}
				hint := firstLine(r.stderr, "hint: ")
				for _, want := range []string{"not over project, group, instance, or pipeline variables", "Settings > CI/CD > Variables", "--prefix", "--allow-existing-credentials"} {
					if !strings.Contains(hint, want) {
						t.Errorf("the hint lacks %q", want)
					}
				}
				if n := len(srv.Requests()); n != 0 {
					t.Errorf("STS was called %d times before the refusal", n)
				}
				if _, err := os.Stat(dotenv); err == nil {
					t.Errorf("a dotenv file was written")
				}
			}
			for _, w := range tc.warnings {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			if tc.noWarning && strings.Contains(r.stderr, "warning:") {
				t.Errorf("unexpected warning")
			}
			for _, s := range []string{staticKeyID, staticSecret} {
				if strings.Contains(r.stderr, s) {
					t.Errorf("a value of a credential variable was printed")
				}
			}
			assertNoSecrets(t, r.stderr, env)
		})
	}
}

// TestRegionVariableOrder: AWS_OIDC_REGION, the component's input, beats
// AWS_REGION, which a project variable may hold.
func TestRegionVariableOrder(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := gitlabEnv(t, nil)
	env["AWS_OIDC_REGION"] = "eu-west-1"
	env["AWS_REGION"] = "eu-central-1"
	dotenv := filepath.Join(t.TempDir(), "aws.env")
	r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--dotenv-file", dotenv)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	data, err := os.ReadFile(dotenv)
	if err != nil {
		t.Fatal(err)
	}
	vars, err := output.ParseDotenv(data)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vars {
		got[v.Key] = v.Value
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if got[k] != "eu-west-1" {
			t.Errorf("%s = %q, want eu-west-1", k, got[k])
		}
	}
}

// firstLine returns the first line of s that starts with prefix.
func firstLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestGuardRolesFile: with --roles the guard checks each role's own prefix;
// a role written to a profile exports no variables and is left alone.
func TestGuardRolesFile(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	f := newFiles(t)
	if err := os.WriteFile(f.roles, []byte(rolesYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	env := gitlabEnv(t, nil)
	env["STAGING_AWS_SESSION_TOKEN"] = staticSecret
	env["AUDIT_AWS_ACCESS_KEY_ID"] = staticKeyID
	env["PROD_AWS_REGION"] = "us-east-1"
	r := run(t, env, append([]string{"assume", "--roles", f.roles, "--sts-endpoint", srv.URL}, f.args()...)...)
	if r.code != ExitConfig {
		t.Fatalf("exit %d, want %d", r.code, ExitConfig)
	}
	if got := firstLine(r.stderr, "error: "); !strings.Contains(got, "STAGING_AWS_SESSION_TOKEN is already set") || strings.Contains(got, "AUDIT_") {
		t.Errorf("error = %q, want STAGING_AWS_SESSION_TOKEN alone", got)
	}
	if !strings.Contains(r.stderr, `warning: PROD_AWS_REGION is "us-east-1" in this job's environment, not "eu-west-1"`) {
		t.Errorf("no warning for PROD_AWS_REGION")
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("STS was called %d times", n)
	}
	if w := f.written(t); len(w) != 0 {
		t.Errorf("written: %v", w)
	}
	if strings.Contains(r.stderr, staticSecret) || strings.Contains(r.stderr, staticKeyID) {
		t.Errorf("a value of a credential variable was printed")
	}
}

// TestShellOutputUnsetsProfile: eval "$(aws-oidc assume --output shell)"
// in a job with a CI/CD variable AWS_PROFILE=dev left the AWS CLI looking
// for profile dev ("config profile (dev) could not be found"): the exports
// remove it, in a POSIX shell and in PowerShell, and only then.
func TestShellOutputUnsetsProfile(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	for _, profile := range []string{"dev", ""} {
		env := gitlabEnv(t, nil)
		env["AWS_PROFILE"] = profile
		r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--output", "shell")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		cmd := exec.Command("sh", "-c", `[ -n "$1" ] && export AWS_PROFILE="$1"; eval "$2"; echo "${AWS_PROFILE-unset} ${AWS_ACCESS_KEY_ID:+key}"`, "sh", profile, r.stdout)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		want := "unset key\n"
		if got := string(out); got != want {
			t.Errorf("AWS_PROFILE=%q: after eval: %q, want %q", profile, got, want)
		}
		if profile == "" && strings.Contains(r.stdout, "unset") {
			t.Error("exports unset AWS_PROFILE though it was not set") // stdout holds credentials: not printed
		}
		r = run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--output", "powershell")
		if got := strings.Contains(r.stdout, "Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue\n"); got != (profile != "") {
			t.Errorf("AWS_PROFILE=%q: PowerShell removes it: %v", profile, got)
		}
	}
}
