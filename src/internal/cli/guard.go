package cli

import (
	"fmt"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
)

// InheritedCredentialsError is ci.Guard's finding as the tool reports it: a
// GitLab dotenv hand-off whose credential variables the job already holds.
type InheritedCredentialsError struct{ *ci.InheritedError }

func (e *InheritedCredentialsError) ExitCode() int { return ExitConfig }

func (e *InheritedCredentialsError) Hint() string { return e.hintIn(naming{}) }

// hintIn names the settings as n names them.
func (e *InheritedCredentialsError) hintIn(n naming) string {
	return e.Fix(n.setting("prefix"), n.another("prefix"), n.setting("allow-existing-credentials"))
}

func (r *assumeRun) handOffs() []ci.HandOff {
	var out []ci.HandOff
	for _, t := range r.plan.Targets {
		if t.Profile == "" {
			out = append(out, ci.HandOff{Prefix: t.Prefix, Region: t.Region})
		}
	}
	return out
}

// guardInherited runs before any STS call. In a GitLab dotenv hand-off it
// refuses credential variables the job already holds under the names it
// would export, unless allowed (ci.Guard). Anywhere else (a shell, a GitHub
// step switching roles) existing credentials are normal: a debug note.
func (r *assumeRun) guardInherited() error {
	if r.plan.Platform != ci.GitLab || !r.plan.has(formatDotenv) {
		for _, h := range r.handOffs() {
			for _, k := range ci.CredentialKeys {
				if r.env.Getenv(h.Prefix+k) != "" {
					r.log.Debug(fmt.Sprintf("%s is already set; the new credentials replace it in the output", h.Prefix+k))
				}
			}
		}
		return nil
	}
	n := r.naming()
	g := ci.Guard{Getenv: r.env.Getenv, LookupEnv: r.env.LookupEnv, Region: n.flag("region"), Warn: func(msg string) { r.log.Warn(msg) }}
	held := g.Check(r.handOffs())
	switch {
	case held == nil:
		return nil
	case !r.plan.Outputs.AllowExistingCredentials:
		return &InheritedCredentialsError{held}
	}
	r.log.Warn(held.Allowed(n.flag("allow-existing-credentials")))
	return nil
}
