package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// Command is one process to run: a peer, the issuer, aws-oidc or the AWS CLI.
type Command struct {
	// Name labels the process in logs and leak reports.
	Name string
	Path string
	Args []string
	// Env is the whole environment: nothing is inherited, so a test states
	// exactly what a CI job would have.
	Env []string
	// NetNS runs the process inside that network namespace (ip netns exec).
	NetNS string
	Dir   string
	// StdoutHoldsSecrets marks a stdout that carries credentials by design
	// (the guide's snippet, --output json or shell): it is not scanned.
	StdoutHoldsSecrets bool
}

func (c Command) cmd(ctx context.Context) *exec.Cmd {
	path, args := c.Path, c.Args
	if c.NetNS != "" {
		// ip execs the command in place, so the PID we hold is the program's own.
		path, args = "/usr/sbin/ip", append([]string{"netns", "exec", c.NetNS, c.Path}, c.Args...)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = c.Dir
	return cmd
}

// Result is a finished process.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
	// Start is when the process was started; Duration how long it ran.
	Start    time.Time
	Duration time.Duration
}

// Run runs c to completion (at most two minutes), records its output for the
// leak scan and logs it, redacted, when the test fails.
func Run(t testing.TB, leaks *harness.Leaks, c Command) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := c.cmd(ctx)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Start: start, Duration: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.ExitCode = exit.ExitCode()
	case err != nil:
		t.Fatalf("failed to run %s: %v", c.Name, err)
	}
	if strings.Contains(r.Stderr, signalHint) {
		// Run signals nothing but a run past its two minutes (SIGKILL),
		// and the tests that signal aws-oidc start it with startKillable.
		t.Errorf("%s (pid %d) was stopped by a SIGTERM or SIGINT that no test sent it: another process on this machine signalled its PID",
			c.Name, cmd.Process.Pid)
	}
	if !c.StdoutHoldsSecrets {
		leaks.Output(c.Name+" stdout", r.Stdout)
	}
	leaks.Output(c.Name+" stderr", r.Stderr)
	ended := fmt.Sprintf("exited %d", r.ExitCode)
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		ended = "was killed by " + ws.Signal().String()
	}
	t.Cleanup(func() {
		if t.Failed() || verbose {
			stdout := r.Stdout
			if c.StdoutHoldsSecrets {
				stdout = "(holds credentials by design; not shown)\n"
			}
			t.Logf("%s (pid %d) %s after %s\n--- stdout:\n%s--- stderr:\n%s", c.Name, cmd.Process.Pid, ended,
				r.Duration.Round(time.Millisecond), leaks.Redact(stdout), leaks.Redact(r.Stderr))
		}
	})
	return r
}

// signalHint is how aws-oidc ends when SIGTERM or SIGINT stops it.
const signalHint = "hint: stopped by a signal"

// verbose logs every process's output (redacted), not only on failure:
// AWS_OIDC_E2E_VERBOSE=1 go test -v ./tests/e2e/...
var verbose = os.Getenv("AWS_OIDC_E2E_VERBOSE") == "1"

// Server is a background process owned by a test.
type Server struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// Start runs c in the background with its output in a log file, and stops it
// by PID (SIGTERM, then SIGKILL after five seconds) when the test ends; its
// log is then scanned for leaks and printed, redacted, if the test failed.
func Start(t testing.TB, leaks *harness.Leaks, c Command) *Server {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), sanitize(c.Name)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("failed to create log for %s: %v", c.Name, err)
	}
	cmd := c.cmd(context.Background())
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("failed to start %s: %v", c.Name, err)
	}
	s := &Server{name: c.Name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.Stop()
		text := s.Log()
		leaks.Output(c.Name+" log", text)
		if t.Failed() {
			t.Logf("%s (pid %d) log:\n%s", c.Name, cmd.Process.Pid, leaks.Redact(text))
		}
	})
	return s
}

// Stop ends the server by its PID and waits for it; calling it twice is fine.
func (s *Server) Stop() {
	if s.Exited() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Log returns what the server printed so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// WaitHTTP polls url with curl from inside netns (empty: the host's) until it
// answers 2xx, failing the test after 30 s or as soon as the server exits.
func (s *Server) WaitHTTP(t testing.TB, netns, url string) {
	t.Helper()
	args := []string{"-skf", "-o", "/dev/null", "--max-time", "2", url}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c := Command{Path: "/usr/bin/curl", Args: args, NetNS: netns}
		if err := c.cmd(context.Background()).Run(); err == nil {
			return
		}
		if s.Exited() {
			t.Fatalf("%s exited before answering %s:\n%s", s.name, url, s.Log())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %s within 30s:\n%s", s.name, url, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o600)
}

func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, name)
}

// BaseEnv is the environment every process starts from: a PATH, a private
// HOME (so no ~/.aws of the machine leaks in), UTF-8, and no instance
// metadata lookups by the AWS CLI.
func BaseEnv(home string) []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"HOME=" + home,
		"LANG=C.UTF-8",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "no-aws-credentials"),
		"AWS_PAGER=",
	}
}

// Env returns base with the pairs appended ("K", "V", ...); later wins.
func Env(base []string, kv ...string) []string {
	if len(kv)%2 != 0 {
		panic(fmt.Sprintf("Env needs key, value pairs, got %d strings", len(kv)))
	}
	env := append([]string{}, base...)
	for i := 0; i < len(kv); i += 2 {
		env = append(env, kv[i]+"="+kv[i+1])
	}
	return env
}
