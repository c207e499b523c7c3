// Package harness is what the suites under tests/ share to test programs
// from the user's side: build them once per test binary (Main), run one as a
// process with exactly the environment a CI job would give it and collect
// what it printed and how it ended (Run), and scan every output for secrets
// in any common encoding without ever printing one (Leaks).
package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

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

// Binaries are the programs under test, built once per test binary.
type Binaries struct {
	// AWSOIDC is the tool, from AWS_OIDC_BIN or built from ./src/cmd/aws-oidc.
	AWSOIDC string
	// FakeGitLab is tests/fakegitlab/cmd/fake-gitlab.
	FakeGitLab string
	// AWSOIDCErr is why the tool could not be built, reported by the tests
	// that need it (Tool) rather than by every test.
	AWSOIDCErr error
}

// Tool returns the path of aws-oidc, or fails t with why it was not built.
func (b Binaries) Tool(t testing.TB) string {
	t.Helper()
	if b.AWSOIDCErr != nil {
		t.Fatalf("aws-oidc could not be built: %v", b.AWSOIDCErr)
	}
	return b.AWSOIDC
}

// Build builds the tool and the fake issuer into dir with CGO_ENABLED=0, as
// shipped. AWS_OIDC_BIN names another build of the tool to test instead
// (the one of an older commit, say).
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

// Main is the whole of a suite's TestMain: it builds the programs into a
// temporary folder, sets *b, runs setup (when not nil) and then the tests,
// removes the folder and exits with the tests' code.
func Main(m *testing.M, b *Binaries, setup func() (cleanup func(), err error)) {
	os.Exit(buildAndRun(m, b, setup))
}

func buildAndRun(m *testing.M, b *Binaries, setup func() (func(), error)) int {
	dir, err := os.MkdirTemp("", "aws-oidc-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *b, err = Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "failed to build the programs under test:", err)
		return 1
	}
	if setup != nil {
		cleanup, err := setup()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if cleanup != nil {
			defer cleanup()
		}
	}
	return m.Run()
}

type program struct {
	once sync.Once
	path string
	err  error
}

var (
	programsMu sync.Mutex
	programs   = map[string]*program{}
)

// Program builds the command in pkg, a path from the repository root such
// as ./tests/faultproxy/cmd/faultproxy, next to the fake issuer, once per
// test binary, and returns its path.
func (b Binaries) Program(t testing.TB, pkg string) string {
	t.Helper()
	programsMu.Lock()
	p := programs[pkg]
	if p == nil {
		p = &program{}
		programs[pkg] = p
	}
	programsMu.Unlock()
	p.once.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			p.err = err
			return
		}
		p.path = filepath.Join(filepath.Dir(b.FakeGitLab), filepath.Base(pkg))
		p.err = goBuild(root, p.path, pkg)
	})
	if p.err != nil {
		t.Fatal(p.err)
	}
	return p.path
}
