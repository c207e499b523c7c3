package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
)

// componentEnv is set by templates/assume-role.yml to the component's name.
// Inside the component a person set inputs, not flags or variables, so
// flags that an input sets read only the input's variable (flags.go), and
// errors and hints name the input instead of the flag.
const componentEnv = "AWS_OIDC_COMPONENT"

func inComponent(getenv func(string) string) bool { return getenv(componentEnv) != "" }

func inputName(input string) string { return "the " + input + " input" }

// componentError is a failure of `assume` inside the component: the same
// error, exit code and hint, with every flag and variable that an input
// sets named as that input.
type componentError struct {
	err    error
	getenv func(string) string
}

// Error names the setting of an input error from where its value came
// from; the rest of the text, a core package's words included, has its
// flags and variables named as inputs (inputWordsIn).
func (e *componentError) Error() string {
	if in, ok := e.err.(*InputError); ok && in.Field != "" {
		return "invalid " + e.naming().invalid(in.Field, in.From) + ": " + inputWordsIn(in.Msg, e.getenv)
	}
	return inputWordsIn(e.err.Error(), e.getenv)
}

func (e *componentError) Unwrap() error { return e.err }
func (e *componentError) ExitCode() int { return ExitCode(e.err) }

func (e *componentError) naming() naming { return naming{component: true, getenv: e.getenv} }

func (e *componentError) Hint() string {
	in, ok := e.err.(*InputError)
	var fe *exchange.FieldError
	if (ok && in.Field == "role-arn" || errors.As(e.err, &fe) && fe.Field == "role-arn") && strings.TrimSpace(e.getenv(inputEnv("role_arn"))) == "" {
		// GitLab checks the input's regex before it expands variables, so an
		// empty role_arn here is a CI/CD variable that this pipeline lacks.
		return "the role_arn input is empty. When it names a CI/CD variable (role_arn: $DEPLOY_ROLE_ARN), that variable is not set " +
			"for this pipeline: check its name and, for a protected variable, that this branch or tag is protected"
	}
	if ok && in.Fix == "" && in.Command == "" {
		return in.hint(e.naming())
	}
	return inputWordsIn(Hint(e.err), e.getenv)
}

// naming says how errors and hints name a setting: outside the component
// the flag and its first variable; inside it the input that sets the
// flag, or the CI/CD variable of a flag without an input.
type naming struct {
	component bool
	getenv    func(string) string
}

// setting is how to set field: "--role-arn or $AWS_OIDC_ROLE_ARN", "the
// role_arn input" or "the CI/CD variable AWS_OIDC_TIMEOUT".
func (n naming) setting(field string) string {
	s, ok := assumeSpec(field)
	switch {
	case !ok:
		return "--" + field
	case n.component && s.Input != "":
		return inputName(s.Input)
	case n.component && slices.Contains(componentTuning, s.Name):
		return "the CI/CD variable " + n.variable(s, "")
	case len(s.Envs) > 0:
		return "--" + field + " or $" + s.Envs[0]
	}
	return "--" + field
}

// invalid names field after "invalid ": "duration input", "CI/CD variable
// AWS_ENDPOINT_URL" (the one from names, else the first the job set), or
// the flag of a setting the component does not take.
func (n naming) invalid(field, from string) string {
	s, ok := assumeSpec(field)
	switch {
	case ok && n.component && s.Input != "":
		return s.Input + " input"
	case ok && n.component && slices.Contains(componentTuning, s.Name):
		return "CI/CD variable " + n.variable(s, from)
	}
	return "--" + field
}

// variable is the variable of s that from names, else the first the job
// set, else its first.
func (n naming) variable(s flagSpec, from string) string {
	if v, ok := strings.CutPrefix(from, "$"); ok && slices.Contains(s.Envs, v) {
		return v
	}
	for _, e := range s.Envs {
		if n.getenv != nil && n.getenv(e) != "" {
			return e
		}
	}
	return s.Envs[0]
}

// help points at where the settings are explained.
func (n naming) help() string {
	if n.component {
		return "see the assume-role component's inputs in README.md"
	}
	return "see `aws-oidc assume --help`"
}

// usage is the hint of a command line that is not valid.
func (n naming) usage() string {
	if n.component {
		return "see the assume-role component's inputs in README.md"
	}
	return "run `aws-oidc assume --help` for the flags and their variables"
}

