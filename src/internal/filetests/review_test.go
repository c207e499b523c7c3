package filetests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// refusedBeforeSTS runs aws-oidc with args after the STS endpoint and
// checks that it exits 2 with msg in stderr, without calling STS and
// without changing anything under dirs.
func refusedBeforeSTS(t *testing.T, j *job, msg string, dirs []string, args ...string) result {
	t.Helper()
	before := snapshot(t, dirs...)
	r := j.run(t, nil, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1"}, args...)...)
	if r.code != 2 {
		t.Errorf("exit %d, want 2", r.code)
	}
	if !strings.Contains(r.stderr, msg) {
		t.Errorf("stderr does not say %q", msg)
	}
	if n := len(j.sts.Requests()); n > 0 {
		t.Errorf("STS was called %d times before the refusal", n)
	}
	assertUnchanged(t, before, snapshot(t, dirs...))
	return r
}

// TestProfileDEFAULTIsRefused: configparser, which the AWS CLI reads both
// files with, takes a [DEFAULT] section as defaults for every section, so
// a profile named DEFAULT would hand its session token to every other
// profile. The name is refused from the flag, the variable and a roles
// file; "default" stays the ordinary default profile.
func TestProfileDEFAULTIsRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(j *job) []string
	}{
		{"flag", func(j *job) []string { return []string{"--profile", "DEFAULT"} }},
		{"variable", func(j *job) []string { j.env["AWS_OIDC_PROFILE"] = "DEFAULT"; return nil }},
		{"roles_file", func(j *job) []string {
			p := filepath.Join(j.dir, "roles.yml")
			write(t, p, "- name: a\n  role_arn: "+roleARN+"\n  profile: DEFAULT\n")
			return []string{"--roles", p}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := newJob(t)
			aws := filepath.Join(j.dir, "aws")
			write(t, filepath.Join(aws, "credentials"), "[dev]\naws_access_key_id = AKIADEV\n")
			args := append(tc.setup(j), "--aws-config-file", filepath.Join(aws, "config"), "--aws-credentials-file", filepath.Join(aws, "credentials"))
			if tc.name == "roles_file" {
				// --role-arn and --roles exclude each other.
				before := snapshot(t, j.dir)
				r := j.run(t, nil, append([]string{"assume", "--sts-endpoint", j.sts.URL, "--region", "eu-west-1"}, args...)...)
				if r.code != 2 || !strings.Contains(r.stderr, "DEFAULT") || len(j.sts.Requests()) > 0 {
					t.Errorf("exit %d, STS calls %d; want 2 naming DEFAULT before STS", r.code, len(j.sts.Requests()))
				}
				assertUnchanged(t, before, snapshot(t, j.dir))
				return
			}
			refusedBeforeSTS(t, j, `"DEFAULT" is reserved`, []string{j.dir}, args...)
		})
	}
}

// TestOutputsNamingOneFileAreRefused: two outputs that name the same file,
// however spelt (./f, a symlinked folder, a hard link), would overwrite
// each other's content with exit 0. They are refused before STS.
func TestOutputsNamingOneFileAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T, j *job) []string
	}{
		{"config_and_credentials_dot_slash", func(t *testing.T, j *job) []string {
			return []string{"--profile", "ci", "--aws-config-file", "f", "--aws-credentials-file", "./f"}
		}},
		{"dotenv_and_config_from_mixed_roles", func(t *testing.T, j *job) []string {
			write(t, filepath.Join(j.dir, "mixed.yml"), mixedRoles)
			return []string{"--roles", "mixed.yml", "--dotenv-file", "f", "--aws-config-file", "f"}
		}},
		{"dotenv_and_credentials_through_a_symlinked_folder", func(t *testing.T, j *job) []string {
			if err := os.Mkdir(filepath.Join(j.dir, "d"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("d", filepath.Join(j.dir, "e")); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(j.dir, "mixed.yml"), mixedRoles)
			return []string{"--roles", "mixed.yml", "--dotenv-file", "d/f", "--aws-credentials-file", "e/f", "--aws-config-file", "d/config"}
		}},
		{"token_file_and_github_env_hard_link", func(t *testing.T, j *job) []string {
			write(t, filepath.Join(j.dir, "a"), "")
			if err := os.Link(filepath.Join(j.dir, "a"), filepath.Join(j.dir, "b")); err != nil {
				t.Fatal(err)
			}
			j.env["GITHUB_ACTIONS"] = "true"
			j.env["GITHUB_ENV"] = filepath.Join(j.dir, "b")
			return []string{"--output", "token-file,github", "--token-output-file", "a"}
		}},
		{"dotenv_and_github_env", func(t *testing.T, j *job) []string {
			j.env["GITHUB_ACTIONS"] = "true"
			j.env["GITHUB_ENV"] = filepath.Join(j.dir, "aws.env")
			j.env["GITHUB_OUTPUT"] = filepath.Join(j.dir, "out")
			return []string{"--output", "dotenv,github"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := newJob(t)
			args := tc.setup(t, j)
			if strings.Contains(strings.Join(args, " "), "--roles") {
				before := snapshot(t, j.dir)
				r := j.run(t, nil, append([]string{"assume", "--sts-endpoint", j.sts.URL, "--region", "eu-west-1"}, args...)...)
				if r.code != 2 || !strings.Contains(r.stderr, "same file") || len(j.sts.Requests()) > 0 {
					t.Errorf("exit %d, STS calls %d; want 2 saying same file before STS", r.code, len(j.sts.Requests()))
				}
				assertUnchanged(t, before, snapshot(t, j.dir))
				return
			}
			refusedBeforeSTS(t, j, "same file", []string{j.dir}, args...)
		})
	}
}

// TestSymlinkedFolderAliasDoesNotDeadlock: the config file in d and the
// credentials file in e, a link to d, are one folder; its lock is taken
// once, so the run does not wait for itself until the timeout.
func TestSymlinkedFolderAliasDoesNotDeadlock(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	if err := os.Mkdir(filepath.Join(j.dir, "d"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("d", filepath.Join(j.dir, "e")); err != nil {
		t.Fatal(err)
	}
	r := j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1",
		"--profile", "ci", "--aws-config-file", "d/config", "--aws-credentials-file", "e/credentials", "--timeout", "5s")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	if b, _ := os.ReadFile(filepath.Join(j.dir, "d", "credentials")); !strings.Contains(string(b), "[ci]") {
		t.Errorf("no [ci] in the credentials file:\n%s", b)
	}
}
