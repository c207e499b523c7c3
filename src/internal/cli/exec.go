package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// execFlags are assume's, without the outputs: exec hands the credentials
// to one process and writes nothing.
func execFlags() []flagSpec {
	return slices.DeleteFunc(slices.Clone(assumeFlags), func(s flagSpec) bool {
		switch s.Name {
		case "output", "dotenv-file", "dotenv-max-variables", "prefix", "profile", "aws-config-file",
			"aws-credentials-file", "roles", "max-parallel", "token-output-file", "allow-existing-credentials":
			return true
		}
		return false
	})
}

func execCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "assume the role, then run a command with the credentials in its environment only",
		ArgsUsage: "-- COMMAND [ARGS...]",
		Description: "Assumes the role like `assume` (same flags, chaining and checks included), then runs COMMAND with " +
			"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION and " +
			"AWS_CREDENTIAL_EXPIRATION in its environment. Nothing is written to disk. SIGINT and SIGTERM are passed on " +
			"to the command, and its exit code becomes aws-oidc's.",
		Flags: flags(execFlags()),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &InputError{Msg: err.Error()}
		},
		Action: func(c *cli.Context) error {
			plan, err := execPlan(newLookup(c, env.Getenv, execFlags()), env)
			if err != nil {
				return err
			}
			signals := make(chan os.Signal, 4)
			signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(signals)
			return asInput(runExec(c.Context, plan, env, c.Args().Slice(), os.Environ(), signals), plan.from)
		},
	}
}

// runExec assumes the role, then runs argv with environ plus the
// credentials, forwarding what arrives on signals until it exits.
func runExec(ctx context.Context, plan *Plan, env Env, argv, environ []string, signals <-chan os.Signal) error {
	if len(argv) == 0 {
		return inputErr("exec needs a command: aws-oidc exec [flags] -- COMMAND [ARGS...]")
	}
	// Before STS: a command that cannot run must not cost a session.
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return &CommandError{Command: argv[0], Err: errors.Unwrap(err)}
	}
	r := newAssumeRun(plan, env)
	actx, cancel := context.WithTimeout(ctx, plan.STS.Timeout)
	sessions, err := r.assumeAll(actx)
	cancel()
	if err != nil {
		return err
	}
	a := sessions[0]

	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	// The command gets credentials, not the job's token or the means to
	// mint more of its own.
	cmd.Env = output.Environ(token.Withhold(environ, plan.Token, r.tok.Value(), env.Getenv), output.Variables("", a.creds, a.session))
	// The command's own output is its business: it goes out unscrubbed.
	stderr := env.childStderr
	if stderr == nil {
		stderr = env.Stderr
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, env.Stdout, stderr
	r.log.Info(fmt.Sprintf("assumed %s (account %s) until %s; running %s",
		orDefault(a.session.AssumedRoleARN, a.session.RoleARN), a.session.AccountID,
		a.creds.Expiration.UTC().Format(time.RFC3339), argv[0]))
	if err := cmd.Start(); err != nil {
		return &CommandError{Command: argv[0], Err: err}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-signals:
			// The child decides how to stop; a second signal is passed on
			// too, as a shell would.
			r.log.Debug(fmt.Sprintf("passing %v on to %s", s, argv[0]))
			_ = cmd.Process.Signal(s)
		case err := <-done:
			return childExit(argv[0], cmd, err)
		}
	}
}

// CommandError is a command exec cannot run (not found, not executable).
type CommandError struct {
	Command string
	Err     error
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("cannot run the command %q: %v", e.Command, e.Err)
}
func (e *CommandError) Unwrap() error { return e.Err }
func (e *CommandError) ExitCode() int { return ExitConfig }
func (e *CommandError) Hint() string {
	return "name a command on $PATH, or give its path, after `--`: aws-oidc exec [flags] -- COMMAND [ARGS...]"
}

func childExit(name string, cmd *exec.Cmd, err error) error {
	if err == nil {
		return nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return fmt.Errorf("failed to wait for %q: %w", name, err)
	}
	e := &ChildExitError{Command: name, Code: exit.ExitCode()}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		// The shells' convention, so a pipeline sees what a direct run shows.
		e.Signal, e.Code = ws.Signal().String(), 128+int(ws.Signal())
	}
	return e
}

// ChildExitError is a command run by exec that did not exit 0. Its exit
// code becomes aws-oidc's.
type ChildExitError struct {
	Command string
	Code    int
	// Signal names the signal that ended the command, if one did.
	Signal string
}

func (e *ChildExitError) Error() string {
	if e.Signal != "" {
		return fmt.Sprintf("command %q was ended by signal %s (exit code %d)", e.Command, e.Signal, e.Code)
	}
	return fmt.Sprintf("command %q exited with code %d", e.Command, e.Code)
}

// ExitCode passes the command's code through.
func (e *ChildExitError) ExitCode() int { return e.Code }

// Hint is empty: the command printed its own reasons.
func (e *ChildExitError) Hint() string { return "" }