// assumeSpec is assume's flag of that name.
func assumeSpec(name string) (flagSpec, bool) {
	i := slices.IndexFunc(assumeFlags, func(s flagSpec) bool { return s.Name == name })
	if i < 0 {
		return flagSpec{}, false
	}
	return assumeFlags[i], true
}

// inComponentErr wraps err when the tool runs as the component.
func inComponentErr(err error, getenv func(string) string) error {
	if err == nil || !inComponent(getenv) {
		return err
	}
	return &componentError{err: err, getenv: getenv}
}

// flagWords matches, for every flag an input sets, "invalid --flag",
// "another --flag", "--flag or $VAR", "--flag/$VAR", "--flag" and "$VAR",
// longest first, so that --policy-arn is never read as --policy.
// Built on first use, not at start-up: only a failing run in the component
// reads them.
var flagWords = sync.OnceValues(func() (*regexp.Regexp, map[string]string) {
	inputs := map[string]string{}
	var alts []string
	for _, s := range assumeFlags {
		if s.Input == "" {
			continue
		}
		inputs["--"+s.Name] = s.Input
		inputs["$"+s.Envs[0]] = s.Input
		alts = append(alts, regexp.QuoteMeta("--"+s.Name), regexp.QuoteMeta("$"+s.Envs[0]))
	}
	slices.SortFunc(alts, func(a, b string) int { return len(b) - len(a) })
	alt := strings.Join(alts, "|")
	return regexp.MustCompile(`(invalid |another )?(` + alt + `)(?:(?: or |/)(` + alt + `))?\b`), inputs
})

// tuningWords matches the flags that keep working in the component through
// their variable (componentTuning), "--flag or $VAR" and "--flag", for
// their variable's name: the component's job has no command line.
var tuningWords = sync.OnceValues(func() (*regexp.Regexp, map[string][]string) {
	envs := map[string][]string{}
	var alts []string
	for _, s := range assumeFlags {
		if slices.Contains(componentTuning, s.Name) {
			envs["--"+s.Name] = s.Envs
			alts = append(alts, regexp.QuoteMeta("--"+s.Name))
		}
	}
	slices.SortFunc(alts, func(a, b string) int { return len(b) - len(a) })
	return regexp.MustCompile(`(invalid )?(` + strings.Join(alts, "|") + `)(?: or \$[A-Z_]+)?\b`), envs
})

// inputWords rewrites flag and variable names into input names:
// "invalid --duration: ..." becomes "invalid duration input: ...", "set
// --role-arn or $AWS_OIDC_ROLE_ARN to" becomes "set the role_arn input to",
// and "raise --max-attempts" becomes "raise the CI/CD variable
// AWS_OIDC_MAX_ATTEMPTS".
func inputWords(s string) string { return inputWordsIn(s, nil) }

// inputWordsIn is inputWords naming, for a tuning flag, the variable the
// job set (AWS_ENDPOINT_URL rather than AWS_ENDPOINT_URL_STS) when getenv
// is given.
func inputWordsIn(s string, getenv func(string) string) string {
	flagRE, flagInputs := flagWords()
	s = flagRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := flagRE.FindStringSubmatch(m)
		input := flagInputs[sub[2]]
		switch sub[1] {
		case "invalid ":
			return "invalid " + input + " input"
		case "another ":
			return "another " + input + " input"
		}
		return inputName(input)
	})
	tuningRE, tuningEnvs := tuningWords()
	s = tuningRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := tuningRE.FindStringSubmatch(m)
		envs := tuningEnvs[sub[2]]
		name := envs[0]
		for _, e := range envs {
			if getenv != nil && getenv(e) != "" {
				name = e
				break
			}
		}
		if sub[1] != "" {
			return "invalid CI/CD variable " + name
		}
		return "the CI/CD variable " + name
	})
	s = strings.ReplaceAll(s, "see `aws-oidc assume --help`", "see the assume-role component's inputs in README.md")
	s = strings.ReplaceAll(s, "run `aws-oidc assume --help` for the flags and their variables", "see the assume-role component's inputs in README.md")
	return strings.ReplaceAll(s, "failed to write dotenv output", "failed to write the dotenv_file report")
}

