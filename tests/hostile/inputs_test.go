package hostile

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
)

// TestEndpointPasswords: a user name or password in any endpoint URL, from
// a flag or a variable, is refused with exit 2 before any call, and is never
// printed.
func TestEndpointPasswords(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	const password = "hunter2hunter2"
	withPassword := strings.Replace(sts.URL, "http://", "http://deployer:"+password+"@", 1)
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{name: "sts_flag", args: []string{"assume", "--sts-endpoint", withPassword}},
		{name: "sts_variable", args: []string{"assume"}, env: map[string]string{"AWS_ENDPOINT_URL_STS": withPassword}},
		{name: "shared_variable", args: []string{"assume"}, env: map[string]string{"AWS_ENDPOINT_URL": withPassword}},
		{name: "sts_username_only", args: []string{"assume", "--sts-endpoint", strings.Replace(sts.URL, "http://", "http://"+password+"@", 1)}},
		{name: "unparsable_with_password", args: []string{"assume", "--sts-endpoint", "http://deployer:" + password + "@bad host/"}},
		{name: "s3_flag", args: []string{"assume", "--sts-endpoint", sts.URL, "--check-s3", "s3://bucket", "--s3-endpoint", withPassword}},
		{name: "s3_variable", args: []string{"assume", "--sts-endpoint", sts.URL, "--check-s3", "s3://bucket"}, env: map[string]string{"AWS_ENDPOINT_URL_S3": withPassword}},
		{name: "exec", args: []string{"exec", "--sts-endpoint", withPassword, "--", "true"}},
		{name: "doctor", args: []string{"doctor", "--sts-endpoint", withPassword}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := job(dir, mint(t, fakegitlab.Options{}))
			for k, v := range c.env {
				env[k] = v
			}
			before := sts.Total()
			r := run(t, dir, env, 0, append(c.args, "--role-arn", roleARN, "--debug")...)
			secrets := map[string]string{"the password": password}
			if r.Code != exitConfig {
				t.Errorf("exit %d, want %d\n%s", r.Code, exitConfig, redacted(r, secrets))
			}
			assertNoSecret(t, texts(t, dir, r, false), secrets)
			if strings.Contains(r.Stdout+r.Stderr, "deployer") {
				t.Error("the user name was printed")
			}
			if sts.Total() != before {
				t.Error("STS was called with a refused endpoint")
			}
		})
	}
}

// TestPlainHTTPWarning: plain http to another machine is warned about
// (before any network use), plain http to loopback is not.
func TestPlainHTTPWarning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := job(dir, "")
	delete(env, "GITLAB_OIDC_TOKEN") // fails on the token, before any packet leaves
	r := run(t, dir, env, 0, "assume", "--role-arn", roleARN, "--sts-endpoint", "http://192.0.2.10:9")
	if r.Code != exitToken || !strings.Contains(r.Stderr, "plain http") {
		t.Errorf("exit %d (want %d) and no plain-http warning:\n%s", r.Code, exitToken, r.Stderr)
	}
	sts := NewSTS(t, nil)
	dir = t.TempDir()
	r = run(t, dir, job(dir, mint(t, fakegitlab.Options{})), 0, "assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL)
	if r.Code != exitOK || strings.Contains(r.Stderr, "plain http") {
		t.Errorf("loopback: exit %d, want 0 without a warning:\n%s", r.Code, r.Stderr)
	}
}

