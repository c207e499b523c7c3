package cli

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/role"
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

func (e *componentError) Error() string { return inputWords(e.err.Error()) }
func (e *componentError) Unwrap() error { return e.err }
func (e *componentError) ExitCode() int { return ExitCode(e.err) }

func (e *componentError) Hint() string {
	var fe *role.FieldError
	if errors.As(e.err, &fe) && fe.Field == "role-arn" && strings.TrimSpace(e.getenv("AWS_OIDC_ROLE_ARN")) == "" {
		// GitLab checks the input's regex before it expands variables, so an
		// empty role_arn here is a CI/CD variable that this pipeline lacks.
		return "the role_arn input is empty. When it names a CI/CD variable (role_arn: $DEPLOY_ROLE_ARN), that variable is not set " +
			"for this pipeline: check its name and, for a protected variable, that this branch or tag is protected"
	}
	return inputWords(Hint(e.err))
}

// inComponentErr wraps err when the tool runs as the component.
func inComponentErr(err error, getenv func(string) string) error {
	if err == nil || !inComponent(getenv) {
		return err
	}
	return &componentError{err: err, getenv: getenv}
}

// flagWords matches, for every flag an input sets, "invalid --flag",
// "--flag or $VAR", "--flag/$VAR", "--flag" and "$VAR", longest first, so
// that --policy-arn is never read as --policy.
var flagWords, flagInputs = func() (*regexp.Regexp, map[string]string) {
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
	return regexp.MustCompile(`(invalid )?(` + alt + `)(?:(?: or |/)(` + alt + `))?\b`), inputs
}()

// inputWords rewrites flag and variable names into input names:
// "invalid --duration: ..." becomes "invalid duration input: ...", "set
// --role-arn or $AWS_OIDC_ROLE_ARN to" becomes "set the role_arn input to".
func inputWords(s string) string {
	return flagWords.ReplaceAllStringFunc(s, func(m string) string {
		sub := flagWords.FindStringSubmatch(m)
		input := flagInputs[sub[2]]
		if sub[1] != "" {
			return "invalid " + input + " input"
		}
		return inputName(input)
	})
}
