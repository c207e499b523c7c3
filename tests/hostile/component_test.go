package hostile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
)

// componentJob is the assume-role component's job as templates/assume-role.yml
// sets it up for role_arn given and every other input at its default.
func componentJob(dir, token string) map[string]string {
	env := job(dir, token)
	delete(env, "GITLAB_OIDC_TOKEN")
	env["AWS_OIDC_TOKEN"] = token
	env["CI_SERVER_URL"] = issuerURL
	for k, v := range map[string]string{
		"AWS_OIDC_COMPONENT":                            "assume-role",
		"AWS_OIDC_TOKEN_ENV":                            "AWS_OIDC_TOKEN",
		"AWS_OIDC_OUTPUT":                               "dotenv",
		"AWS_OIDC_INPUT_ROLE_ARN":                       roleARN,
		"AWS_OIDC_INPUT_RAW_ROLE_ARN":                   roleARN,
		"AWS_OIDC_INPUT_AUDIENCE":                       issuerURL,
		"AWS_OIDC_INPUT_RAW_AUDIENCE":                   "$CI_SERVER_URL",
		"AWS_OIDC_INPUT_REGION":                         "us-east-1",
		"AWS_OIDC_INPUT_RAW_REGION":                     "us-east-1",
		"AWS_OIDC_INPUT_DURATION":                       "duration=3600",
		"AWS_OIDC_INPUT_RAW_DURATION":                   "duration=3600",
		"AWS_OIDC_INPUT_RAW_VERIFY":                     "verify=false",
		"AWS_OIDC_INPUT_RAW_ALLOW_EXISTING_CREDENTIALS": "allow_existing_credentials=false",
		"AWS_OIDC_INPUT_DOTENV_FILE":                    "aws.env",
		"AWS_OIDC_INPUT_RAW_DOTENV_FILE":                "aws.env",
		"AWS_OIDC_INPUT_VERIFY":                         "verify=false",
		"AWS_OIDC_INPUT_ALLOW_EXISTING_CREDENTIALS":     "allow_existing_credentials=false",
		"AWS_ACCESS_KEY_ID":                             "",
		"AWS_SECRET_ACCESS_KEY":                         "",
		"AWS_SESSION_TOKEN":                             "",
	} {
		env[k] = v
	}
	return env
}

// TestComponentJobCIVariables runs the built binary as the component's job
// with CI/CD variables that outrank the template's: an output printing the
// credentials into the job log is refused before the token is read, an
// AWS_OIDC_ROLE_ARN is ignored for the role_arn input, and the credential
// variables the template sets to "" raise no warning there, while a job of
// one's own gets one for each (the process's own environment, os.LookupEnv).
func TestComponentJobCIVariables(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)

	t.Run("output_shell_refused", func(t *testing.T) {
		dir := t.TempDir()
		env := componentJob(dir, mint(t, fakegitlab.Options{}))
		env["AWS_ENDPOINT_URL_STS"] = sts.URL
		env["AWS_OIDC_OUTPUT"] = "shell"
		r := run(t, dir, env, 0, "assume")
		if r.Code != exitConfig || !strings.Contains(r.Stderr, `AWS_OIDC_OUTPUT is "shell" in this job, not "dotenv"`) {
			t.Errorf("exit %d, want %d naming AWS_OIDC_OUTPUT\n%s", r.Code, exitConfig, r.Stderr)
		}
		if r.Stdout != "" || strings.Contains(r.Stderr, "token claims") {
			t.Errorf("printed %d bytes on stdout, or read the token", len(r.Stdout)) // stdout may hold credentials: not printed
		}
		if _, err := os.Stat(filepath.Join(dir, "aws.env")); err == nil {
			t.Error("a dotenv file was written")
		}
	})

	t.Run("role_arn_variable_ignored", func(t *testing.T) {
		dir := t.TempDir()
		env := componentJob(dir, mint(t, fakegitlab.Options{}))
		env["AWS_ENDPOINT_URL_STS"] = sts.URL
		env["AWS_OIDC_ROLE_ARN"] = "arn:aws:iam::999999999999:role/other"
		r := run(t, dir, env, 0, "assume")
		if r.Code != exitOK {
			t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
		}
		if !strings.Contains(r.Stderr, "warning: AWS_OIDC_ROLE_ARN is set in the CI/CD variables; the component ignores it and takes the role_arn input") ||
			!strings.Contains(r.Stderr, "assumed-role/deploy/") {
			t.Errorf("the input's role was not assumed with a warning:\n%s", r.Stderr)
		}
		if strings.Contains(r.Stderr, "set to the empty string") {
			t.Errorf("warned about the template's own empty variables:\n%s", r.Stderr)
		}
	})

	t.Run("empty_credential_variable_warned_outside", func(t *testing.T) {
		dir := t.TempDir()
		env := job(dir, mint(t, fakegitlab.Options{}))
		env["AWS_SESSION_TOKEN"] = ""
		r := run(t, dir, env, 0, "assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL)
		if r.Code != exitOK || !strings.Contains(r.Stderr, "warning: AWS_SESSION_TOKEN is set to the empty string") {
			t.Errorf("exit %d, want 0 with a warning about the empty AWS_SESSION_TOKEN\n%s", r.Code, r.Stderr)
		}
	})
}

