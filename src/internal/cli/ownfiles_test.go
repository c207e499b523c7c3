package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

// writeMode writes a file of someone else's, with its own mode.
func writeMode(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestTokenFileOfSomeoneElse: assume does not overwrite, and cleanup does
// not delete, a file at --token-output-file that aws-oidc did not write:
// notes, or a token another tool left there readable by others. Both exit
// 2 naming the flag, and the file stays byte for byte.
func TestTokenFileOfSomeoneElse(t *testing.T) {
	t.Parallel()
	env := gitlabEnv(t, nil)
	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
	}{
		{name: "notes", content: "my important notes\n", mode: 0o600},
		{name: "empty", content: "", mode: 0o600},
		{name: "jwt_readable_by_others", content: env["GITLAB_OIDC_TOKEN"], mode: 0o644},
		{name: "jwt_and_more", content: env["GITLAB_OIDC_TOKEN"] + "\nsecond line\n", mode: 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			f := newFiles(t)
			important := filepath.Join(f.dir, "important.txt")
			writeMode(t, important, tc.content, tc.mode)
			r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", "token-file", "--token-output-file", important)
			if r.code != ExitConfig || !strings.Contains(r.stderr, "--token-output-file") {
				t.Errorf("assume: exit %d, want %d naming --token-output-file", r.code, ExitConfig)
			}
			if len(srv.Requests()) != 0 {
				t.Error("STS was called before the output was found unusable")
			}
			c := run(t, env, "cleanup", "-o", "token-file", "--token-output-file", important)
			if c.code != ExitConfig {
				t.Errorf("cleanup: exit %d, want %d", c.code, ExitConfig)
			}
			if got, _ := os.ReadFile(important); string(got) != tc.content {
				t.Errorf("the file now holds %q, want it as it was", got)
			}
			if fi, err := os.Stat(important); err != nil || fi.Mode().Perm() != tc.mode {
				t.Errorf("the file's mode changed: %v %v", fi.Mode(), err)
			}
		})
	}
}

// TestTokenFileOfOurs: a token file assume wrote is replaced by the next
// assume and removed by cleanup.
func TestTokenFileOfOurs(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	f := newFiles(t)
	env := gitlabEnv(t, nil)
	for range 2 {
		if r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", "token-file", "--token-output-file", f.token); r.code != 0 {
			t.Fatalf("assume exited %d", r.code)
		}
	}
	if c := run(t, env, "cleanup", "-o", "token-file", "--token-output-file", f.token); c.code != 0 || !strings.Contains(c.stderr, "deleted the token file") {
		t.Errorf("cleanup: exit %d", c.code)
	}
}

// TestProfileOfSomeoneElse: a profile section aws-oidc did not write (the
// runner user's static keys in [default] or [prod]) is neither replaced by
// assume nor removed by cleanup: exit 2 naming the section, before STS,
// both files byte for byte.
func TestProfileOfSomeoneElse(t *testing.T) {
	t.Parallel()
	const staticKeys = "[prod]\naws_access_key_id = AKIAUSERSOWNKEY12345\naws_secret_access_key = usersownsecret\n"
	for _, tc := range []struct {
		name, profile, config, creds string
		env                          map[string]string
	}{
		{name: "credentials_section", profile: "prod", creds: staticKeys},
		{name: "config_section", profile: "prod", config: "[profile prod]\nregion = eu-west-1\n"},
		{name: "default_from_variable", config: "[default]\nregion = eu-west-1\n", creds: strings.ReplaceAll(staticKeys, "prod", "default"),
			env: map[string]string{"AWS_OIDC_PROFILE": "default"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			f := newFiles(t)
			writeUserFile(t, f.config, tc.config)
			writeUserFile(t, f.credentials, tc.creds)
			before := fileState(t, f.dir)
			env := gitlabEnv(t, nil)
			for k, v := range tc.env {
				env[k] = v
			}
			var flag []string
			if tc.profile != "" {
				flag = []string{"--profile", tc.profile}
			}
			r := run(t, env, append(append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL}, f.args()...), flag...)...)
			if r.code != ExitConfig || !strings.Contains(r.stderr, "was not written by aws-oidc") || !strings.Contains(r.stderr, "hint: profile ") {
				t.Errorf("assume: exit %d, want %d and the section named", r.code, ExitConfig)
			}
			if len(srv.Requests()) != 0 {
				t.Error("STS was called before the profile was found to be someone else's")
			}
			c := run(t, env, append(append([]string{"cleanup"}, f.args()...), flag...)...)
			if c.code != ExitConfig || !strings.Contains(c.stderr, "was not written by aws-oidc") {
				t.Errorf("cleanup: exit %d, want %d", c.code, ExitConfig)
			}
			if diff := cmp.Diff(before, fileState(t, f.dir)); diff != "" {
				t.Errorf("files changed (-before +after):\n%s", diff)
			}
		})
	}
}

// TestDotenvVariablesOfSomeoneElse: assume says when it replaces variables
// of the dotenv file that no run wrote (a hand-written AWS_REGION), and
// not when it replaces its own.
func TestDotenvVariablesOfSomeoneElse(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	f := newFiles(t)
	writeUserFile(t, f.dotenv, "AWS_REGION=eu-west-1\nOTHER=1\n")
	env := gitlabEnv(t, nil)
	args := append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL}, f.args()...)
	r := run(t, env, args...)
	if r.code != 0 || !strings.Contains(r.stderr, "held AWS_REGION, which aws-oidc did not write") {
		t.Errorf("first run: exit %d, want 0 and a warning naming AWS_REGION", r.code)
	}
	if r := run(t, env, args...); r.code != 0 || strings.Contains(r.stderr, "did not write") {
		t.Errorf("second run: exit %d, and a warning about its own variables", r.code)
	}
}
