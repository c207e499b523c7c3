//go:build !unix

package atomicfile

import "testing"

func mustMkfifo(t *testing.T, _ string) {
	t.Skip("named pipes need a unix file system")
}
