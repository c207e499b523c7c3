// Package cli owns the command line: the urfave/cli wiring, the reading of
// flags and their environment variables into one validated Config per
// command, the exit codes, and the hints printed for people when a command
// fails. The work itself is done by the core packages it calls.
package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/version"
)

// Env is everything a command takes from the process: streams, environment
// and clock. Tests pass their own.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
	// HTTPClient is used for STS and token requests; nil means a default.
	HTTPClient *http.Client
}

// Run runs the command line args (args[0] is the program name) and returns
// the exit code. It prints `error: ...` and `hint: ...` on failure.
func Run(ctx context.Context, env Env, args []string) int {
	if env.Now == nil {
		env.Now = time.Now
	}
	app := newApp(env)
	err := app.RunContext(ctx, args)
	if err == nil {
		return ExitOK
	}
	printError(env.Stderr, err)
	return ExitCode(err)
}

func newApp(env Env) *cli.App {
	app := &cli.App{
		Name:  "aws-oidc",
		Usage: "exchange a CI job's OIDC ID token for temporary AWS credentials",
		Description: "aws-oidc calls STS AssumeRoleWithWebIdentity with the job's GitLab (id_tokens:) or GitHub Actions " +
			"token and hands the credentials to later jobs (a dotenv report), to GitHub steps (GITHUB_ENV) or to a shell.",
		Version:              version.Get().String(),
		Writer:               env.Stdout,
		ErrWriter:            env.Stderr,
		HideVersion:          true,
		EnableBashCompletion: false,
		// Exiting is main's job alone.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &UsageError{Err: err}
		},
		Commands: []*cli.Command{
			assumeCommand(env),
			execCommand(env),
			cleanupCommand(env),
			claimsCommand(env),
			trustPolicyCommand(env),
			doctorCommand(env),
			versionCommand(env),
		},
	}
	ownHelpFlags(app)
	return app
}

func versionCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, commit and Go version",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintln(env.Stdout, version.Get().String())
			return err
		},
	}
}

// UsageError is a command line that could not be parsed.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErr(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}
