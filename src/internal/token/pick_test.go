package token_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// TestChoose pins the one rule every command uses to find the job's token.
func TestChoose(t *testing.T) {
	t.Parallel()
	tokenSet := map[string]string{"GITLAB_OIDC_TOKEN": "x"}
	cases := []struct {
		name string
		s    token.Settings
		env  map[string]string
		want token.Pick
	}{
		{name: "token_file_flag_wins", s: token.Settings{Platform: ci.GitLab, Env: "MY_TOKEN", File: "f", FileFrom: "--token-file"}, env: tokenSet,
			want: token.Pick{File: "f", FileFrom: "--token-file", Platform: ci.GitLab}},
		{name: "token_env_before_file_variable", s: token.Settings{Platform: ci.GitLab, Env: "MY_TOKEN", File: "f", FileFrom: "$AWS_OIDC_TOKEN_FILE"},
			want: token.Pick{Envs: []string{"MY_TOKEN"}, FileFrom: "$AWS_OIDC_TOKEN_FILE", Platform: ci.GitLab}},
		{name: "named_file_variable", s: token.Settings{Platform: ci.GitLab, File: "f", FileFrom: "$AWS_OIDC_TOKEN_FILE"}, env: tokenSet,
			want: token.Pick{File: "f", FileFrom: "$AWS_OIDC_TOKEN_FILE", Platform: ci.GitLab}},
		{name: "job_token_before_ambient_file", s: token.Settings{Platform: ci.GitLab, File: "irsa", FileFrom: "$AWS_WEB_IDENTITY_TOKEN_FILE"}, env: tokenSet,
			want: token.Pick{Envs: token.DefaultEnvs, FileFrom: "$AWS_WEB_IDENTITY_TOKEN_FILE", Platform: ci.GitLab}},
		{name: "ambient_file_outside_ci", s: token.Settings{Platform: ci.Local, File: "irsa", FileFrom: "$AWS_WEB_IDENTITY_TOKEN_FILE"},
			want: token.Pick{File: "irsa", FileFrom: "$AWS_WEB_IDENTITY_TOKEN_FILE", Platform: ci.Local}},
		{name: "ambient_file_ignored_in_gitlab", s: token.Settings{Platform: ci.GitLab, File: "irsa", FileFrom: "$AWS_WEB_IDENTITY_TOKEN_FILE"},
			want: token.Pick{Envs: token.DefaultEnvs, FileFrom: "$AWS_WEB_IDENTITY_TOKEN_FILE", IgnoredFile: "irsa", Platform: ci.GitLab}},
		{name: "github_requests_partition_audience", s: token.Settings{Platform: ci.GitHub, GitHubAudience: "sts.amazonaws.com.cn", FileFrom: "default"},
			want: token.Pick{GitHub: true, Audience: "sts.amazonaws.com.cn", FileFrom: "default", Platform: ci.GitHub}},
		{name: "github_keeps_audience_asked", s: token.Settings{Platform: ci.GitHub, Audience: "mine", GitHubAudience: "sts.amazonaws.com", FileFrom: "default"},
			want: token.Pick{GitHub: true, Audience: "mine", FileFrom: "default", Platform: ci.GitHub}},
		{name: "github_job_token_variable", s: token.Settings{Platform: ci.GitHub, GitHubAudience: "sts.amazonaws.com"}, env: tokenSet,
			want: token.Pick{Envs: token.DefaultEnvs, Platform: ci.GitHub}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.s.Getenv = getenv(tc.env)
			got := token.Choose(tc.s)
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(token.Pick{})); diff != "" {
				t.Errorf("Choose (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPickCheckAudience: a token requested from GitHub for an audience is
// not checked for it again; any other is checked for --audience.
func TestPickCheckAudience(t *testing.T) {
	t.Parallel()
	gh := token.Choose(token.Settings{Platform: ci.GitHub, GitHubAudience: "sts.amazonaws.com", Getenv: getenv(nil)})
	if got := gh.CheckAudience(); got != "" {
		t.Errorf("GitHub CheckAudience = %q, want none", got)
	}
	gl := token.Choose(token.Settings{Platform: ci.GitLab, Audience: "https://gitlab.example.com", Getenv: getenv(nil)})
	if got := gl.CheckAudience(); got != "https://gitlab.example.com" {
		t.Errorf("GitLab CheckAudience = %q", got)
	}
}
