package cli

import (
	"errors"
	"slices"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
)

// Inside the assume-role component (ci.InComponent) a person set inputs,
// not flags or variables, so flags that an input sets read only the input's
// variable (flags.go), and errors and hints name the input instead of the
// flag.

// componentError is a failure of `assume` inside the component: the same
// error, exit code and hint, with every setting named as a person set it
// there: the input, or the CI/CD variable of a setting without one.
type componentError struct {
	err    error
	getenv func(string) string
}

func (e *componentError) Error() string { return errorIn(e.err, e.naming()) }
func (e *componentError) Unwrap() error { return e.err }
func (e *componentError) ExitCode() int { return ExitCode(e.err) }

func (e *componentError) naming() naming { return naming{component: true, getenv: e.getenv} }

func (e *componentError) Hint() string {
	in, ok := e.err.(*InputError)
	var fe *exchange.FieldError
	if ok && in.Field == "role-arn" || errors.As(e.err, &fe) && fe.Field == "role-arn" {
		if fix, empty := ci.EmptyRoleARNFix(e.getenv); empty {
			return fix
		}
	}
	return hintIn(e.err, e.naming())
}

// errorIn is err's text naming the settings as n does. Outside the
// component it is err.Error(); the errors whose text names a setting that
// the component sets otherwise render it from n.
func errorIn(err error, n naming) string {
	switch e := err.(type) {
	case *InputError:
		return e.errorIn(n)
	case *AccountError:
		return e.errorIn(n)
	case *output.Error:
		what := e.Format + " output"
		if n.component && e.Format == formatDotenv {
			what = "the dotenv_file report"
		}
		return "failed to write " + what + ": " + errorIn(e.Err, n)
	}
	return err.Error()
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
		return ci.InputName(s.Input)
	case n.component && s.setting().Tuning():
		return "the CI/CD variable " + n.variable(s, "")
	case len(s.Envs) > 0:
		return "--" + field + " or $" + s.Envs[0]
	}
	return "--" + field
}

// flag names field where the flag alone stands outside the component:
// "--region", "the region input", "the CI/CD variable AWS_OIDC_TIMEOUT".
func (n naming) flag(field string) string {
	s, ok := assumeSpec(field)
	switch {
	case ok && n.component && s.Input != "":
		return ci.InputName(s.Input)
	case ok && n.component && s.setting().Tuning():
		return "the CI/CD variable " + n.variable(s, "")
	}
	return "--" + field
}

// another names another value of field: "another --prefix or
// $AWS_OIDC_PREFIX", "another variable_prefix input".
func (n naming) another(field string) string {
	if s, ok := assumeSpec(field); ok && n.component && s.Input != "" {
		return "another " + s.Input + " input"
	}
	return "another " + n.setting(field)
}

// anotherFlag is another with the flag alone outside the component:
// "another --dotenv-file", "another dotenv_file input".
func (n naming) anotherFlag(field string) string {
	if s, ok := assumeSpec(field); ok && n.component && s.Input != "" {
		return "another " + s.Input + " input"
	}
	return "another " + n.flag(field)
}

// names are n's names for core packages' hints.
func (n naming) names() exchange.Names {
	return exchange.Names{Flag: n.flag, Another: n.anotherFlag, Setting: func(name, _ string) string { return n.setting(name) }}
}

// slashed is field with its first variable after a slash outside the
// component, "--audience/$AWS_OIDC_AUDIENCE"; inside, as flag names it.
func (n naming) slashed(field string) string {
	s, ok := assumeSpec(field)
	if n.component || !ok || len(s.Envs) == 0 {
		return n.flag(field)
	}
	return "--" + field + "/$" + s.Envs[0]
}

// invalid names field after "invalid ": "duration input", "CI/CD variable
// AWS_ENDPOINT_URL" (the one from names, else the first the job set), or
// the flag of a setting the component does not take.
func (n naming) invalid(field, from string) string {
	s, ok := assumeSpec(field)
	switch {
	case ok && n.component && s.Input != "":
		return s.Input + " input"
	case ok && n.component && s.setting().Tuning():
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
	if err == nil || !ci.InComponent(getenv) {
		return err
	}
	return &componentError{err: err, getenv: getenv}
}

// setting is s as package ci knows the component's settings.
func (s flagSpec) setting() ci.Setting { return ci.Setting{Envs: s.Envs, Input: s.Input} }

// CIVariableError is ci.Inputs' finding as the tool reports it: a CI/CD
// variable that changes the component's job against its inputs.
type CIVariableError struct{ *ci.VariableError }

func (e *CIVariableError) ExitCode() int { return ExitConfig }

// checkComponent refuses, before anything else, a component job that CI/CD
// variables changed (ci.Inputs), and warns about the ones it ignores.
func checkComponent(getenv func(string) string, warn func(string)) error {
	settings := make([]ci.Setting, len(assumeFlags))
	for i, s := range assumeFlags {
		settings[i] = s.setting()
	}
	err := ci.Inputs{Getenv: getenv, Settings: settings, ReportKeys: dotenvKeys, Warn: warn}.Check()
	var (
		variable *ci.VariableError
		input    *ci.InputError
	)
	switch {
	case errors.As(err, &variable):
		return &CIVariableError{variable}
	case errors.As(err, &input):
		i := slices.IndexFunc(assumeFlags, func(s flagSpec) bool { return s.Input == input.Input })
		return &InputError{Field: assumeFlags[i].Name, From: ci.InputName(input.Input), Msg: input.Msg}
	}
	return err
}

// dotenvKeys are the names of a dotenv report's variables.
func dotenvKeys(data []byte) ([]string, error) {
	vars, err := output.ParseDotenv(data)
	keys := make([]string, len(vars))
	for i, v := range vars {
		keys[i] = v.Key
	}
	return keys, err
}

// naming is how this run's errors and warnings name its settings.
func (r *assumeRun) naming() naming {
	return naming{component: ci.InComponent(r.env.Getenv), getenv: r.env.Getenv}
}
