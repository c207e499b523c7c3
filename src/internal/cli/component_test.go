package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ststest"
)

// componentEnv is the assume-role job's environment as the template sets it,
// plus the CI/CD variables of the case.
func componentJobEnv(t *testing.T, vars map[string]string) map[string]string {
	env := gitlabEnv(t, nil)
	for k, v := range map[string]string{
		"AWS_OIDC_COMPONENT":    "assume-role",
		"AWS_OIDC_ROLE_ARN":     roleARN,
		"AWS_OIDC_REGION":       "us-east-1",
		"AWS_OIDC_DURATION":     "3600",
		"AWS_OIDC_SESSION_NAME": "",
		"AWS_OIDC_OUTPUT":       "dotenv",
		"AWS_OIDC_DOTENV_FILE":  filepath.Join(t.TempDir(), "aws.env"),
	} {
		env[k] = v
	}
	for k, v := range vars {
		env[k] = v
	}
	return env
}

// TestComponentNamesInputs: inside the component, errors and hints name the
// input a person set, never a flag or a variable they did not.
func TestComponentNamesInputs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		vars  map[string]string
		want  []string
		never []string
	}{
		{
			name:  "duration_out_of_range",
			vars:  map[string]string{"AWS_OIDC_DURATION": "100"},
			want:  []string{"error: invalid duration input: \"100\" is out of range", "hint: set the duration input to 900..43200 seconds"},
			never: []string{"--duration", "$AWS_OIDC_DURATION"},
		},
		{
			// role_arn: $DEPLOY_ROLE_ARN with no such variable; a ROLE_ARN
			// project variable must not stand in for the input.
			name:  "role_arn_variable_unset",
			vars:  map[string]string{"AWS_OIDC_ROLE_ARN": "", "ROLE_ARN": "arn:aws:iam::999999999999:role/other"},
			want:  []string{"error: invalid role_arn input: the role ARN is required", "hint: the role_arn input is empty", "protected"},
			never: []string{"--role-arn", "$AWS_OIDC_ROLE_ARN"},
		},
		{
			name:  "region_of_another_partition",
			vars:  map[string]string{"AWS_OIDC_REGION": "cn-north-1"},
			want:  []string{"error: invalid region input", "hint: set the region input to"},
			never: []string{"--region", "$AWS_REGION"},
		},
		{
			name:  "verify_not_boolean",
			vars:  map[string]string{"AWS_OIDC_VERIFY": "maybe"},
			want:  []string{`error: the verify input is "maybe", not a boolean`},
			never: []string{"$AWS_OIDC_VERIFY"},
		},
		{
			name:  "static_keys",
			vars:  map[string]string{"AWS_ACCESS_KEY_ID": staticKeyID, "AWS_SECRET_ACCESS_KEY": staticSecret},
			want:  []string{"error: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are already set", "set the variable_prefix input", "set the allow_existing_credentials input"},
			never: []string{"--prefix", "--allow-existing-credentials", "$AWS_OIDC_PREFIX"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			env := componentJobEnv(t, tc.vars)
			env["AWS_ENDPOINT_URL_STS"] = srv.URL
			r := run(t, env, "assume")
			if r.code != ExitConfig {
				t.Fatalf("exit %d, want %d", r.code, ExitConfig)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(r.stderr, n) {
					t.Errorf("stderr names %q inside the component", n)
				}
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("STS was called %d times", n)
			}
			if _, err := os.Stat(env["AWS_OIDC_DOTENV_FILE"]); err == nil {
				t.Errorf("a dotenv file was written")
			}
		})
	}
}

// TestComponentInputsOutrankVariables: an empty input means the tool's
// default, not a CI/CD variable further down the flag's list.
func TestComponentInputsOutrankVariables(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := componentJobEnv(t, map[string]string{"AWS_ROLE_SESSION_NAME": "from-a-project-variable", "AWS_REGION": "eu-central-1"})
	env["AWS_ENDPOINT_URL_STS"] = srv.URL
	r := run(t, env, "assume")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].RoleSessionName != "GitLabRunner-42-1234-5678" {
		t.Errorf("requests = %+v, want one with the default session name", reqs)
	}
	if !strings.Contains(r.stderr, `not "us-east-1" (the region input)`) {
		t.Errorf("the region warning does not name the input")
	}
}

func TestInputWords(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"invalid --policy-arn: x", "invalid policy_arns input: x"},
		{"invalid --policy: x", "invalid policy input: x"},
		{"set --role-arn or $AWS_OIDC_ROLE_ARN to", "set the role_arn input to"},
		{"drop --audience/$AWS_OIDC_AUDIENCE", "drop the audience input"},
		{"(from $AWS_OIDC_POLICY_ARNS)", "(from the policy_arns input)"},
		{"raise --max-attempts and --timeout", "raise --max-attempts and --timeout"},
		{"check --region and --sts-endpoint", "check the region input and --sts-endpoint"},
	}
	for _, tc := range cases {
		if got := inputWords(tc.in); got != tc.want {
			t.Errorf("inputWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
