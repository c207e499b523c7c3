package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/rolesfile"
)

// cleanupFlags are assume's flags that say where a run writes: the same
// names and variables, so that an after_script with the job's variables
// removes what the script's assume wrote.
func cleanupFlags() []flagSpec {
	return withUsage(slices.DeleteFunc(slices.Clone(assumeFlags), func(s flagSpec) bool {
		switch s.Name {
		case "output", "dotenv-file", "prefix", "profile", "aws-config-file", "aws-credentials-file", "roles",
			"token-output-file", "region", "debug":
			return false
		}
		return true
	}), "region", "default region of the roles file's entries, read as assume reads it")
}

func cleanupCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:  "cleanup",
		Usage: "remove what `assume` with the same flags and variables wrote: dotenv variables, token file, profiles",
		Description: "Takes assume's output flags and variables (--output, --dotenv-file, --prefix, --profile, --roles, " +
			"--aws-config-file, --aws-credentials-file, --token-output-file) and removes exactly what such a run writes: " +
			"its variables from the dotenv file (the file is deleted when nothing else is left in it), the token file of " +
			"--output token-file, and the named profiles' sections of the AWS config and credentials files. Every other " +
			"byte of those files stays as it was. Nothing to remove is not an error.\n\n" +
			"Exit codes: 0 success (also when nothing was there), 2 invalid flags or a file that is not what aws-oidc " +
			"writes (left alone), 1 anything else.",
		Flags: flags(cleanupFlags()),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &InputError{Msg: err.Error()}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return inputErr("unexpected argument %q: cleanup takes flags only", logging.URL(c.Args().First()))
			}
			ctx, cancel := context.WithTimeout(c.Context, cleanupTimeout)
			defer cancel()
			cfg, err := parseCleanup(ctx, newLookup(c, env.Getenv, cleanupFlags()), env)
			if err != nil {
				return err
			}
			return runCleanup(ctx, cfg, env)
		},
	}
}

// cleanupPlan is what a run of assume with the same flags would write.
type cleanupPlan struct {
	files output.Cleanup
	debug bool
}

// cleanupTimeout bounds a cleanup: reading the roles file, waiting for the
// files' locks, the removals.
const cleanupTimeout = time.Minute

func parseCleanup(ctx context.Context, l lookup, env Env) (*cleanupPlan, error) {
	// The same parsing as assume's, so the same flags mean the same files.
	plan := &Plan{Platform: ci.Detect(env.Getenv)}
	plan.RolesFile, _ = l.String("roles")
	region, _ := l.String("region")
	profile, _ := l.String("profile")
	prefix, _ := l.String("prefix")
	if profile != "" {
		if plan.many() {
			return nil, inputErr("--profile and --roles exclude each other, as with assume")
		}
		if err := awsconfig.ValidateName(profile); err != nil {
			return nil, err
		}
	}
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	plan.Targets = []Target{{Region: region, Prefix: prefix, Profile: profile}}
	if plan.many() {
		var err error
		if plan.Targets, err = rolesTargets(ctx, plan.RolesFile, rolesfile.Defaults{Region: region, Duration: time.Hour}, STS{}); err != nil {
			return nil, err
		}
	}
	plan.Outputs.Formats = l.Strings("output")
	if len(plan.Outputs.Formats) == 0 && !profilesOnly(plan.Targets) {
		plan.Outputs.Formats = []string{plan.Platform.DefaultOutput()}
	}
	if err := checkFormats(plan.Outputs.Formats); err != nil {
		return nil, err
	}
	dotenv, _ := l.String("dotenv-file")
	if strings.TrimSpace(dotenv) == "" {
		return nil, &InputError{Field: "dotenv-file", Msg: "the dotenv file name is empty"}
	}
	c := &cleanupPlan{files: output.Cleanup{
		DotenvFile: dotenv,
		Token:      plan.has(formatTokenFile),
		Defaults:   []string{defaultTokenOutputFile, defaultAWSConfigFile, defaultAWSCredentialsFile},
	}}
	c.files.TokenFile, _ = l.String("token-output-file")
	c.files.AWSFiles.Config, _ = l.String("aws-config-file")
	c.files.AWSFiles.Credentials, _ = l.String("aws-credentials-file")
	for _, t := range plan.Targets {
		if t.Profile != "" {
			c.files.Profiles = append(c.files.Profiles, t.Profile)
		}
		// assume writes every output asked for besides the profile.
		if plan.has(formatDotenv) && plan.withVars(t) {
			c.files.Prefixes = append(c.files.Prefixes, t.Prefix)
		}
	}
	var err error
	if c.debug, err = l.Bool("debug"); err != nil {
		return nil, err
	}
	return c, nil
}

// CleanupError is a file cleanup could not, or would not, change.
type CleanupError struct {
	What string
	Err  error
}

func (e *CleanupError) Error() string { return fmt.Sprintf("failed to clean up %s: %v", e.What, e.Err) }
func (e *CleanupError) Unwrap() error { return e.Err }

// ExitCode is 2 for a file left alone because it is not what aws-oidc
// writes, else the code of the cause.
func (e *CleanupError) ExitCode() int {
	if errors.Is(e.Err, output.ErrNotOurTokenFile) {
		return ExitConfig
	}
	return ExitCode(e.Err)
}

// Hint says why a file was left alone.
func (e *CleanupError) Hint() string {
	var de *output.DotenvError
	switch {
	case errors.As(e.Err, &de):
		return "the file is not a dotenv report aws-oidc would write, so it was left as it was: check --dotenv-file ($AWS_OIDC_DOTENV_FILE)"
	case errors.Is(e.Err, output.ErrNotOurTokenFile):
		return "the file is not one aws-oidc wrote, so it was left as it was: check --token-output-file ($AWS_OIDC_TOKEN_OUTPUT_FILE)"
	}
	return Hint(e.Err)
}

func runCleanup(ctx context.Context, plan *cleanupPlan, env Env) error {
	var errs []error
	for _, f := range output.Clean(ctx, logging.New(env.Stderr, plan.debug), plan.files) {
		errs = append(errs, &CleanupError{What: f.What, Err: f.Err})
	}
	return errors.Join(errs...)
}
