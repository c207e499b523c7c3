package ci

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
)

// The assume-role component (templates/assume-role.yml) hands each input to
// the tool under a variable of its own, AWS_OIDC_INPUT_<INPUT>, and sets
// the tool's ordinary AWS_OIDC_* variables to "" in the job. A CI/CD
// variable of the project, group, instance or pipeline outranks every job
// variable on GitLab (REFERENCE.md §6), so:
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

// ComponentEnv is set by the template to the component's name. Inside the
// component a person set inputs, not flags or variables.
const ComponentEnv = "AWS_OIDC_COMPONENT"

// InComponent reports whether the tool runs as the assume-role component:
// its name is set, or the role_arn input's variables are (role_arn is
// required), so that a CI/CD variable that blanks the name cannot switch the
// component's checks off (Inputs.Check refuses that).
func InComponent(getenv func(string) string) bool {
	return getenv(ComponentEnv) != "" || getenv(InputEnv("role_arn")) != "" || getenv(RawInputEnv("role_arn")) != ""
}

const (
	inputEnvPrefix    = "AWS_OIDC_INPUT_"
	rawInputEnvPrefix = "AWS_OIDC_INPUT_RAW_"
)

// InputEnv is the variable the template sets an input's value in.
func InputEnv(input string) string { return inputEnvPrefix + strings.ToUpper(input) }

// RawInputEnv is the variable that holds the input as written.
func RawInputEnv(input string) string { return rawInputEnvPrefix + strings.ToUpper(input) }

// InputName is how a person knows the input: "the role_arn input".
func InputName(input string) string { return "the " + input + " input" }

// typedInputs arrive as "input=value".
var typedInputs = []string{"duration", "verify", "allow_existing_credentials"}

// rawInputs come with a copy as written: every string input but policy,
// which the template passes unexpanded already.
var rawInputs = []string{"role_arn", "audience", "region", "session_name", "policy_arns", "variable_prefix",
	"dotenv_file", "allowed_accounts", "check_s3"}

// pinned are the variables the template sets to one value that the tool
// relies on: the output, and where the token is.
var pinned = map[string]string{"AWS_OIDC_OUTPUT": "dotenv", "AWS_OIDC_TOKEN_ENV": "AWS_OIDC_TOKEN"}

// tuning are the variables of the settings without an input that keep
// working in the component: where STS and S3 are, how long to retry, the
// instance's dotenv limit, extra CAs and diagnostics. They change neither
// which role is assumed nor where the credentials go. Each setting is known
// by its first variable.
var tuning = []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_S3", "AWS_OIDC_TIMEOUT", "AWS_OIDC_ATTEMPT_TIMEOUT",
	"AWS_OIDC_MAX_ATTEMPTS", "AWS_OIDC_DOTENV_MAX_VARIABLES", "AWS_CA_BUNDLE", "AWS_OIDC_DEBUG", "AWS_OIDC_MAX_PARALLEL"}

// Setting is one setting of the tool as the component's job sees it: its
// variables, the tool's own first, and the input that sets it, if any.
type Setting struct {
	Envs  []string
	Input string
}

// Pinned is the value the template sets the setting's variable to, "" when
// it does not pin it.
func (s Setting) Pinned() string {
	if len(s.Envs) == 0 {
		return ""
	}
	return pinned[s.Envs[0]]
}

// Tuning reports whether the setting has no input and its variables keep
// working in the component's job.
func (s Setting) Tuning() bool {
	return s.Input == "" && len(s.Envs) > 0 && slices.Contains(tuning, s.Envs[0])
}

// InputGetenv is the environment as the tool's settings read it in the
// component: an input's variable without the "input=" of a typed input.
func InputGetenv(getenv func(string) string) func(string) string {
	return func(name string) string {
		v := getenv(name)
		for _, in := range typedInputs {
			if name == InputEnv(in) {
				v, _ = strings.CutPrefix(v, in+"=")
			}
		}
		return v
	}
}

// EmptyRoleARNFix is the hint for a role ARN refused in the component's
// job when the role_arn input arrived empty: GitLab checks the input's
// regex before it expands variables, so an empty role_arn is a CI/CD
// variable that this pipeline lacks. ok is false when the input is set.
func EmptyRoleARNFix(getenv func(string) string) (fix string, ok bool) {
	if strings.TrimSpace(getenv(InputEnv("role_arn"))) != "" {
		return "", false
	}
	return "the role_arn input is empty. When it names a CI/CD variable (role_arn: $DEPLOY_ROLE_ARN), that variable is not set " +
		"for this pipeline: check its name and, for a protected variable, that this branch or tag is protected", true
}

// VariableError is a CI/CD variable that changes the component's job
// against its inputs.
type VariableError struct {
	Msg, Fix string
}

func (e *VariableError) Error() string { return e.Msg }

// Hint says which variable to remove, and where from.
func (e *VariableError) Hint() string { return e.Fix }

