package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// VersityGW runs as two processes, as its docs describe: the IAM and STS
// service, and the S3 gateway that asks it about credentials over a unix
// socket. Inside a fresh namespace any port is free.
const (
	versityIAM = "http://127.0.0.1:7080"
	versityS3  = "http://127.0.0.1:7070"
	// versityAccount is the account VersityGW gives every ARN.
	versityAccount = "000000000000"
)

// StartVersity brings up a namespace, the fake GitLab on
// https://198.18.0.1 (VersityGW, like AWS, fetches keys only over https on
// port 443 from a public address), VersityGW, and does the guide's AWS setup
// with the AWS CLI and the root keys. Everything stops when t ends.
func StartVersity(t testing.TB, leaks *harness.Leaks, bin harness.Binaries, n int) *Bed {
	t.Helper()
	versitygw := PeerBinary(t, "versitygw", "VERSITYGW_VERSION", "versitygw")
	ns := NewNetNS(t, n)
	issuerURL := "https://" + PublicAddress
	issuer := startIssuer(t, leaks, bin, ns, issuerURL, PublicAddress+":443", true)

	dir := t.TempDir()
	rootKey, rootSecret := "ROOT"+strings.ToUpper(randomHex(t, 8)), randomHex(t, 20)
	sock := filepath.Join(dir, "iam.sock")
	common := []string{"--health", "/healthz", "-a", rootKey, "-s", rootSecret}
	iam := Start(t, leaks, Command{Name: "versitygw-iam", Path: versitygw, NetNS: ns, Env: BaseEnv(dir),
		Args: append(append([]string{}, common...), "-p", "127.0.0.1:7080",
			"iam", "--dir", mkdir(t, filepath.Join(dir, "iam")), "--private-ports", sock)})
	iam.WaitHTTP(t, ns, versityIAM+"/healthz")
	s3 := Start(t, leaks, Command{Name: "versitygw-s3", Path: versitygw, NetNS: ns, Env: BaseEnv(dir),
		Args: append(append([]string{}, common...), "-p", "127.0.0.1:7070",
			"--iam-standalone-endpoint", sock, "posix", mkdir(t, filepath.Join(dir, "data")))})
	s3.WaitHTTP(t, ns, versityS3+"/healthz")

	b := &Bed{
		Peer: "versitygw", NetNS: ns, STS: versityIAM, S3: versityS3,
		Issuer: issuer.Issuer, IssuerServer: issuer.Server, DownIssuer: "https://198.18.0.2",
		CAFile:             issuer.CAFile,
		GitHubTokenURL:     issuerURL + "/github/token?api-version=2.0",
		GitHubRequestToken: issuer.Issuer.GitHubRequestToken,
		mintedLog:          issuer.MintedLog,
		Account:            versityAccount,
		Bin:                bin,
		Leaks:              leaks,
	}
	b.guideSetup(t, rootKey, rootSecret, issuer.Cert.Thumbprint)
	return b
}

// guideSetup is GitLab's "Configure OpenID Connect in AWS" with the AWS CLI:
// an identity provider per issuer, then roles whose trust policies name the
// provider and condition on <host>:sub and <host>:aud, then their policies.
func (b *Bed) guideSetup(t testing.TB, rootKey, rootSecret, thumbprint string) {
	t.Helper()
	root := Env(BaseEnv(t.TempDir()), "AWS_ACCESS_KEY_ID", rootKey, "AWS_SECRET_ACCESS_KEY", rootSecret, "AWS_REGION", "us-east-1")
	iam := func(args ...string) string {
		t.Helper()
		r := b.AWS(t, b.Leaks, root, append([]string{"--endpoint-url", b.STS, "--output", "text", "iam"}, args...)...)
		if r.ExitCode != 0 {
			t.Fatalf("aws iam %s failed (exit %d): %s", args[0], r.ExitCode, r.Stderr)
		}
		return strings.TrimSpace(r.Stdout)
	}
	providers := map[string]string{}
	for _, url := range []string{b.Issuer.URL, b.DownIssuer} {
		// The CLI here (2.9) still requires --thumbprint-list; it pins the
		// test CA, which is how VersityGW comes to trust our certificate.
		providers[url] = iam("create-open-id-connect-provider", "--url", url,
			"--client-id-list", url, GitHubAudience, "--thumbprint-list", thumbprint,
			"--query", "OpenIDConnectProviderArn")
	}
	host := strings.TrimPrefix(b.Issuer.URL, "https://")
	downHost := strings.TrimPrefix(b.DownIssuer, "https://")
	roles := []struct {
		name     string
		trust    map[string]any
		readOnly bool
		arn      *string
	}{
		{"deploy", trustPolicy(providers[b.Issuer.URL], host+":sub", Subject, host+":aud", b.Issuer.URL), false, &b.Roles.Deploy},
		{"readonly", trustPolicy(providers[b.Issuer.URL], host+":sub", Subject, host+":aud", b.Issuer.URL), true, &b.Roles.Readonly},
		{"github", trustPolicy(providers[b.Issuer.URL], host+":sub", GitHubSubject, host+":aud", GitHubAudience), false, &b.Roles.GitHub},
		{"issuer-down", trustPolicy(providers[b.DownIssuer], downHost+":sub", Subject, downHost+":aud", b.DownIssuer), false, &b.Roles.IssuerDown},
	}
	for _, r := range roles {
		*r.arn = iam("create-role", "--role-name", r.name, "--assume-role-policy-document", mustJSON(r.trust), "--query", "Role.Arn")
		iam("put-role-policy", "--role-name", r.name, "--policy-name", "jobs", "--policy-document", mustJSON(s3Policy(r.readOnly)))
	}
	b.Roles.Unknown = "arn:aws:iam::" + b.Account + ":role/no-such-role"
	b.manyRolesVersity(iam, roles[0].trust)
}

func mkdir(t testing.TB, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