// TestTokenSource: in a GitLab job without the job's token, the ambient
// AWS_WEB_IDENTITY_TOKEN_FILE (a Kubernetes runner pod's own token) is never
// used, by any command, unless named through --token-file or
// $AWS_OIDC_TOKEN_FILE; outside CI it is used as the AWS SDKs use it.
func TestTokenSource(t *testing.T) {
	t.Parallel()
	podToken := mint(t, fakegitlab.Options{ProjectPath: "kube-system/runner-pod"})
	for _, c := range []struct {
		name string
		args []string
		// ci leaves GITLAB_CI set; token sets the job's token.
		ci, job bool
		env     map[string]string
		want    int
	}{
		{name: "assume_ignores_ambient_file", args: []string{"assume"}, ci: true, want: exitToken},
		{name: "exec_ignores_ambient_file", args: []string{"exec", "--", "true"}, ci: true, want: exitToken},
		{name: "claims_ignores_ambient_file", args: []string{"claims"}, ci: true, want: exitToken},
		{name: "doctor_ignores_ambient_file", args: []string{"doctor"}, ci: true, want: exitToken},
		{name: "job_token_wins", args: []string{"assume"}, ci: true, job: true, want: exitOK},
		{name: "named_by_our_variable", args: []string{"assume"}, ci: true, env: map[string]string{"AWS_OIDC_TOKEN_FILE": "pod-token"}, want: exitOK},
		{name: "named_by_flag", args: []string{"assume", "--token-file", "pod-token"}, ci: true, want: exitOK},
		{name: "outside_ci_as_the_sdks", args: []string{"assume"}, want: exitOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sts := NewSTS(t, nil)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "pod-token"), podToken)
			jobToken := mint(t, fakegitlab.Options{})
			env := job(dir, jobToken)
			env["AWS_WEB_IDENTITY_TOKEN_FILE"] = filepath.Join(dir, "pod-token")
			if !c.job {
				delete(env, "GITLAB_OIDC_TOKEN")
			}
			if !c.ci {
				delete(env, "GITLAB_CI")
			}
			for k, v := range c.env {
				env[k] = v
			}
			args := c.args
			switch args[0] {
			case "assume":
				args = append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "--output", "json"}, args[1:]...)
			case "exec", "doctor":
				args = append([]string{args[0], "--role-arn", roleARN, "--sts-endpoint", sts.URL}, args[1:]...)
			}
			r := run(t, dir, env, 0, args...)
			secrets := map[string]string{"the pod's token": podToken, "the job's token": jobToken}
			if r.Code != c.want {
				t.Errorf("exit %d, want %d\n%s", r.Code, c.want, redacted(r, secrets))
			}
			if c.want == exitToken {
				if sts.Total() != 0 {
					t.Error("STS was called with the pod's token")
				}
				if !strings.Contains(r.Stderr+r.Stdout, "AWS_OIDC_TOKEN_FILE") {
					t.Errorf("the hint does not say how to use the file anyway:\n%s", redacted(r, secrets))
				}
			}
			delete(secrets, "the job's token")
			if c.job {
				assertNoSecret(t, map[string]string{"stderr": r.Stderr}, secrets)
			}
		})
	}
}

// TestGitHubAudienceOfPartition (issue 11): on GitHub, doctor asks for the
// audience of the role's partition, as assume does: sts.amazonaws.com.cn
// for an aws-cn role.
func TestGitHubAudienceOfPartition(t *testing.T) {
	t.Parallel()
	keyOnce.Do(func() { key, keyErr = fakegitlab.NewKey() })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	var mu sync.Mutex
	var asked []string
	issuer := &fakegitlab.Issuer{URL: issuerURL, Key: key, GitHubRequestToken: "runtime-request-token"}
	handler := issuer.Handler()
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Query().Get("audience"))
		mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	defer gh.Close()
	sts := NewSTS(t, nil)
	const cnRole = "arn:aws-cn:iam::123456789012:role/deploy"
	for _, args := range [][]string{
		{"assume", "--role-arn", cnRole, "--region", "cn-north-1", "--sts-endpoint", sts.URL, "--output", "json"},
		{"doctor", "--role-arn", cnRole, "--region", "cn-north-1", "--sts-endpoint", sts.URL},
	} {
		dir := t.TempDir()
		env := map[string]string{
			"GITHUB_ACTIONS":                 "true",
			"ACTIONS_ID_TOKEN_REQUEST_URL":   gh.URL + "/github/token",
			"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runtime-request-token",
			"PATH":                           os.Getenv("PATH"),
			"HOME":                           dir,
		}
		mu.Lock()
		asked = nil
		mu.Unlock()
		r := run(t, dir, env, 0, args...)
		mu.Lock()
		got := strings.Join(asked, ",")
		mu.Unlock()
		if got != "sts.amazonaws.com.cn" {
			t.Errorf("%s asked GitHub for the audience %q, want sts.amazonaws.com.cn (exit %d)\n%s", args[0], got, r.Code, r.Stderr)
		}
	}
}