// InputError is an input whose value the component refuses.
type InputError struct {
	Input, Msg string
}

func (e *InputError) Error() string { return "invalid " + e.Input + " input: " + e.Msg }

// outranksJob is why a variable the template sets can hold something else.
const outranksJob = "project, group, instance and pipeline CI/CD variables outrank the component's job variables on GitLab"

// Inputs checks the component's job before the tool reads its settings.
type Inputs struct {
	Getenv func(string) string
	// Settings are the tool's, in the order their findings are reported.
	Settings []Setting
	// ReportKeys are the variable names in a dotenv report's text.
	ReportKeys func(data []byte) ([]string, error)
	// Warn reports a CI/CD variable that the component ignores.
	Warn func(string)
}

// Check refuses a component job that CI/CD variables changed (a
// *VariableError), or a dotenv_file it cannot write (an *InputError), and
// warns about the variables it ignores.
func (in Inputs) Check() error {
	getenv := in.Getenv
	if getenv(ComponentEnv) == "" {
		return &VariableError{
			Msg: fmt.Sprintf("%s is empty in this job, yet the assume-role component's input variables are set: %s", ComponentEnv, outranksJob),
			Fix: fmt.Sprintf("remove %s from Settings > CI/CD > Variables (of the project, its groups or the instance) and from the pipeline's trigger or schedule", ComponentEnv),
		}
	}
	for _, s := range in.Settings {
		switch {
		case s.Input != "":
			for _, e := range s.Envs {
				if strings.HasPrefix(e, "AWS_OIDC_") && getenv(e) != "" {
					in.Warn(fmt.Sprintf("%s is set in the CI/CD variables; the component ignores it and takes %s", e, InputName(s.Input)))
				}
			}
		case s.Pinned() != "":
			if v := getenv(s.Envs[0]); v != s.Pinned() {
				return &VariableError{
					Msg: fmt.Sprintf("%s is %q in this job, not %q as the component sets it: %s", s.Envs[0], v, s.Pinned(), outranksJob),
					Fix: fmt.Sprintf("remove %s from Settings > CI/CD > Variables (of the project, its groups or the instance) and from the pipeline's trigger or schedule; "+
						"set it in the variables: of the jobs that need it instead", s.Envs[0]),
				}
			}
		case s.Tuning():
		default:
			for _, e := range s.Envs {
				if strings.HasPrefix(e, "AWS_OIDC_") && getenv(e) != "" {
					return &VariableError{
						Msg: fmt.Sprintf("%s is set in this job (%s), but the assume-role component has no input for it: it would change which role is assumed or where the credentials go", e, outranksJob),
						Fix: fmt.Sprintf("remove %s from Settings > CI/CD > Variables (of the project, its groups or the instance) and from the pipeline's trigger or schedule, "+
							"and set it in the variables: of the jobs that need it instead; for what the component does not offer, run aws-oidc in a job of your own", e),
					}
				}
			}
		}
	}
	for _, name := range typedInputs {
		v := getenv(InputEnv(name))
		if !strings.HasPrefix(v, name+"=") {
			return &VariableError{
				Msg: fmt.Sprintf("%s is %q, not the %s input as the component passes it (%s=...): %s", InputEnv(name), v, name, name, outranksJob),
				Fix: fmt.Sprintf("remove %s from the CI/CD variables", InputEnv(name)),
			}
		}
		// A typed input holds no variable: its copy as written is its value
		// (templates before this copy existed pass none).
		if raw := getenv(RawInputEnv(name)); raw != "" && raw != v {
			return &VariableError{
				Msg: fmt.Sprintf("%s is %q, not the %s input as written (%s): %s", InputEnv(name), v, name, raw, outranksJob),
				Fix: fmt.Sprintf("remove %s from the CI/CD variables", InputEnv(name)),
			}
		}
	}
	if err := checkRawInputs(getenv); err != nil {
		return err
	}
	// The policy is passed unexpanded twice: the copies differ only when a
	// CI/CD variable outranks one.
	if getenv(InputEnv("policy")) != getenv(RawInputEnv("policy")) {
		return &VariableError{
			Msg: fmt.Sprintf("%s is not the policy input as written: %s", InputEnv("policy"), outranksJob),
			Fix: fmt.Sprintf("remove %s and %s from the CI/CD variables", InputEnv("policy"), RawInputEnv("policy")),
		}
	}
	f := getenv(InputEnv("dotenv_file"))
	switch {
	case f == "":
		return nil
	case leavesProject(f):
		return &InputError{Input: "dotenv_file", Msg: fmt.Sprintf("%q leaves the project directory; name a path inside it, such as aws.env", f)}
	case !insideProject(f, getenv("CI_PROJECT_DIR")):
		return &InputError{Input: "dotenv_file", Msg: fmt.Sprintf("%q is not a plain path inside the project directory (relative, or under $CI_PROJECT_DIR; no empty, . or .. segment); name one such as aws.env or ci/aws.env", f)}
	case escapesByLink(f, getenv("CI_PROJECT_DIR")):
		return &InputError{Input: "dotenv_file", Msg: fmt.Sprintf("%q leads out of the project directory through a symbolic link; name a path whose folders are inside it, such as aws.env", f)}
	}
	return in.checkNoReport(f)
}

