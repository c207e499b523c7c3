package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

// parseForTest reads exec's flags into a config, as the command does.
func parseForTest(t *testing.T, e Env, args ...string) (*Plan, error) {
	t.Helper()
	var cfg *Plan
	app := &cli.App{Writer: io.Discard, ErrWriter: io.Discard, ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{{Name: "exec", Flags: flags(execFlags()), Action: func(c *cli.Context) error {
			var err error
			cfg, err = execPlan(newLookup(c, e.Getenv, execFlags()), e)
			return err
		}}}}
	err := app.Run(append([]string{"aws-oidc", "exec"}, args...))
	return cfg, err
}

func TestExec(t *testing.T) {
	t.Parallel()
	// The child proves it got the credentials without printing them.
	check := `test "$AWS_SECRET_ACCESS_KEY" = '` + ststest.SecretAccessKey + `' && test "$AWS_SESSION_TOKEN" = '` + ststest.SessionToken + `' && ` +
		`test "$AWS_ACCESS_KEY_ID" = '` + ststest.AccessKeyID + `' && test -z "$AWS_PROFILE" && ` +
		`echo "region=$AWS_REGION expires=$AWS_CREDENTIAL_EXPIRATION args=$*"`
	cases := []struct {
		name       string
		args       []string
		script     []ststest.Answer
		wantCode   int
		wantStdout string
		wantErr    string
		wantCalls  int
	}{
		{name: "credentials_in_child_env", args: []string{"--", "sh", "-c", check, "sh", "a b", "c"}, wantCalls: 1,
			wantStdout: "region=eu-west-1 expires=2030-01-02T03:04:05Z args=a b c\n"},
		{name: "exit_code_passed_through", args: []string{"--", "sh", "-c", check + "; exit 7"}, wantCode: 7, wantCalls: 1,
			wantStdout: "region=eu-west-1", wantErr: `command "sh" exited with code 7`},
		{name: "child_killed_by_signal", args: []string{"--", "sh", "-c", "kill -KILL $$"}, wantCode: 137, wantCalls: 1, wantErr: "ended by signal killed"},
		{name: "no_command", wantCode: ExitConfig, wantCalls: 0, wantErr: "exec needs a command"},
		{name: "unknown_command", args: []string{"--", "no-such-command-aws-oidc"}, wantCode: ExitConfig, wantErr: `cannot run the command "no-such-command-aws-oidc"`},
		{name: "output_flags_refused", args: []string{"--output", "dotenv", "--", "true"}, wantCode: ExitConfig, wantErr: "flag provided but not defined: -output"},
		{name: "sts_refusal_runs_nothing", args: []string{"--", "sh", "-c", "echo ran"}, wantCode: ExitRefused, wantCalls: 1,
			script: []ststest.Answer{ststest.Fail(403, "AccessDenied", "Not authorized")}, wantErr: "AccessDenied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.script...)
			env := gitlabEnv(t, nil)
			env["AWS_PROFILE"] = "ignored" // only the process environment reaches the child; this must not matter
			r := run(t, env, append([]string{"exec", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--region", "eu-west-1"}, tc.args...)...)
			if r.code != tc.wantCode {
				t.Errorf("exit = %d, want %d", r.code, tc.wantCode)
			}
			if !strings.Contains(stableTimes(r.stdout), tc.wantStdout) || (tc.wantStdout == "" && r.stdout != "") {
				t.Errorf("stdout = %q, want %q", r.stdout, tc.wantStdout)
			}
			if tc.wantErr != "" && !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("stderr lacks %q", tc.wantErr)
			}
			if got := len(srv.Requests()); got != tc.wantCalls {
				t.Errorf("STS calls = %d, want %d", got, tc.wantCalls)
			}
			assertNoSecrets(t, r.stdout+r.stderr, env)
			for _, p := range []string{"aws.env", defaultAWSDir} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("exec wrote %s", p)
				}
			}
		})
	}
}

// syncBuffer is written by the child's output copier and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestExecForwardsSignals(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := gitlabEnv(t, nil)
	var stdout, stderr syncBuffer
	e := Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }, Now: time.Now}
	cfg, err := parseForTest(t, e, "--role-arn", roleARN, "--sts-endpoint", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "got-term")
	script := `trap 'echo term > ` + marker + `; exit 42' TERM; echo ready; while :; do sleep 0.05; done`
	signals := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() {
		done <- runExec(context.Background(), cfg, e, []string{"sh", "-c", script}, os.Environ(), signals)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "ready") {
		if time.Now().After(deadline) {
			t.Fatalf("the child never started; stderr:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	signals <- syscall.SIGTERM
	select {
	case err := <-done:
		var child *ChildExitError
		if !errors.As(err, &child) || child.Code != 42 || ExitCode(err) != 42 {
			t.Errorf("err = %v, want the child's own exit code 42", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child did not stop after SIGTERM was passed on")
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the child's TERM trap did not run: %v", err)
	}
}
