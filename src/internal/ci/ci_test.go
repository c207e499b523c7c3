package ci

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestDetect(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Unix(1700000000, 0) }
	cases := []struct {
		name        string
		getenv      func(string) string
		platform    Platform
		output      string
		sessionName string
	}{
		{name: "gitlab", getenv: env("GITLAB_CI", "true", "CI_PROJECT_ID", "42", "CI_PIPELINE_ID", "7", "CI_JOB_ID", "99"),
			platform: GitLab, output: "dotenv", sessionName: "GitLabRunner-42-7-99"},
		{name: "github", getenv: env("GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "123", "GITHUB_RUN_ATTEMPT", "2"),
			platform: GitHub, output: "github", sessionName: "GitHubActions-123-2"},
		{name: "gitlab_ci_not_true", getenv: env("GITLAB_CI", "yes"), platform: Local, output: "shell", sessionName: "aws-oidc-1700000000"},
		{name: "nothing", getenv: env(), platform: Local, output: "shell", sessionName: "aws-oidc-1700000000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Detect(tc.getenv)
			got := []string{p.String(), p.DefaultOutput(), p.DefaultSessionName(tc.getenv, now)}
			want := []string{tc.platform.String(), tc.output, tc.sessionName}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSection(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Unix(1700000000, 0) }
	cases := []struct {
		platform Platform
		want     string
	}{
		{GitLab, "\x1b[0Ksection_start:1700000000:diag[collapsed=true]\r\x1b[0KDetails\nbody\n\x1b[0Ksection_end:1700000000:diag\r\x1b[0K\n"},
		{GitHub, "::group::Details\nbody\n::endgroup::\n"},
		{Local, "--- Details\nbody\n"},
	}
	for _, tc := range cases {
		t.Run(tc.platform.String(), func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			end := tc.platform.Section(&b, "diag", "Details", now)
			b.WriteString("body\n")
			end()
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