// leavesProject reports whether path climbs out of the folder it is
// relative to (a .. segment).
func leavesProject(path string) bool {
	return slices.Contains(strings.Split(filepath.ToSlash(path), "/"), "..")
}

// escapesByLink reports whether path's folder, once symbolic links are
// resolved, lies outside the project directory ($CI_PROJECT_DIR, else the
// working directory, which relative paths start from): a committed link
// (ci -> /tmp) would carry the report out of the project. The deepest
// folder that exists is the one resolved; the rest is made by the run.
func escapesByLink(path, projectDir string) bool {
	wd, err := os.Getwd()
	if err != nil {
		return false
	}
	if projectDir == "" {
		projectDir = wd
	}
	root, err := filepath.EvalSymlinks(projectDir)
	if err != nil {
		return false
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(wd, path)
	}
	dir := filepath.Dir(path)
	for {
		if _, err := os.Lstat(dir); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(root, real)
	return err != nil || rel == ".." || strings.HasPrefix(rel, "../")
}

// insideProject is the dotenv_file input's own rule, as its regex in the
// template states it: a relative path of segments that are neither empty,
// nor . or .. — kept here too, since a job's variables can be set without
// the template. An absolute path counts when it lies under the job's
// project directory.
func insideProject(path, projectDir string) bool {
	if filepath.IsAbs(path) {
		rest, ok := strings.CutPrefix(path, strings.TrimSuffix(projectDir, "/")+"/")
		if projectDir == "" || !ok {
			return false
		}
		path = rest
	}
	for _, seg := range strings.Split(filepath.ToSlash(path), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// checkRawInputs compares each string input as expanded with the input as
// written: a CI/CD variable that outranks the input's variable, or an
// input naming a variable this pipeline lacks, is refused.
func checkRawInputs(getenv func(string) string) error {
	for _, in := range rawInputs {
		raw, value := getenv(RawInputEnv(in)), getenv(InputEnv(in))
		if name, ok := variableReference(raw); ok {
			if strings.TrimSpace(value) == "" {
				return &VariableError{
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
			return &VariableError{
				Msg: fmt.Sprintf("%s is not the %s input (%s): %s", InputEnv(in), in, raw, outranksJob),
				Fix: fmt.Sprintf("remove %s from the CI/CD variables", InputEnv(in)),
			}
		}
		if !strings.Contains(raw, "$") && value != raw {
			return &VariableError{
				Msg: fmt.Sprintf("%s is not the %s input as written: %s", InputEnv(in), in, outranksJob),
				Fix: fmt.Sprintf("remove %s from the CI/CD variables", InputEnv(in)),
			}
		}
	}
	return nil
}

// checkNoReport refuses a dotenv_file that exists before the job wrote it
// (committed to the repository, or made by a script): outside the component
// the tool merges its variables with the file's, but here they would reach
// every later job under the component's name.
func (in Inputs) checkNoReport(path string) error {
	data, found, err := atomicfile.ReadExisting(path, 64<<10)
	if !found && err == nil {
		return nil
	}
	what := "it"
	if keys, perr := in.ReportKeys(data); err == nil && perr == nil && len(keys) > 0 {
		what = "its " + joinAnd(keys)
	}
	return &InputError{Input: "dotenv_file", Msg: fmt.Sprintf("%q already exists before the job wrote it: the report would hand %s on to later jobs with the credentials. "+
		"Remove the file from the repository (or from what made it), or write to another dotenv_file", path, what)}
}

// variableReference reports whether s is one CI/CD variable, $NAME or
// ${NAME}, and its name.
func variableReference(s string) (string, bool) {
	name, ok := strings.CutPrefix(s, "$")
	if braced, found := strings.CutPrefix(name, "{"); found {
		name, found = strings.CutSuffix(braced, "}")
		ok = ok && found
	}
	if !ok || !IsVariableName(name) {
		return "", false
	}
	return name, true
}

// IsVariableName is [A-Za-z_][A-Za-z0-9_]*, the name of a shell or CI/CD
// variable, checked byte by byte so that nothing is compiled at start-up.
func IsVariableName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') && c != '_' && (i == 0 || !('0' <= c && c <= '9')) {
			return false
		}
	}
	return s != ""
}

// joinAnd lists names as "A", "A and B", "A, B and C".
func joinAnd(names []string) string {
	if n := len(names); n > 1 {
		return strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	}
	return strings.Join(names, "")
}
