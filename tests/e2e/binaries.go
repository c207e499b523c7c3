package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// AWSCLI is the Debian aws CLI v2; a Python aws 1.x may come first on PATH.
const AWSCLI = "/usr/bin/aws"

// RepoRoot is the folder holding go.mod, found upward from the working
// directory (go test runs in the package folder).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Versions reads tests/peers/versions.env, the one place peers are pinned.
func Versions() (map[string]string, error) {
	root, err := RepoRoot()
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

// Binaries are the programs under test, built once per test binary.
type Binaries struct {
	// AWSOIDC is the tool, from AWS_OIDC_BIN or built from ./src/cmd/aws-oidc.
	AWSOIDC string
	// FakeGitLab is tests/fakegitlab/cmd/fake-gitlab.
	FakeGitLab string
	// AWSOIDCErr is why the tool could not be built, reported by the tests
	// that need it rather than by every test.
	AWSOIDCErr error
}

// Build builds the tool and the fake issuer into dir with CGO_ENABLED=0, as
// shipped.
func Build(dir string) (Binaries, error) {
	root, err := RepoRoot()
	if err != nil {
		return Binaries{}, err
	}
	b := Binaries{FakeGitLab: filepath.Join(dir, "fake-gitlab"), AWSOIDC: os.Getenv("AWS_OIDC_BIN")}
	if err := goBuild(root, b.FakeGitLab, "./tests/fakegitlab/cmd/fake-gitlab"); err != nil {
		return b, err
	}
	if b.AWSOIDC == "" {
		b.AWSOIDC = filepath.Join(dir, "aws-oidc")
		b.AWSOIDCErr = goBuild(root, b.AWSOIDC, "./src/cmd/aws-oidc")
	} else if b.AWSOIDC, err = filepath.Abs(b.AWSOIDC); err != nil {
		b.AWSOIDCErr = err
	}
	return b, nil
}

func goBuild(root, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}
