package cli

import (
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/version"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// TestUserAgentNamesTheJob checks that every STS request of a run, web
// identity, chained hop and GetCallerIdentity, keeps the SDK's User-Agent
// and adds aws-oidc's version and the GitLab job.
func TestUserAgentNamesTheJob(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	srv.CallerARN = "arn:aws:sts::210987654321:assumed-role/hub/x"
	env := gitlabEnv(t, nil)
	env["CI_PROJECT_PATH"] = "mygroup/myproject"
	r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", "json",
		"--chain-role-arn", "arn:aws:iam::210987654321:role/hub", "--verify")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	uas := srv.UserAgents()
	if len(uas) != 3 {
		t.Fatalf("%d requests, want 3", len(uas))
	}
	want := " aws-oidc/" + version.Get().Version + " (gitlab; job 5678; project mygroup/myproject)"
	for i, ua := range uas {
		if !strings.HasPrefix(ua, "aws-sdk-go-v2/") || !strings.Contains(ua, "api/sts#") || !strings.HasSuffix(ua, want) {
			t.Errorf("request %d User-Agent = %q, want the SDK's, then %q", i+1, ua, want)
		}
	}
}

func TestUserAgentGitHub(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "9001", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_REPOSITORY": "octo/repo",
		"AWS_OIDC_TOKEN": tokentest.Mint(t, nil)}
	r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	want := "(github; run 9001; attempt 2; repository octo/repo)"
	if uas := srv.UserAgents(); len(uas) != 1 || !strings.HasSuffix(uas[0], want) {
		t.Errorf("User-Agent %q, want it to end with %q", uas, want)
	}
}

func TestSourceIdentity(t *testing.T) {
	t.Parallel()
	const hub, target = "arn:aws:iam::210987654321:role/hub", "arn:aws:iam::333333333333:role/target"
	cases := []struct {
		name     string
		args     []string
		claims   map[string]any
		script   []ststest.Answer
		wantCode int
		want     string // the first hop's SourceIdentity
		wantErr  string
		wantHint string
		calls    int
	}{
		{name: "claim_user_login", args: []string{"--chain-role-arn", hub, "--chain-role-arn", target, "--source-identity", "claim:user_login"},
			want: "alice", calls: 3},
		{name: "literal", args: []string{"--chain-role-arn", hub, "--source-identity", "release-bot@corp"}, want: "release-bot@corp", calls: 2},
		{name: "claim_sanitised", args: []string{"--chain-role-arn", hub, "--source-identity", "claim:project_path"},
			want: "mygroup_myproject", wantErr: "source identity from claim project_path rewritten", calls: 2},
		{name: "claim_missing", args: []string{"--chain-role-arn", hub, "--source-identity", "claim:actor"},
			wantCode: ExitConfig, wantErr: "the token has no actor claim"},
		{name: "needs_chain", args: []string{"--source-identity", "bot"}, wantCode: ExitConfig, wantErr: "--source-identity needs --chain-role-arn"},
		{name: "bad_literal", args: []string{"--chain-role-arn", hub, "--source-identity", "john doe"}, wantCode: ExitConfig,
			wantErr: `invalid --source-identity: "john doe" must be 2 to 64 characters`},
		{name: "refused_hint", args: []string{"--chain-role-arn", hub, "--source-identity", "claim:user_login"}, wantCode: ExitRefused, calls: 2,
			script:  []ststest.Answer{ststest.OK, ststest.Fail(403, "AccessDenied", "User is not authorized to perform: sts:SetSourceIdentity")},
			wantErr: "AccessDenied", wantHint: "sts:AssumeRole and sts:SetSourceIdentity", want: "alice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.script...)
			env := gitlabEnv(t, tc.claims)
			r := run(t, env, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", "json"}, tc.args...)...)
			if r.code != tc.wantCode {
				t.Errorf("exit = %d, want %d", r.code, tc.wantCode)
			}
			if !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("stderr lacks %q", tc.wantErr)
			}
			if tc.wantHint != "" && !strings.Contains(r.stderr, "hint: ") || !strings.Contains(r.stderr, tc.wantHint) {
				t.Errorf("stderr lacks hint %q", tc.wantHint)
			}
			reqs := srv.Requests()
			if len(reqs) != tc.calls {
				t.Fatalf("STS calls = %d, want %d", len(reqs), tc.calls)
			}
			for i, req := range reqs {
				want := ""
				if i == 1 {
					want = tc.want
				}
				if req.SourceIdentity != want {
					t.Errorf("request %d (%s) SourceIdentity = %q, want %q", i+1, req.Action, req.SourceIdentity, want)
				}
			}
			assertNoSecrets(t, r.stderr, env)
		})
	}
}
