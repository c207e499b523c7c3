package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/s3test"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

const rolesYAML = `
- name: prod
  role_arn: arn:aws:iam::111111111111:role/deploy
  region: eu-west-1
  prefix: PROD_
- name: staging
  role_arn: arn:aws:iam::222222222222:role/deploy
  duration: 30m
- name: audit
  role_arn: arn:aws:iam::333333333333:role/readonly
  profile: audit
`

// files are the paths a test hands to the command, all in one temporary
// directory, so that "nothing written" is "the directory is empty".
type files struct {
	dir, dotenv, config, credentials, roles, token string
}

func newFiles(t *testing.T) files {
	dir := t.TempDir()
	out := t.TempDir()
	return files{
		dir:         out,
		dotenv:      filepath.Join(out, "aws.env"),
		config:      filepath.Join(out, "config"),
		credentials: filepath.Join(out, "credentials"),
		token:       filepath.Join(out, "token"),
		roles:       filepath.Join(dir, "roles.yml"),
	}
}

func (f files) args(extra ...string) []string {
	return append([]string{"--dotenv-file", f.dotenv, "--aws-config-file", f.config, "--aws-credentials-file", f.credentials,
		"--token-output-file", f.token}, extra...)
}

func (f files) written(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", filepath.Base(path), fi.Mode().Perm())
	}
	return string(b)
}

