package filetests

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// refusedBeforeSTS runs aws-oidc with args after the STS endpoint and
// checks that it exits 2 with msg in stderr, without calling STS and
// without changing anything under dirs.
func refusedBeforeSTS(t *testing.T, j *job, msg string, dirs []string, args ...string) harness.Result {
	t.Helper()
	before := snapshot(t, dirs...)
	r := j.run(t, nil, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1"}, args...)...)
	if r.Code != 2 {
		t.Errorf("exit %d, want 2", r.Code)
	}
	if !strings.Contains(r.Stderr, msg) {
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
				if r.Code != 2 || !strings.Contains(r.Stderr, "DEFAULT") || len(j.sts.Requests()) > 0 {
					t.Errorf("exit %d, STS calls %d; want 2 naming DEFAULT before STS", r.Code, len(j.sts.Requests()))
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
				if r.Code != 2 || !strings.Contains(r.Stderr, "same file") || len(j.sts.Requests()) > 0 {
					t.Errorf("exit %d, STS calls %d; want 2 saying same file before STS", r.Code, len(j.sts.Requests()))
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
	if r.Code != 0 {
		t.Fatalf("exit %d, want 0", r.Code)
	}
	if b, _ := os.ReadFile(filepath.Join(j.dir, "d", "credentials")); !strings.Contains(string(b), "[ci]") {
		t.Errorf("no [ci] in the credentials file:\n%s", b)
	}
}

// TestRollbackRestoresModes: a run whose stdout is broken puts back every
// file it wrote, and their modes too (a rolled-back run turned a 0644
// aws.env into 0600). The config, credentials and dotenv files are 0644
// before; the snapshot compares mode and content.
func TestRollbackRestoresModes(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	write(t, filepath.Join(j.dir, "roles.yml"), mixedRoles)
	files := map[string]string{
		"aws.env":         "EARLIER=1\n",
		"aws/config":      "[profile other]\nregion = us-east-1\n",
		"aws/credentials": "[other]\naws_access_key_id = AKIAOTHER\n",
	}
	for name, content := range files {
		p := filepath.Join(j.dir, name)
		write(t, p, content)
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, j.dir)
	r := j.run(t, closedPipe(t), "assume", "--sts-endpoint", j.sts.URL, "--region", "eu-west-1", "--roles", "roles.yml",
		"--output", "dotenv,shell", "--aws-config-file", "aws/config", "--aws-credentials-file", "aws/credentials")
	if r.Code == 0 {
		t.Fatal("exit 0 with a closed stdout")
	}
	assertUnchanged(t, before, snapshot(t, j.dir))
}

// TestSuccessWritesMode0600: a file that held 0644 before holds
// credentials now, readable by the job's user only (README: "Files").
func TestSuccessWritesMode0600(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	p := filepath.Join(j.dir, "aws.env")
	write(t, p, "EARLIER=1\n")
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1"); r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("aws.env mode %v (%v), want 0600", info.Mode(), err)
	}
}

// nobodyJob is a job run as user nobody in a folder everyone may write
// (without the sticky bit), with a copy of the binary nobody may run.
func nobodyJob(t *testing.T) *job {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run as nobody")
	}
	base, err := os.MkdirTemp("", "aws-oidc-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	j := newJob(t)
	j.bin = sharedBin
	j.dir = filepath.Join(base, "job")
	j.env["HOME"] = j.dir
	j.as = &syscall.Credential{Uid: 65534, Gid: 65534}
	if err := os.Mkdir(j.dir, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{base, j.dir} {
		if err := os.Chmod(d, map[bool]os.FileMode{true: 0o755, false: 0o777}[d == base]); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

// TestReadOnlyFilesAreNotReplaced: a file the user may not write (0444, or
// another user's 0644 file in a folder everyone may write) is refused with
// exit 2 before STS, as the shell would refuse `> file`, instead of being
// replaced through a rename.
func TestReadOnlyFilesAreNotReplaced(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		file  string
		mode  os.FileMode
		owner int // 0 root, else nobody
		args  []string
	}{
		{"own_dotenv_0444", "aws.env", 0o444, 65534, nil},
		{"roots_dotenv_0644", "aws.env", 0o644, 0, nil},
		{"own_config_0444", "config", 0o444, 65534, []string{"--profile", "ci", "--aws-config-file", "config", "--aws-credentials-file", "credentials"}},
		{"own_token_file_0444", "token", 0o444, 65534, []string{"--output", "token-file", "--token-output-file", "token"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := nobodyJob(t)
			p := filepath.Join(j.dir, tc.file)
			if err := os.WriteFile(p, []byte("KEEP=1\n"), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(p, tc.owner, tc.owner); err != nil {
				t.Fatal(err)
			}
			refusedBeforeSTS(t, j, "may not write", []string{j.dir}, tc.args...)
		})
	}
}

// TestGitHubEnvWithoutLastLineBreak: a GITHUB_ENV whose last line has no
// line break gets one before our lines, instead of EXISTING=1AWS_...
func TestGitHubEnvWithoutLastLineBreak(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	envFile, outFile := filepath.Join(j.dir, "env"), filepath.Join(j.dir, "out")
	write(t, envFile, "EXISTING=1")
	write(t, outFile, "earlier=1")
	j.env["GITHUB_ACTIONS"] = "true"
	j.env["GITHUB_ENV"], j.env["GITHUB_OUTPUT"] = envFile, outFile
	if r := j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1", "--output", "github"); r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	for path, first := range map[string]string{envFile: "EXISTING=1\n", outFile: "earlier=1\n"} {
		b, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(b), first) {
			t.Errorf("%s starts %q, want %q", filepath.Base(path), b[:min(len(b), 30)], first)
		}
	}
	// And rolled back: the break goes again with the rest.
	j2 := newJob(t)
	write(t, filepath.Join(j2.dir, "env"), "EXISTING=1")
	j2.env["GITHUB_ACTIONS"] = "true"
	j2.env["GITHUB_ENV"], j2.env["GITHUB_OUTPUT"] = filepath.Join(j2.dir, "env"), filepath.Join(j2.dir, "out")
	before := snapshot(t, j2.dir)
	if r := j2.run(t, closedPipe(t), "assume", "--role-arn", roleARN, "--sts-endpoint", j2.sts.URL, "--region", "eu-west-1", "--output", "github"); r.Code == 0 {
		t.Fatal("exit 0 with a closed stdout")
	}
	assertUnchanged(t, before, snapshot(t, j2.dir))
}

// TestAssumeWritesOnlyWhatCleanupCanRemove: a profile ci written by an
// earlier run, followed by an indented header that is a header only while
// ci has settings. assume used to write it (exit 0) and cleanup then
// refused to remove it (exit 2); now assume refuses first, before STS, and
// names the header to fix.
func TestAssumeWritesOnlyWhatCleanupCanRemove(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	config := "[profile w]\nregion = w\n[profile ci]\n" + ourMarker + "\n  region = old\n  [profile z]\nregion=q\n"
	write(t, filepath.Join(j.dir, "config"), config)
	args := []string{"--profile", "ci", "--aws-config-file", "config", "--aws-credentials-file", "credentials"}
	r := j.run(t, nil, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1"}, args...)...)
	if r.Code == 0 {
		// Whatever assume writes, cleanup must take out again.
		c := j.run(t, nil, append([]string{"cleanup"}, args...)...)
		if c.Code != 0 {
			t.Fatalf("assume exited 0, then cleanup exited %d", c.Code)
		}
		return
	}
	if r.Code != 2 || !strings.Contains(r.Stderr, "[profile z]") || len(j.sts.Requests()) > 0 {
		t.Errorf("exit %d, %d STS calls; want 2 naming [profile z] before STS", r.Code, len(j.sts.Requests()))
	}
	if b, _ := os.ReadFile(filepath.Join(j.dir, "config")); string(b) != config {
		t.Errorf("the config file changed:\n%s", b)
	}
}

// TestStaleTemporaryFilesAreRemoved: a run killed between creating its
// temporary file and renaming it leaves the file, with live credentials,
// beside the output. The next assume and cleanup remove such files of
// theirs (named as atomicfile names them), under the folder's lock; other
// files stay.
func TestStaleTemporaryFilesAreRemoved(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	staleEnv := filepath.Join(j.dir, ".aws.env.tmp-1234567")
	staleCreds := filepath.Join(j.dir, "aws", ".credentials.tmp-7654321")
	other := filepath.Join(j.dir, ".aws.env.keep")
	write(t, staleEnv, "AWS_SECRET_ACCESS_KEY=stale\n")
	write(t, staleCreds, "[ci]\naws_secret_access_key = stale\n")
	write(t, other, "mine\n")
	r := j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1")
	if r.Code != 0 {
		t.Fatalf("assume: exit %d", r.Code)
	}
	if _, err := os.Lstat(staleEnv); err == nil {
		t.Errorf("assume left %s", filepath.Base(staleEnv))
	}
	c := j.run(t, nil, "cleanup", "--profile", "ci", "--aws-config-file", "aws/config", "--aws-credentials-file", "aws/credentials")
	if c.Code != 0 {
		t.Fatalf("cleanup: exit %d", c.Code)
	}
	if _, err := os.Lstat(staleCreds); err == nil {
		t.Errorf("cleanup left %s", filepath.Base(staleCreds))
	}
	if _, err := os.Lstat(other); err != nil {
		t.Errorf("a file not ours went: %v", err)
	}
}

// TestCleanupKeepsALinkedDefaultFolder: .aws-oidc as a symbolic link the
// user made to a folder of theirs stays after cleanup deleted the files in
// it (os.Remove deleted the link).
func TestCleanupKeepsALinkedDefaultFolder(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	if err := os.Mkdir(filepath.Join(j.dir, "real"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(j.dir, ".aws-oidc")); err != nil {
		t.Fatal(err)
	}
	if r := j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1", "--profile", "ci"); r.Code != 0 {
		t.Fatalf("assume: exit %d", r.Code)
	}
	if c := j.run(t, nil, "cleanup", "--profile", "ci"); c.Code != 0 {
		t.Fatalf("cleanup: exit %d", c.Code)
	}
	if info, err := os.Lstat(filepath.Join(j.dir, ".aws-oidc")); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link .aws-oidc is gone or changed: %v", err)
	}
}

// TestExistingDotenvCheckedBeforeSTS: an existing dotenv file that is too
// large or not a GitLab dotenv report is refused before STS is called, not
// after credentials were minted for nothing.
func TestExistingDotenvCheckedBeforeSTS(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"too_large": strings.Repeat("A=1234567890\n", 500),
		"malformed": "export A=1\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			j := newJob(t)
			write(t, filepath.Join(j.dir, "aws.env"), content)
			refusedBeforeSTS(t, j, "aws.env", []string{j.dir})
		})
	}
}

// TestTokenFileErrorsNameTheirSource: a token file that is a socket is
// "not a regular file" (not "no such device or address"), and the error
// says which flag or variable named it.
func TestTokenFileErrorsNameTheirSource(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "sock") // a short path: sockets' are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	cases := []struct {
		name, from string
		set        func(j *job) []string
	}{
		{"flag", "--token-file", func(j *job) []string { return []string{"--token-file", sock} }},
		{"variable", "AWS_OIDC_TOKEN_FILE", func(j *job) []string { j.env["AWS_OIDC_TOKEN_FILE"] = sock; return nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := newJob(t)
			r := j.run(t, nil, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1"}, tc.set(j)...)...)
			if r.Code != 3 {
				t.Errorf("exit %d, want 3", r.Code)
			}
			for _, want := range []string{"not a regular file", tc.from} {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("stderr does not say %q", want)
				}
			}
		})
	}
}