// TestExecChild: exec looks its command up before calling STS, and the
// command gets the credentials but not the job's ID token, whatever
// variable holds it.
func TestExecChild(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	dir := t.TempDir()
	token := mint(t, fakegitlab.Options{})
	r := run(t, dir, job(dir, token), 0, "exec", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "--", "no-such-command-aws-oidc")
	if r.Code != exitConfig || sts.Total() != 0 {
		t.Errorf("a missing command: exit %d (want %d) after %d STS calls (want 0)", r.Code, exitConfig, sts.Total())
	}

	env := job(dir, token)
	env["MY_ID_TOKEN"] = token
	env["AWS_OIDC_TOKEN"] = token
	env["COPY_OF_TOKEN"] = token
	r = run(t, dir, env, 0, "exec", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "--token-env", "MY_ID_TOKEN", "--", "sh", "-c", "env > child.env")
	if r.Code != exitOK {
		t.Fatalf("exit %d\n%s", r.Code, redacted(r, map[string]string{"the ID token": token}))
	}
	b, err := os.ReadFile(filepath.Join(dir, "child.env"))
	if err != nil {
		t.Fatal(err)
	}
	child := string(b)
	for _, name := range []string{"MY_ID_TOKEN=", "AWS_OIDC_TOKEN=", "GITLAB_OIDC_TOKEN=", "COPY_OF_TOKEN="} {
		if strings.Contains(child, "\n"+name) || strings.HasPrefix(child, name) {
			t.Errorf("the command got %s", strings.TrimSuffix(name, "="))
		}
	}
	assertNoSecret(t, map[string]string{"the command's environment": child}, map[string]string{"the ID token": token})
	if !strings.Contains(child, "AWS_SESSION_TOKEN=") {
		t.Error("the command did not get the credentials")
	}
}

// TestRolesDotenvLimitFirst: with --roles, a dotenv file that cannot take
// every role's variables is refused before any role is assumed.
func TestRolesDotenvLimitFirst(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	dir := t.TempDir()
	var existing strings.Builder
	for i := range 15 {
		existing.WriteString("OTHER_" + string(rune('A'+i)) + "=1\n")
	}
	writeFile(t, filepath.Join(dir, "aws.env"), existing.String())
	writeFile(t, filepath.Join(dir, "roles.yml"), "- name: prod\n  role_arn: arn:aws:iam::111111111111:role/deploy\n- name: staging\n  role_arn: arn:aws:iam::222222222222:role/deploy\n")
	r := run(t, dir, job(dir, mint(t, fakegitlab.Options{})), 0, "assume", "--roles", "roles.yml", "--sts-endpoint", sts.URL)
	if r.Code != exitConfig || !strings.Contains(r.Stderr, "dotenv_variables") {
		t.Errorf("exit %d, want %d naming dotenv_variables\n%s", r.Code, exitConfig, r.Stderr)
	}
	if n := sts.Total(); n != 0 {
		t.Errorf("%d roles were assumed before the limit was checked", n)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "aws.env")); string(b) != existing.String() {
		t.Error("the dotenv file was changed")
	}
}

