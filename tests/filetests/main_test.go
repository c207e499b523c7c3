// Package filetests runs the built aws-oidc binary as a process against a
// fake STS on loopback and real files, and checks what it leaves on disk:
// all or nothing across outputs, concurrent writers, AWS config files read
// back by the real AWS CLI, bounded input reads. Set AWS_OIDC_BIN to test
// another build (for example the one of an older commit).
package filetests

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// bin holds the binary under test, built once (or AWS_OIDC_BIN).
var bin harness.Binaries

func TestMain(m *testing.M) { harness.Main(m, &bin, copySharedBin) }

// sharedBin is a copy of the tool that every user may run (the build's
// folder is root's alone), made before any test starts: writing an
// executable while parallel tests fork makes its exec fail with ETXTBSY
// (golang/go#22315).
var sharedBin string

func copySharedBin() (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "aws-oidc-shared-")
	if err != nil {
		return nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := os.Chmod(dir, 0o755); err != nil {
		return cleanup, err
	}
	b, err := os.ReadFile(bin.AWSOIDC)
	if err != nil {
		return cleanup, err
	}
	sharedBin = filepath.Join(dir, "aws-oidc")
	return cleanup, os.WriteFile(sharedBin, b, 0o755)
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

// process is the job's run of aws-oidc with args: in its folder, with its
// environment, as its user.
func (j *job) process(t *testing.T, args ...string) harness.Process {
	t.Helper()
	p := harness.Process{Path: j.bin, Args: args, Dir: j.dir, Env: j.env, Credential: j.as}
	if p.Path == "" {
		p.Path = bin.Tool(t)
	}
	return p
}

// run runs aws-oidc in the job's folder; stdout, when not nil, replaces the
// captured stdout (a closed pipe, for example).
func (j *job) run(t *testing.T, stdout *os.File, args ...string) harness.Result {
	t.Helper()
	p := j.process(t, args...)
	p.Stdout = stdout
	return j.runProcess(t, p)
}

// runProcess runs p, fails the test when stderr holds a secret, and logs
// the exit code and, when it holds none, stderr.
func (j *job) runProcess(t *testing.T, p harness.Process) harness.Result {
	t.Helper()
	r := harness.Run(t, p)
	stderr := r.Stderr
	if !harness.AssertNoSecret(t, map[string]string{"stderr": r.Stderr}, map[string]string{
		"secret access key": ststest.SecretAccessKey, "session token": ststest.SessionToken, "ID token": j.env["GITLAB_OIDC_TOKEN"],
	}) {
		stderr = "(not shown: it holds a secret)\n"
	}
	t.Logf("aws-oidc %s: exit %d\nstderr:\n%s", strings.Join(p.Args, " "), r.Code, stderr)
	return r
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
