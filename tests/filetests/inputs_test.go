package filetests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// memoryLimit caps the address space of the process: the Go runtime
// reserves about 1.1 GB of it at start, so 1.5 GiB leaves room for a normal
// run and none for reading a huge or endless file whole.
const memoryLimit = "--as=1610612736"

// TestInputFilesAreBoundedAndRegular points every flag that names an input
// file at /dev/zero, at a sparse file of 4 GiB and at a named pipe without
// a writer (issue 14 §8). Each is refused with exit 2 naming the flag (exit
// 3 for the token file), in bounded memory, without waiting for the pipe.
func TestInputFilesAreBoundedAndRegular(t *testing.T) {
	t.Parallel()
	_, huge, fifo := endlessInputs(t)
	type flagCase struct {
		name string
		args func(path string) []string
		code int
		// says must appear in stderr: the flag, or for the token the file.
		says string
	}
	flags := []flagCase{
		{name: "policy", args: func(p string) []string { return []string{"assume", "--role-arn", roleARN, "--policy", "@" + p} }, code: 2, says: "--policy"},
		{name: "roles", args: func(p string) []string { return []string{"assume", "--roles", p} }, code: 2, says: "--roles"},
		{name: "ca_bundle", args: func(p string) []string { return []string{"assume", "--role-arn", roleARN, "--ca-bundle", p} }, code: 2, says: "--ca-bundle"},
		{name: "trust_policy_check", args: func(p string) []string { return []string{"trust-policy", "--check", p} }, code: 2, says: "--check"},
		{name: "doctor_trust_policy", args: func(p string) []string { return []string{"doctor", "--trust-policy", p} }, code: 2, says: "--trust-policy"},
		{name: "token_file", args: func(p string) []string {
			return []string{"assume", "--role-arn", roleARN, "--token-file", p, "--timeout", "5s"}
		}, code: 3, says: "token file"},
	}
	files := []struct{ name, path, says string }{
		{"dev_zero", "/dev/zero", "not a regular file"},
		{"huge_file", huge, "larger than"},
		{"fifo", fifo, "not a regular file"},
	}
	for _, f := range flags {
		for _, file := range files {
			t.Run(f.name+"_"+file.name, func(t *testing.T) {
				t.Parallel()
				j := newJob(t)
				delete(j.env, "GITLAB_OIDC_TOKEN")
				if f.name != "token_file" {
					j.env["GITLAB_OIDC_TOKEN"] = "unused"
				}
				code, stderr := runLimited(t, j, f.args(file.path)...)
				if strings.Contains(stderr, "fatal error") || strings.Contains(stderr, "out of memory") {
					t.Fatalf("the process ran out of memory")
				}
				if code != f.code {
					t.Errorf("exit %d, want %d", code, f.code)
				}
				for _, want := range []string{f.says, file.says} {
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr does not say %q", want)
					}
				}
			})
		}
	}
}

// runLimited runs aws-oidc under the memory limit; a run that does not end
// within a minute (a read blocked on the pipe) is killed and fails the test.
func runLimited(t *testing.T, j *job, args ...string) (int, string) {
	t.Helper()
	p := j.process(t, args...)
	p.Wrap, p.Timeout = []string{"prlimit", memoryLimit}, time.Minute
	r := j.runProcess(t, p)
	if r.TimedOut {
		t.Fatalf("aws-oidc %s did not end: it waits on its input", strings.Join(args, " "))
	}
	return r.Code, r.Stderr
}

// TestSystemCertificateVariablesAreBounded points SSL_CERT_FILE and
// SSL_CERT_DIR at /dev/zero, a sparse file of 4 GiB and a named pipe, with
// an https STS: crypto/x509's own loader waited on the pipe forever (through
// SIGTERM) and read /dev/zero until memory ran out. Each is refused with
// exit 2 naming the variable, before STS, in bounded memory.
func TestSystemCertificateVariablesAreBounded(t *testing.T) {
	t.Parallel()
	dir, huge, fifo := endlessInputs(t)
	fifoDir := filepath.Join(dir, "certs")
	if err := os.Mkdir(fifoDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(fifoDir, "ca.pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, variable, value string }{
		{"file_dev_zero", "SSL_CERT_FILE", "/dev/zero"},
		{"file_huge", "SSL_CERT_FILE", huge},
		{"file_fifo", "SSL_CERT_FILE", fifo},
		{"dir_with_fifo", "SSL_CERT_DIR", fifoDir},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := newJob(t)
			sts := newTLSSTS(t)
			j.env[tc.variable] = tc.value
			code, stderr := runLimited(t, j, "assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "--region", "eu-west-1", "--timeout", "10s")
			if strings.Contains(stderr, "fatal error") || strings.Contains(stderr, "out of memory") {
				t.Fatalf("the process ran out of memory")
			}
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, tc.variable) {
				t.Errorf("stderr does not name %s", tc.variable)
			}
			if n := len(sts.Requests()); n > 0 {
				t.Errorf("STS was called %d times", n)
			}
		})
	}
}

// endlessInputs skips t without prlimit, and gives a temporary folder with
// a sparse file of 4 GiB (huge) and a named pipe without a writer (fifo):
// inputs that must be refused, not read whole or waited on.
func endlessInputs(t *testing.T) (dir, huge, fifo string) {
	t.Helper()
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("no prlimit (util-linux)")
	}
	dir = t.TempDir()
	huge = filepath.Join(dir, "huge")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 4<<30); err != nil {
		t.Fatal(err)
	}
	fifo = filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, huge, fifo
}
