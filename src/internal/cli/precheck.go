package cli

import (
	"fmt"
	"slices"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
)

// checkDotenvCount refuses, before any session is minted, a run whose
// variables cannot fit the dotenv file: the variable names are known from
// the flags and the roles file, so a run that would fail on GitLab's
// dotenv_variables limit must not first spend an STS call per role. The
// size depends on the session tokens, which only STS knows: the writer
// checks it, and the count again, with the real values.
func (r *assumeRun) checkDotenvCount() error {
	if !r.has(formatDotenv) {
		return nil
	}
	targets := []target{r.single()}
	if len(r.cfg.Roles) > 0 {
		targets = targets[:0]
		for _, ro := range r.cfg.Roles {
			targets = append(targets, target{region: ro.Region, prefix: ro.Prefix, profile: ro.Profile})
		}
	}
	var keys []string
	for _, t := range targets {
		if t.profile != "" {
			continue
		}
		for _, v := range output.Variables(t.prefix, exchange.Credentials{}, exchange.Session{Region: t.region}) {
			keys = append(keys, v.Key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	limits := output.DefaultDotenvLimits()
	existing, _, err := atomicfile.ReadExisting(r.cfg.DotenvFile, int64(limits.MaxBytes))
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
	if count <= r.cfg.DotenvMaxVariables {
		return nil
	}
	from := ""
	if len(old) > 0 {
		from = fmt.Sprintf(", %d of them already in the file", len(old))
	}
	return &output.Error{Format: formatDotenv, Err: &output.DotenvError{
		Path: r.cfg.DotenvFile,
		Rule: output.RuleCount,
		Reason: fmt.Sprintf("the file would hold %d variables%s; GitLab accepts at most %d (instance limit dotenv_variables); no role was assumed",
			count, from, r.cfg.DotenvMaxVariables),
		Fix: "write fewer roles into one dotenv file (split them across jobs), or, if your instance allows more " +
			"(GitLab.com: 50, 100 or 150 by tier; self-managed: the dotenv_variables plan limit), raise --dotenv-max-variables to match",
	}}
}
