package filetests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// TestConcurrentRunsShareOneDotenvFile starts many runs with different
// prefixes at once, all writing the same aws.env (issue 14 §7): every run
// succeeds and the file holds every run's variables.
func TestConcurrentRunsShareOneDotenvFile(t *testing.T) {
	t.Parallel()
	const runs, rounds = 12, 3
	j := newJob(t)
	dotenv := filepath.Join(j.dir, "out", "aws.env")
	if err := os.Mkdir(filepath.Dir(dotenv), 0o700); err != nil {
		t.Fatal(err)
	}
	for round := range rounds {
		_ = os.Remove(dotenv)
		var wg sync.WaitGroup
		results := make([]harness.Result, runs)
		for i := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL,
					"--dotenv-file", "out/aws.env", "--prefix", fmt.Sprintf("RUN%d_", i), "--dotenv-max-variables", "100")
			}()
		}
		wg.Wait()
		for i, r := range results {
			if r.Code != 0 {
				t.Fatalf("round %d: run %d exited %d", round, i, r.Code)
			}
		}
		data, err := os.ReadFile(dotenv)
		if err != nil {
			t.Fatal(err)
		}
		var lost []string
		for i := range runs {
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"} {
				if key := fmt.Sprintf("RUN%d_%s=", i, k); !strings.Contains(string(data), key) {
					lost = append(lost, key)
				}
			}
		}
		if len(lost) > 0 {
			t.Fatalf("round %d: variables lost by concurrent writers: %s", round, strings.Join(lost, " "))
		}
		if n := strings.Count(string(data), "\n"); n != runs*6 {
			t.Errorf("round %d: %d lines, want %d", round, n, runs*6)
		}
	}
	// Nothing but the file is left in its folder (no lock or temporary file).
	entries, _ := os.ReadDir(filepath.Dir(dotenv))
	if len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want only aws.env", len(entries))
	}
}

// TestDotenvFolderIsMadeBeforeSTS: a dotenv file in a folder that does not
// exist gets the folder, 0700 (issue 10 §3); a run that then fails leaves
// no folder behind; a folder that cannot be made is refused before STS.
func TestDotenvFolderIsMadeBeforeSTS(t *testing.T) {
	t.Parallel()
	t.Run("made", func(t *testing.T) {
		t.Parallel()
		j := newJob(t)
		r := j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--dotenv-file", "ci/out/aws.env")
		if r.Code != 0 {
			t.Fatalf("exit %d", r.Code)
		}
		for _, d := range []string{"ci", "ci/out"} {
			if info, err := os.Stat(filepath.Join(j.dir, d)); err != nil || info.Mode().Perm() != 0o700 {
				t.Errorf("%s: %v, want a folder with mode 0700", d, err)
			}
		}
		if _, err := os.Stat(filepath.Join(j.dir, "ci/out/aws.env")); err != nil {
			t.Error(err)
		}
	})
	t.Run("removed_when_sts_refuses", func(t *testing.T) {
		t.Parallel()
		j := newJob(t, ststest.Fail(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"))
		before := snapshot(t, j.dir)
		r := j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--dotenv-file", "ci/out/aws.env")
		if r.Code != 4 {
			t.Errorf("exit %d, want 4", r.Code)
		}
		assertUnchanged(t, before, snapshot(t, j.dir))
	})
	t.Run("refused_before_sts", func(t *testing.T) {
		t.Parallel()
		j := newJob(t)
		write(t, filepath.Join(j.dir, "ci"), "a file where a folder should be\n")
		before := snapshot(t, j.dir)
		r := j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--dotenv-file", "ci/out/aws.env")
		if r.Code != 2 || !strings.Contains(r.Stderr, "ci") {
			t.Errorf("exit %d, want 2 and an error naming the folder", r.Code)
		}
		if n := len(j.sts.Requests()); n > 0 {
			t.Errorf("STS was called %d times", n)
		}
		assertUnchanged(t, before, snapshot(t, j.dir))
	})
	t.Run("not_writable", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() == 0 {
			// root writes anywhere: drop to nobody for this case.
			if _, err := exec.LookPath("setpriv"); err != nil {
				t.Skip("root without setpriv")
			}
		}
		j := newJob(t)
		ro := filepath.Join(j.dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(j.dir, 0o777); err != nil {
			t.Fatal(err)
		}
		var wrap []string
		if os.Geteuid() == 0 {
			wrap = []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
		}
		p := j.process(t, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--dotenv-file", "ro/sub/aws.env")
		p.Wrap = wrap
		r := j.runProcess(t, p)
		if r.Code != 2 {
			t.Errorf("exit %d, want 2", r.Code)
		}
		if n := len(j.sts.Requests()); n > 0 {
			t.Errorf("STS was called %d times", n)
		}
	})
}

// TestConcurrentRunsShareOneAWSConfig: runs writing different profiles to
// the same AWS config and credentials files at once keep every profile.
func TestConcurrentRunsShareOneAWSConfig(t *testing.T) {
	t.Parallel()
	const runs = 10
	j := newJob(t)
	var wg sync.WaitGroup
	codes := make([]int, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL,
				"--profile", fmt.Sprintf("p%d", i)).Code
		}()
	}
	wg.Wait()
	config, err := os.ReadFile(filepath.Join(j.dir, ".aws-oidc", "config"))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := os.ReadFile(filepath.Join(j.dir, ".aws-oidc", "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range runs {
		if codes[i] != 0 {
			t.Errorf("run %d exited %d", i, codes[i])
		}
		if !strings.Contains(string(config), fmt.Sprintf("[profile p%d]\n", i)) || !strings.Contains(string(creds), fmt.Sprintf("[p%d]\n", i)) {
			t.Errorf("profile p%d was lost", i)
		}
	}
}
