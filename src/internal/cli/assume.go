package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
)

func assumeCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:    "assume",
		Aliases: []string{"assume-role"},
		Usage:   "exchange the job's ID token for AWS credentials and write them out",
		Description: "Reads the job's OIDC ID token, checks it, calls STS AssumeRoleWithWebIdentity with classified " +
			"retries, and writes the credentials as a GitLab dotenv report, to GITHUB_ENV, or as shell export lines.\n\n" +
			"Several roles: --roles FILE assumes a list of roles concurrently with one token, all or nothing; " +
			"--profile writes AWS config and credentials files. --chain-role-arn continues with AssumeRole " +
			"(session tags, external id). --output token-file lets SDKs refresh credentials themselves within the job. " +
			"--verify, --allowed-account and --check-s3 prove the credentials before anything is written.\n\n" +
			"Exit codes: 0 success, 2 invalid input or configuration, 3 token problem, 4 STS refused, " +
			"5 transient failure after all attempts, 1 anything else.",
		Flags: flags(assumeFlags),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &InputError{Msg: err.Error()}
		},
		Action: func(c *cli.Context) error {
			if ci.InComponent(env.Getenv) {
				log := logging.New(env.Stderr, false)
				if err := checkComponent(env.Getenv, func(msg string) { log.Warn(msg) }); err != nil {
					return inComponentErr(err, env.Getenv)
				}
			}
			plan, err := assumePlan(c, env)
			if err != nil {
				return inComponentErr(err, env.Getenv)
			}
			return inComponentErr(asInput(runAssume(c.Context, plan, env), plan.from), env.Getenv)
		},
	}
}

func runAssume(ctx context.Context, plan *Plan, env Env) (err error) {
	r := newAssumeRun(plan, env)
	if err := r.guardInherited(); err != nil {
		return err
	}
	if err := r.checkStdout(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, plan.STS.Timeout)
	defer cancel()
	// Every file output's folder exists and takes a file before the token
	// is read or STS is called; folders made for a run that then fails go
	// again.
	created, err := r.preflight()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			atomicfile.RemoveDirs(created)
		}
	}()
	sessions, err := r.assumeAll(ctx)
	if err != nil {
		return err
	}
	if err := r.write(ctx, sessions); err != nil {
		return err
	}
	if !plan.many() {
		s := sessions[0]
		r.log.Info(fmt.Sprintf("assumed %s (account %s) until %s, session %q",
			orDefault(s.session.AssumedRoleARN, s.session.RoleARN), s.session.AccountID,
			s.creds.Expiration.UTC().Format(time.RFC3339), s.session.SessionName))
	}
	return nil
}

// write builds the run's outputs (output.Set) and commits them: every
// output is prepared and checked in full before any is written, the files
// first, stdout last, and a late failure puts back those already written.
// The folders of the files are locked from the first read to the last
// write, so that runs sharing a dotenv or AWS config file take turns.
func (r *assumeRun) write(ctx context.Context, sessions []assumed) error {
	vars, profiles := r.collect(sessions)
	if len(vars) == 0 && slices.ContainsFunc(r.plan.Outputs.Formats, func(f string) bool { return f != formatJSON }) {
		r.log.Info(fmt.Sprintf("no variables for --output %s: every role went to a profile", strings.Join(r.plan.Outputs.Formats, ",")))
	}
	set := output.NewSet(r.log)
	stdout, err := output.Render(r.print(vars, sessions), vars)
	if err != nil {
		return err
	}
	set.Print(stdout)

	dotenvPath, tokenPath, profilePaths := r.filePaths()
	unlock, err := set.Lock(ctx, append([]string{dotenvPath, tokenPath}, profilePaths...)...)
	if err != nil {
		return err
	}
	defer unlock()
	if err := r.prepare(set, vars, profiles, sessions); err != nil {
		return err
	}
	return set.Commit(r.env.Stdout)
}

