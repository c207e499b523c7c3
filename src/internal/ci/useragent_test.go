package ci

import "testing"

func TestUserAgent(t *testing.T) {
	t.Parallel()
	long := ""
	for len(long) < 300 {
		long += "group/"
	}
	tests := []struct {
		name     string
		platform Platform
		version  string
		env      map[string]string
		want     string
	}{
		{name: "gitlab", platform: GitLab, version: "1.2.3",
			env:  map[string]string{"CI_JOB_ID": "2002", "CI_PROJECT_PATH": "mygroup/sub/myproject"},
			want: "aws-oidc/1.2.3 (gitlab; job 2002; project mygroup/sub/myproject)"},
		{name: "github", platform: GitHub, version: "1.2.3",
			env:  map[string]string{"GITHUB_RUN_ID": "9001", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_REPOSITORY": "octo/repo"},
			want: "aws-oidc/1.2.3 (github; run 9001; attempt 2; repository octo/repo)"},
		{name: "gitlab_without_ids", platform: GitLab, version: "dev", want: "aws-oidc/dev (gitlab)"},
		{name: "local", platform: Local, version: "1.2.3", env: map[string]string{"CI_JOB_ID": "1"}, want: "aws-oidc/1.2.3"},
		{name: "version_with_spaces", platform: Local, version: "1.2 (x)", want: "aws-oidc/1.2__x_"},
		{name: "empty_version", platform: Local, version: "", want: "aws-oidc/unknown"},
		{name: "hostile_values", platform: GitLab, version: "1",
			env:  map[string]string{"CI_JOB_ID": "1) (evil\r\nX-Injected: 1", "CI_PROJECT_PATH": "grüp\\x;y"},
			want: "aws-oidc/1 (gitlab; job 1___evil__X-Injected:_1; project gr_p_x_y)"},
		{name: "long_path_cut", platform: GitLab, version: "1", env: map[string]string{"CI_PROJECT_PATH": long},
			want: "aws-oidc/1 (gitlab; project " + long[:maxUserAgentValue] + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := UserAgent(tt.platform, tt.version, func(k string) string { return tt.env[k] })
			if got != tt.want {
				t.Errorf("UserAgent = %q\nwant         %q", got, tt.want)
			}
		})
	}
}
