package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

// Files as a user's job might have them before aws-oidc writes: other
// profiles, comments, a header with a comment.
const (
	userConfig = "# my config\n[default]\nregion = eu-west-1\n\n[profile other] # keep me\noutput = json\n"
	userCreds  = "[default]\naws_access_key_id = AKIAUSEROWN\n; comment\n[other]\naws_access_key_id = AKIAOTHER\n"
	userDotenv = "OTHER_TOOL=1\nDEPLOY_URL=https://example.com\n"
)

func writeUserFile(t *testing.T, path, content string) {
	t.Helper()
	if content == "" {
		return
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fileState is every file of the test's output folder and its content.
func fileState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// TestCleanupUndoesAssume runs assume, then cleanup with the same flags,
// and wants the output folder exactly as it was before assume: every byte
// of the user's files back, every file aws-oidc created gone.
func TestCleanupUndoesAssume(t *testing.T) {
	t.Parallel()
	rolesFile := "- name: prod\n  role_arn: arn:aws:iam::111111111111:role/deploy\n  profile: prod\n" +
		"- name: staging\n  role_arn: arn:aws:iam::222222222222:role/deploy\n"
	cases := []struct {
		name               string
		args               []string
		config, creds, env string
		roles              bool
		wantLog            string
	}{
		{name: "dotenv_alone_deleted", wantLog: "(its 6 variables were aws-oidc's)"},
		{name: "dotenv_merged_keeps_others", env: userDotenv, wantLog: "removed 6 variables from"},
		{name: "dotenv_prefix", args: []string{"--prefix", "PROD_"}, env: userDotenv + "AWS_REGION=us-west-2\n", wantLog: "removed 6 variables"},
		{name: "profile_new_files", args: []string{"--profile", "ci"}, wantLog: "removed profiles ci"},
		{name: "profile_among_others", args: []string{"--profile", "ci"}, config: userConfig, creds: userCreds, wantLog: "removed profiles ci"},
		{name: "profile_shell_output", args: []string{"--profile", "ci", "-o", "shell"}, config: userConfig, creds: userCreds, wantLog: "removed profiles ci"},
		{name: "token_file", args: []string{"-o", "token-file"}, wantLog: "deleted the token file"},
		{name: "profile_with_dotenv_output", args: []string{"--profile", "ci", "-o", "dotenv"}, config: userConfig, creds: userCreds, env: userDotenv, wantLog: "removed 6 variables from"},
		{name: "roles_profiles_and_prefixes", roles: true, config: userConfig, creds: userCreds, env: userDotenv, wantLog: "removed profiles prod"},
		{name: "shell_only_nothing_to_remove", args: []string{"-o", "shell"}, env: userDotenv, wantLog: "nothing to remove"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			f := newFiles(t)
			writeUserFile(t, f.config, tc.config)
			writeUserFile(t, f.credentials, tc.creds)
			writeUserFile(t, f.dotenv, tc.env)
			before := fileState(t, f.dir)
			args := append(f.args(), tc.args...)
			if tc.roles {
				if err := os.WriteFile(f.roles, []byte(rolesFile), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--roles", f.roles)
			} else {
				args = append(args, "--role-arn", roleARN)
			}
			env := gitlabEnv(t, nil)
			r := run(t, env, append([]string{"assume", "--sts-endpoint", srv.URL}, args...)...)
			if r.code != 0 {
				t.Fatalf("assume exited %d", r.code)
			}
			if tc.wantLog != "nothing to remove" && cmp.Equal(before, fileState(t, f.dir)) {
				t.Fatal("assume wrote nothing: the case proves nothing")
			}

			// cleanup takes the same flags; the role ARN is not one of them.
			var cargs []string
			for i := 0; i < len(args); i++ {
				if args[i] == "--role-arn" {
					i++
					continue
				}
				cargs = append(cargs, args[i])
			}
			c := run(t, env, append([]string{"cleanup"}, cargs...)...)
			if c.code != 0 {
				t.Fatalf("cleanup exited %d", c.code)
			}
			if !strings.Contains(c.stderr, tc.wantLog) {
				t.Errorf("cleanup's log lacks %q", tc.wantLog)
			}
			if diff := cmp.Diff(before, fileState(t, f.dir)); diff != "" {
				t.Errorf("files after assume and cleanup (-before +after):\n%s", diff)
			}
			assertNoSecrets(t, c.stdout+c.stderr, env)

			// A second cleanup finds nothing, and says so.
			if c := run(t, env, append([]string{"cleanup"}, cargs...)...); c.code != 0 || !strings.Contains(c.stderr, "nothing to remove") {
				t.Errorf("second cleanup: exit %d, want 0 and \"nothing to remove\"", c.code)
			}
		})
	}
}

// TestCleanupOtherPrefixStays removes one role's variables of a dotenv
// file that holds two.
func TestCleanupOtherPrefixStays(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	f := newFiles(t)
	env := gitlabEnv(t, nil)
	for _, p := range []string{"PROD_", "STAGING_"} {
		if r := run(t, env, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--prefix", p}, f.args()...)...); r.code != 0 {
			t.Fatalf("assume --prefix %s exited %d", p, r.code)
		}
	}
	if c := run(t, env, append([]string{"cleanup", "--prefix", "PROD_"}, f.args()...)...); c.code != 0 {
		t.Fatalf("cleanup exited %d", c.code)
	}
	var keys []string
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, f.dotenv)), "\n") {
		k, _, _ := strings.Cut(line, "=")
		keys = append(keys, k)
	}
	want := []string{"STAGING_AWS_ACCESS_KEY_ID", "STAGING_AWS_SECRET_ACCESS_KEY", "STAGING_AWS_SESSION_TOKEN",
		"STAGING_AWS_REGION", "STAGING_AWS_DEFAULT_REGION", "STAGING_AWS_CREDENTIAL_EXPIRATION"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("dotenv keys (-want +got):\n%s", diff)
	}
}