// prepare adds each file output to set, read, merged and checked.
func (r *assumeRun) prepare(set *output.Set, vars []output.Var, profiles []awsconfig.Profile, sessions []assumed) error {
	if r.plan.has(formatDotenv) && len(vars) > 0 {
		limits := output.DefaultDotenvLimits()
		limits.MaxVars = r.plan.Outputs.DotenvMaxVariables
		p, err := output.PrepareDotenv(r.plan.Outputs.DotenvFile, vars, limits)
		if err != nil {
			return &output.Error{Format: formatDotenv, Err: err}
		}
		if foreign := output.ForeignDotenvKeys(p.Old, vars); len(foreign) > 0 {
			r.log.Warn(fmt.Sprintf("%s held %s, which aws-oidc did not write (no credentials of a run beside them): they are replaced, and `aws-oidc cleanup` will remove them with the run's variables",
				r.plan.Outputs.DotenvFile, strings.Join(foreign, ", ")))
		}
		set.Add(output.Step{Format: formatDotenv, Commit: p.Commit, Undo: func() { _ = p.Undo() },
			Done: fmt.Sprintf("wrote %d variables to %s", len(vars), r.plan.Outputs.DotenvFile)})
	}
	if r.plan.has(formatTokenFile) {
		p, err := prepareTokenFile(r.plan.Outputs.TokenFile, r.tok.Value())
		if err != nil {
			return &output.Error{Format: formatTokenFile, Err: err}
		}
		set.Add(output.Step{Format: formatTokenFile, Commit: p.Commit, Undo: func() { _ = p.Undo() },
			Done: fmt.Sprintf("wrote the job's token to %s: AWS SDKs and the AWS CLI assume %s with it themselves, refreshing as needed, until the token expires at %s (keep this in the job: the token is job-scoped)",
				r.plan.Outputs.TokenFile, sessions[0].session.RoleARN, r.tok.Claims.ExpiresAt.UTC().Format(time.RFC3339))})
	}
	if len(profiles) > 0 {
		p, err := awsconfig.Prepare(r.plan.Outputs.AWSFiles, profiles)
		if err != nil {
			return &output.Error{Format: "profile", Err: err}
		}
		names := make([]string, len(profiles))
		for i, pr := range profiles {
			names[i] = pr.Name
		}
		files := r.plan.Outputs.AWSFiles
		set.Add(output.Step{Format: "profile", Commit: p.Write, Undo: p.Undo,
			Done: fmt.Sprintf("wrote profiles %s to %s and %s: use AWS_CONFIG_FILE=%s AWS_SHARED_CREDENTIALS_FILE=%s aws --profile %s ...",
				strings.Join(names, ", "), files.Config, files.Credentials, files.Config, files.Credentials, names[0])})
	}
	if r.plan.has(formatGitHub) && len(vars) > 0 {
		var outs map[string]string
		if len(sessions) == 1 && !r.plan.has(formatTokenFile) {
			outs = output.GitHubOutputs(sessions[0].creds, sessions[0].session)
		}
		p, err := output.PrepareGitHub(r.env.Getenv, vars, outs)
		if err != nil {
			return &output.Error{Format: formatGitHub, Err: err}
		}
		masks, err := p.Masks()
		if err != nil {
			return &output.Error{Format: formatGitHub, Err: err}
		}
		set.PrintFirst(masks)
		set.Add(output.Step{Format: formatGitHub, Commit: p.Commit, Undo: p.Undo})
	}
	return nil
}

// collect sorts the sessions into variables and profiles.
func (r *assumeRun) collect(sessions []assumed) ([]output.Var, []awsconfig.Profile) {
	var vars []output.Var
	var profiles []awsconfig.Profile
	for _, a := range sessions {
		if a.target.Profile != "" {
			profiles = append(profiles, awsconfig.Profile{Name: a.target.Profile, Region: a.target.Region, Credentials: a.creds})
		}
		switch {
		case !r.plan.withVars(a.target):
		case r.plan.has(formatTokenFile):
			vars = append(vars, r.tokenFileVars(a)...)
		default:
			vars = append(vars, output.Variables(a.target.Prefix, a.creds, a.session)...)
		}
	}
	return vars, profiles
}

// print says what goes to stdout: shell exports or PowerShell
// assignments, and the credential_process document. token-file prints
// exports too (PowerShell's with --output powershell), unless GitHub takes
// them.
func (r *assumeRun) print(vars []output.Var, sessions []assumed) output.Print {
	p := output.Print{
		Shell:        r.plan.has(formatShell) || (r.plan.has(formatTokenFile) && !r.plan.has(formatGitHub) && !r.plan.has(formatPowerShell)),
		PowerShell:   r.plan.has(formatPowerShell),
		UnsetProfile: r.unsetsProfile(vars),
	}
	if r.plan.has(formatJSON) {
		p.JSON = &sessions[0].creds
	}
	return p
}

// unsetsProfile reports whether the shell and PowerShell outputs also
// remove AWS_PROFILE: it is set in this environment (a CI/CD variable, say)
// and the outputs export unprefixed credentials, which the AWS CLI and SDKs
// would otherwise pass over for that profile, or fail on when the profile
// does not exist where the exports are evaluated.
func (r *assumeRun) unsetsProfile(vars []output.Var) bool {
	if r.env.Getenv("AWS_PROFILE") == "" {
		return false
	}
	return slices.ContainsFunc(vars, func(v output.Var) bool { return v.Key == output.KeyAccessKeyID })
}

// tokenFileVars are what AWS SDKs and the CLI read to assume a role with a
// web identity token file themselves.
func (r *assumeRun) tokenFileVars(a assumed) []output.Var {
	path := r.plan.Outputs.TokenFile
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	p := a.target.Prefix
	vars := []output.Var{
		{Key: p + "AWS_WEB_IDENTITY_TOKEN_FILE", Value: path},
		{Key: p + "AWS_ROLE_ARN", Value: a.session.RoleARN},
		{Key: p + "AWS_ROLE_SESSION_NAME", Value: a.session.SessionName},
		{Key: p + output.KeyRegion, Value: a.session.Region},
		{Key: p + output.KeyDefaultRegion, Value: a.session.Region},
	}
	if r.plan.STS.EndpointGiven {
		// SDKs that know service endpoints then call the same STS.
		vars = append(vars, output.Var{Key: p + "AWS_ENDPOINT_URL_STS", Value: a.target.Endpoint})
	}
	return vars
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
