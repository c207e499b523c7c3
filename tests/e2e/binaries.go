// Package e2e proves aws-oidc end to end against servers other people wrote:
// VersityGW and SeaweedFS as STS and S3, a GitLab-shaped issuer of ours
// (tests/fakegitlab) and the real AWS CLI as the consumer, every one of them a
// real process. The helpers here (processes in network namespaces, peers,
// beds) are exported so that other end-to-end suites can reuse them; what
// every suite needs (building the programs, the leak scanner) is in
// tests/harness.
package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// AWSCLI is the Debian aws CLI v2; a Python aws 1.x may come first on PATH.
const AWSCLI = "/usr/bin/aws"

// Versions reads tests/peers/versions.env, the one place peers are pinned.
func Versions() (map[string]string, error) {
	root, err := harness.RepoRoot()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(root, "tests", "peers", "versions.env"))
	if err != nil {
		return nil, fmt.Errorf("failed to read peer versions: %w", err)
	}
	defer f.Close()
	v := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, val, ok := strings.Cut(line, "="); ok {
			v[k] = val
		}
	}
	return v, s.Err()
}

// PeersDir is where tests/peers/install.sh caches peer binaries.
func PeersDir() string {
	if d := os.Getenv("AWS_OIDC_PEERS_DIR"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(os.Getenv("HOME"), ".cache")
	}
	return filepath.Join(cache, "aws-oidc", "peers")
}

// PeerBinary returns the cached binary of a peer ("versitygw", version key
// "VERSITYGW_VERSION", binary "versitygw"). A missing peer fails the test
// with what to run: CI must never pass by skipping. Only
// AWS_OIDC_E2E_SKIP_MISSING=1, for quick local runs, turns it into a skip.
func PeerBinary(t testing.TB, name, versionKey, binary string) string {
	t.Helper()
	versions, err := Versions()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(PeersDir(), name+"-"+versions[versionKey], binary)
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("peer %s %s is not installed at %s: run tests/peers/install.sh (builds it once, a few minutes)",
			name, versions[versionKey], path)
		if os.Getenv("AWS_OIDC_E2E_SKIP_MISSING") == "1" {
			t.Skip(msg + " (skipped because AWS_OIDC_E2E_SKIP_MISSING=1)")
		}
		t.Fatal(msg)
	}
	for _, tool := range []string{AWSCLI, "/usr/sbin/ip", "/usr/bin/curl"} {
		if _, err := os.Stat(tool); err != nil {
			t.Fatalf("%s is missing: run tests/peers/install.sh (apt-get install awscli iproute2 curl)", tool)
		}
	}
	return path
}
