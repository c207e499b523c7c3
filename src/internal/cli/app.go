// Package cli owns the command line: the urfave/cli wiring, one file per
// command, the reading of flags and their environment variables into one
// validated plan per command (plan.go for assume and exec), the exit codes,
// and the hints printed for people when a command fails. The work itself is
// done by the core packages it calls.
package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/version"
)

// Env is everything a command takes from the process: streams, environment
// and clock. Tests pass their own.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// LookupEnv tells a variable set to "" from one not set; nil means
	// no variable is set to "".
	LookupEnv func(string) (string, bool)
	Now       func() time.Time
	// HTTPClient is used for STS and token requests; nil means a default.
	HTTPClient *http.Client

	// secrets is every secret the run has learnt, and childStderr the
	// stream before scrubbing, for the command exec runs: Run sets both.
	secrets     *logging.Secrets
	childStderr io.Writer
}

// diag is w as people read it: every secret of the run scrubbed and every
// control character escaped, one record per write. Stderr always goes
// through it; stdout only for the commands that print diagnostics there.
func (e Env) diag(w io.Writer) io.Writer {
	return logging.NewWriter(w, e.secrets)
}

// Run runs the command line args (args[0] is the program name) and returns
// the exit code. It prints `error: ...` and `hint: ...` on failure.
func Run(ctx context.Context, env Env, args []string) int {
	if env.Now == nil {
		env.Now = time.Now
	}
	// Help and usage text stay on the streams as they are: they are ours.
	help := env
	env.secrets = logging.NewSecrets()
	// A proxy's password is as much the job's secret as its token: a
	// proxy or a server may echo it, raw or as a Proxy-Authorization.
	env.secrets.Add(httpclient.ProxySecrets(env.Getenv)...)
	// Whoever holds GitHub's request token mints the job's ID tokens: it is
	// scrubbed like them, in every command.
	env.secrets.Add(token.GitHubRequestSecrets(env.Getenv)...)
	// The job's ID token is known from the start, so that a setting holding
	// it by mistake (role_arn: $AWS_OIDC_TOKEN) is scrubbed from the error
	// that quotes it, which comes before the token is read.
	for _, name := range append(slices.Clone(token.DefaultEnvs), env.Getenv("AWS_OIDC_TOKEN_ENV")) {
		if v := env.Getenv(name); name != "" && v != "" {
			env.secrets.AddToken(v)
		}
	}
	env.childStderr = env.Stderr
	env.Stderr = env.diag(env.Stderr)
	app := newApp(env, help)
	err := app.RunContext(ctx, args)
	if err == nil {
		return ExitOK
	}
	printError(env.Stderr, err)
	return ExitCode(err)
}

func newApp(env, help Env) *cli.App {
	app := &cli.App{
		Name:  "aws-oidc",
		Usage: "exchange a CI job's OIDC ID token for temporary AWS credentials",
		Description: "aws-oidc calls STS AssumeRoleWithWebIdentity with the job's GitLab (id_tokens:) or GitHub Actions " +
			"token and hands the credentials to later jobs (a dotenv report), to GitHub steps (GITHUB_ENV) or to a shell.",
		Version:              version.Get().String(),
		Writer:               help.Stdout,
		ErrWriter:            help.Stderr,
		HideVersion:          true,
		EnableBashCompletion: false,
		// Exiting is main's job alone.
		ExitErrHandler: func(*cli.Context, error) {},
		// lookup.Strings splits the lists the flags' contract says are
		// comma separated, and leaves Literal ones whole.
		DisableSliceFlagSeparator: true,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &InputError{Msg: err.Error()}
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
