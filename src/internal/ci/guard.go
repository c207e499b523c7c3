package ci

import (
	"fmt"
)

// GitLab ranks pipeline, project, group and instance CI/CD variables above
// the dotenv variables of `needs:` (REFERENCE.md §6). A job that already
// holds AWS_ACCESS_KEY_ID from the CI/CD settings therefore hands that value
// to later jobs whatever the dotenv report says: a static key mixed with our
// session token. That is the usual state of a project moving to OIDC, so
// the dotenv hand-off refuses it before any STS call.

// CredentialKeys are the variables a later job must get from the report.
var CredentialKeys = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}

// precedenceRule is GitLab's own sentence (docs: CI/CD variables,
// "dotenv_variables" precedence).
const precedenceRule = `GitLab gives dotenv variables precedence "over job variables and default variables defined in .gitlab-ci.yml, ` +
	`but not over project, group, instance, or pipeline variables"`

// HandOff is one set of variables a dotenv report hands on: their prefix
// and the region among them.
type HandOff struct{ Prefix, Region string }

// Guard looks, before any STS call, for variables of a GitLab job that
// later jobs would get instead of those of its dotenv report.
type Guard struct {
	Getenv func(string) string
	// LookupEnv tells a variable set to "" from one not set; nil when the
	// environment cannot say.
	LookupEnv func(string) (string, bool)
	// Region names the region setting in a warning: "--region".
	Region string
	Warn   func(string)
}

// Check returns the credential variables the job already holds under the
// names of handOffs, nil when it holds none, and warns about a region or
// profile that later jobs would see instead of the report's.
func (g Guard) Check(handOffs []HandOff) *InheritedError {
	var e InheritedError
	for _, h := range handOffs {
		for _, k := range CredentialKeys {
			if g.Getenv(h.Prefix+k) != "" {
				e.Names = append(e.Names, h.Prefix+k)
				e.Prefixed = e.Prefixed || h.Prefix != ""
			} else if g.setEmpty(h.Prefix + k) {
				g.Warn(fmt.Sprintf("%s is set to the empty string in this job's environment: if it is a CI/CD variable, later jobs get that empty value "+
					"instead of the new credentials, because %s. Remove it from Settings > CI/CD > Variables", h.Prefix+k, precedenceRule))
			}
		}
		g.warnOutranked(h)
	}
	if len(e.Names) == 0 {
		return nil
	}
	return &e
}

// setEmpty reports whether name is set to "" in the environment. Not in the
// component, whose template sets the credential variables to "" itself
// (so that variables: of .gitlab-ci.yml stay out): there an empty CI/CD
// variable looks the same.
func (g Guard) setEmpty(name string) bool {
	if g.LookupEnv == nil || InComponent(g.Getenv) {
		return false
	}
	v, ok := g.LookupEnv(name)
	return ok && v == ""
}

// warnOutranked warns about variables later jobs would see next to or
// instead of ours: a region that differs, a profile, and, with a prefix,
// unprefixed credentials that would beat a job's `variables:` mapping.
func (g Guard) warnOutranked(h HandOff) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := g.Getenv(h.Prefix + k); v != "" && v != h.Region {
			g.Warn(fmt.Sprintf("%s is %q in this job's environment, not %q (%s): later jobs get %q, because %s. "+
				"Remove it from the CI/CD variables or make it equal", h.Prefix+k, v, h.Region, g.Region, v, precedenceRule))
		}
	}
	if v := g.Getenv(h.Prefix + "AWS_PROFILE"); v != "" {
		g.Warn(fmt.Sprintf("%s is %q in this job's environment: later jobs get it next to the new credentials, because %s; "+
			"tools told to use a profile then read that profile instead. Remove it from the CI/CD variables", h.Prefix+"AWS_PROFILE", v, precedenceRule))
	}
	if h.Prefix == "" {
		return
	}
	if v := g.Getenv("AWS_PROFILE"); v != "" {
		g.Warn(fmt.Sprintf("AWS_PROFILE is %q in this job's environment: a later job that copies %s to AWS_ACCESS_KEY_ID still has it, "+
			"and the AWS CLI and SDKs then look for that profile; `unset AWS_PROFILE` there, or remove it from the CI/CD variables", v, h.Prefix+CredentialKeys[0]))
	}
	for _, k := range CredentialKeys {
		if g.Getenv(k) != "" {
			g.Warn(fmt.Sprintf("%s is set in this job's environment: a later job that copies %s to it under variables: still gets the CI/CD variable, "+
				"which outranks job variables; copy it with `export %s=\"$%s\"` in script: instead", k, h.Prefix+k, k, h.Prefix+k))
		}
	}
}

// InheritedError is a GitLab dotenv hand-off whose credential variables
// are already set in the job, so later jobs would not get the report's.
type InheritedError struct {
	// Names are the variables, never their values.
	Names []string
	// Prefixed is set when the names carry a prefix already.
	Prefixed bool
}

func (e *InheritedError) Error() string {
	return fmt.Sprintf("%s already set in this job's environment, so later jobs would get %s instead of the new credentials",
		namesAre(e.Names), pluralThose(len(e.Names)))
}

// Fix says what to do, naming the settings as given: setPrefix ("--prefix
// or $AWS_OIDC_PREFIX"), anotherPrefix ("another --prefix or
// $AWS_OIDC_PREFIX") and allow, the setting that allows the hand-off.
func (e *InheritedError) Fix(setPrefix, anotherPrefix, allow string) string {
	prefix := "set " + setPrefix + " (PROD_ gives PROD_AWS_ACCESS_KEY_ID) and copy the prefixed variables with `export` in the later job's script:; "
	if e.Prefixed {
		prefix = "use " + anotherPrefix + "; "
	}
	return precedenceRule + ". Remove " + joinAnd(e.Names) + " from Settings > CI/CD > Variables " +
		"(of the project, its groups or the instance) and from the pipeline's trigger or schedule; or " + prefix +
		"or, if later jobs really should get those values, set " + allow
}

// Allowed is the warning of a hand-off that allow, the setting named as
// given, lets through.
func (e *InheritedError) Allowed(allow string) string {
	return fmt.Sprintf("%s already set in this job's environment: later jobs get %s, not the new credentials (allowed by %s)",
		namesAre(e.Names), pluralThose(len(e.Names)), allow)
}

// namesAre lists names for a sentence: "A is", "A and B are".
func namesAre(names []string) string {
	if len(names) == 1 {
		return names[0] + " is"
	}
	return joinAnd(names) + " are"
}

func pluralThose(n int) string {
	if n == 1 {
		return "its value"
	}
	return "their values"
}
