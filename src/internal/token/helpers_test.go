package token_test

import (
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
)

// golden compares got with testdata/name (goldentest.Check).
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldentest.Check(t, name, []byte(got))
}
