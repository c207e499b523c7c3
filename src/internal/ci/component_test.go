package ci

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// TestVariableReference holds the byte-by-byte rule against the regexp it
// replaced, over every string of up to three characters from around its
// classes' edges.
func TestVariableReference(t *testing.T) {
	t.Parallel()
	alphabet := []string{"", "a", "z", "A", "Z", "0", "9", "_", "-", "$", "{", "}", " ", "é", "\n"}
	inputs := []string{"${AWS_ROLE}", "$AWS_ROLE", "${A", "$A}", "${}", "$_x1"}
	for _, a := range alphabet {
		for _, b := range alphabet {
			for _, c := range alphabet {
				inputs = append(inputs, a+b+c)
			}
		}
	}
	re := regexp.MustCompile(`^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$`)
	for _, s := range inputs {
		m := re.FindStringSubmatch(s)
		name, ok := variableReference(s)
		if ok != (m != nil) {
			t.Errorf("%q: got %v, want %v", s, ok, m != nil)
		} else if ok && name != m[1]+m[2] {
			t.Errorf("variableReference(%q) = %q, want %q", s, name, m[1]+m[2])
		}
	}
}

// componentJob is the component's job for the default inputs.
func componentJob(vars map[string]string) func(string) string {
	env := map[string]string{
		ComponentEnv:                           "assume-role",
		"AWS_OIDC_OUTPUT":                      "dotenv",
		"AWS_OIDC_TOKEN_ENV":                   "AWS_OIDC_TOKEN",
		InputEnv("duration"):                   "duration=3600",
		InputEnv("verify"):                     "verify=false",
		InputEnv("allow_existing_credentials"): "allow_existing_credentials=false",
		InputEnv("role_arn"):                   "arn:aws:iam::123456789012:role/deploy",
		RawInputEnv("role_arn"):                "arn:aws:iam::123456789012:role/deploy",
	}
	for k, v := range vars {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

var settings = []Setting{
	{Envs: []string{"AWS_OIDC_ROLE_ARN", "ROLE_ARN"}, Input: "role_arn"},
	{Envs: []string{"AWS_OIDC_TOKEN_ENV"}},
	{Envs: []string{"AWS_OIDC_OUTPUT"}},
	{Envs: []string{"AWS_OIDC_TIMEOUT"}},
	{Envs: []string{"AWS_OIDC_PROFILE"}},
}

func TestInputsCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		vars map[string]string
		// want is in the error; "" for none.
		want, warning string
	}{
		{name: "clean"},
		{name: "tuning_kept", vars: map[string]string{"AWS_OIDC_TIMEOUT": "5m"}},
		{name: "input_variable_ignored", vars: map[string]string{"AWS_OIDC_ROLE_ARN": "x"},
			warning: "AWS_OIDC_ROLE_ARN is set in the CI/CD variables; the component ignores it and takes the role_arn input"},
		{name: "pinned_changed", vars: map[string]string{"AWS_OIDC_OUTPUT": "shell"}, want: `AWS_OIDC_OUTPUT is "shell" in this job, not "dotenv"`},
		{name: "no_input", vars: map[string]string{"AWS_OIDC_PROFILE": "ci"}, want: "AWS_OIDC_PROFILE is set in this job"},
		{name: "typed_outranked", vars: map[string]string{InputEnv("verify"): "true"}, want: `AWS_OIDC_INPUT_VERIFY is "true"`},
		{name: "raw_outranked", vars: map[string]string{InputEnv("role_arn"): "other"}, want: "AWS_OIDC_INPUT_ROLE_ARN is not the role_arn input as written"},
		{name: "reference_unset", vars: map[string]string{InputEnv("region"): "", RawInputEnv("region"): "${R}"},
			want: "the region input is ${R}, which is empty or not set"},
		{name: "dotenv_parent", vars: map[string]string{InputEnv("dotenv_file"): "a/../../x", RawInputEnv("dotenv_file"): "a/../../x"},
			want: `invalid dotenv_file input: "a/../../x" leaves the project directory`},
		// The template's regex refuses these at pipeline creation; a job's
		// variables set without the template meet the same rule here.
		{name: "dotenv_absolute", vars: map[string]string{InputEnv("dotenv_file"): "/tmp/x.env", RawInputEnv("dotenv_file"): "/tmp/x.env"},
			want: `invalid dotenv_file input: "/tmp/x.env" is not a plain path inside the project directory`},
		{name: "dotenv_dot_segment", vars: map[string]string{InputEnv("dotenv_file"): "./x.env", RawInputEnv("dotenv_file"): "./x.env"},
			want: `invalid dotenv_file input: "./x.env" is not a plain path inside the project directory`},
		{name: "dotenv_empty_segment", vars: map[string]string{InputEnv("dotenv_file"): "ci//x.env", RawInputEnv("dotenv_file"): "ci//x.env"},
			want: `invalid dotenv_file input: "ci//x.env" is not a plain path inside the project directory`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var warnings []string
			err := Inputs{Getenv: componentJob(tc.vars), Settings: settings, Warn: func(s string) { warnings = append(warnings, s) }}.Check()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			}
			var ve *VariableError
			var ie *InputError
			if err != nil && !errors.As(err, &ve) && !errors.As(err, &ie) {
				t.Errorf("error of type %T", err)
			}
			if got := strings.Join(warnings, "\n"); got != tc.warning {
				t.Errorf("warnings %q, want %q", got, tc.warning)
			}
		})
	}
}

func TestInputGetenv(t *testing.T) {
	t.Parallel()
	getenv := InputGetenv(componentJob(nil))
	if got := getenv(InputEnv("duration")); got != "3600" {
		t.Errorf("duration = %q", got)
	}
	if got := getenv(InputEnv("role_arn")); got != "arn:aws:iam::123456789012:role/deploy" {
		t.Errorf("role_arn = %q", got)
	}
}

func TestEmptyRoleARNFix(t *testing.T) {
	t.Parallel()
	if fix, ok := EmptyRoleARNFix(componentJob(nil)); ok || fix != "" {
		t.Errorf("set role_arn: %q, %v", fix, ok)
	}
	fix, ok := EmptyRoleARNFix(componentJob(map[string]string{InputEnv("role_arn"): " "}))
	if !ok || !strings.Contains(fix, "role_arn: $DEPLOY_ROLE_ARN") {
		t.Errorf("empty role_arn: %q, %v", fix, ok)
	}
}
