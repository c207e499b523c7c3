package cli

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/tokentest"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/version"
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

// TestAssumeUsesTheGivenProxy runs assume with the proxy in the command's
// environment (not the process's): the STS endpoint's name resolves
// nowhere, so only the proxy, which forwards it to the fake STS, can
// answer. (NO_PROXY going direct is proven in tests/e2e, inside a network
// namespace: here a direct request would ask the machine's DNS.)
func TestAssumeUsesTheGivenProxy(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String())
		mu.Unlock()
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.URL.Host = srv.Listener.Addr().String()
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	const endpoint = "http://sts.proxy.invalid:7080"
	for _, name := range []string{"HTTP_PROXY", "http_proxy"} {
		env := gitlabEnv(t, nil)
		env[name] = proxy.URL
		r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", endpoint, "-o", "json", "--max-attempts", "1")
		if r.code != 0 {
			t.Errorf("%s: exit %d", name, r.code)
		}
	}
	mu.Lock()
	got := slices.Clone(seen)
	mu.Unlock()
	if want := []string{"POST " + endpoint + "/", "POST " + endpoint + "/"}; !slices.Equal(got, want) {
		t.Errorf("the proxy saw %q, want %q", got, want)
	}
}

// TestProxyPasswordNeverPrinted points assume at a proxy that refuses
// connections, with --debug: the error names the failure, never the
// proxy's password.
func TestProxyPasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	const password = "proxy-pass-5ecret"
	env := gitlabEnv(t, nil)
	env["HTTPS_PROXY"] = "http://ci:" + password + "@" + addr
	r := run(t, env, "assume", "--role-arn", roleARN, "--sts-endpoint", "https://sts.proxy.invalid", "-o", "json",
		"--max-attempts", "2", "--debug")
	if r.code == 0 {
		t.Fatal("assume succeeded through a closed proxy")
	}
	if strings.Contains(r.stdout+r.stderr, password) {
		t.Error("the proxy's password was printed")
	}
	if !strings.Contains(r.stderr, "hint: the proxy named by $HTTPS_PROXY") {
		t.Error("the hint does not name the proxy")
	}
	assertNoSecrets(t, r.stderr, env)
}