// TestCleanupLeavesStrangersAlone refuses to edit files that are not what
// aws-oidc writes, and leaves them byte for byte.
func TestCleanupLeavesStrangersAlone(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, content string
		args                []string
		wantErr, wantHint   string
	}{
		{name: "dotenv_with_comment", file: "aws.env", content: "# not a dotenv report\nAWS_ACCESS_KEY_ID=x\n",
			wantErr: "failed to clean up the dotenv file", wantHint: "not a dotenv report aws-oidc would write"},
		{name: "shell_script_as_dotenv", file: "aws.env", content: "#!/bin/sh\nAWS_REGION=x exec deploy\n",
			wantErr: "failed to clean up the dotenv file", wantHint: "--dotenv-file"},
		{name: "token_file_not_a_token", file: "token", content: "my notes\n", args: []string{"-o", "token-file"},
			wantErr: "failed to clean up the token file", wantHint: "--token-output-file"},
		{name: "bad_profile", args: []string{"--profile", "a b"}, wantErr: `invalid --profile: "a b"`},
		{name: "unknown_output", args: []string{"-o", "yaml"}, wantErr: `unknown format "yaml"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFiles(t)
			if tc.file != "" {
				writeUserFile(t, filepath.Join(f.dir, tc.file), tc.content)
			}
			before := fileState(t, f.dir)
			env := gitlabEnv(t, nil)
			c := run(t, env, append(append([]string{"cleanup"}, f.args()...), tc.args...)...)
			if c.code != ExitConfig {
				t.Errorf("exit = %d, want %d", c.code, ExitConfig)
			}
			if !strings.Contains(c.stderr, tc.wantErr) || !strings.Contains(c.stderr, tc.wantHint) {
				t.Errorf("stderr lacks %q and hint %q", tc.wantErr, tc.wantHint)
			}
			if diff := cmp.Diff(before, fileState(t, f.dir)); diff != "" {
				t.Errorf("files changed (-before +after):\n%s", diff)
			}
		})
	}
}

// TestCleanupUnterminatedLastLine: assume ends a last line that had no
// line break before it appends its section; cleanup removes the section
// and leaves that line break, the one byte it cannot know was not there.
func TestCleanupUnterminatedLastLine(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	f := newFiles(t)
	const creds = "[other]\naws_access_key_id = AKIAOTHER"
	writeUserFile(t, f.credentials, creds)
	env := gitlabEnv(t, nil)
	if r := run(t, env, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--profile", "ci"}, f.args()...)...); r.code != 0 {
		t.Fatalf("assume exited %d", r.code)
	}
	if c := run(t, env, append([]string{"cleanup", "--profile", "ci"}, f.args()...)...); c.code != 0 {
		t.Fatalf("cleanup exited %d", c.code)
	}
	if got := readFile(t, f.credentials); got != creds+"\n" {
		t.Errorf("credentials = %q, want %q", got, creds+"\n")
	}
	if _, err := os.Stat(f.config); !os.IsNotExist(err) {
		t.Errorf("the config file assume created is still there (%v)", err)
	}
}
