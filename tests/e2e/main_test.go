package e2e

import (
	"fmt"
	"os"
	"testing"
)

// bin holds the programs under test, built once by TestMain.
var bin Binaries

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aws-oidc-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err = Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "failed to build the programs under test:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
