package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/s3check"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// componentJobEnv is the assume-role job's environment as the template sets
// it for the default inputs, role_arn given, plus the variables of the case
// (an input's variable, AWS_OIDC_INPUT_*, or a CI/CD variable).
func componentJobEnv(t *testing.T, vars map[string]string) map[string]string {
	env := gitlabEnv(t, nil)
	env["AWS_OIDC_TOKEN"] = env["GITLAB_OIDC_TOKEN"]
	delete(env, "GITLAB_OIDC_TOKEN")
	env["CI_SERVER_URL"] = tokentest.Issuer
	env["CI_PROJECT_DIR"] = t.TempDir()
	inputs := map[string]string{
		"role_arn":         roleARN,
		"region":           "us-east-1",
		"session_name":     "",
		"policy_arns":      "",
		"variable_prefix":  "",
		"dotenv_file":      filepath.Join(env["CI_PROJECT_DIR"], "aws.env"),
		"allowed_accounts": "",
		"check_s3":         "",
	}
	for in, v := range inputs {
		env[ci.InputEnv(in)] = v
		env[ci.RawInputEnv(in)] = v
	}
	env[ci.InputEnv("audience")] = tokentest.Issuer
	env[ci.RawInputEnv("audience")] = "$CI_SERVER_URL"
	for k, v := range map[string]string{
		"AWS_OIDC_COMPONENT":                      "assume-role",
		"AWS_OIDC_TOKEN_ENV":                      "AWS_OIDC_TOKEN",
		"AWS_OIDC_OUTPUT":                         "dotenv",
		"AWS_OIDC_INPUT_POLICY":                   "",
		ci.InputEnv("duration"):                   "duration=3600",
		ci.InputEnv("verify"):                     "verify=false",
		ci.InputEnv("allow_existing_credentials"): "allow_existing_credentials=false",
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
			vars:  map[string]string{ci.InputEnv("duration"): "duration=100"},
			want:  []string{"error: invalid duration input: \"100\" is out of range", "hint: set the duration input to 900..43200 seconds"},
			never: []string{"--duration", "$AWS_OIDC_DURATION"},
		},
		{
			// role_arn: $DEPLOY_ROLE_ARN with no such variable; a ROLE_ARN
			// project variable must not stand in for the input.
			name:  "role_arn_variable_unset",
			vars:  map[string]string{ci.InputEnv("role_arn"): "", ci.RawInputEnv("role_arn"): "$DEPLOY_ROLE_ARN", "ROLE_ARN": "arn:aws:iam::999999999999:role/other"},
			want:  []string{"error: the role_arn input is $DEPLOY_ROLE_ARN, which is empty or not set for this pipeline", "hint: define the CI/CD variable DEPLOY_ROLE_ARN", "protected"},
			never: []string{"--role-arn", "$AWS_OIDC_ROLE_ARN"},
		},
		{
			// GitLab checks the input's regex before it expands variables:
			// an empty role_arn names a variable this pipeline lacks.
			name:  "role_arn_empty",
			vars:  map[string]string{ci.InputEnv("role_arn"): "", ci.RawInputEnv("role_arn"): ""},
			want:  []string{"error: invalid role_arn input", "hint: the role_arn input is empty. When it names a CI/CD variable (role_arn: $DEPLOY_ROLE_ARN)"},
			never: []string{"--role-arn", "$AWS_OIDC_ROLE_ARN"},
		},
		{
			name:  "region_of_another_partition",
			vars:  map[string]string{ci.InputEnv("region"): "cn-north-1", ci.RawInputEnv("region"): "cn-north-1"},
			want:  []string{"error: invalid region input", "hint: set the region input to"},
			never: []string{"--region", "$AWS_REGION"},
		},
		{
			name:  "verify_not_boolean",
			vars:  map[string]string{ci.InputEnv("verify"): "verify=maybe"},
			want:  []string{`error: the verify input is "maybe", not a boolean`},
			never: []string{"$AWS_OIDC_VERIFY"},
		},
		{
			name:  "static_keys",
			vars:  map[string]string{"AWS_ACCESS_KEY_ID": staticKeyID, "AWS_SECRET_ACCESS_KEY": staticSecret},
			want:  []string{"error: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are already set", "set the variable_prefix input", "set the allow_existing_credentials input"},
			never: []string{"--prefix", "--allow-existing-credentials", "$AWS_OIDC_PREFIX"},
		},
		{
			name:  "static_keys_prefixed",
			vars:  map[string]string{ci.InputEnv("variable_prefix"): "PROD_", ci.RawInputEnv("variable_prefix"): "PROD_", "PROD_AWS_SESSION_TOKEN": "x"},
			want:  []string{"error: PROD_AWS_SESSION_TOKEN is already set", "or use another variable_prefix input;", "set the allow_existing_credentials input"},
			never: []string{"--prefix", "$AWS_OIDC_PREFIX", "PROD_ gives"},
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
			if _, err := os.Stat(env[ci.InputEnv("dotenv_file")]); err == nil {
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

// oldInputWords is how the component named its inputs until issue 11: every
// message rewritten by regexps, flags and variables into input names. It
// stays here as the measure of TestComponentNamesAsBefore.
func oldInputWords(s string, getenv func(string) string) string {
	inputs := map[string]string{}
	var alts []string
	for _, f := range assumeFlags {
		if f.Input == "" {
			continue
		}
		inputs["--"+f.Name] = f.Input
		inputs["$"+f.Envs[0]] = f.Input
		alts = append(alts, regexp.QuoteMeta("--"+f.Name), regexp.QuoteMeta("$"+f.Envs[0]))
	}
	slices.SortFunc(alts, func(a, b string) int { return len(b) - len(a) })
	alt := strings.Join(alts, "|")
	flagRE := regexp.MustCompile(`(invalid |another )?(` + alt + `)(?:(?: or |/)(` + alt + `))?\b`)
	s = flagRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := flagRE.FindStringSubmatch(m)
		switch sub[1] {
		case "invalid ":
			return "invalid " + inputs[sub[2]] + " input"
		case "another ":
			return "another " + inputs[sub[2]] + " input"
		}
		return ci.InputName(inputs[sub[2]])
	})
	envs := map[string][]string{}
	alts = nil
	for _, f := range assumeFlags {
		if f.setting().Tuning() {
			envs["--"+f.Name] = f.Envs
			alts = append(alts, regexp.QuoteMeta("--"+f.Name))
		}
	}
	slices.SortFunc(alts, func(a, b string) int { return len(b) - len(a) })
	tuningRE := regexp.MustCompile(`(invalid )?(` + strings.Join(alts, "|") + `)(?: or \$[A-Z_]+)?\b`)
	s = tuningRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := tuningRE.FindStringSubmatch(m)
		name := envs[sub[2]][0]
		for _, e := range envs[sub[2]] {
			if getenv(e) != "" {
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

// TestOldInputWords pins the measure itself: the old rewrite, as it was tested.
func TestOldInputWords(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"invalid --policy-arn: x", "invalid policy_arns input: x"},
		{"invalid --policy: x", "invalid policy input: x"},
		{"set --role-arn or $AWS_OIDC_ROLE_ARN to", "set the role_arn input to"},
		{"drop --audience/$AWS_OIDC_AUDIENCE", "drop the audience input"},
		{"(from $AWS_OIDC_POLICY_ARNS)", "(from the policy_arns input)"},
		{"raise --max-attempts and --timeout", "raise the CI/CD variable AWS_OIDC_MAX_ATTEMPTS and the CI/CD variable AWS_OIDC_TIMEOUT"},
		{"check --region and --sts-endpoint", "check the region input and the CI/CD variable AWS_ENDPOINT_URL_STS"},
		{"or write to another --dotenv-file", "or write to another dotenv_file input"},
		{"raise --dotenv-max-variables to match", "raise the CI/CD variable AWS_OIDC_DOTENV_MAX_VARIABLES to match"},
		{"hint: see `aws-oidc assume --help`", "hint: see the assume-role component's inputs in README.md"},
		{"failed to write dotenv output: x", "failed to write the dotenv_file report: x"},
	}
	for _, tc := range cases {
		if got := oldInputWords(tc.in, func(string) string { return "" }); got != tc.want {
			t.Errorf("oldInputWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// The variable the job set, when it is not the first of the flag's.
	getenv := func(k string) string { return map[string]string{"AWS_ENDPOINT_URL": "http://sts.internal"}[k] }
	if got, want := oldInputWords("check --sts-endpoint", getenv), "check the CI/CD variable AWS_ENDPOINT_URL"; got != want {
		t.Errorf("oldInputWords = %q, want %q", got, want)
	}
}

// TestComponentNamesAsBefore: inside the component every error and hint
// that names a setting names it as the old rewriting did, now from where
// the setting is known; outside, the text is the errors' own.
func TestComponentNamesAsBefore(t *testing.T) {
	t.Parallel()
	arn, _ := exchange.ParseARN(roleARN)
	partition := asInput(exchange.CheckPartition(arn, "cn-north-1"), func(string) string { return "the region input" })
	_, policyErr := exchange.ParsePolicy(`{"Statement":"` + strings.Repeat("x", 3000) + `"}`)
	_, dupErr := output.ParseDotenv([]byte("A=1\nA=2\n"))
	xerr := func(code string, f func(*exchange.Error)) *exchange.Error {
		e := &exchange.Error{Code: code, Message: "m", Class: exchange.Permanent, Attempts: 3}
		if f != nil {
			f(e)
		}
		return e
	}
	transient := func(f func(*exchange.Error)) *exchange.Error {
		return xerr("Throttling", func(e *exchange.Error) { e.Class = exchange.Transient; f(e) })
	}
	sts := func(e *exchange.Error) error { return &STSError{Err: e, RoleARN: roleARN} }
	cases := []struct {
		name string
		err  error
	}{
		{"field_duration", &InputError{Field: "duration", From: "the duration input", Msg: `"100" is out of range`}},
		{"field_timeout", &InputError{Field: "timeout", From: "$AWS_OIDC_TIMEOUT", Msg: "x"}},
		{"field_sts_endpoint", &InputError{Field: "sts-endpoint", From: "$AWS_ENDPOINT_URL", Msg: "x"}},
		{"no_field", &InputError{Msg: "x"}},
		{"partition", partition},
		{"policy_too_long", asInput(policyErr, func(string) string { return "the policy input" })},
		{"account", &AccountError{Account: "999999999999", Allowed: []string{"123456789012"}, What: roleARN}},
		{"verify_other_account", &VerifyError{Account: "1", Want: "2"}},
		{"verify_refused", &VerifyError{Err: xerr("AccessDenied", nil)}},
		{"verify_transient", &VerifyError{Err: transient(func(e *exchange.Error) { e.DeadlineHit = true })}},
		{"sts_tls", sts(xerr("tls", nil))},
		{"sts_dns", sts(xerr("dns", nil))},
		{"sts_no_role", sts(xerr("AccessDenied", func(e *exchange.Error) { e.Message = "role does not exist" }))},
		{"sts_duration", sts(xerr("ValidationError", func(e *exchange.Error) { e.Message = "exceeds the MaxSessionDuration" }))},
		{"sts_validation", sts(xerr("ValidationError", nil))},
		{"sts_policy", sts(xerr("MalformedPolicyDocument", nil))},
		{"sts_policy_size", sts(xerr("PackedPolicyTooLarge", nil))},
		{"sts_region", sts(xerr("RegionDisabledException", nil))},
		{"sts_unknown", sts(xerr("Odd", nil))},
		{"token_expired_while_busy", sts(transient(func(e *exchange.Error) { e.TokenExpired = true }))},
		{"keys_busy", sts(transient(func(e *exchange.Error) { e.Code, e.DeadlineHit, e.Busy = "IDPCommunicationError", true, true }))},
		{"busy", sts(transient(func(e *exchange.Error) { e.DeadlineHit, e.Busy = true, true }))},
		{"deadline", sts(transient(func(e *exchange.Error) { e.DeadlineHit = true }))},
		{"bad_response_transient", sts(transient(func(e *exchange.Error) { e.Code = exchange.CodeBadResponse }))},
		{"attempts", sts(transient(func(*exchange.Error) {}))},
		{"bad_response", xerr(exchange.CodeBadResponse, nil)},
		{"too_large", xerr(exchange.CodeResponseTooLarge, nil)},
		{"proxy_untrusted", &httpclient.ProxyError{Problem: httpclient.ProxyUntrusted, Var: "HTTPS_PROXY", Err: errors.New("x")}},
		{"bundle", &httpclient.BundleError{Var: "SSL_CERT_FILE", Path: "/x", Msg: "m"}},
		{"dotenv_existing", &output.Error{Format: formatDotenv, Err: dupErr}},
		{"dotenv_count", &output.Error{Format: formatDotenv, Err: output.TooManyVariables("aws.env", "r")}},
		{"lock", &output.Error{Format: formatDotenv, Err: &atomicfile.LockError{Err: context.DeadlineExceeded}}},
		{"s3_missing", &checkS3Error{err: &s3check.Error{Code: "NoSuchBucket", Location: s3check.Location{Bucket: "b"}}}},
		{"s3_region", &checkS3Error{err: &s3check.Error{Code: "PermanentRedirect", Location: s3check.Location{Bucket: "b"}}}},
		{"token_audience", &TokenError{Err: &token.AudienceError{Got: []string{"a"}, Want: "b"}}},
		{"inherited", &InheritedCredentialsError{&ci.InheritedError{Names: []string{"AWS_ACCESS_KEY_ID"}}}},
		{"inherited_prefixed", &InheritedCredentialsError{&ci.InheritedError{Names: []string{"P_AWS_ACCESS_KEY_ID"}, Prefixed: true}}},
		{"permission", &output.Error{Format: formatDotenv, Err: fmt.Errorf("open: %w", fs.ErrPermission)}},
	}
	getenv := func(k string) string {
		return map[string]string{ci.ComponentEnv: "assume-role", "AWS_ENDPOINT_URL": "http://sts.internal"}[k]
	}
	inside := naming{component: true, getenv: getenv}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := errorIn(tc.err, naming{}), tc.err.Error(); got != want {
				t.Errorf("outside, error:\n got %q\nwant %q", got, want)
			}
			if got, want := errorIn(tc.err, inside), oldInputWords(tc.err.Error(), getenv); got != want {
				t.Errorf("inside, error:\n got %q\nwant %q", got, want)
			}
			if got, want := hintIn(tc.err, inside), oldInputWords(Hint(tc.err), getenv); got != want {
				t.Errorf("inside, hint:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestComponentRefusesCIVariables: CI/CD variables outrank the component's
// job variables on GitLab. Those that would change which role is assumed,
// where the credentials go or what the inputs said are refused before the
// token is read; nothing is printed, nothing written, STS never called.
func TestComponentRefusesCIVariables(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{name: "output_shell", vars: map[string]string{"AWS_OIDC_OUTPUT": "shell"}, want: []string{`AWS_OIDC_OUTPUT is "shell" in this job, not "dotenv"`}},
		{name: "output_json", vars: map[string]string{"AWS_OIDC_OUTPUT": "json"}, want: []string{`AWS_OIDC_OUTPUT is "json"`}},
		{name: "output_dotenv_and_shell", vars: map[string]string{"AWS_OIDC_OUTPUT": "dotenv,shell"}, want: []string{"AWS_OIDC_OUTPUT"}},
		{name: "token_env", vars: map[string]string{"AWS_OIDC_TOKEN_ENV": "OTHER_TOKEN"}, want: []string{"AWS_OIDC_TOKEN_ENV"}},
		{name: "profile", vars: map[string]string{"AWS_OIDC_PROFILE": "ci"}, want: []string{"AWS_OIDC_PROFILE is set in this job", "has no input for it"}},
		{name: "roles_file", vars: map[string]string{"AWS_OIDC_ROLES_FILE": "roles.yml"}, want: []string{"AWS_OIDC_ROLES_FILE"}},
		{name: "chain", vars: map[string]string{"AWS_OIDC_CHAIN_ROLE_ARNS": "arn:aws:iam::123456789012:role/admin"}, want: []string{"AWS_OIDC_CHAIN_ROLE_ARNS"}},
		{name: "token_file", vars: map[string]string{"AWS_OIDC_TOKEN_FILE": "/tmp/tok"}, want: []string{"AWS_OIDC_TOKEN_FILE"}},
		{name: "source_identity", vars: map[string]string{"AWS_OIDC_SOURCE_IDENTITY": "x"}, want: []string{"AWS_OIDC_SOURCE_IDENTITY"}},
		{name: "input_variable_outranked", vars: map[string]string{ci.InputEnv("role_arn"): "arn:aws:iam::999999999999:role/other"},
			want: []string{"AWS_OIDC_INPUT_ROLE_ARN is not the role_arn input as written"}},
		{name: "input_variable_outranked_reference", vars: map[string]string{ci.InputEnv("role_arn"): "arn:aws:iam::999999999999:role/other",
			ci.RawInputEnv("role_arn"): "$DEPLOY_ROLE_ARN", "DEPLOY_ROLE_ARN": roleARN},
			want: []string{"AWS_OIDC_INPUT_ROLE_ARN is not the role_arn input ($DEPLOY_ROLE_ARN)"}},
		{name: "policy_outranked", vars: map[string]string{ci.InputEnv("policy"): `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
			want: []string{"AWS_OIDC_INPUT_POLICY is not the policy input as written"}},
		{name: "typed_input_outranked", vars: map[string]string{ci.InputEnv("verify"): "false"},
			want: []string{`AWS_OIDC_INPUT_VERIFY is "false", not the verify input as the component passes it`}},
		{name: "allowed_accounts_unset", vars: map[string]string{ci.InputEnv("allowed_accounts"): "", ci.RawInputEnv("allowed_accounts"): "$PROD_ACCOUNT_IDS"},
			want: []string{"the allowed_accounts input is $PROD_ACCOUNT_IDS, which is empty or not set", "define the CI/CD variable PROD_ACCOUNT_IDS"}},
		{name: "check_s3_unset", vars: map[string]string{ci.InputEnv("check_s3"): "", ci.RawInputEnv("check_s3"): "${PROD_BUCKET}"},
			want: []string{"the check_s3 input is ${PROD_BUCKET}", "PROD_BUCKET"}},
		{name: "region_unset", vars: map[string]string{ci.InputEnv("region"): "", ci.RawInputEnv("region"): "$PROD_REGION"},
			want: []string{"the region input is $PROD_REGION"}},
		{name: "policy_arns_unset", vars: map[string]string{ci.InputEnv("policy_arns"): "", ci.RawInputEnv("policy_arns"): "$X"},
			want: []string{"the policy_arns input is $X"}},
		{name: "dotenv_parent", vars: map[string]string{ci.InputEnv("dotenv_file"): "../aws.env", ci.RawInputEnv("dotenv_file"): "../aws.env"},
			want: []string{`invalid dotenv_file input: "../aws.env" leaves the project directory`}},
		{name: "dotenv_parent_inside", vars: map[string]string{ci.InputEnv("dotenv_file"): "ci/../../aws.env", ci.RawInputEnv("dotenv_file"): "ci/../../aws.env"},
			want: []string{"leaves the project directory"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			env := componentJobEnv(t, tc.vars)
			env["AWS_ENDPOINT_URL_STS"] = srv.URL
			r := run(t, env, "assume")
			if r.code != ExitConfig {
				t.Fatalf("exit %d, want %d\n%s", r.code, ExitConfig, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q\n%s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout holds %d bytes, want nothing", len(r.stdout)) // it may hold credentials: not printed
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("STS was called %d times", n)
			}
			if _, err := os.Stat(env[ci.InputEnv("dotenv_file")]); err == nil {
				t.Errorf("a dotenv file was written")
			}
			assertNoSecrets(t, r.stderr, env)
		})
	}
}

// TestComponentIgnoresInputVariables: a CI/CD variable AWS_OIDC_ROLE_ARN
// (kept for jobs that run aws-oidc themselves) outranks the template's
// empty one but never the role_arn input; the job log names it.
func TestComponentIgnoresInputVariables(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := componentJobEnv(t, map[string]string{
		"AWS_OIDC_ROLE_ARN": "arn:aws:iam::999999999999:role/other",
		"AWS_OIDC_DURATION": "900",
		// A variables: of .gitlab-ci.yml that the report outranks reaches
		// the job only when the template does not blank it: here it is a
		// CI/CD variable AWS_ACCESS_KEY_ID set to "" (as the template sets it).
		"AWS_ACCESS_KEY_ID": "",
	})
	env["AWS_ENDPOINT_URL_STS"] = srv.URL
	r := run(t, env, "assume")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].RoleARN != roleARN || reqs[0].DurationSeconds != "3600" {
		t.Errorf("requests = %+v, want one for the role_arn input, 3600 s", reqs)
	}
	for _, w := range []string{
		"warning: AWS_OIDC_ROLE_ARN is set in the CI/CD variables; the component ignores it and takes the role_arn input",
		"warning: AWS_OIDC_DURATION is set in the CI/CD variables; the component ignores it and takes the duration input",
	} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q\n%s", w, r.stderr)
		}
	}
}

// TestComponentRefusesExistingReport: a dotenv_file committed to the
// repository would be merged into the report and reach every later job.
func TestComponentRefusesExistingReport(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := componentJobEnv(t, nil)
	env["AWS_ENDPOINT_URL_STS"] = srv.URL
	path := env[ci.InputEnv("dotenv_file")]
	old := "AWS_ACCESS_KEY_ID=AKIASTALE\nDEPLOY_TARGET=prod\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, env, "assume")
	if r.code != ExitConfig {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "already exists before the job wrote it: the report would hand its AWS_ACCESS_KEY_ID and DEPLOY_TARGET on") {
		t.Errorf("stderr does not name the file's variables:\n%s", r.stderr)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("STS was called %d times", n)
	}
	if b, _ := os.ReadFile(path); string(b) != old {
		t.Errorf("the file changed: %q", b)
	}
}

// TestComponentFlagsClassified: every flag of assume is an input, pinned by
// the template, a tuning variable, or refused in the component, and the
// template blanks the variable of every flag that is not tuning.
func TestComponentFlagsClassified(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "templates", "assume-role.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tpl := string(data)
	for _, s := range assumeFlags {
		if s.setting().Tuning() {
			continue
		}
		e := s.Envs[0]
		if pin := s.setting().Pinned(); pin != "" {
			if !strings.Contains(tpl, "\n    "+e+": "+pin+"\n") {
				t.Errorf("the template does not pin %s to %s", e, pin)
			}
			continue
		}
		if s.Name == "debug" {
			continue
		}
		if !strings.Contains(tpl, "\n    "+e+": \"\"\n") {
			t.Errorf("the template does not set %s (--%s) to \"\"", e, s.Name)
		}
		if s.Input != "" && !strings.Contains(tpl, "\n    "+ci.InputEnv(s.Input)+":") {
			t.Errorf("the template does not pass the %s input as %s", s.Input, ci.InputEnv(s.Input))
		}
	}
}

// TestComponentSessionNameNeverPrintsToken: session_name: $AWS_OIDC_TOKEN
// passes the input's regex; the line saying how the name was rewritten
// must not print the token, nor any part of it.
func TestComponentSessionNameNeverPrintsToken(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := componentJobEnv(t, nil)
	env[ci.InputEnv("session_name")] = env["AWS_OIDC_TOKEN"]
	env[ci.RawInputEnv("session_name")] = "$AWS_OIDC_TOKEN"
	env["AWS_ENDPOINT_URL_STS"] = srv.URL
	r := run(t, env, "assume")
	if r.code != ExitConfig || !strings.Contains(r.stderr, "error: invalid session_name input: it holds the job's ID token") {
		t.Errorf("exit %d, want %d naming the session_name input\n%s", r.code, ExitConfig, r.stderr)
	}
	assertNoSecrets(t, r.stdout+r.stderr, env)
	tok := env["AWS_OIDC_TOKEN"]
	for _, part := range strings.Split(tok, ".") {
		if len(part) > 16 && strings.Contains(r.stderr, part[:16]) {
			t.Errorf("stderr holds part of the token:\n%s", r.stderr)
		}
	}
	for _, req := range srv.Requests() {
		if strings.Contains(tok, req.RoleSessionName) && len(req.RoleSessionName) > 16 {
			t.Errorf("STS got part of the token as session name")
		}
	}
}

// TestComponentLongPrefixBeforeSTS: a variable_prefix that makes a name
// longer than GitLab's 255 characters is refused before the token is read
// or STS is called.
func TestComponentLongPrefixBeforeSTS(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	prefix := strings.Repeat("P", 240) + "_"
	env := componentJobEnv(t, map[string]string{ci.InputEnv("variable_prefix"): prefix, ci.RawInputEnv("variable_prefix"): prefix})
	env["AWS_ENDPOINT_URL_STS"] = srv.URL
	r := run(t, env, "assume")
	if r.code != ExitConfig {
		t.Fatalf("exit %d, want %d\n%s", r.code, ExitConfig, r.stderr)
	}
	if !strings.Contains(r.stderr, "variable_prefix input") {
		t.Errorf("stderr does not name the variable_prefix input:\n%s", r.stderr)
	}
	if n := len(srv.Requests()); n != 0 || strings.Contains(r.stderr, "token claims") {
		t.Errorf("STS was called %d times or the token was read", n)
	}
}

// TestComponentDotenvLimitBeforeSTS: the instance's dotenv limit (a CI/CD
// variable here) is checked before the token is read, and the message
// names that variable, not a flag.
func TestComponentDotenvLimitBeforeSTS(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := componentJobEnv(t, map[string]string{"AWS_OIDC_DOTENV_MAX_VARIABLES": "3"})
	env["AWS_ENDPOINT_URL_STS"] = srv.URL
	r := run(t, env, "assume")
	if r.code != ExitConfig {
		t.Fatalf("exit %d, want %d\n%s", r.code, ExitConfig, r.stderr)
	}
	if !strings.Contains(r.stderr, "raise the CI/CD variable AWS_OIDC_DOTENV_MAX_VARIABLES") || strings.Contains(r.stderr, "--dotenv-max-variables") {
		t.Errorf("stderr does not name the CI/CD variable:\n%s", r.stderr)
	}
	if n := len(srv.Requests()); n != 0 || strings.Contains(r.stderr, "token claims") {
		t.Errorf("STS was called %d times or the token was read", n)
	}
}

// TestComponentEndpointPasswordNeverPrinted: a CI/CD variable
// AWS_ENDPOINT_URL_STS with user:password@ is refused, and neither the
// password nor the user is printed (the claims block used to show it).
func TestComponentEndpointPasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	env := componentJobEnv(t, map[string]string{"AWS_ENDPOINT_URL_STS": "http://proxyuser:s3cr3t-endpoint-pass@127.0.0.1:9/"})
	r := run(t, env, "assume")
	if r.code != ExitConfig {
		t.Fatalf("exit %d, want %d\n%s", r.code, ExitConfig, r.stderr)
	}
	for _, never := range []string{"s3cr3t-endpoint-pass", "proxyuser", "token claims"} {
		if strings.Contains(r.stdout+r.stderr, never) {
			t.Errorf("output holds %q:\n%s", never, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "error: invalid CI/CD variable AWS_ENDPOINT_URL_STS: ") {
		t.Errorf("stderr does not name the variable:\n%s", r.stderr)
	}
}

// TestSettingHoldingTheTokenIsScrubbed: a setting checked before the token
// is read (role_arn: $AWS_OIDC_TOKEN, or the same on the command line) is
// refused with an error that quotes it without the token.
func TestSettingHoldingTheTokenIsScrubbed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args func(tok string) []string
		env  func(env map[string]string)
	}{
		{name: "role_arn_input", args: func(string) []string { return []string{"assume"} },
			env: func(env map[string]string) {
				env[ci.InputEnv("role_arn")] = env["AWS_OIDC_TOKEN"]
				env[ci.RawInputEnv("role_arn")] = "$AWS_OIDC_TOKEN"
			}},
		{name: "region_flag", args: func(tok string) []string {
			return []string{"assume", "--role-arn", roleARN, "--region", tok}
		}},
		{name: "role_arn_flag", args: func(tok string) []string { return []string{"assume", "--role-arn", tok} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			env := componentJobEnv(t, nil)
			if tc.env != nil {
				tc.env(env)
			} else {
				for k := range env {
					if strings.HasPrefix(k, "AWS_OIDC_INPUT") || k == ci.ComponentEnv {
						delete(env, k)
					}
				}
			}
			env["AWS_ENDPOINT_URL_STS"] = srv.URL
			r := run(t, env, tc.args(env["AWS_OIDC_TOKEN"])...)
			if r.code != ExitConfig {
				t.Errorf("exit %d, want %d", r.code, ExitConfig)
			}
			assertNoSecrets(t, r.stdout+r.stderr, env)
			for _, part := range strings.Split(env["AWS_OIDC_TOKEN"], ".")[1:] {
				if strings.Contains(r.stderr, part) {
					t.Error("stderr holds a part of the token")
				}
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("STS got %d calls", n)
			}
		})
	}
}

// TestComponentPlainHTTPWarningNamesVariable: the component's job has no
// command line, so the warning about a plain http endpoint names the CI/CD
// variable that set it.
func TestComponentPlainHTTPWarningNamesVariable(t *testing.T) {
	t.Parallel()
	env := componentJobEnv(t, map[string]string{"AWS_ENDPOINT_URL": "http://192.0.2.10:9"})
	delete(env, "AWS_OIDC_TOKEN") // fails on the token, before any packet leaves
	r := run(t, env, "assume")
	if r.code != ExitToken {
		t.Fatalf("exit %d, want %d\n%s", r.code, ExitToken, r.stderr)
	}
	if want := "warning: the CI/CD variable AWS_ENDPOINT_URL http://192.0.2.10:9 is plain http to another machine"; !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "--sts-endpoint") {
		t.Errorf("stderr lacks %q or names the flag:\n%s", want, r.stderr)
	}
}
