// Package filetests runs the built aws-oidc binary as a process against a
// fake STS on loopback and real files, and checks what it leaves on disk:
// all or nothing across outputs, concurrent writers, AWS config files read
// back by the real AWS CLI, bounded input reads. Set AWS_OIDC_BIN to test
// another build (for example the one of an older commit).
package filetests

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// bin is the binary under test.
var bin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

// runAll makes the shared copy of the binary, then runs the tests.
func runAll(m *testing.M) int {
	if err := copySharedBin(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(filepath.Dir(sharedBin))
	return m.Run()
}

func buildAndRun(m *testing.M) int {
	if b := os.Getenv("AWS_OIDC_BIN"); b != "" {
		bin = b
		return runAll(m)
	}
	dir, err := os.MkdirTemp("", "aws-oidc-filetests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "aws-oidc")
	cmd := exec.Command("go", "build", "-o", bin, "../../src/cmd/aws-oidc")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "failed to build aws-oidc: %v\n%s", err, out)
		return 1
	}
	return runAll(m)
}

// sharedBin is a copy of bin that every user may run (bin's folder is
// root's alone), made before any test starts: writing an executable while
// parallel tests fork makes its exec fail with ETXTBSY (golang/go#22315).
var sharedBin string

func copySharedBin() error {
	dir, err := os.MkdirTemp("", "aws-oidc-shared-")
	if err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	sharedBin = filepath.Join(dir, "aws-oidc")
	return os.WriteFile(sharedBin, b, 0o755)
}

const roleARN = "arn:aws:iam::123456789012:role/deploy"

// job is one CI job: a working folder, its environment and a fake STS.
type job struct {
	dir string
	env map[string]string
	sts *ststest.Server
	// as, when set, runs the process as another user (root only).
	as *syscall.Credential
	// bin is the binary to run; "" for the one under test.
	bin string
}

func newJob(t *testing.T, script ...ststest.Answer) *job {
	t.Helper()
	return &job{
		dir: t.TempDir(),
		sts: ststest.New(t, script...),
		env: map[string]string{
			"PATH":              "/usr/bin:/bin",
			"HOME":              t.TempDir(),
			"GITLAB_CI":         "true",
			"CI_PROJECT_ID":     "42",
			"CI_PIPELINE_ID":    "1234",
			"CI_JOB_ID":         "5678",
			"GITLAB_OIDC_TOKEN": tokentest.Mint(t, nil),
		},
	}
}

type result struct {
	code           int
	signaled       bool
	stdout, stderr string
}

// run runs aws-oidc in the job's folder; stdout, when not nil, replaces the
// captured stdout (a closed pipe, for example).
func (j *job) run(t *testing.T, stdout *os.File, args ...string) result {
	t.Helper()
	return j.runWrapped(t, stdout, nil, args...)
}

// runWrapped runs aws-oidc under wrapper (prlimit, for example).
func (j *job) runWrapped(t *testing.T, stdout *os.File, wrapper []string, args ...string) result {
	t.Helper()
	b := bin
	if j.bin != "" {
		b = j.bin
	}
	argv := append(append(append([]string{}, wrapper...), b), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = j.dir
	if j.as != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: j.as}
	}
	for k, v := range j.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stderr = &errb
	if stdout != nil {
		cmd.Stdout = stdout
	} else {
		cmd.Stdout = &out
	}
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		r.signaled = ee.ExitCode() == -1
	default:
		t.Fatalf("failed to run aws-oidc: %v", err)
	}
	t.Logf("aws-oidc %s: exit %d\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	assertNoSecrets(t, r.stderr, j.env["GITLAB_OIDC_TOKEN"])
	return r
}

// assertNoSecrets fails when a secret shows in what was printed for people.
func assertNoSecrets(t *testing.T, text, token string) {
	t.Helper()
	for _, s := range []string{ststest.SecretAccessKey, ststest.SessionToken, token} {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("a secret of %d characters was printed", len(s))
		}
	}
}

// snapshot is every file and folder under dir with its mode and content.
func snapshot(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	s := map[string]string{}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			v := info.Mode().String()
			if info.Mode().IsRegular() {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				v += " " + string(b)
			}
			s[path] = v
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// assertUnchanged fails with the paths that differ.
func assertUnchanged(t *testing.T, before, after map[string]string) {
	t.Helper()
	var diff []string
	for p, v := range after {
		if b, ok := before[p]; !ok {
			diff = append(diff, "new: "+p)
		} else if b != v {
			diff = append(diff, "changed: "+p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			diff = append(diff, "removed: "+p)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("the failed run left changes behind:\n  %s", strings.Join(diff, "\n  "))
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// closedPipe is the write end of a pipe whose reader has gone.
func closedPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

// newTLSSTS is a fake STS over https, for runs that must load the system's
// certificates.
func newTLSSTS(t *testing.T) *ststest.Server {
	t.Helper()
	return ststest.NewTLS(t)
}

// ourMarker is the comment assume writes into every profile section it
// owns (README: "Profiles"); cleanup and later runs replace only those.
const ourMarker = "# aws-oidc: written by aws-oidc assume; aws-oidc cleanup removes this section"
