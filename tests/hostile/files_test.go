package hostile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
)

// marker is the comment line under the header of every profile section
// aws-oidc writes, as the README documents it.
const marker = "# aws-oidc: written by aws-oidc assume; aws-oidc cleanup removes this section"

// TestCleanupLeavesWhatItDidNotWrite runs cleanup, as a job's after_script
// would, in folders holding things aws-oidc did not write: an empty
// .aws-oidc/ folder of the user's, a hand-written aws.env, files whose mode
// the user chose. Each stays as it was.
func TestCleanupLeavesWhatItDidNotWrite(t *testing.T) {
	t.Parallel()
	t.Run("empty_folder_of_the_users", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, ".aws-oidc"), 0o755); err != nil {
			t.Fatal(err)
		}
		r := run(t, dir, job(dir, mint(t, fakegitlab.Options{})), 0, "cleanup", "--output", "shell")
		if r.Code != exitOK {
			t.Errorf("exit %d\n%s", r.Code, redacted(r, nil))
		}
		if _, err := os.Stat(filepath.Join(dir, ".aws-oidc")); err != nil {
			t.Errorf("the user's empty .aws-oidc folder is gone: %v", err)
		}
	})
	t.Run("hand_written_dotenv", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		const env = "AWS_REGION=eu-west-1\n"
		writeFile(t, filepath.Join(dir, "aws.env"), env)
		r := run(t, dir, job(dir, mint(t, fakegitlab.Options{})), 0, "cleanup")
		if r.Code != exitOK || !strings.Contains(r.Stderr, "they are not aws-oidc's") {
			t.Errorf("exit %d, want 0 and a note\n%s", r.Code, redacted(r, nil))
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "aws.env")); string(got) != env {
			t.Errorf("aws.env is now %q", got)
		}
	})
	t.Run("modes_kept", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		files := map[string]string{
			"aws.env": "OTHER=1\nAWS_ACCESS_KEY_ID=ASIAX\nAWS_SECRET_ACCESS_KEY=s\nAWS_SESSION_TOKEN=t\nAWS_REGION=us-east-1\n",
			"config":  "[profile other]\nregion = x\n[profile ci]\n" + marker + "\nregion = us-east-1\n",
		}
		for name, content := range files {
			writeFile(t, filepath.Join(dir, name), content)
			if err := os.Chmod(filepath.Join(dir, name), 0o664); err != nil {
				t.Fatal(err)
			}
		}
		env := job(dir, mint(t, fakegitlab.Options{}))
		for _, args := range [][]string{{"cleanup"}, {"cleanup", "--profile", "ci", "--aws-config-file", "config", "--aws-credentials-file", "credentials"}} {
			if r := run(t, dir, env, 0, args...); r.Code != exitOK {
				t.Errorf("%s: exit %d\n%s", args, r.Code, redacted(r, nil))
			}
		}
		for name, want := range map[string]string{"aws.env": "OTHER=1\n", "config": "[profile other]\nregion = x\n"} {
			got, _ := os.ReadFile(filepath.Join(dir, name))
			if string(got) != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != 0o664 {
				t.Errorf("%s: mode %v, want 0664 as the user had it", name, fi.Mode().Perm())
			}
		}
	})
	t.Run("static_keys_and_a_file_of_notes", func(t *testing.T) {
		t.Parallel()
		sts := NewSTS(t, nil)
		dir := t.TempDir()
		files := map[string]string{
			"credentials":   "[default]\naws_access_key_id = AKIAUSERSOWNKEY12345\naws_secret_access_key = usersownsecretkey\n",
			"config":        "[default]\nregion = eu-west-1\n",
			"important.txt": "my notes\n",
		}
		for name, content := range files {
			writeFile(t, filepath.Join(dir, name), content)
		}
		env := job(dir, mint(t, fakegitlab.Options{}))
		env["AWS_OIDC_PROFILE"] = "default"
		env["AWS_CONFIG_FILE"], env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
		for _, args := range [][]string{
			{"assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL},
			{"cleanup"},
			{"assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "-o", "token-file", "--token-output-file", "important.txt", "--profile", ""},
			{"cleanup", "-o", "token-file", "--token-output-file", "important.txt", "--profile", ""},
		} {
			r := run(t, dir, env, 0, args...)
			if r.Code != exitConfig {
				t.Errorf("%s: exit %d, want %d\n%s", args, r.Code, exitConfig, redacted(r, nil))
			}
		}
		if sts.Total() != 0 {
			t.Error("STS was called although the outputs were someone else's")
		}
		for name, want := range files {
			if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != want {
				t.Errorf("%s = %q, want it as it was", name, got)
			}
		}
	})
}