// TestComponentDotenvFileStaysInProject: a dotenv_file outside the project
// directory, or with a . or empty segment, is refused by the tool too (the
// template's regex refuses it at pipeline creation, but a job's variables
// can be set without the template), before the token is read, and nothing
// is written there (outside review of issue 11: /tmp/x.env was written).
func TestComponentDotenvFileStaysInProject(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	outside := filepath.Join(t.TempDir(), "x.env")
	for _, file := range []string{outside, "./x.env", "ci//x.env"} {
		t.Run(strings.NewReplacer("/", "_").Replace(file), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := componentJob(dir, mint(t, fakegitlab.Options{}))
			env["AWS_ENDPOINT_URL_STS"] = sts.URL
			env["AWS_OIDC_INPUT_DOTENV_FILE"], env["AWS_OIDC_INPUT_RAW_DOTENV_FILE"] = file, file
			r := run(t, dir, env, 0, "assume")
			if r.Code != exitConfig || !strings.Contains(r.Stderr, "invalid dotenv_file input") {
				t.Errorf("exit %d, want %d naming the dotenv_file input\n%s", r.Code, exitConfig, r.Stderr)
			}
			for _, p := range []string{outside, filepath.Join(dir, "x.env"), filepath.Join(dir, "ci", "x.env")} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s was written", p)
				}
			}
		})
	}
}

// TestComponentDotenvFileThroughALink: a folder of the project that is a
// symbolic link out of it (ci -> /tmp/elsewhere) does not carry the report
// out: refused before the token is read, nothing written there (the second
// outside review of issue 11 found the credentials written through it).
func TestComponentDotenvFileThroughALink(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	dir, elsewhere := t.TempDir(), t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(dir, "ci")); err != nil {
		t.Fatal(err)
	}
	env := componentJob(dir, mint(t, fakegitlab.Options{}))
	env["AWS_ENDPOINT_URL_STS"] = sts.URL
	env["AWS_OIDC_INPUT_DOTENV_FILE"], env["AWS_OIDC_INPUT_RAW_DOTENV_FILE"] = "ci/out/aws.env", "ci/out/aws.env"
	r := run(t, dir, env, 0, "assume")
	if r.Code != exitConfig || !strings.Contains(r.Stderr, "through a symbolic link") {
		t.Errorf("exit %d, want %d naming the link\n%s", r.Code, exitConfig, r.Stderr)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) > 0 {
		t.Errorf("%s holds %d entries: the report went through the link", elsewhere, len(entries))
	}
}

// TestComponentNameBlanked: a CI/CD variable that blanks AWS_OIDC_COMPONENT
// does not switch the component's checks off: with the template's input
// variables there, the job is refused (exit 2, naming the variable) before
// the token is read, instead of printing credentials into the job log with
// AWS_OIDC_OUTPUT=shell (an outside review of issue 11).
func TestComponentNameBlanked(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	dir := t.TempDir()
	env := componentJob(dir, mint(t, fakegitlab.Options{}))
	env["AWS_ENDPOINT_URL_STS"] = sts.URL
	env["AWS_OIDC_COMPONENT"] = ""
	env["AWS_OIDC_OUTPUT"] = "shell"
	env["AWS_OIDC_ROLE_ARN"] = roleARN
	r := run(t, dir, env, 0, "assume")
	if r.Code != exitConfig || !strings.Contains(r.Stderr, "AWS_OIDC_COMPONENT is empty in this job") {
		t.Errorf("exit %d, want %d naming AWS_OIDC_COMPONENT\n%s", r.Code, exitConfig, r.Stderr)
	}
	if r.Stdout != "" {
		t.Errorf("printed %d bytes on stdout", len(r.Stdout)) // may hold credentials: not printed
	}
}

// TestComponentTypedInputOverridden: a CI/CD variable that outranks a
// boolean or number input's variable (AWS_OIDC_INPUT_DURATION=duration=43200)
// is noticed against the input's copy as written, as the string inputs'
// are: exit 2 naming it, before the token is read (an outside review of
// issue 11 had it sent to STS unnoticed).
func TestComponentTypedInputOverridden(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	for name, value := range map[string]string{
		"AWS_OIDC_INPUT_DURATION":                   "duration=43200",
		"AWS_OIDC_INPUT_VERIFY":                     "verify=true",
		"AWS_OIDC_INPUT_ALLOW_EXISTING_CREDENTIALS": "allow_existing_credentials=true",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := componentJob(dir, mint(t, fakegitlab.Options{}))
			env["AWS_ENDPOINT_URL_STS"] = sts.URL
			env[name] = value
			r := run(t, dir, env, 0, "assume")
			if r.Code != exitConfig || !strings.Contains(r.Stderr, name+" is \""+value+"\", not the") {
				t.Errorf("exit %d, want %d naming %s\n%s", r.Code, exitConfig, name, r.Stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "aws.env")); err == nil {
				t.Error("a dotenv file was written")
			}
		})
	}
}
