package cli

import (
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

func TestOutputPowerShell(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // line prefixes, in order
		wantErr  string
	}{
		{name: "credentials", args: []string{"-o", "powershell"}, want: []string{
			"$env:AWS_ACCESS_KEY_ID = '", "$env:AWS_SECRET_ACCESS_KEY = '", "$env:AWS_SESSION_TOKEN = '",
			"$env:AWS_REGION = 'us-east-1'", "$env:AWS_DEFAULT_REGION = 'us-east-1'", "$env:AWS_CREDENTIAL_EXPIRATION = '2030-01-02T03:04:05Z'"}},
		{name: "prefixed", args: []string{"-o", "powershell", "--prefix", "PROD_"}, want: []string{
			"$env:PROD_AWS_ACCESS_KEY_ID = '", "$env:PROD_AWS_SECRET_ACCESS_KEY = '", "$env:PROD_AWS_SESSION_TOKEN = '",
			"$env:PROD_AWS_REGION = '", "$env:PROD_AWS_DEFAULT_REGION = '", "$env:PROD_AWS_CREDENTIAL_EXPIRATION = '"}},
		{name: "token_file", args: []string{"-o", "powershell", "-o", "token-file"}, want: []string{
			"$env:AWS_WEB_IDENTITY_TOKEN_FILE = '", "$env:AWS_ROLE_ARN = '" + roleARN + "'", "$env:AWS_ROLE_SESSION_NAME = '",
			"$env:AWS_REGION = '", "$env:AWS_DEFAULT_REGION = '", "$env:AWS_ENDPOINT_URL_STS = 'http://"}},
		{name: "not_with_shell", args: []string{"-o", "powershell", "-o", "shell"}, wantCode: ExitConfig, wantErr: "pick the one your job's shell is"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t)
			env := gitlabEnv(t, nil)
			f := newFiles(t)
			r := run(t, env, append(append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL}, f.args()...), tc.args...)...)
			if r.code != tc.wantCode {
				t.Fatalf("exit = %d, want %d", r.code, tc.wantCode)
			}
			if !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("stderr lacks %q", tc.wantErr)
			}
			lines := strings.Split(strings.TrimSuffix(stableTimes(r.stdout), "\n"), "\n")
			if tc.want == nil {
				if r.stdout != "" {
					t.Errorf("stdout holds %d bytes after a refusal", len(r.stdout))
				}
			} else if len(lines) != len(tc.want) {
				t.Errorf("%d lines on stdout, want %d", len(lines), len(tc.want))
			} else {
				for i, prefix := range tc.want {
					if !strings.HasPrefix(lines[i], prefix) || !strings.HasSuffix(lines[i], "'") {
						t.Errorf("line %d does not start with %q", i+1, prefix)
					}
				}
			}
			assertNoSecrets(t, r.stderr, env)
		})
	}
}
