package e2e

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/fwdproxy"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// Issue 12, part 1 and 2: a corporate forward proxy (tests/fwdproxy, a real
// process in the bed's namespace) between aws-oidc and everything it calls.
// The proxy resolves the *.proxy.test names itself and nothing else does, so
// a run that reaches them went through it; its log shows every request with
// its User-Agent, which is how the CloudTrail attribution is checked.
const (
	proxiedSTSHost    = "sts.proxy.test"
	proxiedS3Host     = "s3.proxy.test"
	proxiedGitLabHost = "gitlab.proxy.test"
	// proxiedGitLabAddr is a second fake-gitlab process, with the bed's
	// key, serving GitHub's token endpoint with a certificate for
	// proxiedGitLabHost and for its own address.
	proxiedGitLabAddr = PublicAddress + ":8443"
)

// proxyBed is the proxy and the names it routes, for one bed.
type proxyBed struct {
	// URL is the proxy's, with its user and password.
	URL     string
	log     string
	STS, S3 string
	// GitHubTokenURL is reachable through the proxy only; DirectTokenURL
	// is the same endpoint by address, reachable without it.
	GitHubTokenURL, DirectTokenURL string
	CAFile                         string
	requestToken                   string
}

func startProxyBed(t *testing.T, leaks *harness.Leaks, b *Bed) *proxyBed {
	t.Helper()
	dir := t.TempDir()
	sts, _ := url.Parse(b.STS)
	s3, _ := url.Parse(b.S3)
	p := &proxyBed{log: filepath.Join(dir, "proxy.log"), requestToken: b.GitHubRequestToken}
	leaks.Secret("GitHub request token", b.GitHubRequestToken)
	p.STS = "http://" + proxiedSTSHost + ":" + sts.Port()
	p.S3 = "http://" + proxiedS3Host + ":" + s3.Port()

	// GitHub's token endpoint, by name through the proxy (CONNECT) or by
	// address without it. Same key and issuer as the bed's: its tokens are
	// trusted by the peer.
	cert, err := fakegitlab.NewCertificate(proxiedGitLabHost, PublicAddress)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath, err := cert.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	p.CAFile = filepath.Join(dir, "ca.crt")
	keyFile := filepath.Join(dir, "issuer-key.pem")
	if err := b.Issuer.Key.WriteKey(keyFile); err != nil {
		t.Fatal(err)
	}
	gl := Start(t, leaks, Command{Name: "fake-gitlab (behind the proxy)", Path: b.Bin.FakeGitLab, NetNS: b.NetNS, Env: BaseEnv(dir),
		Args: []string{"serve", "-key", keyFile, "-issuer", b.Issuer.URL, "-listen", proxiedGitLabAddr,
			"-github-request-token", b.GitHubRequestToken, "-minted-log", filepath.Join(dir, "minted.log"),
			"-tls-cert", certPath, "-tls-key", keyPath}})
	gl.WaitHTTP(t, b.NetNS, "https://"+proxiedGitLabAddr+"/.well-known/openid-configuration")
	p.GitHubTokenURL = "https://" + proxiedGitLabHost + ":8443/github/token?api-version=2.0"
	p.DirectTokenURL = "https://" + proxiedGitLabAddr + "/github/token?api-version=2.0"
	t.Cleanup(func() {
		data, _ := os.ReadFile(filepath.Join(dir, "minted.log"))
		for _, tok := range strings.Fields(string(data)) {
			leaks.Secret("GitHub ID token", tok)
		}
	})

	user, password := "ci", randomHex(t, 12)
	leaks.Secret("proxy password", password)
	addrFile := filepath.Join(dir, "addr")
	srv := Start(t, leaks, Command{Name: "fwdproxy", Path: bin.Program(t, "./tests/fwdproxy/cmd/fwdproxy"), NetNS: b.NetNS, Env: BaseEnv(dir),
		Args: []string{"-addr-file", addrFile, "-log", p.log, "-auth", user + ":" + password,
			"-route", proxiedSTSHost + ":" + sts.Port() + "=" + sts.Host,
			"-route", proxiedS3Host + ":" + s3.Port() + "=" + s3.Host,
			"-route", proxiedGitLabHost + ":8443=" + proxiedGitLabAddr,
			// The issuer itself, for doctor --issuer-proxy.
			"-route", PublicAddress + ":443=" + PublicAddress + ":443"}})
	waitFor(t, 10*time.Second, func() bool {
		_, err := os.Stat(addrFile)
		return err == nil || srv.Exited()
	})
	addr, err := os.ReadFile(addrFile)
	if err != nil {
		t.Fatalf("fwdproxy did not start:\n%s", srv.Log())
	}
	p.URL = "http://" + user + ":" + password + "@" + string(addr)
	return p
}

