package e2e

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// SeaweedFS's `weed mini` runs master, volume, filer and S3 (with STS) in one
// process on many fixed ports; a namespace of its own keeps them free.
const (
	seaweedS3      = "http://127.0.0.1:8333"
	seaweedAccount = "123456789012"
	seaweedIssuer  = "http://127.0.0.1:8443"
	// seaweedDownIssuer is a provider SeaweedFS trusts but nothing serves.
	seaweedDownIssuer = "http://127.0.0.1:8444"
)

// StartSeaweedFS brings up a namespace, the fake GitLab on plain http
// (SeaweedFS, unlike AWS, accepts any issuer URL) and `weed mini` with an
// IAM file that holds what the guide's steps create in AWS: the provider,
// the roles with their trust policies, and their S3 policies.
func StartSeaweedFS(t testing.TB, leaks *harness.Leaks, bin harness.Binaries, n int) *Bed {
	t.Helper()
	weed := PeerBinary(t, "seaweedfs", "SEAWEEDFS_VERSION", "weed")
	ns := NewNetNS(t, n)
	issuer := startIssuer(t, leaks, bin, ns, seaweedIssuer, "127.0.0.1:8443", false)

	b := &Bed{
		Peer: "seaweedfs", NetNS: ns, STS: seaweedS3, S3: seaweedS3,
		Issuer: issuer.Issuer, IssuerServer: issuer.Server, DownIssuer: seaweedDownIssuer,
		GitHubTokenURL:     seaweedIssuer + "/github/token?api-version=2.0",
		GitHubRequestToken: issuer.Issuer.GitHubRequestToken,
		mintedLog:          issuer.MintedLog,
		Account:            seaweedAccount,
		Bin:                bin,
		Leaks:              leaks,
	}
	role := func(name string) string { return "arn:aws:iam::" + seaweedAccount + ":role/" + name }
	b.Roles = Roles{Deploy: role("deploy"), Readonly: role("readonly"), GitHub: role("github"),
		IssuerDown: role("issuer-down"), Unknown: role("no-such-role")}

	dir := t.TempDir()
	signingKey := make([]byte, 32)
	copy(signingKey, randomHex(t, 16))
	// SeaweedFS names condition keys oidc:sub and oidc:aud whatever the
	// issuer, and the principal by the provider's name.
	cfg := map[string]any{
		"sts": map[string]any{
			"tokenDuration": "1h", "maxSessionLength": "12h", "issuer": "seaweedfs-sts",
			"signingKey": base64.StdEncoding.EncodeToString(signingKey), "accountId": seaweedAccount,
		},
		"providers": []any{
			map[string]any{"name": "gitlab", "type": "oidc", "config": map[string]any{
				"issuer": seaweedIssuer, "clientIds": []string{seaweedIssuer, GitHubAudience}}},
			map[string]any{"name": "gitlab-down", "type": "oidc", "config": map[string]any{
				"issuer": seaweedDownIssuer, "clientIds": []string{seaweedDownIssuer}}},
		},
		"policy": map[string]any{"defaultEffect": "Deny", "storeType": "memory"},
		"roles": []any{
			seaweedRole(b.Roles.Deploy, "deploy", trustPolicy("gitlab", "oidc:sub", Subject, "oidc:aud", seaweedIssuer), "jobs"),
			seaweedRole(b.Roles.Readonly, "readonly", trustPolicy("gitlab", "oidc:sub", Subject, "oidc:aud", seaweedIssuer), "jobs-readonly"),
			seaweedRole(b.Roles.GitHub, "github", trustPolicy("gitlab", "oidc:sub", GitHubSubject, "oidc:aud", GitHubAudience), "jobs"),
			seaweedRole(b.Roles.IssuerDown, "issuer-down", trustPolicy("gitlab-down", "oidc:sub", Subject, "oidc:aud", seaweedDownIssuer), "jobs"),
		},
		"policies": []any{
			map[string]any{"name": "jobs", "document": seaweedPolicy(false)},
			map[string]any{"name": "jobs-readonly", "document": seaweedPolicy(true)},
		},
	}
	b.manyRolesSeaweed(cfg)
	iamPath := filepath.Join(dir, "iam.json")
	if err := os.WriteFile(iamPath, []byte(mustJSON(cfg)), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := Start(t, leaks, Command{Name: "weed-mini", Path: weed, NetNS: ns, Env: BaseEnv(dir), Dir: dir,
		Args: append([]string{"mini", "-dir=" + mkdir(t, filepath.Join(dir, "data")), "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
			"-s3.port=8333", "-s3.iam.config=" + iamPath, "-master.telemetry=false", "-webdav=false", "-admin.ui=false"},
			seaweedSockets(dir)...)})
	srv.WaitHTTP(t, ns, seaweedS3+"/healthz")
	return b
}

// seaweedSockets keeps concurrent beds apart on the one thing a network
// namespace does not separate: weed mini's unix sockets, which it names
// after its gRPC ports under /tmp (/tmp/seaweedfs-filer-grpc-18888.sock).
// Two beds on the same ports share them, and the first to stop removes the
// other's. Each bed gets gRPC ports no other bed of this or another test
// process uses (no such socket exists yet), and its own filer and S3
// sockets in its folder.
func seaweedSockets(dir string) []string {
	seaweedPortsMu.Lock()
	defer seaweedPortsMu.Unlock()
	var base int
	for {
		base = 20000 + 10*rand.IntN(4000)
		if !seaweedPortsTaken[base] && !seaweedSocketsExist(base) {
			break
		}
	}
	seaweedPortsTaken[base] = true
	args := []string{"-filer.localSocket=" + filepath.Join(dir, "filer.sock"), "-s3.localSocket=" + filepath.Join(dir, "s3.sock")}
	for i, svc := range seaweedGRPC {
		args = append(args, fmt.Sprintf("-%s.port.grpc=%d", svc, base+i))
	}
	return args
}

// seaweedGRPC are the services of weed mini with a gRPC port and a socket.
var seaweedGRPC = []string{"master", "volume", "filer", "s3", "admin"}

var (
	seaweedPortsMu    sync.Mutex
	seaweedPortsTaken = map[int]bool{}
)

func seaweedSocketsExist(base int) bool {
	for i, svc := range seaweedGRPC {
		if _, err := os.Stat(fmt.Sprintf("/tmp/seaweedfs-%s-grpc-%d.sock", svc, base+i)); err == nil {
			return true
		}
	}
	return false
}

func seaweedRole(arn, name string, trust map[string]any, policy string) map[string]any {
	return map[string]any{"roleName": name, "roleArn": arn, "trustPolicy": trust, "attachedPolicies": []string{policy}}
}

// seaweedPolicy is s3Policy plus sts:ValidateSession, which SeaweedFS checks
// on every request made with its session tokens.
func seaweedPolicy(readOnly bool) map[string]any {
	p := s3Policy(readOnly)
	p["Statement"] = append(p["Statement"].([]any),
		map[string]any{"Effect": "Allow", "Action": "sts:ValidateSession", "Resource": "*"})
	return p
}