// TestClosedStdoutIsRefusedAtStart: with stdout closed (`>&-`) the Go
// runtime puts /dev/null in its place, and the shell exports went there
// with exit 0. An output to stdout now fails before STS (exit 1); a
// redirection to /dev/null stays allowed.
func TestClosedStdoutIsRefusedAtStart(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	args := []string{"assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1", "--output", "shell"}
	run := func(redirect string) (int, string) {
		p := j.process(t, args...)
		p.Wrap = []string{"/bin/sh", "-c", `exec "$0" "$@" ` + redirect}
		r := j.runProcess(t, p)
		return r.Code, r.Stderr
	}
	code, stderr := run(">&-")
	if code == 0 || !strings.Contains(stderr, "stdout is closed") || len(j.sts.Requests()) > 0 {
		t.Errorf("closed stdout: exit %d, %d STS calls; want a failure before STS", code, len(j.sts.Requests()))
	}
	if !strings.Contains(stderr, "\nhint: keep stdout open until aws-oidc exits") {
		t.Errorf("closed stdout: no hint on keeping it open:\n%s", stderr)
	}
	if code, _ := run(">/dev/null"); code != 0 {
		t.Errorf("stdout to /dev/null: exit %d, want 0", code)
	}
}

// TestLockTimeoutHasAHint: a folder locked by another process until the
// deadline ends the run with a hint saying what holds it and what to do.
func TestLockTimeoutHasAHint(t *testing.T) {
	t.Parallel()
	j := newJob(t)
	d, err := os.Open(j.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	r := j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1", "--timeout", "2s")
	if r.Code == 0 || !strings.Contains(r.Stderr, "hint: another aws-oidc run") {
		t.Errorf("exit %d; want a failure with a hint about the lock", r.Code)
	}
}

// TestRollbackRestoresOwner: run as root, a rolled-back run gives a
// replaced file back to its owner (here nobody), not only its content and
// mode.
func TestRollbackRestoresOwner(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file away")
	}
	j := newJob(t)
	p := filepath.Join(j.dir, "aws.env")
	write(t, p, "EARLIER=1\n")
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if r := j.run(t, closedPipe(t), "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1", "--output", "dotenv,shell"); r.Code == 0 {
		t.Fatal("exit 0 with a closed stdout")
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st := info.Sys().(*syscall.Stat_t); st.Uid != 65534 || st.Gid != 65534 {
		t.Errorf("aws.env belongs to %d:%d after the rollback, want 65534:65534", st.Uid, st.Gid)
	}
}

// TestSIGTERMEndsAWaitingRun: SIGTERM while the run waits (here on an STS
// that holds its answer back for a minute, with a --timeout of ten) ends
// it with exit 1 and nothing written, without waiting for the answer.
func TestSIGTERMEndsAWaitingRun(t *testing.T) {
	t.Parallel()
	j := newJob(t, ststest.Answer{Delay: time.Minute})
	before := snapshot(t, j.dir)
	cmd := j.process(t, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1", "--timeout", "10m").
		Command(context.Background())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the request is at STS, then stop the run.
	for len(j.sts.Requests()) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the run did not end within 30s of SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d after SIGTERM, want 1\n%s", code, stderr.String())
	}
	assertUnchanged(t, before, snapshot(t, j.dir))
}