// entries returns every request the proxy logged so far.
func (p *proxyBed) entries(t *testing.T) []fwdproxy.Entry {
	t.Helper()
	data, err := os.ReadFile(p.log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	e, err := fwdproxy.ReadLog(data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// through returns the entries whose target starts with prefix.
func through(entries []fwdproxy.Entry, prefix string) []fwdproxy.Entry {
	var out []fwdproxy.Entry
	for _, e := range entries {
		if strings.HasPrefix(e.Target, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// wantUserAgent checks that every entry keeps the SDK's User-Agent and
// names aws-oidc and the job.
func wantUserAgent(t *testing.T, what string, entries []fwdproxy.Entry, job string) {
	t.Helper()
	if len(entries) == 0 {
		t.Errorf("no %s request went through the proxy", what)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.UserAgent, "aws-sdk-go-v2/") || !strings.Contains(e.UserAgent, " aws-oidc/") || !strings.HasSuffix(e.UserAgent, job) {
			t.Errorf("%s %s User-Agent = %q, want the SDK's, then aws-oidc/<version> and %q", e.Method, e.Target, e.UserAgent, job)
		}
	}
}

// proxyEnv is env with the proxy in the variables named.
func proxyEnv(env []string, proxy string, names ...string) []string {
	for _, n := range names {
		env = append(env, n+"="+proxy)
	}
	return env
}

func testProxy(t *testing.T, b *Bed) {
	t.Parallel()
	leaks := harness.NewLeaks(t, b.Leaks)
	p := startProxyBed(t, leaks, b)
	const gitlabJob = "(gitlab; job 2002; project mygroup/myproject)"

	// Serial: each case reads the proxy log after its own run.
	t.Run("gitlab_upper_case_sts_and_s3", func(t *testing.T) {
		leaks := harness.NewLeaks(t, leaks)
		token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
		dir := t.TempDir()
		r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS)
		if r.ExitCode != 0 {
			t.Fatalf("assume without the proxy exited %d", r.ExitCode)
		}
		bucket := "proxy-" + randomHex(t, 4)
		deploy := laterJob(t, readDotenv(t, leaks, filepath.Join(dir, "aws.env")), "")
		if r := b.AWS(t, leaks, deploy, "--endpoint-url", b.S3, "s3", "mb", "s3://"+bucket); r.ExitCode != 0 {
			t.Fatalf("aws s3 mb failed (exit %d): %s", r.ExitCode, r.Stderr)
		}

		before := len(p.entries(t))
		dir = t.TempDir()
		env := proxyEnv(JobEnv(t.TempDir(), token), p.URL, "HTTP_PROXY", "HTTPS_PROXY")
		r = b.Tool(t, leaks, dir, env, "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", p.STS, "--verify",
			"--check-s3", "s3://"+bucket, "--s3-endpoint", p.S3)
		if r.ExitCode != 0 {
			t.Fatalf("assume through the proxy exited %d", r.ExitCode)
		}
		checkIdentity(t, b, leaks, laterJob(t, readDotenv(t, leaks, filepath.Join(dir, "aws.env")), ""), "deploy")
		got := p.entries(t)[before:]
		sts := through(got, p.STS)
		if len(sts) != 2 {
			t.Errorf("%d STS requests through the proxy, want AssumeRoleWithWebIdentity and GetCallerIdentity", len(sts))
		}
		wantUserAgent(t, "STS", sts, gitlabJob)
		wantUserAgent(t, "S3", through(got, p.S3), gitlabJob)
	})

	t.Run("only_through_the_proxy", func(t *testing.T) {
		leaks := harness.NewLeaks(t, leaks)
		token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
		dir := t.TempDir()
		r := b.Tool(t, leaks, dir, JobEnv(t.TempDir(), token), "assume", "--role-arn", b.Roles.Deploy,
			"--sts-endpoint", p.STS, "--max-attempts", "1")
		if r.ExitCode == 0 {
			t.Fatalf("assume reached %s without the proxy: the test proves nothing", p.STS)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("a failed run left %d files", len(entries))
		}
	})

	t.Run("exec_lower_case", func(t *testing.T) {
		leaks := harness.NewLeaks(t, leaks)
		token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
		before := len(p.entries(t))
		env := proxyEnv(JobEnv(t.TempDir(), token), p.URL, "http_proxy", "https_proxy")
		r := b.Tool(t, leaks, t.TempDir(), env, "exec", "--role-arn", b.Roles.Deploy, "--sts-endpoint", p.STS, "--verify",
			"--", "/bin/sh", "-c", `test -n "$AWS_SESSION_TOKEN"`)
		if r.ExitCode != 0 {
			t.Fatalf("exec through the proxy exited %d", r.ExitCode)
		}
		wantUserAgent(t, "STS", through(p.entries(t)[before:], p.STS), gitlabJob)
	})

	t.Run("github_token_endpoint_through_connect", func(t *testing.T) {
		leaks := harness.NewLeaks(t, leaks)
		before := len(p.entries(t))
		r := b.Tool(t, leaks, t.TempDir(), proxyEnv(p.githubEnv(t, p.GitHubTokenURL), p.URL, "HTTPS_PROXY", "HTTP_PROXY"),
			"assume", "--role-arn", b.Roles.GitHub, "--sts-endpoint", p.STS, "--ca-bundle", p.CAFile, "-o", "dotenv")
		if r.ExitCode != 0 {
			t.Fatalf("assume in GitHub Actions through the proxy exited %d", r.ExitCode)
		}
		got := p.entries(t)[before:]
		if c := through(got, proxiedGitLabHost+":8443"); len(c) != 1 || c[0].Method != "CONNECT" || c[0].Status != 200 {
			t.Errorf("token endpoint through the proxy: %+v, want one CONNECT %s:8443", c, proxiedGitLabHost)
		}
		wantUserAgent(t, "STS", through(got, p.STS), "(github; run 9001; attempt 3; repository mygroup/myproject)")
	})

	t.Run("no_proxy_goes_direct", func(t *testing.T) {
		leaks := harness.NewLeaks(t, leaks)
		// Without NO_PROXY the token endpoint's address goes to the
		// proxy, which has no route for it.
		before := len(p.entries(t))
		r := b.Tool(t, leaks, t.TempDir(), proxyEnv(p.githubEnv(t, p.DirectTokenURL), p.URL, "HTTPS_PROXY", "HTTP_PROXY"),
			"assume", "--role-arn", b.Roles.GitHub, "--sts-endpoint", p.STS, "--ca-bundle", p.CAFile, "-o", "dotenv")
		if r.ExitCode == 0 {
			t.Fatal("the proxy has no route to the token endpoint's address, yet assume succeeded without NO_PROXY")
		}
		if c := through(p.entries(t)[before:], proxiedGitLabAddr); len(c) == 0 || c[0].Status != 403 {
			t.Errorf("without NO_PROXY the proxy saw %+v, want a refused CONNECT %s", c, proxiedGitLabAddr)
		}
		for _, noProxy := range []string{"NO_PROXY", "no_proxy"} {
			before := len(p.entries(t))
			env := append(proxyEnv(p.githubEnv(t, p.DirectTokenURL), p.URL, "HTTPS_PROXY", "HTTP_PROXY"),
				noProxy+"=localhost,"+PublicAddress)
			r := b.Tool(t, leaks, t.TempDir(), env,
				"assume", "--role-arn", b.Roles.GitHub, "--sts-endpoint", p.STS, "--ca-bundle", p.CAFile, "-o", "dotenv")
			if r.ExitCode != 0 {
				t.Fatalf("%s=%s: assume exited %d", noProxy, PublicAddress, r.ExitCode)
			}
			got := p.entries(t)[before:]
			if c := through(got, proxiedGitLabAddr); len(c) != 0 {
				t.Errorf("%s: the token endpoint went through the proxy: %+v", noProxy, c)
			}
			if len(through(got, p.STS)) == 0 {
				t.Errorf("%s: STS, not in it, did not go through the proxy", noProxy)
			}
		}
	})

	t.Run("through_tinyproxy", func(t *testing.T) { testTinyproxy(t, b, p, leaks) })

	if b.Peer == "seaweedfs" {
		// SeaweedFS has AssumeRole (VersityGW v1.8.0 does not): the chained
		// hop carries the source identity, the first one cannot.
		t.Run("chain_source_identity", func(t *testing.T) {
			leaks := harness.NewLeaks(t, leaks)
			token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
			before := len(p.entries(t))
			dir := t.TempDir()
			env := proxyEnv(JobEnv(t.TempDir(), token), p.URL, "HTTP_PROXY")
			r := b.Tool(t, leaks, dir, env, "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", p.STS,
				"--chain-role-arn", b.Roles.Chained, "--source-identity", "claim:user_login")
			if r.ExitCode != 0 {
				t.Fatalf("assume --chain-role-arn --source-identity exited %d", r.ExitCode)
			}
			checkIdentity(t, b, leaks, laterJob(t, readDotenv(t, leaks, filepath.Join(dir, "aws.env")), ""), "chained")
			sts := through(p.entries(t)[before:], p.STS)
			var got []string
			for _, e := range sts {
				got = append(got, e.Action+" "+e.SourceIdentity)
			}
			if want := []string{"AssumeRoleWithWebIdentity ", "AssumeRole alice"}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("STS requests (action, source identity) = %q, want %q", got, want)
			}
			wantUserAgent(t, "STS", sts, gitlabJob)
		})
	}

	if b.CAFile != "" {
		// The issuer is https on a public-looking address only in the
		// VersityGW bed; SeaweedFS's is loopback, which no proxy serves.
		t.Run("doctor", func(t *testing.T) { testDoctorProxy(t, b, p, leaks) })
	}
}

// tinyproxyBin is Debian's tinyproxy-bin (tests/peers/install.sh).
const tinyproxyBin = "/usr/bin/tinyproxy"

// testTinyproxy puts Debian's tinyproxy, a proxy we did not write, in front:
// aws-oidc talks to it (basic authentication, CONNECT, absolute-form
// requests), and it hands everything to fwdproxy as its upstream, which
// alone resolves the names. A GitHub Actions step fetches its token and
// assumes the role through both.
func testTinyproxy(t *testing.T, b *Bed, p *proxyBed, leaks *harness.Leaks) {
	if _, err := os.Stat(tinyproxyBin); err != nil {
		t.Fatalf("%s is missing: run tests/peers/install.sh (apt-get install tinyproxy-bin)", tinyproxyBin)
	}
	leaks = harness.NewLeaks(t, leaks)
	dir := t.TempDir()
	upstream, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	user, password := "job", randomHex(t, 12)
	leaks.Secret("tinyproxy password", password)
	const port = "3129"
	logFile := filepath.Join(dir, "tinyproxy.log")
	conf := strings.Join([]string{
		"Port " + port,
		"Listen 127.0.0.1",
		"Timeout 30",
		"LogFile \"" + logFile + "\"",
		"LogLevel Connect",
		"MaxClients 20",
		"Allow 127.0.0.1",
		"BasicAuth " + user + " " + password,
		"Upstream http " + upstream.User.String() + "@" + upstream.Host,
		"DisableViaHeader Yes",
		"",
	}, "\n")
	confFile := filepath.Join(dir, "tinyproxy.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil { // tinyproxy may drop to nobody
		t.Fatal(err)
	}
	srv := Start(t, leaks, Command{Name: "tinyproxy", Path: tinyproxyBin, Args: []string{"-d", "-c", confFile},
		NetNS: b.NetNS, Env: BaseEnv(dir)})
	t.Cleanup(func() {
		data, _ := os.ReadFile(logFile)
		leaks.Output("tinyproxy log file", string(data))
		if t.Failed() {
			t.Logf("tinyproxy log file:\n%s", leaks.Redact(string(data)))
		}
	})
	// Ready once it answers at all (407: it wants the password).
	probe := Command{Path: "/usr/bin/curl", Args: []string{"-s", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:" + port + "/"}, NetNS: b.NetNS}
	waitFor(t, 10*time.Second, func() bool {
		return srv.Exited() || probe.cmd(context.Background()).Run() == nil
	})
	if srv.Exited() {
		t.Fatalf("tinyproxy exited:\n%s", srv.Log())
	}

	tiny := "http://" + user + ":" + password + "@127.0.0.1:" + port
	before := len(p.entries(t))
	r := b.Tool(t, leaks, t.TempDir(), proxyEnv(p.githubEnv(t, p.GitHubTokenURL), tiny, "HTTPS_PROXY", "HTTP_PROXY"),
		"assume", "--role-arn", b.Roles.GitHub, "--sts-endpoint", p.STS, "--ca-bundle", p.CAFile, "-o", "dotenv", "--verify")
	if r.ExitCode != 0 {
		t.Fatalf("assume through tinyproxy exited %d", r.ExitCode)
	}
	got := p.entries(t)[before:]
	if c := through(got, proxiedGitLabHost+":8443"); len(c) != 1 || c[0].Method != "CONNECT" {
		t.Errorf("token endpoint: %+v, want one CONNECT through tinyproxy and fwdproxy", c)
	}
	sts := through(got, p.STS)
	if len(sts) != 2 {
		t.Errorf("%d STS requests reached fwdproxy through tinyproxy, want 2", len(sts))
	}
	wantUserAgent(t, "STS", sts, "(github; run 9001; attempt 3; repository mygroup/myproject)")
	if data, _ := os.ReadFile(logFile); !strings.Contains(string(data), proxiedGitLabHost) {
		t.Errorf("tinyproxy's log does not show the tunnel to %s", proxiedGitLabHost)
	}

	// A wrong password: tinyproxy answers 407, to the token endpoint's
	// CONNECT and to STS's plain http alike. Exit 2 at once, the hint naming
	// the variable, and nothing more reaches fwdproxy.
	wrong := "http://" + user + ":wrong" + randomHex(t, 6) + "@127.0.0.1:" + port
	for _, c := range []struct {
		name string
		env  []string
	}{
		{name: "token endpoint", env: proxyEnv(p.githubEnv(t, p.GitHubTokenURL), wrong, "HTTPS_PROXY", "HTTP_PROXY")},
		{name: "STS", env: proxyEnv(JobEnv(t.TempDir(), b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})), wrong, "HTTPS_PROXY", "HTTP_PROXY")},
	} {
		before := len(p.entries(t))
		role := b.Roles.GitHub
		if c.name == "STS" {
			role = b.Roles.Deploy
		}
		r := b.Tool(t, leaks, t.TempDir(), c.env, "assume", "--role-arn", role, "--sts-endpoint", p.STS, "--ca-bundle", p.CAFile, "-o", "dotenv")
		if r.ExitCode != 2 || !strings.Contains(r.Stderr, "hint: the proxy named by $HTTP") {
			t.Errorf("%s behind tinyproxy with a wrong password: exit %d, want 2 and the proxy hint\n%s", c.name, r.ExitCode, leaks.Redact(r.Stderr))
		}
		if n := len(p.entries(t)) - before; n != 0 {
			t.Errorf("%s: %d requests got past tinyproxy with a wrong password", c.name, n)
		}
	}
}

// testDoctorProxy: doctor's role check goes through the proxy like assume;
// its issuer checks go direct, as AWS fetches, unless --issuer-proxy.
func testDoctorProxy(t *testing.T, b *Bed, p *proxyBed, leaks *harness.Leaks) {
	for _, tc := range []struct {
		name        string
		args        []string
		wantTunnels bool
	}{
		{name: "issuer_direct"},
		{name: "issuer_through_proxy", args: []string{"--issuer-proxy"}, wantTunnels: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaks := harness.NewLeaks(t, leaks)
			token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: time.Hour})
			before := len(p.entries(t))
			env := proxyEnv(JobEnv(t.TempDir(), token), p.URL, "HTTPS_PROXY", "HTTP_PROXY")
			r := b.Tool(t, leaks, t.TempDir(), env, append([]string{"doctor", "--role-arn", b.Roles.Deploy,
				"--sts-endpoint", p.STS, "--ca-bundle", b.CAFile}, tc.args...)...)
			if r.ExitCode != 0 {
				t.Errorf("doctor exited %d:\n%s", r.ExitCode, leaks.Redact(r.Stdout))
			}
			for _, want := range []string{"ok    issuer", "ok    tls", "ok    keys", "ok    role"} {
				if !strings.Contains(r.Stdout, want) {
					t.Errorf("doctor's report lacks %q:\n%s", want, leaks.Redact(r.Stdout))
				}
			}
			got := p.entries(t)[before:]
			wantUserAgent(t, "STS", through(got, p.STS), "(gitlab; job 2002; project mygroup/myproject)")
			tunnels := through(got, PublicAddress+":443")
			if tc.wantTunnels != (len(tunnels) >= 3) || (!tc.wantTunnels && len(tunnels) > 0) {
				t.Errorf("issuer tunnels through the proxy: %d, want %v (discovery, TLS check, keys)", len(tunnels), tc.wantTunnels)
			}
			if tc.wantTunnels && !strings.Contains(r.Stdout, "through proxy http://ci:xxxxx@") {
				t.Errorf("the tls line does not say it went through the proxy:\n%s", leaks.Redact(r.Stdout))
			}
		})
	}
}

// githubEnv is a GitHub Actions step whose token endpoint is tokenURL.
func (p *proxyBed) githubEnv(t *testing.T, tokenURL string) []string {
	home := t.TempDir()
	githubEnv := filepath.Join(home, "github_env")
	if err := os.WriteFile(githubEnv, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return Env(BaseEnv(home), "GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "9001", "GITHUB_RUN_ATTEMPT", "3",
		"GITHUB_REPOSITORY", "mygroup/myproject", "ACTIONS_ID_TOKEN_REQUEST_URL", tokenURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN", p.requestToken, "GITHUB_ENV", githubEnv)
}
