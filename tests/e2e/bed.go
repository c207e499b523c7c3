package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// Bed is one STS and S3 peer, running with a fake GitLab that it trusts, set
// up the way GitLab's guide tells users to set up AWS. Everything runs in
// the bed's network namespace.
type Bed struct {
	// Peer names the STS server: "versitygw" or "seaweedfs".
	Peer  string
	NetNS string
	// STS and S3 are the peer's endpoints, reachable inside NetNS.
	STS, S3 string
	// Issuer mints tokens in the test process with the very key that the
	// fake-gitlab process publishes.
	Issuer *fakegitlab.Issuer
	// IssuerServer is the fake-gitlab process (stop it to take the issuer down).
	IssuerServer *Server
	// DownIssuer is an issuer the peer trusts but that nothing serves.
	DownIssuer string
	// CAFile holds the CA of the issuer's certificate ("" over http), for
	// clients of the GitHub token endpoint (SSL_CERT_FILE).
	CAFile string
	// GitHubTokenURL and GitHubRequestToken are what GitHub puts in
	// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	GitHubTokenURL, GitHubRequestToken string
	// mintedLog lists the tokens the GitHub endpoint handed out.
	mintedLog string
	Roles     Roles
	// Account is the peer's account id, as it appears in role ARNs.
	Account string
	Bin     harness.Binaries
	Leaks   *harness.Leaks
}

// Roles are the ARNs the guide's setup created.
type Roles struct {
	// Deploy and Readonly trust mygroup/myproject on main, with the
	// issuer as audience (Deploy may use S3 and GetCallerIdentity).
	Deploy, Readonly string
	// GitHub trusts repo:mygroup/myproject:ref:refs/heads/main with the
	// audience sts.amazonaws.com.
	GitHub string
	// IssuerDown trusts DownIssuer.
	IssuerDown string
	// Unknown does not exist.
	Unknown string
	// Audit is trusted like Deploy (read-only S3), NoS3 too but may not use
	// S3, and Chained trusts Deploy's sessions (issue 6, see many.go).
	Audit, NoS3, Chained string
}

// Subject is the sub every role's trust policy allows.
const Subject = "project_path:mygroup/myproject:ref_type:branch:ref:main"

// GitHubSubject is the sub the GitHub role allows.
const GitHubSubject = "repo:mygroup/myproject:ref:refs/heads/main"

// GitHubAudience is the audience aws-oidc requests on GitHub by default.
const GitHubAudience = "sts.amazonaws.com"

// Mint returns a token from the bed's issuer and registers it as a secret.
func (b *Bed) Mint(t testing.TB, leaks *harness.Leaks, o fakegitlab.Options) string {
	t.Helper()
	token, err := b.Issuer.Mint(o)
	if err != nil {
		t.Fatal(err)
	}
	leaks.Secret("ID token", token)
	return token
}

// Tool runs aws-oidc in the bed's namespace with env (see JobEnv).
func (b *Bed) Tool(t testing.TB, leaks *harness.Leaks, dir string, env []string, args ...string) Result {
	t.Helper()
	return Run(t, leaks, Command{Name: "aws-oidc", Path: b.Bin.Tool(t), Args: args, Env: env, NetNS: b.NetNS, Dir: dir})
}

// AWS runs the AWS CLI in the bed's namespace.
func (b *Bed) AWS(t testing.TB, leaks *harness.Leaks, env []string, args ...string) Result {
	t.Helper()
	return Run(t, leaks, Command{Name: awsName(args), Path: AWSCLI, Args: args, Env: env, NetNS: b.NetNS})
}

// MintedGitHubTokens registers every token the GitHub endpoint has handed
// out so far as a secret.
func (b *Bed) MintedGitHubTokens(leaks *harness.Leaks) {
	data, _ := os.ReadFile(b.mintedLog)
	for _, tok := range strings.Fields(string(data)) {
		leaks.Secret("GitHub ID token", tok)
	}
}

// JobEnv is a GitLab job's environment around a token: GITLAB_CI and the
// ids the default session name is made of.
func JobEnv(home, token string) []string {
	env := Env(BaseEnv(home), "GITLAB_CI", "true", "CI_PROJECT_ID", "22", "CI_PIPELINE_ID", "1001",
		"CI_JOB_ID", "2002", "CI_PROJECT_PATH", "mygroup/myproject")
	if token != "" {
		env = Env(env, "GITLAB_OIDC_TOKEN", token)
	}
	return env
}

// issuerProcess is a running fake-gitlab and what a bed needs of it.
type issuerProcess struct {
	// Issuer mints in the test process with the served key.
	Issuer *fakegitlab.Issuer
	Server *Server
	// Cert is the https certificate (nil over http); its CA is in CAFile.
	Cert   *fakegitlab.Certificate
	CAFile string
	// MintedLog lists the tokens the GitHub endpoint handed out.
	MintedLog string
}

// startIssuer writes a fresh signing key (and, for https, a certificate for
// the issuer's host) and runs fake-gitlab serve in netns.
func startIssuer(t testing.TB, leaks *harness.Leaks, bin harness.Binaries, netns, issuerURL, listen string, https bool) issuerProcess {
	t.Helper()
	dir := t.TempDir()
	key, err := fakegitlab.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "key.pem")
	if err := key.WriteKey(keyPath); err != nil {
		t.Fatal(err)
	}
	requestToken := randomHex(t, 20)
	leaks.Secret("GitHub request token", requestToken)
	p := issuerProcess{
		Issuer:    &fakegitlab.Issuer{URL: issuerURL, Key: key, GitHubRequestToken: requestToken},
		MintedLog: filepath.Join(dir, "minted.log"),
	}
	args := []string{"serve", "-key", keyPath, "-issuer", issuerURL, "-listen", listen,
		"-github-request-token", requestToken, "-minted-log", p.MintedLog}
	if https {
		if p.Cert, err = fakegitlab.NewCertificate(strings.TrimPrefix(issuerURL, "https://")); err != nil {
			t.Fatal(err)
		}
		certPath, certKey, err := p.Cert.Write(dir)
		if err != nil {
			t.Fatal(err)
		}
		p.CAFile = filepath.Join(dir, "ca.crt")
		args = append(args, "-tls-cert", certPath, "-tls-key", certKey)
	}
	p.Server = Start(t, leaks, Command{Name: "fake-gitlab", Path: bin.FakeGitLab, Args: args, NetNS: netns, Env: BaseEnv(dir)})
	p.Server.WaitHTTP(t, netns, issuerURL+"/.well-known/openid-configuration")
	return p
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// awsName names an AWS CLI run by its service and operation
// ("aws iam create-role"), leaving out options and their values.
func awsName(args []string) string {
	name := []string{"aws"}
	for i := 0; i < len(args) && len(name) < 3; i++ {
		if strings.HasPrefix(args[i], "--") {
			i++ // assume it takes a value: at worst the name is shorter
			continue
		}
		name = append(name, args[i])
	}
	return strings.Join(name, " ")
}