// TestTrustPolicyInputs: no generator input can inject a line into the
// policy or the Terraform output, or print a password.
func TestTrustPolicyInputs(t *testing.T) {
	t.Parallel()
	base := []string{"trust-policy", "--account", "123456789012", "--project", "mygroup/myproject", "--format", "terraform"}
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{name: "issuer_newline", args: []string{"--issuer", "https://gitlab.example.com\nresource \"aws_iam_user\" \"evil\" {}"}},
		{name: "issuer_from_variable_newline", env: map[string]string{"CI_SERVER_URL": "https://gitlab.example.com\n# injected"}},
		{name: "issuer_space", args: []string{"--issuer", "https://gitlab.example.com evil"}},
		{name: "issuer_password", args: []string{"--issuer", "https://admin:hunter2hunter2@gitlab.example.com"}},
		{name: "issuer_query", args: []string{"--issuer", "https://gitlab.example.com?x=1"}},
		{name: "issuer_carriage_return", args: []string{"--issuer", "https://gitlab.example.com\r"}},
		{name: "audience_newline", args: []string{"--issuer", "https://gitlab.example.com", "--audience", "aud\n# injected"}},
		{name: "role_name_newline", args: []string{"--issuer", "https://gitlab.example.com", "--role-name", "x\"\n  evil = true"}},
		{name: "branch_control", args: []string{"--issuer", "https://gitlab.example.com", "--branch", "main\r\u009b"}},
		{name: "issuer_escaped_dot_dot", args: []string{"--issuer", "https://gitlab.example.com/%2e%2e"}},
		{name: "issuer_dot_dot", args: []string{"--issuer", "https://gitlab.example.com/a/../b"}},
		{name: "issuer_port_too_large", args: []string{"--issuer", "https://gitlab.example.com:99999"}},
		{name: "issuer_port_zero", args: []string{"--issuer", "https://gitlab.example.com:0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": dir}
			for k, v := range c.env {
				env[k] = v
			}
			r := run(t, dir, env, 0, append(base, c.args...)...)
			if r.Code != exitConfig || r.Stdout != "" {
				t.Errorf("want exit %d with nothing generated, got %s", exitConfig, redacted(r, map[string]string{"p": "hunter2hunter2"}))
			}
			if strings.Contains(r.Stderr, "hunter2hunter2") || strings.Contains(r.Stderr, "admin") {
				t.Error("the issuer's user name or password was printed")
			}
			assertNoForgedLine(t, "stderr", r.Stderr, nil)
		})
	}
}

// TestExecChildGetsNoMeansToMint: the command exec runs gets neither
// GitHub's means to request ID tokens (ACTIONS_ID_TOKEN_REQUEST_TOKEN and
// _URL) nor any variable holding the job's token inside another value
// (a Bearer header, a quoted copy, the payload or the signature alone, the
// request token under another name); other variables reach it unchanged.
// A missing command is named as a command, not as a flag.
func TestExecChildGetsNoMeansToMint(t *testing.T) {
	t.Parallel()
	sts := NewSTS(t, nil)
	dir := t.TempDir()
	token := mint(t, fakegitlab.Options{})
	parts := strings.Split(token, ".")
	const requestToken = "ghs_R3qu3stT0kenSECRET123abcXYZ"
	env := job(dir, token)
	for k, v := range map[string]string{
		"BEARER":                         "Bearer " + token,
		"QUOTED":                         `"` + token + `"`,
		"PAYLOAD_ONLY":                   parts[1],
		"SIGNATURE_ONLY":                 parts[2],
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken,
		"ACTIONS_ID_TOKEN_REQUEST_URL":   "https://127.0.0.1:9/token?api-version=2.0",
		"GH_AUTH":                        "Authorization: Bearer " + requestToken,
		"KEEP_ME":                        "an ordinary value",
	} {
		env[k] = v
	}
	r := run(t, dir, env, 0, "exec", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "--", "sh", "-c", "env > child.env")
	secrets := map[string]string{"the ID token": token, "the request token": requestToken}
	if r.Code != exitOK {
		t.Fatalf("exit %d\n%s", r.Code, redacted(r, secrets))
	}
	b, err := os.ReadFile(filepath.Join(dir, "child.env"))
	if err != nil {
		t.Fatal(err)
	}
	child := "\n" + string(b)
	for _, name := range []string{"BEARER", "QUOTED", "PAYLOAD_ONLY", "SIGNATURE_ONLY", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "GH_AUTH"} {
		if strings.Contains(child, "\n"+name+"=") {
			t.Errorf("the command got %s", name)
		}
	}
	if !strings.Contains(child, "\nKEEP_ME=an ordinary value\n") {
		t.Error("an ordinary variable did not reach the command")
	}
	assertNoPiece(t, map[string]string{"the command's environment": child}, secrets)

	r = run(t, dir, job(dir, token), 0, "exec", "--role-arn", roleARN, "--sts-endpoint", sts.URL, "--", "no-such-command-aws-oidc")
	if r.Code != exitConfig || strings.Contains(r.Stderr, "invalid --exec") || !strings.Contains(r.Stderr, `command "no-such-command-aws-oidc"`) {
		t.Errorf("a missing command is not named as one: exit %d\n%s", r.Code, redacted(r, secrets))
	}
}

