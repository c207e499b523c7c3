package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// TestHostileInput feeds every value a user or an attacker controls through
// the whole command. Whatever happens, the exit code is the documented one,
// the error names the field, a refused run writes nothing and calls nobody,
// and an accepted run writes outputs that nothing was injected into.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	now := time.Now()
	bigPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 2049) + `","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	elevenARNs := strings.TrimSuffix(strings.Repeat("arn:aws:iam::aws:policy/ReadOnlyAccess,", 11), ",")

	// setup may prepare the dotenv path (dir is the test's own folder).
	type setup func(t *testing.T, dir, dotenv string)
	cases := []struct {
		name string
		args []string
		// env overrides the GitLab job environment; a value of "-" removes it.
		env      map[string]string
		token    func(t *testing.T) string
		setup    setup
		wantCode int
		// wantMsg must appear in stderr (the field named).
		wantMsg string
	}{
		// Role ARNs.
		{name: "arn_wrong_partition", args: []string{"--role-arn", "arn:aws-mars:iam::123456789012:role/deploy"}, wantCode: ExitConfig, wantMsg: "--role-arn"},
		{name: "arn_short_account", args: []string{"--role-arn", "arn:aws:iam::1234:role/deploy"}, wantCode: ExitConfig, wantMsg: "12 digits"},
		{name: "arn_user_not_role", args: []string{"--role-arn", "arn:aws:iam::123456789012:user/deploy"}, wantCode: ExitConfig, wantMsg: "not a role"},
		{name: "arn_trailing_whitespace_from_env", env: map[string]string{"AWS_OIDC_ROLE_ARN": roleARN + " x"}, args: []string{}, wantCode: ExitConfig, wantMsg: "--role-arn"},
		{name: "arn_newline_injection", args: []string{"--role-arn", roleARN + "\nAWS_ACCESS_KEY_ID=evil"}, wantCode: ExitConfig, wantMsg: "whitespace"},
		{name: "arn_unicode_lookalike", args: []string{"--role-arn", "arn:aws:iam::123456789012:rоle/deploy"}, wantCode: ExitConfig, wantMsg: "non-ASCII"},
		{name: "arn_fullwidth_digits", args: []string{"--role-arn", "arn:aws:iam::１23456789012:role/deploy"}, wantCode: ExitConfig, wantMsg: "non-ASCII"},
		// Durations.
		{name: "duration_zero", args: []string{"--duration", "0"}, wantCode: ExitConfig, wantMsg: "--duration"},
		{name: "duration_negative", args: []string{"--duration", "-3600"}, wantCode: ExitConfig, wantMsg: "--duration"},
		{name: "duration_899", args: []string{"--duration", "899"}, wantCode: ExitConfig, wantMsg: "--duration"},
		{name: "duration_43201", args: []string{"--duration", "43201"}, wantCode: ExitConfig, wantMsg: "--duration"},
		{name: "duration_one_year", args: []string{"--duration", "1y"}, wantCode: ExitConfig, wantMsg: "--duration"},
		{name: "duration_huge", args: []string{"--duration", strings.Repeat("9", 40)}, wantCode: ExitConfig, wantMsg: "--duration"},
		// Session names: rewritten when something usable is left, refused otherwise.
		{name: "session_name_one_char", args: []string{"--session-name", "x"}, wantCode: ExitOK, wantMsg: "rewritten"},
		{name: "session_name_too_long", args: []string{"--session-name", strings.Repeat("s", 65)}, wantCode: ExitOK, wantMsg: "rewritten"},
		{name: "session_name_only_illegal", args: []string{"--session-name", "  !!  "}, wantCode: ExitConfig, wantMsg: "--session-name"},
		{name: "session_name_shell_metacharacters", args: []string{"--session-name", "a$(reboot);`id`|b"}, wantCode: ExitOK, wantMsg: "rewritten"},
		{name: "session_name_newline_from_env", env: map[string]string{"AWS_OIDC_SESSION_NAME": "ok\nAWS_REGION=evil"}, wantCode: ExitOK, wantMsg: "rewritten"},
		{name: "session_default_from_hostile_job_id", env: map[string]string{"CI_JOB_ID": "1\nX=$(id)"}, wantCode: ExitOK, wantMsg: "rewritten"},
		// Tokens.
		{name: "token_empty", env: map[string]string{"GITLAB_OIDC_TOKEN": ""}, wantCode: ExitToken, wantMsg: "token"},
		{name: "token_not_three_parts", token: func(*testing.T) string { return "aaaa.bbbb" }, wantCode: ExitToken, wantMsg: "malformed token"},
		{name: "token_bad_base64", token: func(*testing.T) string { return "!!!!.@@@@.####" }, wantCode: ExitToken, wantMsg: "malformed token"},
		{name: "token_payload_not_object", token: func(t *testing.T) string { return tokentest.Raw(t, `{"alg":"RS256"}`, `["x"]`) }, wantCode: ExitToken, wantMsg: "malformed token"},
		{name: "token_missing_exp", token: func(t *testing.T) string { return tokentest.Mint(t, map[string]any{"exp": nil}) }, wantCode: ExitToken, wantMsg: "exp"},
		{name: "token_exp_string", token: func(t *testing.T) string { return tokentest.Mint(t, map[string]any{"exp": "tomorrow"}) }, wantCode: ExitToken, wantMsg: "exp"},
		{name: "token_huge", token: func(*testing.T) string { return "a." + strings.Repeat("b", 20001) + ".c" }, wantCode: ExitToken, wantMsg: "malformed token"},
		{name: "token_alg_none", token: func(t *testing.T) string {
			return tokentest.Mint(t, nil, tokentest.WithHeader("alg", "none"), tokentest.WithSignature(""))
		}, wantCode: ExitToken, wantMsg: "malformed token"},
		{name: "token_expired", token: func(t *testing.T) string {
			return tokentest.Mint(t, nil, tokentest.WithNow(now.Add(-2*time.Hour)), tokentest.WithLifetime(time.Minute))
		}, wantCode: ExitToken, wantMsg: "expired"},
		{name: "token_not_yet_valid", token: func(t *testing.T) string {
			return tokentest.Mint(t, nil, tokentest.WithNow(now.Add(time.Hour)))
		}, wantCode: ExitToken, wantMsg: "not valid before"},
		{name: "token_file_missing", args: []string{"--token-file", "/nonexistent/token"}, wantCode: ExitToken, wantMsg: "/nonexistent/token"},
		// Policies.
		{name: "policy_invalid_json", args: []string{"--policy", `{"Statement": [`}, wantCode: ExitConfig, wantMsg: "--policy"},
		{name: "policy_2049_chars", args: []string{"--policy", bigPolicy}, wantCode: ExitConfig, wantMsg: "at most 2048"},
		{name: "policy_file_missing", args: []string{"--policy", "@/nonexistent/policy.json"}, wantCode: ExitConfig, wantMsg: "--policy"},
		{name: "policy_eleven_arns", env: map[string]string{"AWS_OIDC_POLICY_ARNS": elevenARNs}, wantCode: ExitConfig, wantMsg: "at most 10"},
		{name: "policy_arn_injection", args: []string{"--policy-arn", "arn:aws:iam::aws:policy/X\nY"}, wantCode: ExitConfig, wantMsg: "--policy-arn"},
		// Prefixes.
		{name: "prefix_illegal_characters", args: []string{"--prefix", "PROD-"}, wantCode: ExitConfig, wantMsg: "--prefix"},
		{name: "prefix_leading_digit", args: []string{"--prefix", "1PROD_"}, wantCode: ExitConfig, wantMsg: "--prefix"},
		{name: "prefix_injection_from_env", env: map[string]string{"AWS_OIDC_PREFIX": "X=1\nAWS_"}, wantCode: ExitConfig, wantMsg: "--prefix"},
		// Regions and endpoints.
		{name: "region_injection", env: map[string]string{"AWS_REGION": "us-east-1\nAWS_SECRET_ACCESS_KEY=evil"}, wantCode: ExitConfig, wantMsg: "region"},
		{name: "region_dollar", args: []string{"--region", "$HOME"}, wantCode: ExitConfig, wantMsg: "region"},
		{name: "endpoint_not_url", args: []string{"--sts-endpoint", "ftp://x"}, wantCode: ExitConfig, wantMsg: "--sts-endpoint"},
		// Outputs and dotenv paths.
		{name: "output_unknown", args: []string{"--output", "yaml"}, wantCode: ExitConfig, wantMsg: "valid: dotenv, github, shell, json"},
		{name: "output_github_outside_github", args: []string{"--output", "github"}, wantCode: ExitConfig, wantMsg: "GITHUB_ENV"},
		{name: "dotenv_path_is_directory", setup: func(t *testing.T, dir, dotenv string) { mkdir(t, dotenv) }, wantCode: ExitConfig, wantMsg: "directory"},
		// A missing folder is made; one that cannot be is refused before STS.
		{name: "dotenv_parent_not_a_folder", setup: func(t *testing.T, dir, dotenv string) {}, args: []string{"--dotenv-file", "/dev/null/dir/aws.env"}, wantCode: ExitConfig, wantMsg: "/dev/null"},
		{name: "dotenv_symlink_elsewhere", setup: func(t *testing.T, dir, dotenv string) {
			write(t, filepath.Join(dir, "elsewhere"), "")
			if err := os.Symlink(filepath.Join(dir, "elsewhere"), dotenv); err != nil {
				t.Fatal(err)
			}
		}, wantCode: ExitConfig, wantMsg: "symlink"},
		{name: "dotenv_existing_invalid_file", setup: func(t *testing.T, dir, dotenv string) {
			write(t, dotenv, "# written by another job\nexport FOO=\"bar\"\n")
		}, wantCode: ExitConfig, wantMsg: "aws.env"},
		{name: "dotenv_existing_valid_file_is_kept", setup: func(t *testing.T, dir, dotenv string) {
			write(t, dotenv, "OTHER_JOB=kept\n")
		}, wantCode: ExitOK},
		{name: "dotenv_too_many_variables", setup: func(t *testing.T, dir, dotenv string) {
			var b strings.Builder
			for i := range 15 {
				b.WriteString("V" + strings.Repeat("X", i) + "=1\n")
			}
			write(t, dotenv, b.String())
		}, wantCode: ExitConfig, wantMsg: "dotenv_variables"},
	}
	if len(cases) < 40 {
		t.Fatalf("only %d hostile cases; the robustness claim needs at least 40", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			dir := t.TempDir()
			dotenv := filepath.Join(dir, "aws.env")
			var before []byte
			if tc.setup != nil {
				tc.setup(t, dir, dotenv)
				before, _ = os.ReadFile(dotenv)
			}
			env := gitlabEnv(t, nil)
			if tc.token != nil {
				env["GITLAB_OIDC_TOKEN"] = tc.token(t)
			}
			for k, v := range tc.env {
				env[k] = v
			}
			args := []string{"assume", "--sts-endpoint", srv.URL, "--dotenv-file", dotenv}
			if _, ok := tc.env["AWS_OIDC_ROLE_ARN"]; !ok && !hasFlag(tc.args, "--role-arn") {
				args = append(args, "--role-arn", roleARN)
			}
			r := run(t, env, append(args, tc.args...)...)

			if r.code != tc.wantCode {
				t.Errorf("exit = %d, want %d", r.code, tc.wantCode)
			}
			if tc.wantMsg != "" && !strings.Contains(r.stderr, tc.wantMsg) {
				t.Errorf("stderr does not name %q", tc.wantMsg)
			}
			assertNoSecrets(t, r.stdout+r.stderr, env)
			after, _ := os.ReadFile(dotenv)
			if tc.wantCode != ExitOK {
				if string(after) != string(before) {
					t.Errorf("a refused run changed the dotenv file:\n%s", after)
				}
				if tc.token != nil || strings.HasPrefix(tc.name, "arn_") || strings.HasPrefix(tc.name, "duration_") || strings.HasPrefix(tc.name, "policy_") {
					if n := len(srv.Requests()); n != 0 {
						t.Errorf("a refused run called STS %d times", n)
					}
				}
				assertNoTempFiles(t, dir)
				return
			}
			// An accepted run wrote a file that GitLab accepts, in which
			// every line is one of ours or was there before.
			vars, err := output.ParseDotenv(after)
			if err != nil {
				t.Fatalf("written dotenv is invalid: %v", err)
			}
			allowed := map[string]bool{"OTHER_JOB": true}
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CREDENTIAL_EXPIRATION"} {
				allowed[k] = true
			}
			for _, v := range vars {
				if !allowed[v.Key] || strings.ContainsAny(v.Value, "$\n\"'`") {
					t.Errorf("unexpected line %s=… in the dotenv file", v.Key)
				}
			}
			for _, req := range srv.Requests() {
				if strings.ContainsAny(req.RoleSessionName, "\n$`;|() ") {
					t.Errorf("session name %q reached STS unsanitised", req.RoleSessionName)
				}
			}
		})
	}
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name {
			return true
		}
	}
	return false
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// assertNoTempFiles fails when a failed write left its temporary file.
func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); n != "aws.env" && n != "elsewhere" {
			t.Errorf("left behind %s", n)
		}
	}
}
