package e2e

import (
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// bin holds the programs under test, built once by TestMain.
var bin harness.Binaries

func TestMain(m *testing.M) { harness.Main(m, &bin, nil) }
