package cli

import (
	"fmt"
	"slices"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
)

// Before the token is read or STS is called, a run checks that every output
// can be written: a run that would fail there must not first mint a session.

// preflight makes the folder of every file output (0700, each missing
// level) and checks that the file can be written there, and checks that
// GitHub's command files take lines, all before anything else happens. It
// returns the folders it made, for a failed run to remove.
func (r *assumeRun) preflight() (created []string, err error) {
	defer func() {
		if err != nil {
			atomicfile.RemoveDirs(created)
			created = nil
		}
	}()
	dotenv, tokenFile, profiles := r.filePaths()
	if err := r.checkDistinct(dotenv, tokenFile, profiles); err != nil {
		return nil, err
	}
	check := func(path, format string) error {
		if path == "" {
			return nil
		}
		dirs, err := atomicfile.MakeParents(path)
		created = append(created, dirs...)
		if err == nil {
			err = atomicfile.CheckWritable(path)
		}
		if err != nil {
			return &output.Error{Format: format, Err: err}
		}
		return nil
	}
	if err := check(dotenv, formatDotenv); err != nil {
		return created, err
	}
	if dotenv != "" {
		// An existing file too large or not a GitLab dotenv report is
		// refused now, not after STS minted credentials for nothing.
		limits := output.DefaultDotenvLimits()
		limits.MaxVars = r.plan.Outputs.DotenvMaxVariables
		if _, err := output.PrepareDotenv(dotenv, nil, limits); err != nil {
			return created, &output.Error{Format: formatDotenv, Err: err}
		}
	}
	if err := check(tokenFile, formatTokenFile); err != nil {
		return created, err
	}
	if tokenFile != "" {
		if err := checkTokenOutputFile(tokenFile); err != nil {
			return created, err
		}
	}
	for _, p := range profiles {
		if err := check(p, "profile"); err != nil {
			return created, err
		}
	}
	if len(profiles) > 0 {
		// A profile's section that aws-oidc did not write (a person's
		// static keys) is refused now, before STS, not after.
		if _, err := awsconfig.PrepareRemove(r.plan.Outputs.AWSFiles, r.profileNames()); err != nil {
			return created, &output.Error{Format: "profile", Err: err}
		}
	}
	if r.plan.has(formatGitHub) {
		single := !r.plan.many() && r.hasVars()
		if err := output.CheckGitHubFiles(r.env.Getenv, r.hasVars(), single && !r.plan.has(formatTokenFile)); err != nil {
			return created, &output.Error{Format: formatGitHub, Err: err}
		}
	}
	return created, nil
}

// checkDistinct refuses two file outputs that are one file (issue 14
// review: --aws-config-file f --aws-credentials-file ./f lost one with
// exit 0).
func (r *assumeRun) checkDistinct(dotenv, tokenFile string, profiles []string) error {
	files := []atomicfile.Named{{By: r.naming().flag("dotenv-file"), Path: dotenv}, {By: "--token-output-file", Path: tokenFile}}
	if len(profiles) > 0 {
		files = append(files, atomicfile.Named{By: "--aws-config-file", Path: r.plan.Outputs.AWSFiles.Config},
			atomicfile.Named{By: "--aws-credentials-file", Path: r.plan.Outputs.AWSFiles.Credentials})
	}
	if r.plan.has(formatGitHub) {
		if r.hasVars() {
			files = append(files, atomicfile.Named{By: "GITHUB_ENV", Path: r.env.Getenv("GITHUB_ENV"), Append: true})
		}
		if !r.plan.many() && r.hasVars() && !r.plan.has(formatTokenFile) {
			files = append(files, atomicfile.Named{By: "GITHUB_OUTPUT", Path: r.env.Getenv("GITHUB_OUTPUT"), Append: true})
		}
	}
	if err := atomicfile.CheckDistinct(files...); err != nil {
		return &output.Error{Format: "file", Err: err}
	}
	return nil
}

// filePaths are the outputs' own files, for preflight and the lock; ""
// and nil for those the run does not write.
func (r *assumeRun) filePaths() (dotenv, tokenFile string, profiles []string) {
	if r.plan.has(formatDotenv) && r.hasVars() {
		dotenv = r.plan.Outputs.DotenvFile
	}
	if r.plan.has(formatTokenFile) {
		tokenFile = r.plan.Outputs.TokenFile
	}
	if r.hasProfiles() {
		profiles = r.plan.Outputs.AWSFiles.Paths()
	}
	return dotenv, tokenFile, profiles
}

// hasVars reports whether any target hands its credentials on as
// variables.
func (r *assumeRun) hasVars() bool { return slices.ContainsFunc(r.plan.Targets, r.plan.withVars) }

// profileNames are the profiles the run writes.
func (r *assumeRun) profileNames() []string {
	var names []string
	for _, t := range r.plan.Targets {
		if t.Profile != "" {
			names = append(names, t.Profile)
		}
	}
	return names
}

// hasProfiles reports whether any target goes to a profile.
func (r *assumeRun) hasProfiles() bool {
	return slices.ContainsFunc(r.plan.Targets, func(t Target) bool { return t.Profile != "" })
}

// checkDotenvCount refuses, before any session is minted, a run whose
// variables cannot fit the dotenv file: the variable names are known from
// the flags and the roles file, so a run that would fail on GitLab's
// dotenv_variables limit must not first spend an STS call per role. The
// size depends on the session tokens, which only STS knows: the writer
// checks it, and the count again, with the real values.
func (r *assumeRun) checkDotenvCount() error {
	if !r.plan.has(formatDotenv) {
		return nil
	}
	var keys []string
	for _, t := range r.plan.Targets {
		if t.Profile != "" {
			continue
		}
		for _, v := range output.Variables(t.Prefix, exchange.Credentials{}, exchange.Session{Region: t.Region}) {
			keys = append(keys, v.Key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	limits := output.DefaultDotenvLimits()
	existing, _, err := atomicfile.ReadExisting(r.plan.Outputs.DotenvFile, int64(limits.MaxBytes))
	if err != nil {
		return nil // the writer says what is wrong with the file
	}
	old, err := output.ParseDotenv(existing)
	if err != nil {
		return nil
	}
	count := len(old)
	for _, k := range keys {
		if !slices.ContainsFunc(old, func(v output.Var) bool { return v.Key == k }) {
			count++
		}
	}
	if count <= r.plan.Outputs.DotenvMaxVariables {
		return nil
	}
	from := ""
	if len(old) > 0 {
		from = fmt.Sprintf(", %d of them already in the file", len(old))
	}
	return &output.Error{Format: formatDotenv, Err: output.TooManyVariables(r.plan.Outputs.DotenvFile,
		fmt.Sprintf("the file would hold %d variables%s; GitLab accepts at most %d (instance limit dotenv_variables); no role was assumed",
			count, from, r.plan.Outputs.DotenvMaxVariables))}
}

// checkStdout refuses a closed stdout (`>&-`) before anything happens when
// an output goes there.
func (r *assumeRun) checkStdout() error {
	if !slices.ContainsFunc(r.plan.Outputs.Formats, func(o string) bool {
		return o == formatShell || o == formatJSON || o == formatPowerShell || o == formatGitHub || o == formatTokenFile
	}) {
		return nil
	}
	return output.CheckStdout(r.env.Stdout)
}
