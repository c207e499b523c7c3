package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Process is one run of a program as a CI job would start it.
type Process struct {
	// Path is the program; Args its arguments.
	Path string
	Args []string
	// Wrap, when set, is a command that runs the program in place (it execs
	// what follows it): prlimit --as=... for a memory limit, unshare for a
	// namespace.
	Wrap []string
	Dir  string
	// Env is the whole environment: nothing of the test's is inherited, so
	// a test states exactly what the job has.
	Env map[string]string
	// Stdout, when set, takes the program's stdout (a closed pipe, say)
	// instead of Result.Stdout.
	Stdout *os.File
	// Credential runs the program as another user (root only).
	Credential *syscall.Credential
	// Timeout is how long Run lets it run before killing it; zero means
	// two minutes.
	Timeout time.Duration
}

// Result is how a process ended and what it printed.
type Result struct {
	// Code is the exit code, -1 when a signal ended the process.
	Code int
	// Signaled says a signal ended the process; TimedOut that Run killed
	// it for running past its timeout.
	Signaled, TimedOut bool
	Stdout, Stderr     string
}

// Command is p as an exec.Cmd bound to ctx, its output not yet directed:
// for a test that starts the program and signals it.
func (p Process) Command(ctx context.Context) *exec.Cmd {
	argv := append(append(append([]string{}, p.Wrap...), p.Path), p.Args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = p.Dir
	cmd.Env = []string{}
	for k, v := range p.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if p.Credential != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.Credential}
	}
	return cmd
}

// Run runs p to completion, killing it after p.Timeout (two minutes when
// zero), and fails t when it could not be started at all.
func Run(t testing.TB, p Process) Result {
	t.Helper()
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := p.Command(ctx)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if p.Stdout != nil {
		cmd.Stdout = p.Stdout
	}
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), TimedOut: ctx.Err() != nil}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.Code = exit.ExitCode()
		r.Signaled = r.Code == -1
	case err != nil:
		t.Fatalf("failed to run %s: %v", p.Path, err)
	}
	return r
}

// Describe shows a run in a failure message: its exit code, the size of its
// stdout, which may hold credentials and is never shown, and its stderr
// passed through redact.
func (r Result) Describe(redact func(string) string) string {
	return fmt.Sprintf("exit %d\n--- stdout: %d bytes, not shown (it may hold credentials)\n--- stderr:\n%s", r.Code, len(r.Stdout), redact(r.Stderr))
}