func TestAssumeRolesFile(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	f := newFiles(t)
	if err := os.WriteFile(f.roles, []byte(rolesYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	env := gitlabEnv(t, nil)
	r := run(t, env, append([]string{"assume", "--roles", f.roles, "--sts-endpoint", srv.URL, "--max-parallel", "2"}, f.args()...)...)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	golden(t, "roles.env.golden", readFile(t, f.dotenv))
	golden(t, "roles.config.golden", readFile(t, f.config))
	golden(t, "roles.credentials.golden", readFile(t, f.credentials))
	for _, want := range []string{
		`role "prod": assumed arn:aws:sts::111111111111:assumed-role/deploy/GitLabRunner-42-1234-5678 (account 111111111111) until 2030-01-02T03:04:05Z, for prefix PROD_`,
		`role "staging": assumed arn:aws:sts::222222222222:assumed-role/deploy/GitLabRunner-42-1234-5678 (account 222222222222) until 2030-01-02T03:04:05Z, for prefix STAGING_`,
		`role "audit": assumed arn:aws:sts::333333333333:assumed-role/readonly/GitLabRunner-42-1234-5678 (account 333333333333) until 2030-01-02T03:04:05Z, for profile audit`,
		"wrote 12 variables to " + f.dotenv,
		"wrote profiles audit to " + f.config,
	} {
		if !strings.Contains(stableTimes(r.stderr), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	var got []string
	for _, req := range srv.Requests() {
		if req.TokenLength != len(env["GITLAB_OIDC_TOKEN"]) {
			t.Errorf("%s: token of %d bytes, want the job's one token", req.RoleARN, req.TokenLength)
		}
		got = append(got, req.RoleARN+" "+req.DurationSeconds)
	}
	slices.Sort(got)
	want := []string{"arn:aws:iam::111111111111:role/deploy 3600", "arn:aws:iam::222222222222:role/deploy 1800", "arn:aws:iam::333333333333:role/readonly 3600"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("STS requests (-want +got):\n%s", diff)
	}
	assertNoSecrets(t, r.stdout+r.stderr, env)
}

func TestAssumeRolesFailures(t *testing.T) {
	t.Parallel()
	many := ""
	for _, n := range []string{"a", "b", "c", "d"} {
		many += "- name: " + n + "\n  role_arn: arn:aws:iam::111111111111:role/" + n + "\n"
	}
	cases := []struct {
		name      string
		roles     string
		args      []string
		denyRole  string
		wantCode  int
		wantErr   []string
		wantHint  string
		wantCalls int
	}{
		{name: "one_role_denied_writes_nothing", roles: rolesYAML, denyRole: "arn:aws:iam::222222222222:role/deploy", wantCode: ExitRefused, wantCalls: 3,
			wantErr:  []string{"1 of 3 roles failed, so nothing was written", `role "staging" (arn:aws:iam::222222222222:role/deploy): sts AssumeRoleWithWebIdentity failed: AccessDenied`},
			wantHint: `hint: role "staging": `},
		{name: "dotenv_count_checked_for_whole_file", roles: many, wantCode: ExitConfig, wantCalls: 0,
			wantErr: []string{"the file would hold 24 variables; GitLab accepts at most 20"}},
		{name: "allowed_account_refused_before_sts", roles: rolesYAML, args: []string{"--allowed-account", "111111111111,222222222222"}, wantCode: ExitConfig,
			wantErr: []string{`account 333333333333 of "arn:aws:iam::333333333333:role/readonly" is not allowed`}, wantHint: "add 333333333333 to --allowed-account"},
		{name: "bad_file", roles: "- name: x\n  role: arn\n", wantCode: ExitConfig, wantErr: []string{"line 2: field role not found"}, wantHint: "role_arn:"},
		{name: "role_arn_and_roles", roles: rolesYAML, args: []string{"--role-arn", roleARN}, wantCode: ExitConfig, wantErr: []string{"--role-arn and --roles exclude each other"}},
		{name: "json_refused", roles: rolesYAML, args: []string{"-o", "json"}, wantCode: ExitConfig, wantErr: []string{"json holds one role's credentials"}},
		{name: "prefix_refused", roles: rolesYAML, args: []string{"--prefix", "X_"}, wantCode: ExitConfig, wantErr: []string{"give each entry its own prefix"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			if tc.denyRole != "" {
				srv.AnswerRole(tc.denyRole, ststest.Fail(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"))
			}
			f := newFiles(t)
			if err := os.WriteFile(f.roles, []byte(tc.roles), 0o600); err != nil {
				t.Fatal(err)
			}
			env := gitlabEnv(t, nil)
			r := run(t, env, append(append([]string{"assume", "--roles", f.roles, "--sts-endpoint", srv.URL}, f.args()...), tc.args...)...)
			if r.code != tc.wantCode {
				t.Errorf("exit = %d, want %d", r.code, tc.wantCode)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
			if tc.wantHint != "" && !strings.Contains(r.stderr, tc.wantHint) {
				t.Errorf("stderr lacks hint %q", tc.wantHint)
			}
			if got := len(srv.Requests()); got != tc.wantCalls {
				t.Errorf("STS calls = %d, want %d", got, tc.wantCalls)
			}
			if w := f.written(t); len(w) > 0 {
				t.Errorf("written after a failure: %v", w)
			}
			assertNoSecrets(t, r.stdout+r.stderr, env)
		})
	}
}

func TestAssumeProfile(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	f := newFiles(t)
	env := map[string]string{"AWS_OIDC_TOKEN": tokentest.Mint(t, nil), "AWS_OIDC_SESSION_NAME": "local-test"}
	r := run(t, env, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--profile", "prod", "--region", "eu-west-1"}, f.args()...)...)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if r.stdout != "" {
		t.Errorf("stdout holds %d bytes, want nothing: a profile needs no shell output", len(r.stdout)) // it may hold credentials: not printed
	}
	golden(t, "profile.config.golden", readFile(t, f.config))
	golden(t, "profile.credentials.golden", readFile(t, f.credentials))
	assertNoSecrets(t, r.stderr, env)
}

func TestAssumeChain(t *testing.T) {
	t.Parallel()
	const hub, target = "arn:aws:iam::210987654321:role/hub", "arn:aws:iam::333333333333:role/target"
	srv := ststest.New(t)
	srv.CallerARN = "arn:aws:sts::333333333333:assumed-role/target/local-test"
	env := map[string]string{"AWS_OIDC_TOKEN": tokentest.Mint(t, map[string]any{"environment": "prod #1"}), "AWS_OIDC_SESSION_NAME": "local-test"}
	r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", "shell", "--duration", "2h",
		"--chain-role-arn", hub, "--chain-role-arn", target, "--external-id", "tenant-42",
		"--tag", "team=payments", "--tags-from-claims", "--transitive-tag-key", "project_path",
		"--policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		"--verify", "--allowed-account", "333333333333")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d STS calls, want web identity, two hops and GetCallerIdentity", len(reqs))
	}
	first, hop1, hop2 := reqs[0], reqs[1], reqs[2]
	if first.Action != "AssumeRoleWithWebIdentity" || first.DurationSeconds != "900" || first.Policy != "" {
		t.Errorf("first hop = %+v, want 900 s and no session policy", first)
	}
	wantTags := []string{"team=payments", "project_path=mygroup/myproject", "namespace_path=mygroup", "ref=main", "ref_type=branch",
		"ref_protected=true", "environment=prod _1", "pipeline_id=1234", "job_id=5678", "user_login=alice"}
	if diff := cmp.Diff(wantTags, hop1.Tags); diff != "" {
		t.Errorf("tags of hop 1 (-want +got):\n%s", diff)
	}
	if hop1.RoleARN != hub || hop1.ExternalID != "tenant-42" || !hop1.Signed || !slices.Equal(hop1.TransitiveTagKeys, []string{"project_path"}) {
		t.Errorf("hop 1 = %+v", hop1)
	}
	if hop2.RoleARN != target || hop2.DurationSeconds != "3600" || hop2.Policy == "" || len(hop2.Tags) != 0 {
		t.Errorf("hop 2 = %+v, want the clamped hour, the session policy and no tags", hop2)
	}
	for _, want := range []string{"--duration 2h0m0s clamped to 1h0m0s", "session tags environment rewritten",
		"assumed arn:aws:sts::333333333333:assumed-role/target/local-test (account 333333333333)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	assertNoSecrets(t, r.stderr, env)
}

func TestAssumeAccessChecks(t *testing.T) {
	t.Parallel()
	s3 := s3test.New(t, map[string]s3test.Bucket{"deploys": {Keys: []string{"app/v1.zip"}}, "locked": {DenyList: true}})
	cases := []struct {
		name      string
		args      []string
		script    []ststest.Answer
		setup     func(*ststest.Server)
		wantCode  int
		wantErr   string
		wantHint  string
		wantCalls int
	}{
		{name: "check_s3_allowed", args: []string{"--check-s3", "s3://deploys/app/"}, wantCalls: 1, wantErr: "checked s3://deploys/app/: HeadBucket and ListObjectsV2 allowed (1 key seen)"},
		{name: "check_s3_denied", args: []string{"--check-s3", "s3://locked"}, wantCode: ExitRefused, wantCalls: 1,
			wantErr: "s3 ListObjectsV2 failed: AccessDenied", wantHint: "missing s3:ListBucket on arn:aws:s3:::locked"},
		{name: "check_s3_bad_url", args: []string{"--check-s3", "deploys"}, wantCode: ExitConfig, wantErr: "invalid --check-s3"},
		{name: "allowed_account", args: []string{"--allowed-account", "123456789012"}, wantCalls: 1, wantErr: "assumed arn:aws:sts::123456789012"},
		{name: "other_account_refused_before_sts", args: []string{"--allowed-account", "999999999999"}, wantCode: ExitConfig,
			wantErr: `account 123456789012 of "arn:aws:iam::123456789012:role/deploy" is not allowed (--allowed-account: 999999999999)`, wantHint: "add 123456789012"},
		{name: "bad_account", args: []string{"--allowed-account", "12345"}, wantCode: ExitConfig, wantErr: `invalid --allowed-account: "12345" is not a 12-digit`},
		{name: "tags_need_chain", args: []string{"--tag", "a=b"}, wantCode: ExitConfig, wantErr: "--tag needs --chain-role-arn"},
		{name: "chain_denied", args: []string{"--chain-role-arn", "arn:aws:iam::210987654321:role/hub", "--tag", "team=x"}, wantCode: ExitRefused, wantCalls: 2,
			script:   []ststest.Answer{ststest.OK, ststest.Fail(403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole")},
			wantErr:  `chained hop 1 to "arn:aws:iam::210987654321:role/hub" failed: sts AssumeRole failed: AccessDenied`,
			wantHint: "sts:AssumeRole and sts:TagSession"},
		{name: "chain_packed_policy", args: []string{"--chain-role-arn", "arn:aws:iam::210987654321:role/hub", "--tags-from-claims"}, wantCode: ExitRefused, wantCalls: 2,
			script:  []ststest.Answer{ststest.OK, ststest.Fail(400, "PackedPolicyTooLarge", "Serialized token too large for session")},
			wantErr: "PackedPolicyTooLarge", wantHint: "drop tags, largest first: project_path (29 characters), namespace_path (21 characters)"},
		{name: "verify_wrong_account", args: []string{"--verify"}, wantCode: ExitRefused, wantCalls: 2, wantErr: "they belong to account 999999999999",
			setup: func(s *ststest.Server) { s.CallerARN = "arn:aws:sts::999999999999:assumed-role/deploy/x" }},
		{name: "assumed_role_in_other_account", args: []string{"--allowed-account", "123456789012"}, wantCode: ExitConfig, wantCalls: 1,
			setup:   func(s *ststest.Server) { s.AssumedAccount = "999999999999" },
			wantErr: `account 999999999999 of "arn:aws:sts::999999999999:assumed-role/deploy/GitLabRunner-42-1234-5678" is not allowed`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.script...)
			if tc.setup != nil {
				tc.setup(srv)
			}
			f := newFiles(t)
			env := gitlabEnv(t, nil)
			r := run(t, env, append(append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--s3-endpoint", s3.URL}, f.args()...), tc.args...)...)
			if r.code != tc.wantCode {
				t.Errorf("exit = %d, want %d", r.code, tc.wantCode)
			}
			if !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("stderr lacks %q", tc.wantErr)
			}
			if tc.wantHint != "" && !strings.Contains(r.stderr, "hint: ") || !strings.Contains(r.stderr, tc.wantHint) {
				t.Errorf("stderr lacks hint %q", tc.wantHint)
			}
			if got := len(srv.Requests()); got != tc.wantCalls {
				t.Errorf("STS calls = %d, want %d", got, tc.wantCalls)
			}
			if w := f.written(t); tc.wantCode != 0 && len(w) > 0 {
				t.Errorf("written after a failure: %v", w)
			}
			assertNoSecrets(t, r.stdout+r.stderr, env)
		})
	}
}

func TestAssumeTokenFile(t *testing.T) {
	t.Parallel()
	t.Run("writes_token_and_variables", func(t *testing.T) {
		t.Parallel()
		srv := ststest.New(t)
		f := newFiles(t)
		env := gitlabEnv(t, nil)
		r := run(t, env, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", "token-file"}, f.args()...)...)
		if r.code != 0 {
			t.Fatalf("exit %d", r.code)
		}
		if got := readFile(t, f.token); got != env["GITLAB_OIDC_TOKEN"] {
			t.Errorf("the token file does not hold the job's token")
		}
		golden(t, "token-file.golden", strings.NewReplacer(f.dir, "/DIR", srv.URL, "http://STS").Replace(r.stdout))
		if diff := cmp.Diff([]string{"token"}, f.written(t)); diff != "" {
			t.Errorf("files (-want +got):\n%s", diff)
		}
		assertNoSecrets(t, r.stdout+r.stderr, env)
	})
	for _, tc := range []struct {
		name, output, wantErr string
	}{
		{name: "refused_with_dotenv", output: "token-file,dotenv", wantErr: "the ID token is job-scoped"},
		{name: "refused_with_chain", output: "token-file", wantErr: "cannot chain roles"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			f := newFiles(t)
			env := gitlabEnv(t, nil)
			args := append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", tc.output}, f.args()...)
			if tc.name == "refused_with_chain" {
				args = append(args, "--chain-role-arn", roleARN)
			}
			r := run(t, env, args...)
			if r.code != ExitConfig || !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("exit %d, want %d and %q", r.code, ExitConfig, tc.wantErr)
			}
			if len(srv.Requests()) != 0 || len(f.written(t)) != 0 {
				t.Errorf("STS was called or something was written")
			}
		})
	}
}

func TestAssumeGitHubChinaAudience(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	ep := tokentest.NewGitHubEndpoint(t, nil)
	env := ep.Env()
	env["GITHUB_RUN_ID"] = "1"
	r := run(t, env, "assume", "--role-arn", "arn:aws-cn:iam::123456789012:role/deploy", "--region", "cn-north-1",
		"--sts-endpoint", srv.URL, "-o", "shell")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if diff := cmp.Diff([]string{"sts.amazonaws.com.cn"}, ep.Audiences()); diff != "" {
		t.Errorf("audience requested in China (-want +got):\n%s", diff)
	}
}

func TestAssumeTokenFileGitHub(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	ep := tokentest.NewGitHubEndpoint(t, nil)
	f := newFiles(t)
	env := ep.Env()
	env["GITHUB_RUN_ID"] = "7"
	env["GITHUB_ENV"] = filepath.Join(t.TempDir(), "github_env")
	if err := os.WriteFile(env["GITHUB_ENV"], nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, env, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", "github,token-file"}, f.args()...)...)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	ghenv, err := os.ReadFile(env["GITHUB_ENV"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AWS_WEB_IDENTITY_TOKEN_FILE", f.token, "AWS_ROLE_ARN", roleARN, "AWS_ROLE_SESSION_NAME", "AWS_REGION"} {
		if !strings.Contains(string(ghenv), want) {
			t.Errorf("GITHUB_ENV lacks %q", want)
		}
	}
	if strings.Contains(string(ghenv), "AWS_SECRET_ACCESS_KEY") || strings.Contains(r.stdout, "export ") {
		t.Errorf("static credentials or shell lines written next to the token file")
	}
	if readFile(t, f.token) == "" {
		t.Errorf("the token file is empty")
	}
	assertNoSecrets(t, r.stderr, env)
}