// The template hands each input to the tool under a variable of its own,
// AWS_OIDC_INPUT_<INPUT>, and sets the tool's ordinary AWS_OIDC_* variables
// to "" in the job. A CI/CD variable of the project, group, instance or
// pipeline outranks every job variable on GitLab (REFERENCE.md §6), so:
//   - a non-empty ordinary AWS_OIDC_* variable in the component's job comes
//     from the CI/CD settings: the tool never reads it here; a setting the
//     component does not expose (a profile, a roles file, a chain, another
//     output) is refused, one that an input sets is ignored with a warning;
//   - the string inputs come twice, expanded and as typed (expand: false,
//     AWS_OIDC_INPUT_RAW_<INPUT>): an input written without a $ must arrive
//     unchanged, else a CI/CD variable outranks the component's own, and an
//     input naming one CI/CD variable must not arrive empty (a protected
//     variable on an unprotected branch would otherwise switch a guard off);
//   - boolean and number inputs arrive as "input=value": GitLab keeps the
//     type of a value that is a whole $[[ inputs.x ]], and refuses a job
//     variable that is not a string or an integer.

const (
	inputEnvPrefix    = "AWS_OIDC_INPUT_"
	rawInputEnvPrefix = "AWS_OIDC_INPUT_RAW_"
)

// inputEnv is the variable the template sets an input's value in.
func inputEnv(input string) string { return inputEnvPrefix + strings.ToUpper(input) }

// rawInputEnv is the variable that holds the input as written.
func rawInputEnv(input string) string { return rawInputEnvPrefix + strings.ToUpper(input) }

// typedInputs arrive as "input=value".
var typedInputs = []string{"duration", "verify", "allow_existing_credentials"}

// rawInputs come with a copy as written: every string input but policy,
// which the template passes unexpanded already.
var rawInputs = []string{"role_arn", "audience", "region", "session_name", "policy_arns", "variable_prefix",
	"dotenv_file", "allowed_accounts", "check_s3"}

// componentPinned are set by the template to one value that the tool
// relies on.
func componentPinned(flag string) string {
	switch flag {
	case "output":
		return formatDotenv
	case "token-env":
		return "AWS_OIDC_TOKEN"
	}
	return ""
}

// componentTuning are the flags without an input whose variables keep
// working in the component: where STS and S3 are, how long to retry, the
// instance's dotenv limit, extra CAs and diagnostics. They change neither
// which role is assumed nor where the credentials go.
var componentTuning = []string{"sts-endpoint", "s3-endpoint", "timeout", "attempt-timeout", "max-attempts",
	"dotenv-max-variables", "ca-bundle", "debug", "max-parallel"}

// componentGetenv is the environment as the flags of `assume` read it in
// the component: an input's variable without the "input=" of a typed
// input.
func componentGetenv(getenv func(string) string) func(string) string {
	return func(name string) string {
		v := getenv(name)
		for _, in := range typedInputs {
			if name == inputEnv(in) {
				v, _ = strings.CutPrefix(v, in+"=")
			}
		}
		return v
	}
}

// CIVariableError is a CI/CD variable that changes the component's job
// against its inputs.
type CIVariableError struct {
	Msg, Fix string
}

func (e *CIVariableError) Error() string { return e.Msg }
func (e *CIVariableError) Hint() string  { return e.Fix }
func (e *CIVariableError) ExitCode() int { return ExitConfig }

// outranksJob is why a variable the template sets can hold something else.
const outranksJob = "project, group, instance and pipeline CI/CD variables outrank the component's job variables on GitLab"

