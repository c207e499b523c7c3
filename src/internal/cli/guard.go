package cli

import (
	"fmt"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
)

// GitLab ranks pipeline, project, group and instance CI/CD variables above
// the dotenv variables of `needs:` (REFERENCE.md §6). A job that already
// holds AWS_ACCESS_KEY_ID from the CI/CD settings therefore hands that value
// to later jobs whatever the dotenv report says: a static key mixed with our
// session token. That is the usual state of a project moving to OIDC, so
// the dotenv hand-off refuses it before any STS call.

// credentialKeys are the variables a later job must get from the report.
var credentialKeys = []string{output.KeyAccessKeyID, output.KeySecretAccessKey, output.KeySessionToken}

// precedenceRule is GitLab's own sentence (docs: CI/CD variables,
// "dotenv_variables" precedence).
const precedenceRule = `GitLab gives dotenv variables precedence "over job variables and default variables defined in .gitlab-ci.yml, ` +
	`but not over project, group, instance, or pipeline variables"`

// InheritedCredentialsError is a GitLab dotenv hand-off whose credential
// variables are already set in the job, so later jobs would not get ours.
type InheritedCredentialsError struct {
	// Names are the variables, never their values.
	Names []string
	// Prefixed is set when the names carry a prefix already.
	Prefixed bool
}

func (e *InheritedCredentialsError) Error() string {
	return fmt.Sprintf("%s already set in this job's environment, so later jobs would get %s instead of the new credentials",
		namesAre(e.Names), pluralThose(len(e.Names)))
}

func (e *InheritedCredentialsError) ExitCode() int { return ExitConfig }

func (e *InheritedCredentialsError) Hint() string {
	prefix := "set --prefix or $AWS_OIDC_PREFIX (PROD_ gives PROD_AWS_ACCESS_KEY_ID) and copy the prefixed variables with `export` in the later job's script:; "
	if e.Prefixed {
		prefix = "use another --prefix or $AWS_OIDC_PREFIX; "
	}
	return precedenceRule + ". Remove " + joinAnd(e.Names) + " from Settings > CI/CD > Variables " +
		"(of the project, its groups or the instance) and from the pipeline's trigger or schedule; or " + prefix +
		"or, if later jobs really should get those values, set --allow-existing-credentials or $AWS_OIDC_ALLOW_EXISTING_CREDENTIALS"
}

// namesAre lists names for a sentence: "A is", "A and B are".
func namesAre(names []string) string {
	if len(names) == 1 {
		return names[0] + " is"
	}
	return joinAnd(names) + " are"
}

// joinAnd lists names as "A", "A and B", "A, B and C".
func joinAnd(names []string) string {
	if n := len(names); n > 1 {
		return strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	}
	return strings.Join(names, "")
}

func pluralThose(n int) string {
	if n == 1 {
		return "its value"
	}
	return "their values"
}

// handOff is one set of variables the run exports: its prefix and region.
type handOff struct{ prefix, region string }

func (r *assumeRun) handOffs() []handOff {
	var out []handOff
	for _, t := range r.plan.Targets {
		if t.Profile == "" {
			out = append(out, handOff{t.Prefix, t.Region})
		}
	}
	return out
}

// guardInherited runs before any STS call. In a GitLab dotenv hand-off it
// refuses credential variables the job already holds under the names it
// would export, unless allowed, and warns about a region or profile that
// later jobs would see instead of ours. Anywhere else (a shell, a GitHub
// step switching roles) existing credentials are normal: a debug note.
func (r *assumeRun) guardInherited() error {
	getenv := r.env.Getenv
	if r.plan.Platform != ci.GitLab || !r.plan.has(formatDotenv) {
		for _, h := range r.handOffs() {
			for _, k := range credentialKeys {
				if getenv(h.prefix+k) != "" {
					r.log.Debug(fmt.Sprintf("%s is already set; the new credentials replace it in the output", h.prefix+k))
				}
			}
		}
		return nil
	}
	var set []string
	prefixed := false
	for _, h := range r.handOffs() {
		for _, k := range credentialKeys {
			if getenv(h.prefix+k) != "" {
				set = append(set, h.prefix+k)
				prefixed = prefixed || h.prefix != ""
			} else if r.setEmpty(h.prefix + k) {
				r.log.Warn(fmt.Sprintf("%s is set to the empty string in this job's environment: if it is a CI/CD variable, later jobs get that empty value "+
					"instead of the new credentials, because %s. Remove it from Settings > CI/CD > Variables", h.prefix+k, precedenceRule))
			}
		}
		r.warnOutranked(h)
	}
	if len(set) == 0 {
		return nil
	}
	if !r.plan.Outputs.AllowExistingCredentials {
		return &InheritedCredentialsError{Names: set, Prefixed: prefixed}
	}
	r.log.Warn(r.words(fmt.Sprintf("%s already set in this job's environment: later jobs get %s, not the new credentials (allowed by --allow-existing-credentials)",
		namesAre(set), pluralThose(len(set)))))
	return nil
}

// setEmpty reports whether name is set to "" in the environment. Not in the
// component, whose template sets the credential variables to "" itself
// (so that variables: of .gitlab-ci.yml stay out): there an empty CI/CD
// variable looks the same.
func (r *assumeRun) setEmpty(name string) bool {
	if r.env.LookupEnv == nil || inComponent(r.env.Getenv) {
		return false
	}
	v, ok := r.env.LookupEnv(name)
	return ok && v == ""
}

// warnOutranked warns about variables later jobs would see next to or
// instead of ours: a region that differs, a profile, and, with a prefix,
// unprefixed credentials that would beat a job's `variables:` mapping.
func (r *assumeRun) warnOutranked(h handOff) {
	getenv := r.env.Getenv
	for _, k := range []string{output.KeyRegion, output.KeyDefaultRegion} {
		if v := getenv(h.prefix + k); v != "" && v != h.region {
			r.log.Warn(r.words(fmt.Sprintf("%s is %q in this job's environment, not %q (--region): later jobs get %q, because %s. "+
				"Remove it from the CI/CD variables or make it equal", h.prefix+k, v, h.region, v, precedenceRule)))
		}
	}
	if v := getenv(h.prefix + "AWS_PROFILE"); v != "" {
		r.log.Warn(fmt.Sprintf("%s is %q in this job's environment: later jobs get it next to the new credentials, because %s; "+
			"tools told to use a profile then read that profile instead. Remove it from the CI/CD variables", h.prefix+"AWS_PROFILE", v, precedenceRule))
	}
	if h.prefix == "" {
		return
	}
	if v := getenv("AWS_PROFILE"); v != "" {
		r.log.Warn(fmt.Sprintf("AWS_PROFILE is %q in this job's environment: a later job that copies %s to AWS_ACCESS_KEY_ID still has it, "+
			"and the AWS CLI and SDKs then look for that profile; `unset AWS_PROFILE` there, or remove it from the CI/CD variables", v, h.prefix+output.KeyAccessKeyID))
	}
	for _, k := range credentialKeys {
		if getenv(k) != "" {
			r.log.Warn(fmt.Sprintf("%s is set in this job's environment: a later job that copies %s to it under variables: still gets the CI/CD variable, "+
				"which outranks job variables; copy it with `export %s=\"$%s\"` in script: instead", k, h.prefix+k, k, h.prefix+k))
		}
	}
}

// words names inputs instead of flags inside the component.
func (r *assumeRun) words(s string) string {
	if inComponent(r.env.Getenv) {
		return inputWordsIn(s, r.env.Getenv)
	}
	return s
}