// TestPasswordsInMalformedURLs: an endpoint value holding "user:password@"
// that does not parse as a URL the usual way (one slash after the scheme,
// the password after the host, a space in the host, a bad escape) is
// refused (exit 2) without printing the user name or the password, from
// every flag and variable that takes an endpoint, in every command.
func TestPasswordsInMalformedURLs(t *testing.T) {
	t.Parallel()
	const user, password = "deployer7", "Hunter7Hunter7pw"
	values := map[string]string{
		"one_slash":          "http:/" + user + ":" + password + "@127.0.0.1:1",
		"password_after":     "127.0.0.1:1@" + user + ":" + password,
		"space_in_host":      "http://" + user + ":" + password + "@exa mple:3128",
		"bad_escape":         "https://" + user + ":" + password + "@127.0.0.1:1/x%zz",
		"scheme_twice":       "http://http://" + user + ":" + password + "@127.0.0.1:1",
		"password_in_path":   "https://127.0.0.1:1/" + user + ":" + password + "@x",
		"no_scheme_userinfo": user + ":" + password + "@127.0.0.1:1",
	}
	sources := map[string]func(v string) ([]string, map[string]string){
		"sts_flag":   func(v string) ([]string, map[string]string) { return []string{"--sts-endpoint", v}, nil },
		"sts_env":    func(v string) ([]string, map[string]string) { return nil, map[string]string{"AWS_ENDPOINT_URL_STS": v} },
		"shared_env": func(v string) ([]string, map[string]string) { return nil, map[string]string{"AWS_ENDPOINT_URL": v} },
		"s3_flag": func(v string) ([]string, map[string]string) {
			return []string{"--check-s3", "s3://b", "--s3-endpoint", v}, nil
		},
		"s3_env": func(v string) ([]string, map[string]string) {
			return []string{"--check-s3", "s3://b"}, map[string]string{"AWS_ENDPOINT_URL_S3": v}
		},
		"token_file_": func(v string) ([]string, map[string]string) {
			return []string{"--output", "token-file", "--sts-endpoint", v}, nil
		},
	}
	for vname, value := range values {
		for sname, source := range sources {
			for _, cmd := range []string{"assume", "exec", "doctor"} {
				if sname == "token_file_" && cmd != "assume" {
					continue
				}
				t.Run(vname+"/"+sname+"/"+cmd, func(t *testing.T) {
					t.Parallel()
					dir := t.TempDir()
					args, extra := source(value)
					env := job(dir, mint(t, fakegitlab.Options{}))
					for k, v := range extra {
						env[k] = v
					}
					argv := append([]string{cmd, "--role-arn", roleARN, "--region", "eu-west-1", "--debug"}, args...)
					if cmd == "exec" {
						argv = append(argv, "--", "true")
					}
					r := run(t, dir, env, 0, argv...)
					secrets := map[string]string{"the password": password, "the user": user}
					if r.Code != exitConfig {
						t.Errorf("exit %d, want %d\n%s", r.Code, exitConfig, redacted(r, secrets))
					}
					for name, text := range map[string]string{"stdout": r.Stdout, "stderr": r.Stderr} {
						if strings.Contains(text, password) || strings.Contains(text, user) {
							t.Errorf("%s shows the user name or the password: %s", name, strings.NewReplacer(password, "[PASSWORD]", user, "[USER]").Replace(text))
						}
					}
				})
			}
		}
	}
}

// TestStrayArgumentWithPassword: a value meant for a flag that takes none
// (doctor --issuer-proxy is a switch) becomes a stray argument; when it
// holds an "@" it may be a URL with a password, and is not quoted back.
func TestStrayArgumentWithPassword(t *testing.T) {
	t.Parallel()
	const password = "StrayPassw0rdSecret"
	for _, cmd := range []string{"assume", "doctor", "claims", "cleanup", "trust-policy"} {
		t.Run(cmd, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r := run(t, dir, job(dir, mint(t, fakegitlab.Options{})), 0, cmd, "usr:"+password+"@127.0.0.1:3128")
			if r.Code != exitConfig {
				t.Errorf("exit %d, want %d", r.Code, exitConfig)
			}
			if strings.Contains(r.Stdout+r.Stderr, password) {
				t.Errorf("the stray argument's password was printed: %s", strings.ReplaceAll(r.Stderr, password, "[PASSWORD]"))
			}
		})
	}
}