// checkComponent refuses, before anything else, a component job that CI/CD
// variables changed, and warns about the ones it ignores.
func checkComponent(getenv func(string) string, warn func(string)) error {
	for _, s := range assumeFlags {
		switch {
		case s.Input != "":
			for _, e := range s.Envs {
				if strings.HasPrefix(e, "AWS_OIDC_") && getenv(e) != "" {
					warn(fmt.Sprintf("%s is set in the CI/CD variables; the component ignores it and takes %s", e, inputName(s.Input)))
				}
			}
		case componentPinned(s.Name) != "":
			if v := getenv(s.Envs[0]); v != componentPinned(s.Name) {
				return &CIVariableError{
					Msg: fmt.Sprintf("%s is %q in this job, not %q as the component sets it: %s", s.Envs[0], v, componentPinned(s.Name), outranksJob),
					Fix: fmt.Sprintf("remove %s from Settings > CI/CD > Variables (of the project, its groups or the instance) and from the pipeline's trigger or schedule; "+
						"set it in the variables: of the jobs that need it instead", s.Envs[0]),
				}
			}
		case slices.Contains(componentTuning, s.Name):
		default:
			for _, e := range s.Envs {
				if strings.HasPrefix(e, "AWS_OIDC_") && getenv(e) != "" {
					return &CIVariableError{
						Msg: fmt.Sprintf("%s is set in this job (%s), but the assume-role component has no input for it: it would change which role is assumed or where the credentials go", e, outranksJob),
						Fix: fmt.Sprintf("remove %s from Settings > CI/CD > Variables (of the project, its groups or the instance) and from the pipeline's trigger or schedule, "+
							"and set it in the variables: of the jobs that need it instead; for what the component does not offer, run aws-oidc in a job of your own", e),
					}
				}
			}
		}
	}
	for _, in := range typedInputs {
		if v := getenv(inputEnv(in)); !strings.HasPrefix(v, in+"=") {
			return &CIVariableError{
				Msg: fmt.Sprintf("%s is %q, not the %s input as the component passes it (%s=...): %s", inputEnv(in), v, in, in, outranksJob),
				Fix: fmt.Sprintf("remove %s from the CI/CD variables", inputEnv(in)),
			}
		}
	}
	if err := checkRawInputs(getenv); err != nil {
		return err
	}
	// The policy is passed unexpanded twice: the copies differ only when a
	// CI/CD variable outranks one.
	if getenv(inputEnv("policy")) != getenv(rawInputEnv("policy")) {
		return &CIVariableError{
			Msg: fmt.Sprintf("%s is not the policy input as written: %s", inputEnv("policy"), outranksJob),
			Fix: fmt.Sprintf("remove %s and %s from the CI/CD variables", inputEnv("policy"), rawInputEnv("policy")),
		}
	}
	if f := getenv(inputEnv("dotenv_file")); slices.Contains(strings.Split(filepath.ToSlash(f), "/"), "..") {
		return &InputError{Field: "dotenv-file", Msg: fmt.Sprintf("%q leaves the project directory; name a path inside it, such as aws.env", f)}
	} else if f != "" {
		if err := checkNoReport(f); err != nil {
			return err
		}
	}
	return nil
}

// checkRawInputs compares each string input as expanded with the input as
// written: a CI/CD variable that outranks the input's variable, or an
// input naming a variable this pipeline lacks, is refused.
func checkRawInputs(getenv func(string) string) error {
	for _, in := range rawInputs {
		raw, value := getenv(rawInputEnv(in)), getenv(inputEnv(in))
		if name, ok := variableReference(raw); ok {
			if strings.TrimSpace(value) == "" {
				return &CIVariableError{
					Msg: fmt.Sprintf("the %s input is %s, which is empty or not set for this pipeline", in, raw),
					Fix: fmt.Sprintf("define the CI/CD variable %s; a protected variable is only set for pipelines of protected branches and tags: "+
						"protect this branch or tag, or unprotect the variable", name),
				}
			}
			// The job sees the variable the input names: the input's
			// variable must hold the same, unless a CI/CD variable outranks it.
			if v := getenv(name); v == value || strings.Contains(v, "$") {
				continue
			}
			return &CIVariableError{
				Msg: fmt.Sprintf("%s is not the %s input (%s): %s", inputEnv(in), in, raw, outranksJob),
				Fix: fmt.Sprintf("remove %s from the CI/CD variables", inputEnv(in)),
			}
		}
		if !strings.Contains(raw, "$") && value != raw {
			return &CIVariableError{
				Msg: fmt.Sprintf("%s is not the %s input as written: %s", inputEnv(in), in, outranksJob),
				Fix: fmt.Sprintf("remove %s from the CI/CD variables", inputEnv(in)),
			}
		}
	}
	return nil
}

// checkNoReport refuses a dotenv_file that exists before the job wrote it
// (committed to the repository, or made by a script): outside the component
// the tool merges its variables with the file's, but here they would reach
// every later job under the component's name.
func checkNoReport(path string) error {
	data, found, err := atomicfile.ReadExisting(path, 64<<10)
	if !found && err == nil {
		return nil
	}
	what := "it"
	if vars, perr := output.ParseDotenv(data); err == nil && perr == nil && len(vars) > 0 {
		names := make([]string, len(vars))
		for i, v := range vars {
			names[i] = v.Key
		}
		what = "its " + joinAnd(names)
	}
	return &InputError{Field: "dotenv-file", Msg: fmt.Sprintf("%q already exists before the job wrote it: the report would hand %s on to later jobs with the credentials. "+
		"Remove the file from the repository (or from what made it), or write to another dotenv_file", path, what)}
}
